"""Verizon Wireless: vtext.com SMS gateway and vzwpix.com MMS gateway bounces.

vtext.com (post_master@vtext.com):
  Error: Invalid user address
  Error message below:
  550 - Requested action not taken: no such user here
  Message details:
    MAIL FROM: ...
    RCPT TO: may-be-straycat@vtext.com
vzwpix.com (sysadmin@...vzwpix.com):
  Message could not be delivered to mobile.
  Error: No valid recipients for this MM
  To: 0000000000@vzwpix.com

Markers and phrases: Sisimai lib/Sisimai/Lhost/Verizon.pm (BSD-2-Clause);
sisimai/set-of-emails lhost-verizon-*.
"""
from __future__ import annotations

from ...mime.view import MailView
from ..model import OriginalMessage, RecipientReport
from . import dialect
from .kit import (
    address,
    first_phrase,
    fold,
    provider_original,
    provider_text,
    reply_code_in,
    report,
    status_in,
)

NAME = "lhost-verizon"
PROVIDER = "verizon"

VTEXT_START = "Error: "
VZWPIX_START = "Message could not be delivered to mobile"
# Verizon.pm $messagesof (both gateways: the recipient does not exist).
MESSAGES_OF = {"userunknown": ["550 - Requested action not taken: no such user here",
                               "No valid recipients for this MM"]}


def _vtext(text: str) -> tuple[list[RecipientReport], OriginalMessage]:
    start = text.find(VTEXT_START)
    if start < 0:
        return [], OriginalMessage()
    recipients: list[RecipientReport] = []
    diagnostic = None
    sender = subject = None
    for line in text[start:].split("\n"):
        if line.startswith("  RCPT TO: "):
            rcpt = address(line[11:])
            if rcpt:
                recipients.append(RecipientReport(recipient=rcpt, action="failed"))
        elif line.startswith("  MAIL FROM: "):
            sender = sender or address(line[13:])
        elif line.startswith("  Subject: "):
            subject = subject or line[11:].strip()
        elif line.find(" - ") > 2 and diagnostic is None and reply_code_in(line[:4]):
            diagnostic = fold(line)
    for r in recipients:
        r.diagnostic = diagnostic
    return recipients, OriginalMessage(sender=sender, subject=subject)


def _vzwpix(text: str) -> tuple[list[RecipientReport], OriginalMessage]:
    start = text.find(VZWPIX_START)
    if start < 0:
        return [], OriginalMessage()
    recipients: list[RecipientReport] = []
    diagnostic = None
    sender = subject = None
    for line in text[start:].split("\n"):
        if line.startswith("To: "):
            rcpt = address(line[4:])
            if rcpt:
                recipients.append(RecipientReport(recipient=rcpt, action="failed"))
        elif line.startswith("From: "):
            sender = sender or address(line[6:])
        elif line.startswith("Subject: "):
            subject = subject or line[9:].strip()
        elif line.startswith("Error: "):
            diagnostic = fold(line[7:])
    for r in recipients:
        r.diagnostic = diagnostic
    return recipients, OriginalMessage(sender=sender, subject=subject)


@dialect(NAME)
def inquire(mail: MailView):
    sender = mail.from_.lower()
    vtext = "post_master@vtext.com" in sender
    if not vtext and not ("sysadmin@" in sender and ".vzwpix.com" in sender):
        return None
    try:
        text = provider_text(mail)
        recipients, pasted = _vtext(text) if vtext else _vzwpix(text)
        for r in recipients:
            r.status = status_in(r.diagnostic)
            r.reply_code = reply_code_in((r.diagnostic or "")[:4])
            reason = first_phrase(r.diagnostic, MESSAGES_OF)
            if reason:
                r.reason, r.reason_rule = reason, f"verizon.{reason}"
        original = provider_original(mail)
        if not (original.sender or original.subject):
            original = pasted
        return report(NAME, PROVIDER, recipients, original, mail.header("Date"))
    except Exception:  # noqa: BLE001 - a dialect never raises
        return None
