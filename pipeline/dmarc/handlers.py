"""Registry handlers for reports: XML, archives, TLS-RPT JSON and report emails.

Orders: json 10 (webhook handlers use 50+); email 12 (aggregate/TLS report emails) and
14 (DMARC failure reports) run before the bounce engineer's ARF handler (30). An ARF
auth-failure report adds `dmarc_failure` rows with final=False so the ARF handler emits its
MailEvent; a non-ARF failure report (e.g. Netease's multipart/mixed) gets its auth_failure
MailEvent here (final=True), and so does a plain-text notice with no feedback-report part
(Exim's / cPanel's "DMARC Forensic Report", order 15; parsedmarc lands these too).
"""
from __future__ import annotations

import email.message
import re

from pipeline.version import CLASSIFIER_VERSION
from pipeline.mime.addresses import normalise_address
from pipeline.mime.view import MailView
from pipeline.outcome import Outcome
from pipeline.registry import register
from schemas.models import MailEvent, RawMessage

from .api import ParsedReports, context_of, parse_report
from .failure import feedback_part
from .tlsrpt import looks_like_tlsrpt
from .unwrap import REPORT_MEDIA_TYPES, REPORT_SUFFIXES

_FEEDBACK_ROOT = re.compile(rb"<([\w.-]+:)?feedback[\s>/]")
_OTHER_REPORT_TYPES = {"delivery-status", "feedback-report", "disposition-notification"}
_DTD = re.compile(rb"<!(DOCTYPE|ENTITY)", re.I)


def _context(raw: RawMessage) -> dict:
    return context_of(raw.sha256, raw.source.label, raw.received_at)


def _outcome(found: ParsedReports, parser: str) -> Outcome:
    rows: dict = {}
    if found.containers and any(c.endswith("xml") for c in found.containers):
        rows["dmarc_aggregate"] = found.aggregate
    if found.tls:
        rows["tls_reports"] = found.tls
    return Outcome(rows=rows, parser=parser)


def _is_report_xml(raw: RawMessage, view: bytes) -> bool:
    head = view[:65536]
    return bool(_FEEDBACK_ROOT.search(head) or _DTD.search(head[:4096]))


@register("dmarc.aggregate", "xml", 10, _is_report_xml, streams=True)
def handle_xml(raw: RawMessage, view: bytes, settings) -> Outcome:
    return _outcome(parse_report(view, settings=settings, context=_context(raw)),
                    "dmarc.aggregate")


@register("dmarc.archive", "archive", 10, lambda raw, view: True, streams=True)
def handle_archive(raw: RawMessage, view: bytes, settings) -> Outcome:
    return _outcome(parse_report(view, settings=settings, context=_context(raw)),
                    "dmarc.archive")


@register("dmarc.tlsrpt", "json", 10,
          lambda raw, view: looks_like_tlsrpt(view) or (
              isinstance(view, list) and bool(view) and all(map(looks_like_tlsrpt, view))))
def handle_tlsrpt(raw: RawMessage, view: object, settings) -> Outcome:
    return _outcome(parse_report(json_value=view, settings=settings, context=_context(raw)),
                    "dmarc.tlsrpt")


def _has_report_attachment_walk(msg: email.message.Message) -> bool:
    """The definition: not a DSN/ARF/MDN report, and some part is a report by media type or
    file name. `_has_report_attachment` answers the same, faster."""
    if msg.get_content_type() == "multipart/report" and (
            msg.get_param("report-type") or "").lower() in _OTHER_REPORT_TYPES:
        return False  # DSNs, ARF, MDNs: not aggregate/TLS report mail (RFC 8460 uses tlsrpt)
    for part in msg.walk():
        ctype = part.get_content_type()
        name = (part.get_filename() or "").lower()
        if ctype in REPORT_MEDIA_TYPES or name.endswith(REPORT_SUFFIXES):
            return True
    return False


def _has_report_attachment(raw: RawMessage, msg: email.message.Message) -> bool:
    """`_has_report_attachment_walk` (same answers, same exceptions) over the shared MailView's
    memoised part types: this runs on every email. Parameters (report-type, file names) are
    read directly by CachedMessage when their header is simple."""
    view = MailView.of(msg)
    part_types = view.part_types
    if len(part_types) == 1 and msg.is_multipart():
        return _has_report_attachment_walk(msg)  # the view swallows a failing walk(): ask it
    if part_types[0][0] == "multipart/report" and (
            view.get_param("report-type") or "").lower() in _OTHER_REPORT_TYPES:
        return False  # DSNs, ARF, MDNs: not aggregate/TLS report mail
    for ctype, part in part_types:
        name = (part.get_filename() or "").lower()
        if ctype in REPORT_MEDIA_TYPES or name.endswith(REPORT_SUFFIXES):
            return True
    return False


