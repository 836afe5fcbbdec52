"""parsedmarc, the reference parser: the fallback for aggregate XML the fast path rejects (the
shape comparison with our rows is tests/conformance/parsedmarc_reference.py).

This package is the only place that imports parsedmarc (lazily: it is slow to import).
Always called with offline=True (no DNS, no downloads). parsedmarc renders epochs as local-time
strings; we convert back with the same local-time rules (never by setting TZ, which would race
other threads) and check the round trip.
"""
from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from typing import Any

from pipeline.errors import ParseError
from schemas.dmarc import aggregate_report_key, aggregate_row_id

from .aggregate import org_domain

PARSER = "dmarc.aggregate.parsedmarc"
_FMT = "%Y-%m-%d %H:%M:%S"
# parsedmarc pro-rates reports longer than this many hours per day; we never split.
_NO_SPLIT_HOURS = 1e12


def _quiet() -> None:
    logging.getLogger("parsedmarc").setLevel(logging.ERROR)


def local_string_to_utc(text: str) -> datetime:
    """Invert parsedmarc's `timestamp_to_human` (local time) without touching TZ."""
    naive = datetime.strptime(text, _FMT)
    guess = int(time.mktime(naive.timetuple()))
    for ts in (guess, guess - 3600, guess + 3600):  # DST folds
        if datetime.fromtimestamp(ts).strftime(_FMT) == text:
            return datetime.fromtimestamp(ts, tz=timezone.utc)
    raise ParseError(f"cannot map parsedmarc's local time {text!r} back to UTC", parser=PARSER)


def utc_to_local_string(value: datetime) -> str:
    """What parsedmarc would print for this instant on this machine."""
    return datetime.fromtimestamp(value.timestamp()).strftime(_FMT)


def parse_with_parsedmarc(xml: bytes) -> dict[str, Any]:
    """parsedmarc's aggregate parse of `xml`, unsplit. Raises ParseError."""
    _quiet()
    import parsedmarc

    try:
        return parsedmarc.parse_aggregate_report_xml(
            xml, offline=True, normalize_timespan_threshold_hours=_NO_SPLIT_HOURS)
    except parsedmarc.ParserError as exc:
        cause = f" ({exc.__cause__})" if exc.__cause__ else ""
        raise ParseError(f"parsedmarc: {exc}{cause}", parser=PARSER) from exc


def rows_from_parsedmarc(report: dict[str, Any], context: dict) -> list[dict]:
    """Our row dicts from parsedmarc's report (used only when the fast path rejected the XML).

    parsedmarc normalised some values (see schemas/dmarc.py); `parser` says which path ran.
    """
    meta = report["report_metadata"]
    policy = report["policy_published"]
    begin = local_string_to_utc(meta["begin_date"])
    end = datetime.fromtimestamp(begin.timestamp() + int(meta["original_timespan_seconds"]),
                                 tz=timezone.utc)
    report_key = aggregate_report_key(meta["org_name"], meta["report_id"], policy["domain"],
                                      int(begin.timestamp()), int(end.timestamp()))
    base = {
        "report_key": report_key, "raw_sha256": context.get("raw_sha256"),
        "source": context.get("source"), "parser": PARSER,
        "container": context.get("container"), "member": context.get("member"),
        "xml_schema": report.get("xml_schema"), "xml_namespace": report.get("xml_namespace"),
        "org_name": meta["org_name"], "org_name_base": org_domain(meta["org_name"]) or
        meta["org_name"], "org_email": meta.get("org_email"),
        "org_extra_contact_info": meta.get("org_extra_contact_info"),
        "report_id": meta["report_id"], "generator": meta.get("generator"),
        "begin_date": begin, "end_date": end, "report_errors": list(meta.get("errors") or []),
    }
    for name in ("domain", "adkim", "aspf", "p", "sp", "pct", "np", "fo", "testing",
                 "discovery_method"):
        value = policy.get(name)
        base[f"policy_{name}"] = None if value is None else str(value)
    rows = []
    for index, rec in enumerate(report["records"]):
        pe = rec["policy_evaluated"]
        ids = rec["identifiers"]
        header_from = ids.get("header_from") or None
        row = dict(base)
        row.update({
            "row_id": aggregate_row_id(report_key, index), "record_index": index,
            "source_ip": rec["source"]["ip_address"], "message_count": int(rec["count"]),
            "disposition": pe.get("disposition"), "policy_dkim": pe.get("dkim"),
            "policy_spf": pe.get("spf"),
            "dmarc_aligned": bool(rec["alignment"]["dmarc"]),
            "override_reasons": [{"type": r.get("type"), "comment": r.get("comment")}
                                 for r in pe.get("policy_override_reasons") or []],
            "header_from": header_from,
            "header_from_org_domain": org_domain(header_from) if header_from else None,
            "envelope_from": ids.get("envelope_from"), "envelope_to": ids.get("envelope_to"),
            "dkim_results": [{k: r.get(k) for k in ("domain", "selector", "result",
                                                    "human_result")}
                             for r in rec["auth_results"]["dkim"]],
            "spf_results": [{k: r.get(k) for k in ("domain", "scope", "result", "human_result")}
                            for r in rec["auth_results"]["spf"]],
        })
        rows.append(row)
    return rows


# --- comparison with parsedmarc (conformance tests) -------------------------------------
