"""Receiving provider override: Yahoo Inc. (Yahoo, AOL since 2021) (classifier override).

Source: go-sisimai rhost/for-yahooinc.go (BSD-2-Clause), citing
https://senders.yahooinc.com/smtp-error-codes and https://smtpfieldmanual.com/provider/yahoo.
"""
from __future__ import annotations

from . import first_phrase, rhost

HOSTS = (".yahoodns.net",)
MESSAGES = {
    "authfailure": ("yahoo requires all senders to authenticate with either spf or dkim",),
    "blocked": (" because the ip is in spamhaus's list;",
                "not accepted from ip addresses on spamhaus xbl"),
    "norelaying": ("relaying denied for ",),
    "notcompliantrfc": ("headers are not rfc compliant",),
    "policyviolation": ("not accepted for policy reasons",),
    "rejected": ("temporarily deferred due to unexpected volume or user complaints",
                 "due to unresolvable rfc.5321 domain", " will be permanently deferred"),
    "speeding": ("user is receiving mail too quickly",),
    "suspend": (" is no longer valid.", "this mailbox is disabled"),
    "syntaxerror": ("syntax error in parameters or arguments",),
    "toomanyconn": ("max message per connection reached",),
    "userunknown": ("dd this user doesn't have a ", "mailbox not found"),
}


# No text markers: Yahoo's table files "[TSS04] ... unexpected volume or user complaints"
# under "rejected", which Sisimai gives only when the remote host is Yahoo's; quoted by
# other hosts the same reply reads as badreputation (the public corpus, lhost-qmail-19).
@rhost("yahooinc", HOSTS)
def find(f):
    hit = first_phrase(f.text, MESSAGES)
    return (hit[0], f"rhost.yahooinc.{hit[0]}") if hit else None