@register("dmarc.report_email", "email", 12, _has_report_attachment, streams=True)
def handle_report_email(raw: RawMessage, msg: email.message.Message, settings
                        ) -> Outcome | None:
    from pipeline.errors import NotSupported

    try:
        found = parse_report(msg=msg, settings=settings, context=_context(raw))
    except NotSupported:
        return None  # an email with an unrelated attachment: let the other handlers look
    if found.failure is not None:
        return None  # a failure report: handle_failure (order 14) takes it
    return _outcome(found, "dmarc.report_email")


def _has_feedback_part(raw: RawMessage, msg: email.message.Message) -> bool:
    """`feedback_part(msg) is not None`, from the shared MailView's memoised part types
    (this runs on every email)."""
    part_types = MailView.of(msg).part_types
    if len(part_types) == 1 and msg.is_multipart():
        return feedback_part(msg) is not None  # the view swallows a failing walk(): ask it
    for ctype, _ in part_types:
        if ctype == "message/feedback-report":
            return True
    return False


@register("dmarc.failure", "email", 14, _has_feedback_part)
def handle_failure(raw: RawMessage, msg: email.message.Message, settings) -> Outcome | None:
    from .failure import parse_failure

    report = parse_failure(msg, _context(raw), settings.redact_failure_bodies)
    if report is None:
        return None  # not an auth-failure feedback report (e.g. ARF abuse): ARF handler's
    out = Outcome(rows={"dmarc_failure": [report.row]}, parser="dmarc.failure",
                  final=not report.is_arf)
    if not report.is_arf:
        out.events.append(failure_event(raw, report.row))
    return out


def _is_plain_notice(raw: RawMessage, msg: email.message.Message) -> bool:
    """Cheap gate (this runs on every email): a subject naming DMARC and no feedback part;
    parse_plain_failure reads the body."""
    # the view's one-pass header index (shared with the dialects): the stdlib's msg.get()
    # lower-cases and compares every header name; same value (MailView.get is msg.get)
    subject = MailView.of(msg).get("Subject")
    return isinstance(subject, str) and "dmarc" in subject.lower() and \
        not _has_feedback_part(raw, msg)


@register("dmarc.failure_text", "email", 15, _is_plain_notice)
def handle_plain_failure(raw: RawMessage, msg: email.message.Message, settings
                         ) -> Outcome | None:
    from .failure import parse_plain_failure

    report = parse_plain_failure(msg, _context(raw), settings.redact_failure_bodies)
    if report is None:
        return None
    out = Outcome(rows={"dmarc_failure": [report.row]}, parser="dmarc.failure", final=True)
    out.events.append(failure_event(raw, report.row, rule="dmarc.failure.plain_text"))
    return out


def _domain(address: str | None) -> str | None:
    return address.rpartition("@")[2] or None if address and "@" in address else None


def failure_event(raw: RawMessage, row: dict, rule: str = "dmarc.failure.non_arf") -> MailEvent:
    """The auth_failure event of a non-ARF DMARC failure report (one per report)."""
    recipient = normalise_address(row["original_rcpt_to"]) or normalise_address(row["sample_to"])
    sender = normalise_address(row["original_mail_from"]) or normalise_address(
        row["sample_from"])
    return MailEvent(
        event_id=MailEvent.make_id(raw.sha256, 0, 0, recipient),
        raw_sha256=raw.sha256, occurred_at=row["arrival_date"], received_at=raw.received_at,
        source_kind="dmarc_failure", source=raw.source.label, parser="dmarc.failure",
        provider=row["user_agent"], category="auth_failure", reason="authfailure",
        recipient=recipient, recipient_domain=_domain(recipient), sender=sender,
        sender_domain=_domain(sender) or row["reported_domain"],
        feedback_type=row["feedback_type"], message_id=row["sample_message_id"],
        subject=row["sample_subject"], diagnostic=", ".join(row["auth_failure"]) or None,
        remote_mta=row["source_ip"], classifier_version=CLASSIFIER_VERSION,
        rule=rule,
    )
