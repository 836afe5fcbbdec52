"""Receiving provider override: GoDaddy (classifier override; see classify/rhosts).

Source: go-sisimai rhost/for-godaddy.go (BSD-2-Clause), from
https://ca.godaddy.com/help/fix-rejected-email-with-a-bounce-error-40685: an ` IBnnn` code
decides, else the phrases below.
"""
from __future__ import annotations

import re

from . import first_phrase, rhost

HOSTS = ("smtp.secureserver.net", "mailstore1.secureserver.net")
ERROR_CODES = {
    "IB401": "securityerror", "IB501": "notcompliantrfc", "IB502": "notcompliantrfc",
    "IB506": "rejected", "IB508": "authfailure", "IB108": "requireptr",
    "IB212": "spamdetected", "IB705": "virusdetected", "IB605": "toomanyconn",
    "IB007": "toomanyconn", "IB101": "speeding", "IB110": "blocked", "IB111": "blocked",
    "IB112": "blocked", "IB113": "blocked", "IB504": "speeding", "IB510": "speeding",
    "IB607": "speeding", "IB103": "badreputation", "IB104": "blocked", "IB105": "blocked",
    "IB106": "blocked",
}
MESSAGES = {
    "blocked": ("rbl reject", "www.spamhaus.org/query/bl?ip="),
    "expired": ("has been in the queue too long", "delivery timeout"),
    "mailboxfull": ("account storage limit",),
    "spamdetected": ("message rejected for spam or virus content",),
    "suspend": ("account disabled",),
    "systemerror": ("message is looping",),
    "userunknown": ("recipient not found", "account does not exist"),
}
_CODE = re.compile(r" (IB\d{3})")


@rhost("godaddy", HOSTS)
def find(f):
    m = _CODE.search(f.diagnostic or "")
    if m:
        reason = ERROR_CODES.get(m.group(1))
        return (reason, f"rhost.godaddy.{m.group(1)}") if reason else None
    hit = first_phrase(f.text, MESSAGES)
    return (hit[0], f"rhost.godaddy.{hit[0]}") if hit else None
