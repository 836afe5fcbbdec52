"""Oracle (Sun/iPlanet) Messaging Server and PMDF bounces: Subject "Delivery Notification: ..."
or a "Boundary_(ID_" MIME boundary.

Format facts from go-sisimai `lhost/via-messagingserver.go` (BSD-2-Clause): after "This report
relates to a message you sent with the following header fields:" the notice lists each
recipient as indented lines ("  Recipient address: ", "  Original address: ", "  Reason: ",
"  Diagnostic code: smtp;550 ...", "  Remote system: dns;HOST (TCP|...)"); the message/
delivery-status part (when there is one) repeats them as RFC 3464 fields. Sisimai's diagnosis
is the Reason text followed by the diagnostic code, and "Illegal host/domain name found" in it
is `hostunknown`. The text is read first, so a notice without a delivery-status part is read
too; the DSN part fills status, action and hosts.
"""
from __future__ import annotations

from ...mime.view import MailView
from ..model import BounceReport, RecipientReport
from . import dialect
from .kit import EMAIL, body_text, build, dsn_recipients, first_phrase, fold, strip_type

NAME = "lhost-messagingserver"
START = "This report relates to a message you sent with the following header fields:"
RECIPIENT_LINES = ("  Recipient address: ", "  Original address: ")
MESSAGES_OF = {"hostunknown": ("Illegal host/domain name found",)}


def _text_recipients(text: str) -> list[RecipientReport]:
    pos = text.find(START)
    if pos < 0:
        return []
    out: list[RecipientReport] = []
    current: RecipientReport | None = None
    for line in text[pos + len(START):].split("\n"):
        if line.startswith(RECIPIENT_LINES):
            found = EMAIL.search(line.split(": ", 1)[1].rsplit(":", 1)[-1])
            if not found or "." not in found.group(0).rpartition("@")[2]:
                continue    # "@smtp.example.net:kijitora@server": a route, not the address
            if current is None or current.recipient.lower() != found.group(0).lower():
                current = RecipientReport(recipient=found.group(0), diagnostic="")
                out.append(current)
        elif current is None:
            continue
        elif line.startswith("  Reason: "):
            current.diagnostic = line.split(": ", 1)[1]
        elif line.startswith("  Diagnostic code: "):
            current.diagnostic = f"{current.diagnostic} {strip_type(line.split(': ', 1)[1])}"
        elif line.startswith("  Remote system: "):
            host = line.split(":", 1)[1].split(";", 1)[-1].split(" (", 1)[0].strip()
            current.remote_mta = host or current.remote_mta
    return out


@dialect(NAME)
def inquire(mail: MailView) -> BounceReport | None:
    if not (mail.subject.startswith("Delivery Notification: ")
            or "Boundary_(ID_" in str(mail.get("Content-Type") or "")):
        return None
    dsn = dsn_recipients(mail)
    recipients = _text_recipients(body_text(mail))
    if recipients:
        by_address = {d.recipient.lower(): d for d in dsn if d.recipient}
        for r in recipients:
            d = by_address.get(r.recipient.lower())
            if d is not None:
                r.status, r.action, r.reporting_mta = d.status, d.action, d.reporting_mta
                r.remote_mta = d.remote_mta or r.remote_mta
                r.diagnostic_type, r.extra = d.diagnostic_type, d.extra
                if not fold(r.diagnostic):
                    r.diagnostic = d.diagnostic
    else:
        recipients = dsn
    for r in recipients:
        reason = first_phrase(r.diagnostic, MESSAGES_OF)
        if reason:
            r.reason, r.reason_rule = reason, f"messagingserver.{reason}"
    return build(NAME, "messagingserver", mail, recipients)
