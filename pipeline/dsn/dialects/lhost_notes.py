"""Lotus Notes SMTP MTA bounces: Subject "Undeliverable message", "------- Failure Reasons".

Format facts from go-sisimai `lhost/via-notes.go` (BSD-2-Clause): "------- Failure Reasons
--------" starts the notice (reason text, often Japanese), the recipient address on a line of
its own, "------- Returned Message --------" precedes the returned message. The texts name no
codes, so the reason is left to the generic tables.
"""
from __future__ import annotations

from ...mime.view import MailView
from ..model import BounceReport, RecipientReport
from . import dialect
from .kit import EMAIL, body_text, build, fold, split_at

NAME = "lhost-notes"
START = "------- Failure Reasons"
RETURNED_MARKERS = ("------- Returned Message --------",)


@dialect(NAME)
def inquire(mail: MailView) -> BounceReport | None:
    if not mail.subject.startswith("Undeliverable message"):
        return None
    head, tail = split_at(body_text(mail), RETURNED_MARKERS)
    if START not in head:
        return None
    recipients: list[RecipientReport] = []
    reasons: list[str] = []
    for line in head.split(START, 1)[1].split("\n")[1:]:
        stripped = line.strip()
        if not stripped:
            continue
        found = EMAIL.fullmatch(stripped.strip("<>"))
        if found:
            recipients.append(RecipientReport(recipient=found.group(0)))
        else:
            reasons.append(stripped)
    for r in recipients:
        r.diagnostic = fold(" ".join(reasons))
    return build(NAME, "notes", mail, recipients, tail)
