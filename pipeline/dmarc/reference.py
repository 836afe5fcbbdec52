"""parsedmarc, the reference parser: the fallback for aggregate XML the fast path rejects, and
the shape our rows are compared with (tests/conformance/test_dmarc_corpus.py).

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

def parsedmarc_record_shape(row: dict) -> dict:
    """Our row, normalised the way parsedmarc normalises a record (README: 'parsedmarc
    behaviour'), so rows can be compared field by field."""
    spf = [r for r in row["spf_results"] if r["domain"] is not None]
    envelope_from = row["envelope_from"]
    if envelope_from is None and row["spf_results"]:
        last = row["spf_results"][-1]["domain"]
        envelope_from = last.lower() if last else None
    return {
        "source_ip": row["source_ip"],
        "count": row["message_count"],
        "disposition": row["disposition"] or "none",
        "dkim": row["policy_dkim"] or "fail",
        "spf": row["policy_spf"] or "fail",
        "reasons": [(r["type"], r["comment"]) for r in row["override_reasons"]],
        "header_from": (row["header_from"] or "").lower(),
        "envelope_from": envelope_from,
        "envelope_to": row["envelope_to"],
        "dkim_results": [(r["domain"], r["selector"] or "none", r["result"] or "none",
                          r["human_result"]) for r in row["dkim_results"]
                         if r["domain"] is not None],
        "spf_results": [(r["domain"], r["scope"] or "mfrom", r["result"] or "none",
                         r["human_result"]) for r in spf],
        "dmarc_aligned": row["dmarc_aligned"],
    }


def parsedmarc_record(rec: dict) -> dict:
    """parsedmarc's record reduced to the same comparable shape."""
    pe = rec["policy_evaluated"]
    ids = rec["identifiers"]
    return {
        "source_ip": rec["source"]["ip_address"],
        "count": rec["count"],
        "disposition": pe["disposition"],
        "dkim": pe["dkim"],
        "spf": pe["spf"],
        "reasons": [(r.get("type"), r.get("comment")) for r in pe["policy_override_reasons"]],
        "header_from": ids["header_from"],
        "envelope_from": ids["envelope_from"],
        "envelope_to": ids["envelope_to"],
        "dkim_results": [(r["domain"], r["selector"], r["result"], r.get("human_result"))
                         for r in rec["auth_results"]["dkim"]],
        "spf_results": [(r["domain"], r["scope"], r["result"], r.get("human_result"))
                        for r in rec["auth_results"]["spf"]],
        "dmarc_aligned": rec["alignment"]["dmarc"],
    }


def parsedmarc_metadata_shape(row: dict) -> dict:
    """Report-level columns of our row as parsedmarc would state them."""
    import parsedmarc.utils

    org = row["org_name"] or (row["org_email"] or "").rpartition("@")[2] or None
    if org and " " not in org:
        org = parsedmarc.utils.get_base_domain(org) or org
    rid = (row["report_id"] or "").replace("<", "").replace(">", "").split("@")[0]
    return {
        "org_name": org, "org_email": row["org_email"], "report_id": rid,
        "begin_date": utc_to_local_string(row["begin_date"]),
        "end_date": utc_to_local_string(row["end_date"]),
        "domain": row["policy_domain"], "p": row["policy_p"],
        "sp": row["policy_sp"] or row["policy_p"], "pct": row["policy_pct"],
        "xml_schema": row["xml_schema"],
    }


def parsedmarc_report_metadata(report: dict) -> dict:
    meta, pol = report["report_metadata"], report["policy_published"]
    return {
        "org_name": meta["org_name"], "org_email": meta["org_email"],
        "report_id": meta["report_id"], "begin_date": meta["begin_date"],
        "end_date": meta["end_date"], "domain": pol["domain"], "p": pol["p"], "sp": pol["sp"],
        "pct": pol["pct"], "xml_schema": report["xml_schema"],
    }
