"""Sendmail version 5 bounces: "Returned mail: ..." with a transcript and no RFC 3464 part.

Format facts from Sisimai / go-sisimai `lhost/via-v5sendmail.go` (BSD-2-Clause; texts from
sendmail 5's src/savemail.c): "----- Transcript of session follows -----" starts the notice,
"   ----- Unsent message follows -----" (or "  ----- No message was collected -----") ends
it. In the transcript, "While talking to <host>:" names the remote host, ">>> COMMAND"
the command sent, "<<< reply" the answer, and a line "... <rcpt>... error" (with or without
a reply code in front) or ">>> RCPT To:<rcpt>" names each recipient. Error lines before any
"While talking to" belong to no host; when no line names a recipient, an address in them,
else the returned message's To, is the recipient.
"""
from __future__ import annotations

import re

from ...mime.view import MailView
from ..model import BounceReport, RecipientReport
from . import dialect
from .kit import EMAIL, body_text, build, command_in, fold, reply_code_in, split_at

NAME = "lhost-v5sendmail"
START = "----- Transcript of session follows -----"
RETURNED_MARKERS = ("   ----- Unsent message follows -----",
                    "  ----- No message was collected -----")
TALKING = "While talking to "
_RCPT_LINE = re.compile(r" <([^<>\s]+@[^<>\s]+)>\.\.\.")
_RCPT_TO = re.compile(r">>> RCPT TO:\s*<([^<>\s]+@[^<>\s]+)>", re.I)
_HOST = re.compile(r"While talking to ([A-Za-z0-9][A-Za-z0-9.-]*[A-Za-z0-9])")
_TO_HEADER = re.compile(r"^To:\s*(.+)$", re.M)


@dialect(NAME)
def inquire(mail: MailView) -> BounceReport | None:
    if not mail.subject.startswith("Returned mail: ") or mail.header("X-AOL-IP"):
        return None
    text = body_text(mail)
    head, tail = split_at(text, RETURNED_MARKERS)
    if not tail or START not in head or "Content-Type: message/delivery-status" in text:
        return None
    recipients: list[RecipientReport] = []
    current: RecipientReport | None = None
    orphans: list[str] = []      # error lines before any "While talking to"
    pending: list[str] = []      # transcript lines before the first recipient: its own
    host = command = None
    for line in head.split(START, 1)[1].split("\n"):
        if not line.strip():
            continue
        if line.startswith(">>> "):
            command = command_in(line[4:]) or command
        found = _RCPT_LINE.search(line) or _RCPT_TO.search(line)
        if found:
            if host is None:
                orphans.append(line)
                continue
            address = found.group(1)
            if current is not None and (address == current.recipient or (
                    command == "MAIL" and line.startswith("<<< "))):
                current.diagnostic = f"{current.diagnostic} {line}"
                command = None
            else:
                current = RecipientReport(recipient=address,
                                          diagnostic=" ".join(pending + [line]),
                                          remote_mta=host, command=command)
                recipients.append(current)
                pending = []
        elif TALKING in line:
            m = _HOST.search(line)
            host = m.group(1) if m else host
        elif line.startswith((">>> ", "<<< ")):
            if current is not None:
                current.diagnostic = f"{current.diagnostic} {line}"
            else:
                pending.append(line)
        else:
            orphans.append(line)
    if not recipients:
        lines = " ".join(orphans)
        found = EMAIL.search(lines)
        to = _TO_HEADER.search(tail)
        address = found.group(0) if found else (EMAIL.search(to.group(1)).group(0)
                                                 if to and EMAIL.search(to.group(1)) else None)
        if address:
            recipients.append(RecipientReport(recipient=address, diagnostic=lines))
    for r in recipients:
        r.diagnostic = fold(r.diagnostic) or fold(" ".join(orphans))
        r.command = r.command or command_in(r.diagnostic)
        r.reply_code = reply_code_in(r.diagnostic)
    return build(NAME, "v5sendmail", mail, recipients, tail)
