"""DMARC failure (ruf) reports: RFC 6591 / RFC 9991 feedback reports and non-standard ones,
including plain-text notices with no message/feedback-report part (Exim's and cPanel's
"DMARC Forensic Report": labelled lines, then a copy of the failed message's headers).

One row per report. Parsed directly from the stdlib message (parsedmarc defaults missing
RFC 9991 fields and reads time-zone names such as EDT as local time; we keep what the report
states and read every RFC 5322 zone name, UTC throughout). Sample bodies are dropped unless
settings.redact_failure_bodies is False; the sample's headers are kept.
"""
from __future__ import annotations

import email.message
import email.parser
import email.utils
import re
from dataclasses import dataclass
from datetime import datetime, timezone

from pipeline.mime.headers import decode_header_value
from pipeline.mime.returned import headers_of, RETURNED_TYPES
from pipeline.mime.transfer import message_text
from pipeline.errors import ParseError
from pipeline.mime.flatten import flat_text
from schemas.dmarc import failure_row_id

PARSER = "dmarc.failure"
# Feedback types that are DMARC failure reports (RFC 6591 section 3.1: "auth-failure").
FAILURE_FEEDBACK_TYPES = {"auth-failure"}
# Time-zone names seen in Arrival-Date fields beyond RFC 5322's (which the stdlib reads).
_EXTRA_ZONES = {"CEST": 2, "CET": 1, "BST": 1, "IST": 5.5, "JST": 9, "KST": 9, "AEST": 10,
                "AEDT": 11, "HKT": 8, "SGT": 8, "MSK": 3, "EET": 2, "EEST": 3, "WET": 0,
                "WEST": 1, "CST": -6, "CDT": -5, "MEZ": 1, "MESZ": 2}
_ZONE_WORD = re.compile(r"\s\(?([A-Z]{2,5})\)?\s*$")
_SPLIT = re.compile(r"[\s,]+")


@dataclass
class FailureReport:
    row: dict
    is_arf: bool


def feedback_part(msg: email.message.Message) -> email.message.Message | None:
    for part in msg.walk():
        if part.get_content_type() == "message/feedback-report":
            return part
    return None


def feedback_fields(part: email.message.Message) -> email.message.Message:
    """The feedback-report fields, decoding a base64/QP part (RFC 2046 forbids it; Netease)."""
    return _fields_of(message_text(part))


def _fields_of(text: str) -> email.message.Message:
    return email.parser.HeaderParser().parsestr(text.lstrip("\r\n"))


def parse_date(text: object) -> datetime | None:
    """An RFC 5322-ish date in UTC; zone names (EDT, CEST, ...) understood; None if unreadable
    (out-of-range years included). `text` may be a compat32 Header (8-bit header bytes)."""
    if not text:
        return None
    try:
        return _parse_date(" ".join(decode_header_value(text).split()))
    except (ValueError, OverflowError, OSError, TypeError, IndexError):
        return None


def _parse_date(text: str) -> datetime | None:
    try:
        value = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        value = None
    if value is not None and value.tzinfo is None:  # "-0000" or an unknown zone word
        zone = _ZONE_WORD.search(text)
        hours = _EXTRA_ZONES.get(zone.group(1)) if zone else None
        offset = hours * 3600 if hours is not None else 0
        return datetime.fromtimestamp(
            value.replace(tzinfo=timezone.utc).timestamp() - offset, tz=timezone.utc)
    if value is None:
        try:
            from dateutil import parser as dateparser

            value = dateparser.parse(text, tzinfos={k: int(v * 3600) for k, v in
                                                    _EXTRA_ZONES.items()})
        except (ValueError, OverflowError, TypeError):
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def _first(fields: email.message.Message, name: str) -> str | None:
    value = fields.get(name)
    if value is None:
        return None
    value = " ".join(str(value).split())
    return value or None


def _words(fields: email.message.Message, name: str) -> list[str]:
    out: list[str] = []
    for value in fields.get_all(name) or []:
        out.extend(w.lower() for w in _SPLIT.split(str(value)) if w)
    return out


def _sample(msg: email.message.Message) -> tuple[email.message.Message | None, bool]:
    """The original message (or its headers) and whether only headers were sent."""
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype not in RETURNED_TYPES:
            continue
        inner = headers_of(part)
        if inner is None:
            continue
        body = inner.get_payload()
        headers_only = ctype not in ("message/rfc822", "message/global") or not body or (
            isinstance(body, str) and not body.strip())
        return inner, headers_only
    return None, True


