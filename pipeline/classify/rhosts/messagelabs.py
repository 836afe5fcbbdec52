"""Receiving provider override: Broadcom/Symantec MessageLabs (classifier override).

Source: go-sisimai rhost/for-messagelabs.go (BSD-2-Clause). Case-sensitive, as upstream.
"""
from __future__ import annotations

from . import first_phrase, rhost

HOSTS = (".messagelabs.com",)
MESSAGES = {
    "securityerror": ("Please turn on SMTP Authentication in your mail client",),
    "userunknown": ("542 ", " Rejected", "No such user"),
}


@rhost("messagelabs", HOSTS)
def find(f):
    hit = first_phrase(f.diagnostic or "", MESSAGES)
    return (hit[0], f"rhost.messagelabs.{hit[0]}") if hit else None
