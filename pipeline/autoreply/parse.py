"""Recognise an auto-reply (RFC 3834 and common vendor conventions) -> BounceReport.

The recipient is the auto-replying person (the From address). Delivery status reports and
feedback reports are never auto-replies here (their handlers own them).
"""
from __future__ import annotations

import re

from ..mime.addresses import address
from ..mime.dates import parse_date
from ..mime.returned import original_message, RETURNED_TYPES
from ..dsn.model import BounceReport, RecipientReport
from ..mime.view import MailView

# Where each came from: RFC 3834 s5 (Auto-Submitted: auto-replied); Microsoft Exchange
# (X-Auto-Response-Suppress + "Automatic reply:"); X-Autoreply / X-Autorespond / Precedence:
# auto_reply (vacation(1), procmail, cPanel); subject prefixes seen in Sisimai's rfc3834 samples
# and common clients (Apple "Auto reply:", Gmail "Out of Office", German, French).
_SUBJECT = re.compile(
    r"^\s*(?:auto(?:matic)?[ -]?(?:reply|response|antwort)|autoreply|auto:|"
    r"out of (?:the )?office|abwesenheitsnotiz|r[ée]ponse automatique)", re.I)
_BOUNCE_FROM = re.compile(r"mailer-daemon|postmaster|mail delivery", re.I)
_REPORT_PARTS = frozenset(("message/delivery-status", "message/feedback-report"))
_BODY = ("i am away on vacation", "i am away until", "i am out of the office",
         "i will be traveling for work on", "out of the office", "out of office")


def is_autoreply(mail: MailView) -> bool:
    part_types = mail.part_types  # memoised; the first entry is the message itself
    if part_types[0][0] == "multipart/report":
        return False
    for ctype, _ in part_types:
        if ctype in _REPORT_PARTS:
            return False
    if _BOUNCE_FROM.search(mail.from_):
        return False
    submitted = mail.header("Auto-Submitted").lower()
    if submitted.startswith("auto-replied"):
        return True
    if mail.header("X-Autoreply").lower() == "yes" or mail.header("X-Autorespond"):
        return True
    if mail.header("Precedence").lower() == "auto_reply":
        return True
    if _SUBJECT.search(mail.subject):
        return True
    if submitted.startswith("auto-") or mail.header("X-Auto-Response-Suppress"):
        body = mail.body_text[:4000].lower()
        return any(p in body for p in _BODY)
    return False


def inquire(mail: MailView) -> BounceReport | None:
    if not is_autoreply(mail):
        return None
    who = address(mail.header("From")) or address(mail.header("Reply-To")) or ""
    report = RecipientReport(recipient=who, reason="vacation", reason_rule="rfc3834.autoreply",
                             diagnostic=(mail.body_text or "").strip()[:500] or None)
    return BounceReport(dialect="rfc3834", recipients=[report],
                        original=original_message(mail.parts_of_type(*RETURNED_TYPES)),
                        date=parse_date(mail.header("Date")))
