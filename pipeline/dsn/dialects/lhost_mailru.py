"""Mail.Ru (corp.mail.ru, Exim-based): a Russian notice, "**********************", then the
English Exim text:

  This message was created automatically by mail delivery software.
  ...
    kijitora@example.jp
      SMTP error from remote mail server after RCPT TO:<kijitora@example.jp>:
      host mx.example.jp [192.0.2.222]: 550 5.1.1 <kijitora@example.jp>... User Unknown
  ------ This is a copy of the message, including all the headers. ------

Markers and phrases: Sisimai lib/Sisimai/Lhost/MailRu.pm (BSD-2-Clause); sisimai/set-of-emails
lhost-mailru-*.
"""
from __future__ import annotations

import re

from ...mime.view import MailView
from ..model import RecipientReport
from . import dialect
from .kit import (
    address,
    first_phrase,
    fold,
    list_items,
    plain_text,
    provider_original,
    reply_code_in,
    report,
    split_at,
    status_in,
)

NAME = "lhost-mailru"
PROVIDER = "mailru"

SUBJECT_MARKS = ("Delivery Status Notification", "Mail delivery failed", "Mail failure",
                 "Message frozen", "Warning: message ", "error(s) in forwarding or filtering")
BOUNDARIES = ("------ This is a copy of the message, including all the headers. ------",)
MESSAGE_START = "This message was created automatically by mail delivery software."
# Exim's own texts as Mail.Ru shows them (MailRu.pm $messagesof).
MESSAGES_OF = {
    "expired": ["retry timeout exceeded", "No action is required on your part"],
    "userunknown": ["user not found"],
    "hostunknown": ["all host address lookups failed permanently",
                    "all relevant MX records point to non-existent hosts",
                    "Unrouteable address"],
    "mailboxfull": ["mailbox is full", "error: quota exceed"],
    "notaccept": ["an MX or SRV record indicated no SMTP service",
                  "no host found for existing SMTP connection"],
    "systemerror": ["delivery to file forbidden", "delivery to pipe forbidden",
                    "local delivery failed"],
    "contenterror": ['Too many "Received" headers '],
}
# The session step the remote refused (MailRu.pm $recommands); MAIL -> rejected, HELO -> blocked.
_COMMAND = re.compile(r"SMTP error from remote (?:mail server|mailer) after (?:end of )?"
                      r"([A-Za-z]{4})", re.I)
COMMAND_REASONS = {"MAIL": "rejected", "HELO": "blocked", "EHLO": "blocked"}
_REMOTE_HOST = re.compile(r"\bhost ([A-Za-z0-9][A-Za-z0-9.-]+) \[")


def _matches(mail: MailView) -> bool:
    sender = mail.from_.lower()
    msgid = mail.header("Message-ID")
    score = 0
    score += "mailer-daemon@" in sender and "mail.ru" in sender
    score += msgid.endswith(".mail.ru>") or msgid.endswith("smailru.net>")
    score += any(s in mail.subject for s in SUBJECT_MARKS)
    return score >= 2 and "mail.ru" in sender


@dialect(NAME)
def inquire(mail: MailView):
    if "mail.ru" not in mail.from_.lower() or not _matches(mail):
        return None
    try:
        body, tail = split_at(plain_text(mail), BOUNDARIES)
        start = body.find(MESSAGE_START)
        if start < 0:
            return None
        recipients: list[RecipientReport] = []
        texts: list[list[str]] = []
        for line in body[start:].split("\n"):
            if line.startswith("  ") and not line.startswith("    ") and "@" in line:
                rcpt = address(line)
                if rcpt:
                    recipients.append(RecipientReport(recipient=rcpt, action="failed"))
                    texts.append([])
                    continue
            if texts and line.strip():
                texts[-1].append(line.strip())
        if not recipients:
            failed = mail.header("X-Failed-Recipients")
            recipients = [RecipientReport(recipient=a, action="failed")
                          for a in map(address, list_items(failed)) if a]
            texts = [[] for _ in recipients]
        for r, own in zip(recipients, texts):
            text = fold(" ".join(own))
            r.diagnostic = text or None
            host = _REMOTE_HOST.search(text)
            reply_part = text[host.end():] if host else text
            if host:
                r.remote_mta = host.group(1)
            r.status = status_in(reply_part)
            r.reply_code = reply_code_in(reply_part) if host else None
            command = _COMMAND.search(text)
            reason = None
            if command:
                r.command = "DATA" if "end of" in command.group(0) else command.group(1).upper()
                reason = COMMAND_REASONS.get(r.command)
            reason = reason or first_phrase(text, MESSAGES_OF)
            if reason:
                r.reason, r.reason_rule = reason, f"mailru.{reason}"
        return report(NAME, PROVIDER, recipients, provider_original(mail, tail), mail.header("Date"))
    except Exception:  # noqa: BLE001 - a dialect never raises
        return None
