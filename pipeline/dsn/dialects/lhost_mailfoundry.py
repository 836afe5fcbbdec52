"""MailFoundry bounces: Received "(MAILFOUNDRY)", "Unable to deliver message to: <rcpt>".

Format facts from go-sisimai `lhost/via-mailfoundry.go` (BSD-2-Clause): "Unable to deliver
message to: <rcpt>", "Delivery failed for the following reason:" then the remote reply up to
"This has been a permanent failure." (or the returned message).
"""
from __future__ import annotations

from ...mime.view import MailView
from ..model import BounceReport, RecipientReport
from . import dialect
from .kit import address, body_text, build, fold, received_text

NAME = "lhost-mailfoundry"
START = "Unable to deliver message to: <"
ERROR = "Delivery failed for the following reason:"


@dialect(NAME)
def inquire(mail: MailView) -> BounceReport | None:
    if "(MAILFOUNDRY)" not in received_text(mail) and \
            mail.subject != "Message delivery has failed":
        return None
    recipients: list[RecipientReport] = []
    reading = False
    for line in body_text(mail).split("\n"):
        if line.startswith(START):
            recipients.append(RecipientReport(recipient=address(line) or "", diagnostic=""))
            reading = False
        elif line.startswith(ERROR):
            reading = True
        elif reading and recipients:
            if line.startswith("This has been a ") or line.startswith("--"):
                reading = False
            else:
                recipients[-1].diagnostic = fold(f"{recipients[-1].diagnostic} {line}")
    return build(NAME, "mailfoundry", mail, recipients)
