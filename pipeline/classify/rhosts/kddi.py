"""Receiving provider override: KDDI / au (classifier override; see classify/rhosts).

Source: go-sisimai rhost/for-kddi.go (BSD-2-Clause).
"""
from __future__ import annotations

from . import first_phrase, rhost

HOSTS = (".ezweb.ne.jp", "msmx.au.com")
MESSAGES = {"filtered": ("550 : user unknown",), "userunknown": (">: user unknown",)}


@rhost("kddi", HOSTS)
def find(f):
    hit = first_phrase(f.text, MESSAGES)
    return (hit[0], f"rhost.kddi.{hit[0]}") if hit else None
