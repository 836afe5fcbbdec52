"""Receiving provider override: NTT DOCOMO (classifier override; see classify/rhosts).

Source: go-sisimai rhost/for-nttdocomo.go (BSD-2-Clause): the status code and the failed SMTP
command decide (docomo answers "550 Unknown user" for both unknown and filtered recipients).
"""
from __future__ import annotations

from . import first_phrase, rhost

HOSTS = ("mfsmax.docomo.ne.jp",)
MESSAGES = {
    "mailboxfull": ("552 too much mail data",),
    "toomanyconn": ("552 too many recipients",),
    "syntaxerror": ("503 bad sequence of commands", "504 command parameter not implemented"),
}


@rhost("nttdocomo", HOSTS)
def find(f):
    if f.status in ("5.1.1", "5.0.911"):
        return "userunknown", f"rhost.nttdocomo.status-{f.status}"
    if f.status == "5.2.0":
        return "filtered", "rhost.nttdocomo.status-5.2.0"
    hit = first_phrase(f.text, MESSAGES)
    if hit:
        return hit[0], f"rhost.nttdocomo.{hit[0]}"
    if f.status == "5.0.0" or not f.status:
        if f.command == "RCPT":
            return "userunknown", "rhost.nttdocomo.rcpt"
        if f.command == "DATA":
            return "rejected", "rhost.nttdocomo.data"
    return None
