"""m-FILTER (Digital Arts) bounces: X-Mailer "m-FILTER", Subject "failure notice".

Format facts from go-sisimai `lhost/via-mfilter.go` (BSD-2-Clause): a Japanese notice, one
recipient address per line, then "-------server message" (the remote reply), "-------SMTP
command" (the command that failed) and "-------original message".
"""
from __future__ import annotations

from ...mime.view import MailView
from ..model import BounceReport, RecipientReport
from . import dialect
from .kit import EMAIL, body_text, build, command_in, fold, split_at

NAME = "lhost-mfilter"
RETURNED_MARKERS = ("-------original message", "-------original mail info")
SERVER_MESSAGE = "-------server message"
SMTP_COMMAND = "-------SMTP command"


@dialect(NAME)
def inquire(mail: MailView) -> BounceReport | None:
    if "x-mailer" not in mail.header_names or mail.header("X-Mailer") != "m-FILTER":
        return None
    head, tail = split_at(body_text(mail), RETURNED_MARKERS)
    recipients: list[RecipientReport] = []
    section = ""
    message: list[str] = []
    command = None
    for line in head.split("\n"):
        stripped = line.strip()
        if stripped.startswith(SERVER_MESSAGE):
            section = "message"
            continue
        if stripped.startswith(SMTP_COMMAND):
            section = "command"
            continue
        if not stripped:
            continue
        if section == "message":
            message.append(stripped)
        elif section == "command":
            command = command_in(stripped) or command
        else:
            found = EMAIL.fullmatch(stripped.strip("<>"))
            if found:
                recipients.append(RecipientReport(recipient=found.group(0)))
    for r in recipients:
        r.diagnostic = fold(" ".join(message))
        r.command = command
    return build(NAME, "mfilter", mail, recipients, tail)
