"""Our aggregate rows and parsedmarc's records in one comparable shape, for the conformance
test (tests/conformance/test_dmarc_corpus.py). Test-only: it ships in no package."""
from __future__ import annotations

from pipeline.dmarc.reference import utc_to_local_string


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
