"""Receiving provider override: Facebook (classifier override; see classify/rhosts).

Source: go-sisimai rhost/for-facebook.go (BSD-2-Clause), from
https://www.facebook.com/postmaster/response_codes: the `XXX-YN` label decides.
"""
from __future__ import annotations

import re

from . import rhost

HOSTS = (".facebook.com",)
ERROR_CODES = {
    "POL-P7": "authfailure",
    "POL-P1": "blocked", "POL-P2": "blocked", "POL-P3": "blocked", "POL-P4": "blocked",
    "POL-T1": "blocked", "POL-T2": "blocked", "POL-T3": "blocked",
    "MSG-P2": "contenterror",
    "RCP-P2": "filtered", "RCP-P3": "filtered",
    "MSG-P1": "mesgtoobig", "INT-P2": "mesgtoobig",
    "MSG-P3": "notcompliantrfc",
    "DNS-P1": "rejected", "DNS-P2": "rejected", "DNS-T1": "rejected",
    "DNS-P3": "requireptr", "DNS-T2": "requireptr",
    "POL-P6": "spamdetected",
    "RCP-T4": "suspend",
    "RCP-T1": "systemerror",
    "CON-T1": "toomanyconn", "CON-T2": "toomanyconn", "CON-T3": "toomanyconn",
    "CON-T4": "toomanyconn", "MSG-T1": "toomanyconn",
    "RCP-P1": "userunknown", "INT-P1": "userunknown", "INT-P3": "userunknown",
    "INT-P4": "userunknown",
    "POL-P5": "virusdetected",
}
_LABEL = re.compile(r"\b([A-Z]{3}-[PT]\d)\b")


@rhost("facebook", HOSTS)
def find(f):
    for label in _LABEL.findall(f.diagnostic or ""):
        if label in ERROR_CODES:
            return ERROR_CODES[label], f"rhost.facebook.{label}"
    return None
