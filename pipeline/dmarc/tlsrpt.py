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
        raise ParseError(f"TLS report {what} {value!r} is not an RFC 3339 date-time",
                         parser=PARSER)
    try:
        parsed = datetime.fromisoformat(value.strip().replace("z", "Z"))
    except ValueError as exc:
        raise ParseError(f"TLS report {what} {value!r} is not an RFC 3339 date-time",
                         parser=PARSER) from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def _str(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _strs(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value if v is not None]
    return [str(value)]


def _int(value: Any, what: str) -> int:
    if value is None:
        return 0
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ParseError(f"TLS report {what} {value!r} is not an integer", parser=PARSER) \
            from None


def tls_rows(report: dict, context: dict) -> list[dict]:
    """Rows of one SMTP TLS report object. Raises ParseError on a malformed report."""
    if not looks_like_tlsrpt(report):
        raise ParseError("JSON is not an SMTP TLS report (no organization-name/policies)",
                         parser=PARSER)
    dates = report.get("date-range") or {}
    if not isinstance(dates, dict):
        raise ParseError("TLS report date-range is not an object", parser=PARSER)
    begin = _date(dates.get("start-datetime"), "start-datetime")
    end = _date(dates.get("end-datetime"), "end-datetime")
    org = _str(report.get("organization-name"))
    report_id = _str(report.get("report-id"))
    key = tls_report_key(org, report_id, begin, end)
    base = {
        "report_key": key, "raw_sha256": context.get("raw_sha256"),
        "source": context.get("source"), "parser": PARSER, "organization_name": org,
        "contact_info": _str(report.get("contact-info")), "report_id": report_id,
        "begin_date": begin, "end_date": end,
    }
    policies = report.get("policies")
    if not isinstance(policies, list):
        raise ParseError("TLS report policies is not a list", parser=PARSER)
    rows: list[dict] = []
    for p_index, entry in enumerate(policies):
        if not isinstance(entry, dict):
            raise ParseError(f"TLS report policy {p_index} is not an object", parser=PARSER)
        policy = entry.get("policy") or {}
        summary = entry.get("summary") or {}
        details = entry.get("failure-details") or [None]
        shared = dict(base)
        shared.update({
            "policy_index": p_index,
            "policy_type": _str(policy.get("policy-type")),
            "policy_domain": _str(policy.get("policy-domain")),
            "policy_strings": _strs(policy.get("policy-string")),
            "mx_host": _strs(policy.get("mx-host")),
            "total_successful_session_count": _int(
                summary.get("total-successful-session-count"), "total-successful-session-count"),
            "total_failure_session_count": _int(
                summary.get("total-failure-session-count"), "total-failure-session-count"),
        })
        for d_index, detail in enumerate(details):
            if len(rows) >= MAX_TLS_ROWS:
                raise LimitExceeded(f"TLS report has more than {MAX_TLS_ROWS} rows",
                                    parser=PARSER)
            row = dict(shared)
            detail = detail if isinstance(detail, dict) else {}
            row.update({
                "row_id": stable_id(key, p_index, d_index),
                "detail_index": d_index,
                "result_type": _str(detail.get("result-type")),
                "sending_mta_ip": _str(detail.get("sending-mta-ip")),
                "receiving_mx_hostname": _str(detail.get("receiving-mx-hostname")),
                "receiving_mx_helo": _str(detail.get("receiving-mx-helo")),
                "receiving_ip": _str(detail.get("receiving-ip")),
                "failed_session_count": _int(detail.get("failed-session-count"),
                                             "failed-session-count") if detail else None,
                "additional_information": _str(detail.get("additional-information")),
                "failure_reason_code": _str(detail.get("failure-reason-code")),
            })
            rows.append(row)
    return rows
