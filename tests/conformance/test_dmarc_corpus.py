"""The DMARC / TLS-RPT corpus (shared/corpus/dmarc) against its labels and against parsedmarc.

Keyed by each file's sha256. Every `land` file must land with the labelled figures, every
`dead_letter` file must be refused with a reason; aggregate rows must equal parsedmarc's
(normalised the way parsedmarc normalises) except for the documented differences below.
A labelled file that is missing from disk is a failure, not a skip.
"""
from __future__ import annotations

import json
import logging
import os
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from pipeline.core import process
from pipeline.dmarc import parse_report
from pipeline.dmarc.api import context_of
from pipeline.errors import BouncepipeError
from schemas.models import RawMessage, RawSource

try:
    from tests.conformance.parsedmarc_reference import (
        parsedmarc_metadata_shape,
        parsedmarc_record,
        parsedmarc_record_shape,
        parsedmarc_report_metadata,
    )
except ImportError:  # pytest's rootdir-less import mode: this directory is on sys.path
    from parsedmarc_reference import (  # type: ignore[no-redef]
        parsedmarc_metadata_shape,
        parsedmarc_record,
        parsedmarc_record_shape,
        parsedmarc_report_metadata,
    )


def _corpus() -> Path | None:
    env = os.environ.get("BOUNCEPIPE_CORPUS")
    root = Path(env) if env else Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
    folder = root / "dmarc"
    return folder if (folder / "labels.jsonl").is_file() else None


CORPUS = _corpus()
LABELS = [json.loads(line) for line in (CORPUS / "labels.jsonl").open()] if CORPUS else []
pytestmark = pytest.mark.skipif(CORPUS is None, reason="DMARC corpus not found "
                                "(set BOUNCEPIPE_CORPUS or put it at ../shared/corpus)")

# Where we knowingly differ from parsedmarc 11.1.0 (sha256 -> field -> why). Each entry is
# asserted to still differ, so the list cannot go stale.
AGGREGATE_DIFFERENCES = {
    # invalid_utf_8.xml: parsedmarc drops undecodable bytes; we keep them visible as U+FFFD.
    "eefe7551fd3e99bc907fbb16dd4d2bad5fe081298525694761834984fdba3ece": {"header_from"},
}
FAILURE_DIFFERENCES = {
    # parsedmarc defaults a missing Delivery-Result to "other" and maps non-RFC values; we keep
    # what the report states (null when absent).
    "delivery_result": "stated value kept",
    # parsedmarc defaults a missing Auth-Failure to ["dmarc"]; we keep the empty list.
    "auth_failure": "stated value kept",
}


def _by(kind: str) -> list[dict]:
    return [lab for lab in LABELS if lab["kind"] == kind]


def _ids(labels: list[dict]) -> list[str]:
    return [lab["path"].split("/", 1)[1] for lab in labels]


def _payload(label: dict) -> bytes:
    path = CORPUS / label["path"]
    assert path.is_file(), f"labelled sample missing: {label['path']}"
    data = path.read_bytes()
    from schemas.ids import sha256_hex

    assert sha256_hex(data) == label["sha256"], f"sample changed: {label['path']}"
    return data


def _parse(label: dict):
    return parse_report(_payload(label), context=context_of(label["sha256"], label["path"]))


def test_corpus_is_complete() -> None:
    assert len(LABELS) == 42
    assert Counter(lab["kind"] for lab in LABELS) == {"aggregate": 26, "forensic": 6,
                                                      "smtp_tls": 8, "unparseable": 2}


@pytest.mark.parametrize("label", LABELS, ids=_ids(LABELS))
def test_outcome_through_the_core(label: dict) -> None:
    """`land` files produce rows of their table; `dead_letter` files produce no DMARC rows."""
    raw = RawMessage.from_bytes(_payload(label), RawSource(transport="file", path=label["path"]))
    out = process(raw)
    rows = {table: list(values) for table, values in out.rows.items()}
    table = {"aggregate": "dmarc_aggregate", "forensic": "dmarc_failure",
             "smtp_tls": "tls_reports"}.get(label["kind"])
    if label["expected_outcome"] == "land":
        assert not out.dead_letters, out.dead_letters
        assert rows.get(table), f"no {table} rows"
        assert all(r["raw_sha256"] == label["sha256"] for r in rows[table])
    else:
        assert not any(rows.get(t) for t in ("dmarc_aggregate", "dmarc_failure", "tls_reports"))


