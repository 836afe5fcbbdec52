"""Receiving provider override: Cox (classifier override; see classify/rhosts).

Source: go-sisimai rhost/for-cox.go (BSD-2-Clause), from Cox's published error codes
(https://www.cox.com/residential/support/email-error-codes): an `AUP#CODE` label decides,
else the phrases below.
"""
from __future__ import annotations

import re

from . import first_phrase, rhost

HOSTS = ("cox.net",)
ERROR_CODES = {
    "CXBL": "blocked", "CXDNS": "requireptr", "CXSNDR": "authfailure", "CXSMTP": "rejected",
    "CXCNCT": "toomanyconn", "CXMXRT": "toomanyconn", "CDRBL": "blocked",
    "CXTHRT": "securityerror", "CXMJ": "securityerror",
    **{f"IPBL{c}": "blocked" for c in ("0001", "0010", "0100", "0011", "0101", "0110", "0111",
                                       "1000", "1001", "1010", "1011", "1100", "1101", "1110",
                                       "1111", "00001")},
    "URLBL011": "spamdetected", "URLBL101": "spamdetected", "URLBL110": "spamdetected",
    "URLBL1001": "spamdetected",
}
MESSAGES = {
    "blocked": ("cox too many bad commands from", "too many invalid recipients"),
    "requireptr": ("dns check failure - try again later", "rejected - no rdns"),
    "policyviolation": ("esmtp no data before greeting", "attachment extension is forbidden"),
    "rejected": ("sender rejected",),
    "systemerror": ("esmtp server temporarily not available",),
    "toomanyconn": ("too many sessions from", "requested action aborted: try again later",
                    "message threshold exceeded"),
    "userunknown": ("recipient rejected",),
}
_AUP = re.compile(r"AUP#(\S+)")


@rhost("cox", HOSTS)
def find(f):
    m = _AUP.search(f.diagnostic or "")
    if m and m.group(1) in ERROR_CODES:
        return ERROR_CODES[m.group(1)], f"rhost.cox.{m.group(1)}"
    hit = first_phrase(f.text, MESSAGES)
    return (hit[0], f"rhost.cox.{hit[0]}") if hit else None
