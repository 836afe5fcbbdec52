"""Receiving provider override: Mail.Ru (mail.ru, bk.ru, list.ru, inbox.ru) (see classify/rhosts).

Sources: Mail.Ru's DMARC help (https://help.mail.ru/mail-help/postmaster/dmarc, quoted in the
reply "550 5.7.1 This message was not accepted due to domain owner DMARC policy (RFC 7489)");
the common Mail.Ru replies listed in https://mailout.ru/2015/09 ("Mailbox Full" / "User
quota exceeded", "User not found" / "No such user") and https://errorsmaster.ru/oshibka-550-spam-message-rejected
("550 spam message rejected"); "Local mailbox ... is unavailable: account is disabled" as
Mail.Ru's own bounces write it (Sisimai lib/Sisimai/Lhost/MailRu.pm, BSD-2-Clause).
"""
from __future__ import annotations

from . import first_phrase, rhost

HOSTS = (".mail.ru", ".bk.ru", ".list.ru", ".inbox.ru", ".internet.ru")
MESSAGES = {
    "authfailure": ("not accepted due to domain owner dmarc policy",),
    "mailboxfull": ("mailbox full", "user quota exceeded"),
    "spamdetected": ("spam message rejected",),
    "suspend": ("unavailable: account is disabled",),
    "userunknown": ("user not found", "no such user"),
}


@rhost("mailru", HOSTS)
def find(f):
    hit = first_phrase(f.text, MESSAGES)
    return (hit[0], f"rhost.mailru.{hit[0]}") if hit else None
