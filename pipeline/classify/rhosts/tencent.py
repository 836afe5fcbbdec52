"""Receiving provider override: Tencent QQ mail (classifier override; see classify/rhosts).

Source: go-sisimai rhost/for-tencent.go (BSD-2-Clause), citing https://service.mail.qq.com/
detail/122 (upstream's "spandetected" key is read as spamdetected here).
"""
from __future__ import annotations

from . import first_phrase, rhost

HOSTS = (".qq.com",)
MESSAGES = {
    "authfailure": ("spf check failed", "dmarc check failed"),
    "blocked": ("suspected bounce attacks", "suspected spam ip", "connection denied"),
    "mesgtoobig": ("message too large",),
    "rejected": ("suspected spam", "mail is rejected by recipients"),
    "spamdetected": ("spam is embedded in the email", "mail content denied"),
    "speeding": ("mailbox unavailable or access denined",),
    "suspend": ("is a deactivated mailbox",),
    "syntaxerror": ("bad address syntax",),
    "toomanyconn": ("ip frequency limited", "domain frequency limited",
                    "sender frequency limited", "connection frequency limited"),
    "userunknown": ("mailbox not found",),
}


@rhost("tencent", HOSTS)
def find(f):
    hit = first_phrase(f.text, MESSAGES)
    return (hit[0], f"rhost.tencent.{hit[0]}") if hit else None
