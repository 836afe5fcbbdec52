"""Lotus / IBM / HCL Notes SMTP MTA bounces: Subject "Undeliverable message", "------- Failure
Reasons".

Format facts from Sisimai and go-sisimai `lhost/via-notes.go` (BSD-2-Clause): "------- Failure
Reasons --------" starts the notice (reason text, often Japanese in ISO-2022-JP), each
recipient address on a line of its own, "------- Returned Message --------" precedes the
returned message; with no address in the notice, the returned message's To is the recipient.
The notice's own reason texts are the table below.
"""
from __future__ import annotations

from ...mime.view import MailView
from ..model import BounceReport, RecipientReport
from . import dialect
from .kit import EMAIL, body_text, build, first_phrase, fold, original_of, split_at

NAME = "lhost-notes"
START = "------- Failure Reasons"
RETURNED_MARKERS = ("------- Returned Message --------",)
MESSAGES_OF = {
    "networkerror": ("Message has exceeded maximum hop count",),
    # go-sisimai also lists the Japanese "ディレクトリのリストにありません"; the labelled
    # corpus (go-sisimai ed142ded) still calls that text onhold, so it is left out here
    "userunknown": ("User not listed in public Name & Address Book",),
}


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
        found = EMAIL.fullmatch(stripped.strip("<>")) if " " not in stripped else None
        if found:
            recipients.append(RecipientReport(recipient=found.group(0)))
        elif not stripped.startswith("-"):
            reasons.append(stripped)
    if not recipients:
        to = original_of(mail, tail).to
        if to:
            recipients.append(RecipientReport(recipient=to))
    for r in recipients:
        r.diagnostic = fold(" ".join(reasons))
        reason = first_phrase(r.diagnostic, MESSAGES_OF)
        if reason:
            r.reason, r.reason_rule = reason, f"notes.{reason}"
    return build(NAME, "notes", mail, recipients, tail)
