"""Trustwave MailMarshal (Secure Email Gateway) SMTP bounces: Subject "Undeliverable Mail: "...".

Format facts from go-sisimai `lhost/via-mailmarshal.go` and Sisimai
`Lhost/MailMarshalSMTP.pm` (BSD-2-Clause):

    Your message:
       From:    originalsender@example.com
       Subject: ...

    Could not be delivered because of

    550 5.1.1 User unknown

    The following recipients were affected:
        neko@example.com

then "Additional Information" (Original Sender, Sender-MTA, Remote-MTA, Reporting-MTA) and
a "+++...+++" rule before the returned message.
"""
from __future__ import annotations

import re

from ...mime.view import MailView
from ..model import BounceReport, RecipientReport
from . import dialect
from .kit import EMAIL, all_text, build, fold, split_at

NAME = "lhost-mailmarshal"
SUBJECT = 'Undeliverable Mail: "'
START = "Your message:"
ERROR_START = "Could not be delivered because of"
RCPTS_START = "The following recipients were affected:"
RETURNED_MARKERS = ("+" * 71,)
_MTA = re.compile(r"^(Remote-MTA|Reporting-MTA):\s*<([^>]*)>")


@dialect(NAME)
def inquire(mail: MailView) -> BounceReport | None:
    if not mail.subject.startswith(SUBJECT):
        return None
    head, tail = split_at(all_text(mail), RETURNED_MARKERS)
    if START not in head:
        return None
    error: list[str] = []
    recipients: list[RecipientReport] = []
    mtas: dict[str, str] = {}
    state = ""
    for line in head.split(START, 1)[1].split("\n"):
        if line.startswith(ERROR_START):
            state = "error"
            continue
        if line.startswith(RCPTS_START):
            state = "rcpts"
            continue
        if state == "rcpts" and line.startswith("    ") and "@" in line:
            found = EMAIL.search(line)
            if found:
                recipients.append(RecipientReport(recipient=found.group(0)))
            continue
        if state == "error" and line.strip():
            error.append(line.strip())
            continue
        m = _MTA.match(line)
        if m:
            mtas[m.group(1)] = m.group(2)
    for r in recipients:
        r.diagnostic = fold(" ".join(error)) or None
        r.remote_mta = mtas.get("Remote-MTA") or None
        r.reporting_mta = mtas.get("Reporting-MTA") or None
    return build(NAME, "mailmarshal", mail, recipients, tail)