def _address(value: str | None) -> str | None:
    if not value:
        return None
    addr = email.utils.parseaddr(decode_header_value(value))[1]
    return addr or decode_header_value(value) or None


def parse_failure(msg: email.message.Message, context: dict, redact: bool = True
                  ) -> FailureReport | None:
    """The failure row of a report email, or None when it is not a DMARC failure report
    (e.g. an ARF abuse complaint: Feedback-Type other than auth-failure)."""
    part = feedback_part(msg)
    if part is None:
        return None
    text = message_text(part)
    lowered = text.lower()
    if not any(kind in lowered for kind in FAILURE_FEEDBACK_TYPES):
        # Most feedback reports are abuse complaints (the ARF handler's): no Feedback-Type
        # value below can lower-case to a failure type the text does not hold, so the
        # fields are not parsed for them (the stdlib header parser: ~30 us a report)
        return None
    fields = _fields_of(text)
    feedback_type = (_first(fields, "Feedback-Type") or "").lower() or None
    if feedback_type not in FAILURE_FEEDBACK_TYPES:
        return None
    is_arf = msg.get_content_type() == "multipart/report" and (
        msg.get_param("report-type") or "").lower() == "feedback-report"
    sample, headers_only = _sample(msg)
    return _report(msg, fields, feedback_type, is_arf, sample, headers_only, context, redact)


def _report(msg: email.message.Message, fields: email.message.Message, feedback_type: str,
            is_arf: bool, sample: email.message.Message | None, headers_only: bool,
            context: dict, redact: bool) -> FailureReport:
    arrival_raw = _first(fields, "Arrival-Date") or _first(fields, "Received-Date")
    arrival = parse_date(arrival_raw) or parse_date(msg.get("Date")) or context.get(
        "received_at")
    if arrival is None:
        raise ParseError("failure report has no readable Arrival-Date or Date", parser=PARSER)
    source_ip = _first(fields, "Source-IP")
    source_ip = source_ip.split()[0] if source_ip else None
    mail_from = _first(fields, "Original-Mail-From")
    rcpt = [" ".join(str(v).split()) for v in fields.get_all("Original-Rcpt-To") or []]
    sample_headers = sample_body = None
    message_id = None
    if sample is not None:
        sample_headers = "".join(f"{k}: {v}\n" for k, v in sample.items())
        message_id = _first(sample, "Message-ID")
        if not redact and not headers_only:
            body = sample.get_payload()
            sample_body = body if isinstance(body, str) else flat_text(sample)
    envelope_id = _first(fields, "Original-Envelope-Id")
    reported = _first(fields, "Reported-Domain")
    row = {
        "row_id": failure_row_id(reported, source_ip, arrival, mail_from, envelope_id,
                                 message_id),
        "raw_sha256": context.get("raw_sha256"), "source": context.get("source"),
        "parser": PARSER, "is_arf": is_arf, "feedback_type": feedback_type,
        "user_agent": _first(fields, "User-Agent"), "version": _first(fields, "Version"),
        "auth_failure": _words(fields, "Auth-Failure"),
        "identity_alignment": [w for w in _words(fields, "Identity-Alignment") if w != "none"],
        "authentication_results": _first(fields, "Authentication-Results"),
        "delivery_result": (_first(fields, "Delivery-Result") or "").lower() or None,
        "reported_domain": reported, "source_ip": source_ip, "arrival_date": arrival,
        "arrival_date_raw": arrival_raw, "reporting_mta": _first(fields, "Reporting-MTA"),
        "original_mail_from": mail_from, "original_rcpt_to": ", ".join(rcpt) or None,
        "original_envelope_id": envelope_id, "dkim_domain": _first(fields, "DKIM-Domain"),
        "dkim_identity": _first(fields, "DKIM-Identity"),
        "dkim_selector": _first(fields, "DKIM-Selector"), "spf_dns": _first(fields, "SPF-DNS"),
        "report_subject": decode_header_value(msg.get("Subject")) or None,
        "sample_headers_only": headers_only,
        "sample_subject": decode_header_value(sample.get("Subject")) or None
        if sample is not None else None,
        "sample_from": _address(sample.get("From")) if sample is not None else None,
        "sample_to": _address(sample.get("To")) if sample is not None else None,
        "sample_date": _first(sample, "Date") if sample is not None else None,
        "sample_message_id": message_id, "original_headers": sample_headers,
        "sample_body": sample_body, "body_redacted": sample_body is None,
    }
    return FailureReport(row, is_arf)


