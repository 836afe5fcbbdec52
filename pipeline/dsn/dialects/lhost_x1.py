"""Unknown MTA #1 (Sisimai "X1"): From "Mail Deliver System", Subject "Returned Mail: ...".

Format facts from go-sisimai `lhost/via-x1.go` (BSD-2-Clause): "---The following addresses had
delivery errors---" then one "rcpt [error]" line per recipient.
"""
from __future__ import annotations

import re

from ...mime.view import MailView
from ..model import BounceReport, RecipientReport
from . import dialect
from .kit import body_text, build, raw_text

NAME = "lhost-x1"
START = "The following addresses had delivery errors---"
_LINE = re.compile(r"^([^\s\[\]@]+@[^\s\[\]]+)\s+\[(.*)\]\s*$")


@dialect(NAME)
def inquire(mail: MailView) -> BounceReport | None:
    if not (mail.from_.startswith("Mail Deliver System")
            or mail.from_.startswith('"Mail Deliver System"')):
        return None
    if not mail.subject.startswith("Returned Mail: "):
        return None
    text = body_text(mail)
    if START not in text:
        text = raw_text(mail)        # its parts' headers are folded oddly: read it raw
    if START not in text:
        return None
    recipients = []
    for line in text.split(START, 1)[1].split("\n"):
        m = _LINE.match(line.strip())
        if m:
            recipients.append(RecipientReport(recipient=m.group(1), diagnostic=m.group(2)))
    return build(NAME, "x1", mail, recipients)
