"""Receiving provider override: I.UA, Ukraine (classifier override; see classify/rhosts).

Source: go-sisimai rhost/for-iua.go (BSD-2-Clause): the reply carries a link
"https://mail.i.ua/err/<code>/" whose number is one of the provider's documented errors.
"""
from __future__ import annotations

from . import rhost

HOSTS = (".email.ua",)
MARKER = ".i.ua/err/"
# https://mail.i.ua/err/<code>/ (the meanings as go-sisimai quotes them)
ERROR_CODES = {
    "1": "norelaying",    # The use of SMTP as mail gate is forbidden.
    "2": "userunknown",   # User is not found.
    "3": "suspend",       # Mailbox was not used for more than 3 months.
    "4": "mailboxfull",   # Mailbox is full.
    "5": "toomanyconn",   # Letter sending limit is exceeded.
    "6": "norelaying",    # Use SMTP of your provider to send mail.
    "7": "blocked",       # Wrong value of the HELO/EHLO parameter.
    "8": "rejected",      # Couldn't check the sender address.
    "9": "blocked",       # IP address of the sender is blacklisted.
    "10": "filtered",     # Not in the list "Mail address management".
}


@rhost("iua", HOSTS)
def find(f):
    text = f.text
    start = text.find(MARKER)
    if start < 0:
        return None
    start += len(MARKER)
    end = text.find("/", start)
    code = text[start:end] if end >= 0 else ""
    reason = ERROR_CODES.get(code)
    return (reason, f"rhost.iua.err-{code}") if reason else None
