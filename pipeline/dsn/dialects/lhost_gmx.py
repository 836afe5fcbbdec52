"""GMX / mail.com (Exim-style text, X-GMX-Antispam header):

  This message was created automatically by mail delivery software.
  ...
  "shironeko@example.jp":
  SMTP error from remote server after RCPT command:
  host: mx.example.jp
  5.2.2 <shironeko@example.jp>... Mailbox Full
  --- The header of the original message is following. ---

Markers and phrases: Sisimai lib/Sisimai/Lhost/GMX.pm (BSD-2-Clause); sisimai/set-of-emails
lhost-gmx-*.
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

NAME = "lhost-gmx"
PROVIDER = "gmx"

BOUNDARIES = ("--- The header of the original message is following. ---",)
MESSAGE_START = "This message was created automatically by mail delivery software"
MESSAGES_OF = {"expired": ["delivery retry timeout exceeded"]}   # GMX.pm $messagesof
_COMMAND = re.compile(r"^SMTP error .*?\b(RCPT|MAIL|DATA|EHLO|HELO)\b", re.I)


@dialect(NAME)
def inquire(mail: MailView):
    if "x-gmx-antispam" not in mail.header_names or not mail.get("X-GMX-Antispam"):
        return None
    try:
        body, tail = split_at(plain_text(mail), BOUNDARIES)
        start = body.find(MESSAGE_START)
        if start < 0:
            return None
        recipients: list[RecipientReport] = []
        diags: list[list[str]] = []
        for line in body[start:].split("\n")[1:]:
            line = line.strip()
            if not line:
                continue
            if line[0] in '"<' and "@" in line:
                rcpt = address(line)
                if rcpt:
                    recipients.append(RecipientReport(recipient=rcpt, action="failed"))
                    diags.append([])
                continue
            if not recipients:
                continue
            r = recipients[-1]
            command = _COMMAND.match(line)
            if command:
                r.command = command.group(1).upper()
            elif line.startswith("host: "):
                r.remote_mta = line[6:].strip()
            elif line != "Reason:":
                diags[-1].append(line)
        for r, own in zip(recipients, diags):
            text = fold(" ".join(own))
            r.diagnostic = text or None
            r.status = status_in(text)
            r.reply_code = reply_code_in(text)
            reason = first_phrase(text, MESSAGES_OF)
            if reason:
                r.reason, r.reason_rule = reason, f"gmx.{reason}"
        return report(NAME, PROVIDER, recipients, provider_original(mail, tail), mail.header("Date"))
    except Exception:  # noqa: BLE001 - a dialect never raises
        return None
