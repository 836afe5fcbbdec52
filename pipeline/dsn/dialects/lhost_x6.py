"""Unknown MTA #6 (Sisimai "X6"): Subject "There was an error sending your mail".

Format facts from go-sisimai `lhost/via-x6.go` (BSD-2-Clause): "SMTP Server <host> rejected
recipient <rcpt> (Error following RCPT command). It responded as follows: [550 ...]".
"""
from __future__ import annotations

import re

from ...mime.view import MailView
from ..model import BounceReport, RecipientReport
from . import dialect
from .kit import body_text, build, command_in

NAME = "lhost-x6"
_LINE = re.compile(r"SMTP Server <([^>]*)> rejected recipient <([^<>\s@]+@[^<>\s]+)>"
                   r"(?: \(Error following ([A-Z ]+?) command\))?.*?responded as follows: "
                   r"\[(.*?)\]?\s*$")


@dialect(NAME)
def inquire(mail: MailView) -> BounceReport | None:
    if not mail.subject.startswith("There was an error sending your mail"):
        return None
    recipients = []
    for line in body_text(mail).split("\n"):
        m = _LINE.search(line)
        if m:
            recipients.append(RecipientReport(
                recipient=m.group(2), diagnostic=m.group(4), remote_mta=m.group(1) or None,
                command=command_in(m.group(3) or "")))
    return build(NAME, "x6", mail, recipients)
