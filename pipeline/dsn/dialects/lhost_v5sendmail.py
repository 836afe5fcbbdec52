"""Sendmail version 5 bounces: "Returned mail: ..." with a transcript and no RFC 3464 part.

Format facts from go-sisimai `lhost/via-v5sendmail.go` (BSD-2-Clause): "   ----- Transcript of
session follows -----", "While talking to host:", ">>> COMMAND", "<<< reply" lines, one
"550 <rcpt>... error" line per recipient, then "   ----- Unsent message follows -----".
"""
from __future__ import annotations

import re

from ...mime.view import MailView
from ..model import BounceReport, RecipientReport
from . import dialect
from .kit import body_text, build, command_in, fold, split_at

NAME = "lhost-v5sendmail"
START = "   ----- Transcript of session follows -----"
RETURNED_MARKERS = ("   ----- Unsent message follows -----",
                    "  ----- No message was collected -----")
_RCPT_LINE = re.compile(r"^([245]\d\d)\s+<([^<>\s@]+@[^<>\s]+)>\.\.\.\s*(.*)$")


@dialect(NAME)
def inquire(mail: MailView) -> BounceReport | None:
    if not mail.subject.startswith("Returned mail: ") or mail.header("X-AOL-IP"):
        return None
    text = body_text(mail)
    head, tail = split_at(text, RETURNED_MARKERS)
    if START not in head or "Content-Type: message/delivery-status" in text:
        return None
    recipients: list[RecipientReport] = []
    replies: list[str] = []
    command = None
    for line in head.split(START, 1)[1].split("\n"):
        if line.startswith(">>> "):
            command = command_in(line[4:14])
        elif line.startswith("<<< "):
            replies.append(line[4:])
        else:
            m = _RCPT_LINE.match(line)
            if m and not any(r.recipient == m.group(2) for r in recipients):
                recipients.append(RecipientReport(
                    recipient=m.group(2), diagnostic=line, command=command,
                    reply_code=int(replies[0][:3]) if replies and replies[0][:3].isdigit()
                    else int(m.group(1))))
    for r in recipients:
        r.diagnostic = fold(" ".join(replies) + " " + (r.diagnostic or ""))
    return build(NAME, "v5sendmail", mail, recipients, tail)
