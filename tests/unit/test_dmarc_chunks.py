"""DMARC aggregate records read in chunks of values: the rows they give and the Arrow
tables the lake's staging builds from their columns (no dict per row) are the same as the
row-by-row path, on the corpus reports and on generated reports with every optional element
present or absent."""
from __future__ import annotations

import io
import itertools
import zipfile
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from connectors import staging
from connectors.lake import chunk_to_arrow, table_spec, to_arrow
from pipeline.dmarc import aggregate, parse_report
from pipeline.dmarc.api import context_of
from pipeline.dmarc.chunk import RECORD_COLUMNS, ROW_KEY_COLUMNS, RecordChunk
from pipeline.outcome import ChunkedRows
from schemas.dmarc import DmarcAggregateRow, aggregate_row_id, aggregate_row_ids

TABLE = "dmarc_aggregate"
SCHEMA = table_spec(TABLE).schema


def _parsed(payload: bytes) -> ChunkedRows:
    rows = parse_report(payload, context=context_of("f" * 64, "test")).aggregate
    assert isinstance(rows, ChunkedRows)
    return rows


def _staged_table(rows) -> pa.Table:
    batches = list(staging._arrow_batches(TABLE, rows))
    return pa.concat_tables(batches) if batches else SCHEMA.empty_table()


def assert_same_both_ways(payload: bytes) -> list[dict]:
    """Rows from iterating == rows from the chunks; Arrow from the chunks' columns == Arrow
    from the row dicts; each row is a valid DmarcAggregateRow."""
    rows = list(_parsed(payload))
    chunks = list(_parsed(payload).chunks())
    from_chunks = [row for c in chunks for row in
                   ([c] if type(c) is dict else c.rows())]
    assert from_chunks == rows
    assert [list(r) for r in from_chunks] == [list(r) for r in rows]   # key order too
    columnar = _staged_table(_parsed(payload))
    assert columnar.equals(to_arrow(TABLE, rows))
    assert columnar.column("row_id").to_pylist() == [r["row_id"] for r in rows]
    for row in rows:
        DmarcAggregateRow.model_validate(row)
    return rows


def test_chunk_columns_are_the_models_fields() -> None:
    payload = _report([_record_xml({"count": 3})], namespace=None)
    chunk = next(iter(_parsed(payload).chunks()))
    shared, columns = chunk.columns()
    names = [*shared, *ROW_KEY_COLUMNS, *RECORD_COLUMNS]
    assert len(names) == len(set(names))
    assert set(names) == set(DmarcAggregateRow.model_fields) == set(SCHEMA.names)
    assert list(columns) == [*ROW_KEY_COLUMNS, *RECORD_COLUMNS]


def test_row_ids_in_one_call_match_one_by_one() -> None:
    assert aggregate_row_ids("k", 1998, 4) == [aggregate_row_id("k", i)
                                                for i in range(1998, 2002)]
    assert aggregate_row_ids("k", 5, 0) == []


def test_corpus_aggregate_reports_same_rows_both_ways(corpus: Path) -> None:
    seen = 0
    for path in sorted((corpus / "dmarc" / "reports" / "aggregate").rglob("*")):
        if not path.is_file():
            continue
        try:
            rows = assert_same_both_ways(path.read_bytes())
        except Exception as exc:   # a report the parser refuses: not compared
            if isinstance(exc, AssertionError):
                raise
            continue
        seen += len(rows)
    assert seen >= 50


# -- generated reports -------------------------------------------------------------------

_WORD = st.sampled_from(["pass", "PASS", " fail ", "none", "quarantine", "Reject",
                         "softfail", "", "   ", "neutral"])
_NAME = st.sampled_from(["example.com", "Mail.Example.ORG", " news.example.com ",
                         "sub.bounce.esp.example", "", "co.uk", "no dots", "x.example."])


def _opt(strategy):
    return st.none() | strategy


_auth = st.fixed_dictionaries({}, optional={
    "domain": _NAME, "selector": st.sampled_from(["s1", " s2 ", ""]), "result": _WORD,
    "human_result": st.sampled_from(["ok", "", "key & <bad>"])})
_spf = st.fixed_dictionaries({}, optional={
    "domain": _NAME, "scope": st.sampled_from(["mfrom", "helo", ""]), "result": _WORD,
    "human_result": st.sampled_from(["ok", ""])})
_reason = st.fixed_dictionaries({}, optional={
    "type": st.sampled_from(["forwarded", "LOCAL_POLICY", " mailing_list ", ""]),
    "comment": st.sampled_from(["arc=pass", "", "é ü"])})
_record = st.fixed_dictionaries({"count": st.integers(0, 10**9)}, optional={
    "source_ip": st.sampled_from(["192.0.2.1", " 2001:db8::1 ", ""]),
    "disposition": _WORD, "dkim": _WORD, "spf": _WORD,
    "reasons": st.lists(_reason, max_size=2),
    "header_from": _NAME, "envelope_from": _NAME, "envelope_to": _NAME,
    "identities": st.booleans(),
    "dkim_results": st.lists(_auth, max_size=3), "spf_results": st.lists(_spf, max_size=2)})


def _el(name: str, text: str | None) -> str:
    if text is None:
        return ""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f"<{name}>{text}</{name}>"


