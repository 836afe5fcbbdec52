"""Progress IMail Server bounces: "Undeliverable Mail", X-Mailer "<SMTP32 v...>".

Format facts and phrase table from go-sisimai `lhost/via-imailserver.go` (BSD-2-Clause): one
"Unknown user: rcpt" / "undeliverable to rcpt" line per recipient, an optional "Body of message
generated response:" block with the remote reply, then "Original message follows.".
"""
from __future__ import annotations

from ...mime.view import MailView
from ..model import BounceReport, RecipientReport
from . import dialect
from .kit import EMAIL, body_text, build, first_phrase, fold, split_at

NAME = "lhost-imailserver"
RETURNED_MARKERS = ("Original message follows.",)
RESPONSE = "Body of message generated response:"
# via-imailserver.go `messagesof`.
MESSAGES_OF: dict[str, tuple[str, ...]] = {
    "hostunknown": ("Unknown host",),
    "userunknown": ("Unknown user", "Invalid final delivery userid"),
    "mailboxfull": ("User mailbox exceeds allowed size",),
    "virusdetected": ("Requested action not taken: virus detected",),
    "spamdetected": ("Blacklisted URL in message",),
    "expired": ("Delivery failed ",),
}


@dialect(NAME)
def inquire(mail: MailView) -> BounceReport | None:
    if not (mail.subject.startswith("Undeliverable Mail")
            or mail.header("X-Mailer").startswith("<SMTP32 v")):
        return None
    head, tail = split_at(body_text(mail), RETURNED_MARKERS)
    recipients: list[RecipientReport] = []
    response: list[str] = []
    for line in head.split("\n"):
        found = EMAIL.search(line)
        if found and ((line.find(": ") > 8 and line.find(": ") < found.start())
                      or line.startswith("undeliverable ")):
            recipients.append(RecipientReport(recipient=found.group(0), diagnostic=line))
        elif RESPONSE in line or response:
            response.append(line)
    extra = fold(" ".join(response))
    for r in recipients:
        r.diagnostic = fold(f"{extra} {r.diagnostic}")
        reason = first_phrase(r.diagnostic, MESSAGES_OF)
        if reason:
            r.reason, r.reason_rule = reason, f"imailserver.{reason}"
    return build(NAME, "imailserver", mail, recipients, tail)