# --- plain-text notices (no message/feedback-report part) --------------------------------
# What marks a DMARC failure notice written as prose: Exim's dmarc.c template ("A message
# claiming to be from you has failed the published DMARC policy for your domain."), and
# reports that paste RFC 6591 fields into text/plain.
_NOTICE = re.compile(r"failed\s+the\s+published\s+DMARC\s+policy|^\s*Feedback-Type:\s*"
                     r"auth-failure\b|DMARC\s+(?:forensic|failure)\s+report", re.I | re.M)
# Where the copy of the failed message's headers starts (Exim: "------ This is a copy of the
# headers that were received before the error was detected.").
_COPY = re.compile(r"^-{2,}\s*This is a copy of the (?:headers|message)[^\n]*\n", re.I | re.M)
_LABEL = re.compile(r"^[ \t]*([A-Za-z][A-Za-z -]{1,40}?)[ \t]*:[ \t]*(\S[^\n]*)$", re.M)
# Notice labels -> RFC 6591 / 9991 field names (lower case; RFC names map to themselves).
_LABELS = {"sender domain": "reported-domain", "reported domain": "reported-domain",
           "sender ip address": "source-ip", "sender ip": "source-ip", "source ip": "source-ip",
           "received date": "arrival-date", "arrival date": "arrival-date",
           "envelope from": "original-mail-from", "envelope to": "original-rcpt-to"}
_RFC_FIELDS = ("feedback-type", "user-agent", "version", "auth-failure", "identity-alignment",
               "authentication-results", "delivery-result", "reported-domain", "source-ip",
               "arrival-date", "received-date", "reporting-mta", "original-mail-from",
               "original-rcpt-to", "original-envelope-id", "dkim-domain", "dkim-identity",
               "dkim-selector", "spf-dns")
_RESULTS = (("reject", "reject"), ("quarantine", "spam"), ("accept", "delivered"))


def plain_notice_text(msg: email.message.Message) -> str | None:
    """The text of a DMARC failure notice written as prose, or None: the first text/plain
    part (or a single-part body) that carries a notice marker."""
    for part in msg.walk():
        if part.get_content_type() != "text/plain" or part.is_multipart():
            continue
        try:
            text = part.get_payload(decode=True).decode(
                part.get_content_charset() or "utf-8", "replace")
        except (AttributeError, LookupError, UnicodeError, ValueError):
            continue
        text = text.replace("\r\n", "\n")[:512 * 1024]
        if _NOTICE.search(text[:16384]):
            return text
        return None
    return None


def parse_plain_failure(msg: email.message.Message, context: dict, redact: bool = True
                        ) -> FailureReport | None:
    """The failure row of a plain-text DMARC failure notice, or None when `msg` is not one.
    Labelled lines become the RFC 6591 fields; the copied headers are the sample."""
    text = plain_notice_text(msg)
    if text is None:
        return None
    copy = _COPY.search(text)
    notice, copied = (text[:copy.start()], text[copy.end():]) if copy else (text, "")
    fields = email.message.Message()
    alignment, results = [], None
    for label, value in _LABEL.findall(notice):
        name = label.strip().lower()
        value = value.strip()
        if name in ("spf alignment", "dkim alignment"):
            if value.lower() in ("yes", "pass", "true"):
                alignment.append(name.split()[0])
            continue
        if name == "dmarc results":
            results = value.lower()
            continue
        name = _LABELS.get(name, name)
        if name in _RFC_FIELDS and name not in fields:
            fields[name] = value
    if not (fields.get("reported-domain") or fields.get("source-ip")):
        return None  # prose about DMARC, but no report fields: not a failure report
    feedback_type = (fields.get("feedback-type") or "auth-failure").lower()
    if feedback_type not in FAILURE_FEEDBACK_TYPES:
        return None
    if "auth-failure" not in fields:
        fields["auth-failure"] = "dmarc"  # the notice says the DMARC policy check failed
    if "identity-alignment" not in fields:
        fields["identity-alignment"] = ", ".join(alignment) or "none"
    if "delivery-result" not in fields and results:
        found = next((v for word, v in _RESULTS if word in results), None)
        if found:
            fields["delivery-result"] = found
    sample = email.parser.HeaderParser().parsestr(copied.lstrip("\n")) if copied.strip() \
        else None
    if sample is not None and not len(sample):
        sample = None
    if "authentication-results" not in fields and sample is not None \
            and sample.get("Authentication-Results"):
        fields["authentication-results"] = sample.get("Authentication-Results")
    return _report(msg, fields, feedback_type, False, sample, True, context, redact)
