"""au by KDDI (dion.ne.jp / auone-net.jp) bounces:

  Your mail sent on: Thu, 29 Apr 2010 11:04:47 +0900
       Could not be delivered to: <******@**.***.**>
       As their mailbox is full.

Markers and phrases: Sisimai lib/Sisimai/Lhost/KDDI.pm (BSD-2-Clause); sisimai/set-of-emails
lhost-kddi-*.
"""
from __future__ import annotations

from ...mime.view import MailView
from ..model import RecipientReport
from . import dialect
from .kit import (
    address,
    first_phrase,
    fold,
    parse_date,
    provider_original,
    provider_text,
    received_text,
    report,
    split_at,
)

NAME = "lhost-kddi"
PROVIDER = "kddi"

BOUNDARIES = ("Content-Type: message/rfc822",)
MESSAGE_MARKS = ("Your mail sent on:", "Your mail attempted to be delivered on:")
RECIPIENT_MARK = " Could not be delivered to: <"
MESSAGES_OF = {                                            # KDDI.pm $messagesof
    "mailboxfull": ["As their mailbox is full"],
    "norelaying": ["Due to the following SMTP relay error"],
    "hostunknown": ["As the remote domain doesnt exist"],
}


def _matches(mail: MailView) -> bool:
    sender = mail.from_.lower()
    if "no-reply@." in sender or ".dion.ne.jp" in sender:   # either, as via-kddi.go asks
        return True
    if "reply-to" in mail.header_names and \
            mail.header("Reply-To").lower() == "no-reply@app.auone-net.jp":
        return True
    received = received_text(mail)   # one search per phrase instead of one per line
    return "ezweb.ne.jp (" in received or ".au.com (" in received


@dialect(NAME)
def inquire(mail: MailView):
    if not _matches(mail):
        return None
    try:
        body, tail = split_at(provider_text(mail), BOUNDARIES)
        start = min((p for p in (body.find(m) for m in MESSAGE_MARKS) if p >= 0), default=-1)
        if start < 0:
            return None
        recipients: list[RecipientReport] = []
        diags: list[list[str]] = []
        sent_on = None
        for line in body[start:].split("\n"):
            if RECIPIENT_MARK in line:
                rcpt = address(line[line.find("<"):])
                if rcpt:
                    recipients.append(RecipientReport(recipient=rcpt, action="failed"))
                    diags.append([])
            elif line.startswith(MESSAGE_MARKS[0]):
                sent_on = parse_date(line[len(MESSAGE_MARKS[0]):])
            elif line.startswith(" ") and diags:
                diags[-1].append(line.strip())
        spam_ng = mail.header("X-SPASIGN").upper() == "NG"
        for r, own in zip(recipients, diags):
            r.diagnostic = fold(" ".join(own)) or None
            r.arrival_date = sent_on
            if spam_ng:
                r.reason, r.reason_rule = "filtered", "kddi.x-spasign-ng"
                continue
            reason = first_phrase(r.diagnostic, MESSAGES_OF)
            if reason:
                r.reason, r.reason_rule = reason, f"kddi.{reason}"
        return report(NAME, PROVIDER, recipients, provider_original(mail, tail), mail.header("Date"))
    except Exception:  # noqa: BLE001 - a dialect never raises
        return None
