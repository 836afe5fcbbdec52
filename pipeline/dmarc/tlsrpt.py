"""SMTP TLS reports (RFC 8460 section 4): JSON object -> one row per policy x failure detail.

Parsed directly (the JSON is small and regular): unlike parsedmarc we keep every field the
report states, including unknown result types, and never drop a policy.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from pipeline.errors import LimitExceeded, ParseError
from schemas.dmarc import tls_report_key
from schemas.ids import stable_id

PARSER = "dmarc.tlsrpt"
MAX_TLS_ROWS = 1_000_000


def looks_like_tlsrpt(value: Any) -> bool:
    return isinstance(value, dict) and "policies" in value and (
        "organization-name" in value or "report-id" in value)


def _date(value: Any, what: str) -> datetime:
    if not isinstance(value, str):
        raise ParseError(f"TLS report {what} {value!r:.80} is not an RFC 3339 date-time",
                         parser=PARSER)
    try:
        parsed = datetime.fromisoformat(value.strip().replace("z", "Z"))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=timezone.utc)
        return parsed.astimezone(timezone.utc)
    except (ValueError, OverflowError) as exc:
        raise ParseError(f"TLS report {what} {value!r:.80} is not an RFC 3339 date-time",
                         parser=PARSER) from exc


def _wrong_type(what: str, value: Any, expected: str) -> ParseError:
    return ParseError(f"TLS report {what} is {type(value).__name__} {value!r:.80}, not "
                      f"{expected}", parser=PARSER)


def _str(value: Any, what: str) -> str | None:
    """A text field: a string (numbers are written as text); an object or list is a schema
    error naming the field, never its repr."""
    if value is None:
        return None
    if not isinstance(value, (str, int, float)):
        raise _wrong_type(what, value, "a string")
    text = str(value).strip()
    return text or None


def _strs(value: Any, what: str) -> list[str]:
    if value is None:
        return []
    values = value if isinstance(value, list) else [value]
    return [text for index, v in enumerate(values)
            if (text := _str(v, f"{what}[{index}]")) is not None]


def _object(value: Any, what: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _wrong_type(what, value, "an object")
    return value


def _int(value: Any, what: str) -> int:
    if value is None:
        return 0
    if isinstance(value, (dict, list)):
        raise _wrong_type(what, value, "an integer")
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        raise ParseError(f"TLS report {what} {value!r:.80} is not an integer",
                         parser=PARSER) from None
    if not 0 <= number < 2 ** 63:
        raise ParseError(f"TLS report {what} {number:.3g} is not a session count",
                         parser=PARSER)
    return number


def tls_rows(report: dict, context: dict) -> list[dict]:
    """Rows of one SMTP TLS report object. Raises ParseError on a malformed report: a field
    of the wrong JSON type is named, never iterated or written as its repr, and a report
    with no policy is an error (it would land nothing)."""
    if not looks_like_tlsrpt(report):
        raise ParseError("JSON is not an SMTP TLS report (no organization-name/policies)",
                         parser=PARSER)
    dates = report.get("date-range") or {}
    if not isinstance(dates, dict):
        raise ParseError("TLS report date-range is not an object", parser=PARSER)
    begin = _date(dates.get("start-datetime"), "start-datetime")
    end = _date(dates.get("end-datetime"), "end-datetime")
    org = _str(report.get("organization-name"), "organization-name")
    report_id = _str(report.get("report-id"), "report-id")
    key = tls_report_key(org, report_id, begin, end)
    base = {
        "report_key": key, "raw_sha256": context.get("raw_sha256"),
        "source": context.get("source"), "parser": PARSER, "organization_name": org,
        "contact_info": _str(report.get("contact-info"), "contact-info"),
        "report_id": report_id, "begin_date": begin, "end_date": end,
    }
    policies = report.get("policies")
    if not isinstance(policies, list):
        raise _wrong_type("policies", policies, "a list")
    if not policies:
        raise ParseError("TLS report policies is an empty list: the report states no "
                         "policy, so it has no row to land", parser=PARSER)
    rows: list[dict] = []
    for p_index, entry in enumerate(policies):
        where = f"policies[{p_index}]"
        if not isinstance(entry, dict):
            raise _wrong_type(where, entry, "an object")
        policy = _object(entry.get("policy"), f"{where}.policy")
        summary = _object(entry.get("summary"), f"{where}.summary")
        details = entry.get("failure-details")
        if details is None or details == []:
            details = [None]
        elif not isinstance(details, list):
            raise _wrong_type(f"{where}.failure-details", details, "a list")
        shared = dict(base)
        shared.update({
            "policy_index": p_index,
            "policy_type": _str(policy.get("policy-type"), f"{where}.policy.policy-type"),
            "policy_domain": _str(policy.get("policy-domain"),
                                  f"{where}.policy.policy-domain"),
            "policy_strings": _strs(policy.get("policy-string"),
                                    f"{where}.policy.policy-string"),
            "mx_host": _strs(policy.get("mx-host"), f"{where}.policy.mx-host"),
            "total_successful_session_count": _int(
                summary.get("total-successful-session-count"),
                f"{where}.summary.total-successful-session-count"),
            "total_failure_session_count": _int(
                summary.get("total-failure-session-count"),
                f"{where}.summary.total-failure-session-count"),
        })
        for d_index, detail in enumerate(details):
            if len(rows) >= MAX_TLS_ROWS:
                raise LimitExceeded(f"TLS report has more than {MAX_TLS_ROWS} rows",
                                    parser=PARSER)
            at = f"{where}.failure-details[{d_index}]"
            if detail is not None and not isinstance(detail, dict):
                raise _wrong_type(at, detail, "an object")
            row = dict(shared)
            detail = detail or {}
            row.update({
                "row_id": stable_id(key, p_index, d_index),
                "detail_index": d_index,
                "result_type": _str(detail.get("result-type"), f"{at}.result-type"),
                "sending_mta_ip": _str(detail.get("sending-mta-ip"), f"{at}.sending-mta-ip"),
                "receiving_mx_hostname": _str(detail.get("receiving-mx-hostname"),
                                              f"{at}.receiving-mx-hostname"),
                "receiving_mx_helo": _str(detail.get("receiving-mx-helo"),
                                          f"{at}.receiving-mx-helo"),
                "receiving_ip": _str(detail.get("receiving-ip"), f"{at}.receiving-ip"),
                "failed_session_count": _int(detail.get("failed-session-count"),
                                             f"{at}.failed-session-count") if detail else None,
                "additional_information": _str(detail.get("additional-information"),
                                               f"{at}.additional-information"),
                "failure_reason_code": _str(detail.get("failure-reason-code"),
                                            f"{at}.failure-reason-code"),
            })
            rows.append(row)
    return rows
