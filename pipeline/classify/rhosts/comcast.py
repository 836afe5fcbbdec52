"""Receiving provider override: Comcast / Xfinity (see classify/rhosts).

Sources: Comcast postmaster "Mail delivery error codes"
(http://postmaster.comcast.net/mail-error-codes.html): ES000001 / ES000010 (dynamic or
residential sending IP), BL000000-BL000111 (IP on Comcast's or third-party block lists),
RL000001 (rate limit); the non-specific codes of the same page: "421 ... Too many sessions
opened" and "421 ... Reverse DNS failure"; Xfinity's list of the same codes
(https://es.xfinity.com/support/articles/email-errors).
"""
from __future__ import annotations

import re

from . import rhost

HOSTS = (".comcast.net",)
_BLOCK_CODE = re.compile(r"\b(?:es0000(?:01|10)|bl000[01]{3})\b")
_RATE_CODE = re.compile(r"\brl0000\d\d\b")


@rhost("comcast", HOSTS)
def find(f):
    text = f.text
    if _BLOCK_CODE.search(text):
        return "blocked", "rhost.comcast.blocked"
    if _RATE_CODE.search(text):
        return "ratelimited", "rhost.comcast.ratelimited"
    if "too many sessions opened" in text:
        return "toomanyconn", "rhost.comcast.toomanyconn"
    if "reverse dns failure" in text:
        return "requireptr", "rhost.comcast.requireptr"
    return None
