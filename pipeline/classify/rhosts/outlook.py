"""Receiving provider override: Outlook.com / Hotmail (classifier override).

Source: go-sisimai rhost/for-outlook.go (BSD-2-Clause). Case-sensitive, as upstream.
"""
from __future__ import annotations

from . import first_phrase, rhost

HOSTS = (".hotmail.com",)
MESSAGES = {
    "hostunknown": ("The mail could not be delivered to the recipient because the domain is not "
                    "reachable",),
    "userunknown": ("Requested action not taken: mailbox unavailable",),
}


@rhost("outlook", HOSTS)
def find(f):
    hit = first_phrase(f.diagnostic or "", MESSAGES)
    return (hit[0], f"rhost.outlook.{hit[0]}") if hit else None
