"""Unknown MTA #3 (Sisimai "X3"): "Delivery status notification" from "Mail Delivery System".

Format facts from go-sisimai `lhost/via-x3.go` (BSD-2-Clause): "      This is an automatically
generated Delivery Status Notification." starts the notice, "   * rcpt" lists recipients, the
"Technical details:" block has "SMTP:RCPT host 192.0.2.8: 553 ..." or "Routing: ..." lines.
"""
from __future__ import annotations

from ...mime.view import MailView
from ..model import BounceReport, RecipientReport
from . import dialect
from .kit import EMAIL, all_text, build, command_in, status_in

NAME = "lhost-x3"
START = "      This is an automatically generated Delivery Status Notification."


@dialect(NAME)
def inquire(mail: MailView) -> BounceReport | None:
    if not (mail.from_.startswith("Mail Delivery System")
            and mail.subject.startswith("Delivery status notification")):
        return None
    text = all_text(mail)
    recipients: list[RecipientReport] = []
    reading = False
    for line in text.split("\n"):
        if not reading:
            reading = line.startswith(START)
            continue
        found = EMAIL.search(line)
        if line.lstrip().startswith("* ") and found:
            if not any(r.recipient == found.group(0) for r in recipients):
                recipients.append(RecipientReport(recipient=found.group(0), diagnostic=""))
        elif recipients and line.startswith(("SMTP:", "Routing: ")):
            r = recipients[-1]
            r.diagnostic = f"{r.diagnostic} {line}"
            if line.startswith("SMTP:"):
                r.command = command_in(line[4:10])
        elif recipients and line.lower().startswith("diagnostic-code:"):
            r = recipients[-1]
            r.diagnostic = f"{r.diagnostic} {line.split(';', 1)[-1]}"
        elif recipients and line.lower().startswith("status:") and not recipients[-1].status:
            recipients[-1].status = line.split(":", 1)[1].strip() or None
    for r in recipients:
        r.status = status_in(r.status) if r.status else None
    return build(NAME, "x3", mail, recipients)