@pytest.mark.parametrize("label", [lab for lab in LABELS if lab["expected_outcome"] ==
                                   "dead_letter"],
                         ids=_ids([lab for lab in LABELS if lab["expected_outcome"] ==
                                   "dead_letter"]))
def test_dead_letter_files_are_refused_with_a_reason(label: dict) -> None:
    with pytest.raises(BouncepipeError) as info:
        rows = _parse(label)
        list(rows.aggregate)
    assert info.value.reason and info.value.raw_sha256 == label["sha256"]


@pytest.mark.parametrize("label", _by("aggregate"), ids=_ids(_by("aggregate")))
def test_aggregate_figures_match_labels(label: dict) -> None:
    rows = list(_parse(label).aggregate)
    agg, raw_xml = label["aggregate"], label["raw"].get("xml") or {}
    physical = raw_xml.get("messages")
    total = sum(r["message_count"] for r in rows)
    # Physical count from the stdlib reading when the XML is well-formed, else parsedmarc's.
    assert total == (physical if physical is not None else agg["messages"])
    if raw_xml.get("records") is not None:
        assert len(rows) == raw_xml["records"]  # never split per day, never skip a row
    assert [r["record_index"] for r in rows] == list(range(len(rows)))
    assert len({r["row_id"] for r in rows}) == len(rows)
    shaped = [parsedmarc_record_shape(r) for r in rows]
    for column, field in (("by_disposition", "disposition"), ("by_policy_dkim", "dkim"),
                          ("by_policy_spf", "spf")):
        counts: dict = defaultdict(int)
        for s in shaped:
            counts[s[field]] += s["count"]
        assert dict(counts) == {k: v["messages"] for k, v in agg[column].items()}, column
    aligned = Counter()
    for s in shaped:
        aligned["pass" if s["dmarc_aligned"] else "fail"] += s["count"]
    assert dict(aligned) == {k: v["messages"] for k, v in agg["by_dmarc_aligned"].items()}
    assert len({r["source_ip"] for r in rows}) == agg["distinct_source_ips"]
    first = rows[0]
    assert first["begin_date"].strftime("%Y-%m-%d %H:%M:%S") == agg["begin_date"]
    assert first["end_date"].strftime("%Y-%m-%d %H:%M:%S") == agg["end_date"]
    assert first["report_errors"] == [e for e in agg["report_errors"]
                                      if not e.startswith("Invalid XML")]
    assert first["policy_domain"] == agg["policy_domain"]
    assert first["xml_schema"] == agg["xml_schema"]
    assert first["generator"] == agg["generator"]
    if raw_xml.get("org_name") is not None:
        assert first["org_name"] == (raw_xml["org_name"] or None)  # kept as stated
        assert first["report_id"] == (raw_xml["report_id"] or None)


@pytest.mark.parametrize("label", _by("aggregate"), ids=_ids(_by("aggregate")))
def test_aggregate_rows_equal_parsedmarc(label: dict) -> None:
    """Field-by-field equality with parsedmarc's own parse (run here, offline, unsplit)."""
    import parsedmarc

    logging.getLogger("parsedmarc").setLevel(logging.ERROR)
    data = _payload(label)
    rows = list(_parse(label).aggregate)
    report = parsedmarc.parse_report_file(data, offline=True,
                                          normalize_timespan_threshold_hours=1e12)["report"]
    assert parsedmarc_metadata_shape(rows[0]) == parsedmarc_report_metadata(report)
    ours = [parsedmarc_record_shape(r) for r in rows]
    theirs = [parsedmarc_record(r) for r in report["records"]]
    assert len(ours) == len(theirs)
    expected_diff = AGGREGATE_DIFFERENCES.get(label["sha256"], set())
    differing = {k for a, b in zip(ours, theirs) for k in a if a[k] != b[k]}
    assert differing == expected_diff


def test_same_report_in_other_wrappings_gets_the_same_row_ids() -> None:
    groups: dict[str, list[dict]] = defaultdict(list)
    for label in _by("aggregate") + _by("forensic"):
        groups[label["report_key"]].append(label)
    checked = 0
    for key, members in groups.items():
        if len(members) < 2:
            continue
        ids = []
        for label in members:
            parsed = _parse(label)
            rows = [parsed.failure.row] if parsed.failure else list(parsed.aggregate)
            ids.append(sorted(r["row_id"] for r in rows))
        assert all(i == ids[0] for i in ids), key
        checked += 1
    assert checked >= 4  # nice-input x3, acme/old_draft, invalid_utf_8/!example, linkedin x2


