"""Receiving provider override: Yandex Mail (see classify/rhosts).

Sources: Yandex Mail help "Report on non-delivery" (https://yandex.com/support/mail/bounces/other.html),
which groups the reply texts by meaning (non-existing address; considered spam; mailbox full),
and "Policy rejection on the target address"
(https://yandex.com/support/mail/bounces/yandex/policy-rejection-on-the-target-address.html):
the recipient's account is blocked for User Agreement violations.
"""
from __future__ import annotations

from . import first_phrase, rhost

HOSTS = (".yandex.net", ".yandex.ru", ".yandex.com", ".ya.ru")
MESSAGES = {
    "authfailure": ("spf check failed",),
    "mailboxfull": ("account is full", "disk quota exceeded"),
    "spamdetected": ("message rejected under suspicion of spam",
                     "sorry, message looks like spam to me",
                     "message rejected as spam by content filtering"),
    "suspend": ("policy rejection on the target address",),
    "userunknown": ("no such user", "user not found", "user unknown", "invalid recipient",
                    "invalid mailbox", "bad destination mailbox address"),
}


@rhost("yandex", HOSTS)
def find(f):
    hit = first_phrase(f.text, MESSAGES)
    return (hit[0], f"rhost.yandex.{hit[0]}") if hit else None
