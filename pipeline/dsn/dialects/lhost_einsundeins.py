"""1&1 / IONOS (mailer-daemon@kundenserver.de) "Mail delivery failed" bounces:

  This message was created automatically by mail delivery software.
  ... The following address(es) failed:
  xxxx@xxxx.fr:
  SMTP error from remote server for TEXT command, host: smtp-in.orange.fr (193.252.22.65) reason: 550 5.2.0 ...
  -- or --
  For the following reason:
  Mail size limit exceeded. For explanation visit ...
  --- The header of the original message is following. ---

Markers and phrases: Sisimai lib/Sisimai/Lhost/EinsUndEins.pm (BSD-2-Clause);
sisimai/set-of-emails lhost-einsundeins-*.
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
    plain_text,
    provider_original,
    reply_code_in,
    report,
    split_at,
    status_in,
)

NAME = "lhost-einsundeins"
PROVIDER = "1und1"

SUBJECT = "Mail delivery failed: returning message to sender"
BOUNDARIES = ("--- The header of the original message is following. ---",)
MESSAGE_START = "This message was created automatically by mail delivery software"
ERROR_START = "For the following reason:"
MESSAGES_OF = {"mesgtoobig": ["Mail size limit exceeded"]}   # EinsUndEins.pm $messagesof
_RECIPIENT = re.compile(r"^\s*([^\s]+@[^\s]+?):?\s*$")
_REMOTE = re.compile(r"host:\s+(\S+)\s.*?reason:\s*(.+)$")


@dialect(NAME)
def inquire(mail: MailView):
    if SUBJECT not in mail.subject or not mail.from_.startswith('"Mail Delivery System"') and \
            "kundenserver.de" not in mail.from_.lower():
        return None
    if mail.get("X-GMX-Antispam"):
        return None          # GMX uses the same subject; lhost-gmx reads those
    try:
        body, tail = split_at(plain_text(mail), BOUNDARIES)
        start = body.find(MESSAGE_START)
        if start < 0:
            return None
        recipients: list[RecipientReport] = []
        texts: list[list[str]] = []
        for line in body[start:].split("\n")[1:]:
            m = _RECIPIENT.match(line)
            if m and address(m.group(1)):
                recipients.append(RecipientReport(recipient=address(m.group(1)),
                                                  action="failed"))
                texts.append([])
            elif line.strip() and texts:
                texts[-1].append(line.strip())
        for r, own in zip(recipients, texts):
            text = fold(" ".join(own)).removeprefix(ERROR_START).strip()
            remote = _REMOTE.search(text)
            if remote:
                r.remote_mta = remote.group(1)
                r.diagnostic = remote.group(2).strip()
                if "for TEXT command" in text:
                    r.command = "DATA"
            else:
                r.diagnostic = text or None
            r.status = status_in(r.diagnostic)
            r.reply_code = reply_code_in(r.diagnostic) if remote else None
            reason = first_phrase(text, MESSAGES_OF)
            if reason:
                r.reason, r.reason_rule = reason, f"einsundeins.{reason}"
        return report(NAME, PROVIDER, recipients, provider_original(mail, tail), mail.header("Date"))
    except Exception:  # noqa: BLE001 - a dialect never raises
        return None
