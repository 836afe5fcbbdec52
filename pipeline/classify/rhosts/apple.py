"""Receiving provider override: Apple iCloud (classifier override; see classify/rhosts).

Source: go-sisimai rhost/for-apple.go (BSD-2-Clause), which cites support.apple.com HT204137.
"""
from __future__ import annotations

from . import first_phrase, rhost

HOSTS = (".mail.icloud.com", ".apple.com", ".me.com")
MESSAGES = {
    "authfailure": ("s dmarc policy", "blocked for failing both spf and dkim autentication checks"),
    "blocked": ("rejected due to having a domain present in the spamhaus",
                "rejected due to listing in spamhaus",
                "blocked - see https://support.proofpoint.com/dnsbl-lookup",
                "not accepting connections"),
    "hasmoved": ("recipient no longer on server",),
    "mailboxfull": ("user is over quota",),
    "norelaying": ("relay access denied",),
    "notaccept": ("host/domain does not accept mail",),
    "policyviolation": ("due to local policy",),
    "rejected": ("sender address rejected",),
    "speeding": ("due to excessive volume",),
    "userunknown": ("inactive email address", "user does not exist", "unknown or illegal alias"),
}


# iCloud's rejections link Apple's postmaster page (support.apple.com/en-us/HT204137).
MARKERS = ("support.apple.com/en-us/ht204137",)


@rhost("apple", HOSTS, markers=MARKERS)
def find(f):
    hit = first_phrase(f.text, MESSAGES)
    return (hit[0], f"rhost.apple.{hit[0]}") if hit else None