def _record_xml(spec: dict) -> str:
    evaluated = "".join(_el(n, spec.get(n)) for n in ("disposition", "dkim", "spf"))
    evaluated += "".join(f"<reason>{_el('type', r.get('type'))}"
                         f"{_el('comment', r.get('comment'))}</reason>"
                         for r in spec.get("reasons", []))
    ids = "".join(_el(n, spec.get(n)) for n in ("header_from", "envelope_from", "envelope_to"))
    ids_tag = "identities" if spec.get("identities") else "identifiers"
    auth = "".join("<dkim>" + "".join(_el(n, d.get(n)) for n in d) + "</dkim>"
                   for d in spec.get("dkim_results", []))
    auth += "".join("<spf>" + "".join(_el(n, d.get(n)) for n in d) + "</spf>"
                    for d in spec.get("spf_results", []))
    return (f"<record><row>{_el('source_ip', spec.get('source_ip'))}"
            f"<count>{spec['count']}</count><policy_evaluated>{evaluated}</policy_evaluated>"
            f"</row><{ids_tag}>{ids}</{ids_tag}><auth_results>{auth}</auth_results></record>")


def _report(records: list[str], namespace: str | None, org: str = "gen.example",
            extra_meta: str = "") -> bytes:
    xmlns = f' xmlns="{namespace}"' if namespace else ""
    return (f'<?xml version="1.0"?><feedback{xmlns}><version>1.0</version>'
            f"<report_metadata><org_name>{org}</org_name><email>d@gen.example</email>"
            f"<report_id>r-{org}</report_id>{extra_meta}<date_range><begin>1700000000</begin>"
            "<end>1700086399</end></date_range></report_metadata><policy_published>"
            "<domain>example.com</domain><p>NONE</p><pct>100</pct></policy_published>"
            + "".join(records) + "</feedback>").encode()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=st.lists(_record, min_size=1, max_size=12),
       namespace=st.sampled_from([None, "urn:ietf:params:xml:ns:dmarc-2.0"]),
       extra_meta=st.sampled_from(["", "<error>late</error><generator>g 1</generator>"]))
def test_generated_reports_same_rows_both_ways(records, namespace, extra_meta) -> None:
    rows = assert_same_both_ways(_report([_record_xml(r) for r in records], namespace,
                                         extra_meta=extra_meta))
    assert [r["record_index"] for r in rows] == list(range(len(records)))
    assert [r["message_count"] for r in rows] == [r["count"] for r in records]


def test_chunks_across_reports_and_batches_cut_as_row_by_row(monkeypatch) -> None:
    """Several reports in one zip, chunks of 3 records, staging batches of 5 rows: the
    same batches (row groups) and rows as staging the row dicts."""
    spec = {"count": 1, "header_from": "example.com", "dkim_results": [{"result": "pass"}]}
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        for n, org in ((7, "a.example"), (4, "b.example"), (1, "c.example")):
            zf.writestr(f"{org}.xml", _report([_record_xml(spec)] * n, None, org=org))
    payload = archive.getvalue()
    monkeypatch.setattr(staging, "STAGE_BATCH_ROWS", 5)
    real = aggregate.iter_aggregate_chunks
    monkeypatch.setattr(aggregate, "iter_aggregate_chunks",
                        lambda *a, **k: real(*a, **{**k, "chunk_records": 3}))
    chunks = list(_parsed(payload).chunks())
    assert [len(c) for c in chunks] == [3, 3, 1, 3, 1, 1]
    by_rows = list(staging._arrow_batches(TABLE, iter(list(_parsed(payload)))))
    by_chunks = list(staging._arrow_batches(TABLE, _parsed(payload)))
    assert [b.num_rows for b in by_chunks] == [b.num_rows for b in by_rows] == [5, 5, 2]
    assert all(a.equals(b) for a, b in zip(by_chunks, by_rows))


def test_row_dicts_among_chunks_keep_their_order() -> None:
    """A fallback parser's plain row dicts between chunks: converted in order."""
    good = list(_parsed(_report([_record_xml({"count": 2})] * 3, None)).chunks())
    loose = list(_parsed(_report([_record_xml({"count": 5})] * 2, None, org="o.example")))
    items = ChunkedRows(iter([loose[0], *good, loose[1]]))
    table = _staged_table(items)
    assert table.column("message_count").to_pylist() == [5, 2, 2, 2, 5]


def test_chunk_lacking_a_column_goes_through_its_rows(monkeypatch) -> None:
    chunk = next(iter(_parsed(_report([_record_xml({"count": 9})], None)).chunks()))
    shared, columns = chunk.columns()
    del columns["envelope_to"]
    monkeypatch.setattr(RecordChunk, "columns", lambda self: (shared, columns))
    assert chunk_to_arrow(TABLE, chunk).equals(to_arrow(TABLE, list(chunk.rows())))


def test_rows_and_chunks_are_taken_once() -> None:
    rows = _parsed(_report([_record_xml({"count": 1})], None))
    next(rows)
    with pytest.raises(RuntimeError):
        rows.chunks()
    chunked = _parsed(_report([_record_xml({"count": 1})], None))
    list(itertools.islice(chunked.chunks(), 1))
    with pytest.raises(RuntimeError):
        next(chunked)