@pytest.mark.parametrize("label", _by("forensic"), ids=_ids(_by("forensic")))
def test_failure_fields_match_labels(label: dict) -> None:
    row = _parse(label).failure.row
    mine = {
        "feedback_type": row["feedback_type"], "user_agent": row["user_agent"],
        "version": row["version"], "reported_domain": row["reported_domain"],
        "arrival_date_utc": row["arrival_date"].strftime("%Y-%m-%d %H:%M:%S"),
        "source_ip": row["source_ip"], "auth_failure": row["auth_failure"],
        "authentication_mechanisms": row["identity_alignment"],
        "delivery_result": row["delivery_result"],
        "original_mail_from": row["original_mail_from"],
        "original_rcpt_to": row["original_rcpt_to"],
        "original_envelope_id": row["original_envelope_id"], "dkim_domain": row["dkim_domain"],
        "sample_headers_only": row["sample_headers_only"],
        "sample_subject": row["sample_subject"], "sample_from": row["sample_from"],
    }
    expected = label["forensic"]
    differing = {k for k in expected if mine[k] != expected[k]}
    assert differing <= set(FAILURE_DIFFERENCES), {k: (mine[k], expected[k]) for k in differing}
    feedback = label["raw"]["feedback"]
    if "auth_failure" in differing:
        assert feedback["auth_failure"] is None and row["auth_failure"] == []
    assert row["sample_body"] is None and row["body_redacted"]  # redacted by default


@pytest.mark.parametrize("label", _by("smtp_tls"), ids=_ids(_by("smtp_tls")))
def test_tls_fields_match_labels(label: dict) -> None:
    rows = _parse(label).tls
    expected = label["smtp_tls"]
    first = rows[0]
    assert first["organization_name"] == expected["organization_name"]
    assert first["report_id"] == expected["report_id"]
    assert first["contact_info"] == expected["contact_info"]
    assert first["begin_date"].strftime("%Y-%m-%dT%H:%M:%SZ") == expected["begin_date"]
    assert first["end_date"].strftime("%Y-%m-%dT%H:%M:%SZ") == expected["end_date"]
    policies = [r for r in rows if r["detail_index"] == 0]
    assert len(policies) == expected["policies"]
    assert Counter(r["policy_type"] for r in policies) == expected["policy_types"]
    assert sum(r["total_successful_session_count"] for r in policies) == \
        expected["successful_sessions"]
    assert sum(r["total_failure_session_count"] for r in policies) == expected["failed_sessions"]
    details = [r for r in rows if r["result_type"] is not None]
    assert len(details) == expected["failure_details"]
    by_type: dict = defaultdict(int)
    for r in details:
        by_type[r["result_type"]] += r["failed_session_count"]
    assert dict(by_type) == expected["failed_sessions_by_result_type"]


def test_ingesting_the_whole_corpus_lands_each_report_once(tmp_path: Path, capsys) -> None:
    """`bouncepipe ingest` over every corpus file, twice: per distinct report the landed
    sum(message_count) equals the physical total of messages in the report's XML."""
    import pyarrow.dataset as ds

    from connectors.cli import main

    lake = tmp_path / "lake"
    for _ in range(2):
        assert main(["ingest", str(CORPUS / "reports"), "--lake", str(lake)]) == 0
    capsys.readouterr()

    def landed(table: str) -> list[dict]:
        return ds.dataset(lake / table, format="parquet", partitioning="hive").to_table(
        ).to_pylist()

    by_sha = {lab["sha256"]: lab for lab in LABELS}
    sums: dict[str, int] = defaultdict(int)
    label_key: dict[str, str] = {}
    for row in landed("dmarc_aggregate"):
        sums[row["report_key"]] += row["message_count"]
        label_key[row["report_key"]] = by_sha[row["raw_sha256"]]["report_key"]
    expected: dict[str, int] = {}
    for lab in _by("aggregate"):
        physical = (lab["raw"].get("xml") or {}).get("messages")
        expected[lab["report_key"]] = physical if physical is not None else \
            lab["aggregate"]["messages"]
    assert {label_key[k]: v for k, v in sums.items()} == expected
    assert len(sums) == len(expected) == 22
    assert sum(sums.values()) == 9184 - 2 * 3047 - 2 - 1  # README total minus duplicates

    failures = landed("dmarc_failure")
    assert len(failures) == len({lab["report_key"] for lab in _by("forensic")}) == 5
    tls = landed("tls_reports")
    assert len({r["report_key"] for r in tls}) == len(
        {lab["report_key"] for lab in _by("smtp_tls")}) == 6
