"""Unknown MTA #2 (Sisimai "X2"): "failed delivery" / "Delivery failure" from MAILER-DAEMON@.

Format facts from go-sisimai `lhost/via-x2.go` (BSD-2-Clause): "Unable to deliver message to the
following address(es)." starts the notice, "<rcpt>:" starts each recipient, error lines
follow, "--- Original message follows." ends it.
"""
from __future__ import annotations

from ...mime.view import MailView
from ..model import BounceReport, RecipientReport
from . import dialect
from .kit import body_text, build, split_at

NAME = "lhost-x2"
SUBJECTS = ("Delivery failure", "failure delivery", "failed delivery")
START = "Unable to deliver message to the following address"
RETURNED_MARKERS = ("--- Original message follows.",)


@dialect(NAME)
def inquire(mail: MailView) -> BounceReport | None:
    if "MAILER-DAEMON@" not in mail.from_ and not mail.subject.startswith(SUBJECTS):
        return None
    head, tail = split_at(body_text(mail), RETURNED_MARKERS)
    if START not in head:
        return None
    recipients: list[RecipientReport] = []
    reading = False
    for line in head.split("\n"):
        if not reading:
            reading = line.startswith(START)
            continue
        if not line.strip():
            continue
        if line.startswith("<") and "@" in line and ">:" in line:
            recipients.append(RecipientReport(recipient=line[1:line.index(">")], diagnostic=""))
        elif recipients:
            recipients[-1].diagnostic = f"{recipients[-1].diagnostic} {line}"
    return build(NAME, "x2", mail, recipients, tail)
