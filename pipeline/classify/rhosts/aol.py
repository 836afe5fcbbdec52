"""Receiving provider override: AOL (classifier override, not a parser; see classify/rhosts).

Source: go-sisimai rhost/for-aol.go (BSD-2-Clause). Phrases match case-sensitively, as upstream.
"""
from __future__ import annotations

from . import first_phrase, rhost

HOSTS = (".mail.aol.com", ".mx.aol.com")
MESSAGES = {
    "hostunknown": ("Host or domain name not found",),
    "notaccept": ("type=MX: Malformed or unexpected name server reply",),
}


@rhost("aol", HOSTS)
def find(f):
    hit = first_phrase(f.diagnostic or "", MESSAGES)
    return (hit[0], f"rhost.aol.{hit[0]}") if hit else None
