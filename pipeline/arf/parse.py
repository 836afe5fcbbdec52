"""RFC 5965 feedback reports (and variants) -> BounceReport with reason "feedback".

Recipient, in order: Original-Rcpt-To (each one is a recipient), Removal-Recipient, the
returned message's X-HmXmrOriginalRecipient (Microsoft JMRP), the returned message's To;
None when none is an address. Feedback-Type is lower-cased; reports without one (JMRP, Apple
unsubscribe) get "abuse" / "opt-out". RFC 6591 auth-failure reports are ARF too: the DMARC
handler adds dmarc_failure rows; this one emits the MailEvent (category auth_failure).
"""
from __future__ import annotations

import re

from ..mime.addresses import address
from ..mime.dates import parse_date
from ..mime.headers import fold, parse_fields
from ..mime.returned import headers_of, original_message, RETURNED_TYPES
from ..mime.transfer import message_text
from ..dsn.model import BounceReport, RecipientReport
from ..mime.view import MailView

# Where each came from: RFC 5965 s3.1 (report-type), Microsoft JMRP (staff@hotmail.com),
# Amazon SES complaints, Sisimai arf samples (subject "complaint about message from").
_REPORT_TYPE = re.compile(r"report-type\s*=\s*\"?feedback-report", re.I)
_FBL_FROM = ("staff@hotmail.com", "complaints@email-abuse.amazonses.com")   # two: tested as such
_FBL_SUBJECT = re.compile(r"complaint about message from ", re.I)
FEEDBACK_TYPES = frozenset({"abuse", "fraud", "virus", "opt-out", "not-spam", "auth-failure",
                            "other", "dmarc"})
_KEEP = ("source-ip", "user-agent", "reporting-mta", "original-mail-from", "version",
         "authentication-results", "reported-domain", "incidents", "auth-failure",
         "delivery-result")


_DSN_TYPES = ("message/delivery-status", "message/global-delivery-status")


def is_feedback(mail: MailView) -> bool:
    # Runs on every email that is not a DMARC report: one pass over the memoised part types,
    # and cheap substring tests before the address parse and the raw header scan.
    feedback_part = False
    for ctype, _ in mail.part_types:
        if ctype in _DSN_TYPES:
            return False  # a bounce (perhaps of a forwarded feedback report): the DSN handler's
        if ctype == "message/feedback-report":
            feedback_part = True
    if feedback_part:
        return True
    ctype = str(mail.get("Content-Type") or "")  # = msg.get(), from the view's index
    # "feedback-report" in the lower-cased value is implied by the expression's match: every
    # character re.I matches to one of its letters lower-cases to that letter (checked over
    # all of Unicode: tests/unit/test_arf.py)
    if "feedback-report" in ctype.lower() and _REPORT_TYPE.search(ctype):
        return True
    # the FBL address is a substring of From whatever address() strips around it
    from_ = mail.from_.lower()
    if (_FBL_FROM[0] in from_ or _FBL_FROM[1] in from_) and \
            (address(mail.from_) or "").lower() in _FBL_FROM:
        return True
    if _FBL_SUBJECT.search(mail.subject):   # no lower() pre-test: re.I matches İ and ı to i
        return True
    return _is_apple_unsubscribe(mail)


def _is_apple_unsubscribe(mail: MailView) -> bool:
    if not mail.header("X-Apple-Unsubscribe"):
        return False  # absent or blank (memoised look-up; the raw test below scans headers)
    return str(mail.msg.get("X-Apple-Unsubscribe") or "").strip().lower() == "true"


def _feedback_fields(mail: MailView) -> list[tuple[str, str]]:
    parts = mail.parts_of_type("message/feedback-report")
    if parts:
        return parse_fields("\n".join(message_text(p) for p in parts))
    text = mail.full_text
    if re.search(r"^feedback-type\s*:", text, re.I | re.M):
        return parse_fields(text)
    return []


def _returned_headers(mail: MailView):
    for part in mail.parts_of_type(*RETURNED_TYPES):
        try:
            return headers_of(part)
        except Exception:  # noqa: BLE001 - a broken attachment is not fatal
            return None
    return None


def inquire(mail: MailView) -> BounceReport | None:
    if not is_feedback(mail):
        return None
    fields = _feedback_fields(mail)
    first: dict[str, str] = {}
    rcpts: list[str] = []
    for name, value in fields:
        if not name:
            continue
        if name == "original-rcpt-to":
            found = address(value)
            if found and found.lower() not in (r.lower() for r in rcpts):
                rcpts.append(found)
        first.setdefault(name, value)
    apple = _is_apple_unsubscribe(mail)
    ftype = fold(first.get("feedback-type")).lower() or ("opt-out" if apple else "abuse")
    returned = _returned_headers(mail)
    if not rcpts:
        candidates = [first.get("removal-recipient")]
        if returned is not None:
            candidates += [str(returned.get("X-HmXmrOriginalRecipient") or ""),
                           str(returned.get("To") or "")]
        if apple:
            candidates.insert(0, mail.from_)
        for candidate in candidates:
            found = address(candidate)
            if found:
                rcpts.append(found)
                break
    if not rcpts:
        rcpts = [""]
    extra = {f"arf.{k}": fold(v) for k, v in first.items() if k in _KEEP}
    arrival = parse_date(first.get("arrival-date") or first.get("received-date"))
    original = original_message(mail.parts_of_type(*RETURNED_TYPES))
    if apple and not original.subject:
        original.subject = mail.subject or None
    dialect = ("apple-unsubscribe" if apple else
               "jmrp" if (address(mail.from_) or "").lower() == "staff@hotmail.com" else
               "rfc5965")
    reports = [
        RecipientReport(
            recipient=r,
            action=None,
            reporting_mta=fold(first.get("reporting-mta")).split(";")[-1].strip() or None,
            arrival_date=arrival,
            reason="feedback",
            reason_rule=f"arf.feedback-type.{ftype}",
            feedback_type=ftype,
            extra=extra,
        )
        for r in rcpts
    ]
    return BounceReport(dialect=dialect, recipients=reports, original=original,
                        provider=None, date=arrival or parse_date(mail.header("Date")))
