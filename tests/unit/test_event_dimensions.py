"""Events' derived columns (schemas.dimensions: sending_pool, sending_ip,
diagnostic_normalised): worked out when the event is built, equal to the SQL rules the views
apply to lake files written before the columns existed, and read back the same from old,
new and mixed lakes."""
from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from connectors.duck import DIMENSION_MACROS_SQL, DERIVED_EVENT_COLUMNS, connect
from connectors.lake import LakeWriter, to_arrow
from connectors.views import open_lake
from pipeline.api import classify_message
from schemas.dimensions import normalise_diagnostic
from schemas.models import MailEvent
from tests.unit.test_views_slices import build_slice_lake, rows


@pytest.fixture(scope="module")
def sql():
    con = duckdb.connect()
    for statement in DIMENSION_MACROS_SQL.split(";\n")[:-1]:
        con.execute(statement)
    yield con
    con.close()


def sql_normalised(con, texts: list[str]) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT bp_normalise_diagnostic(t) FROM unnest(?) WITH ORDINALITY AS u(t, i) ORDER BY i",
        [texts]).fetchall()]


def corpus_events(corpus: Path) -> list[MailEvent]:
    """Every event the pipeline makes of the bounce and webhook corpus (the DSN path validates
    its events; the webhook path builds them without validation: both must derive)."""
    events: list[MailEvent] = []
    for path in sorted((corpus / "bounces" / "emails").rglob("*")):
        if path.is_file():
            out = classify_message(path.read_bytes())
            events += out if isinstance(out, list) else []
    for provider in sorted(p for p in (corpus / "webhooks").iterdir() if p.is_dir()):
        for path in sorted(provider.iterdir()):
            out = classify_message(path.read_bytes(), provider_hint=provider.name)
            events += out if isinstance(out, list) else []
    return events


@pytest.fixture(scope="module")
def events(corpus):
    return corpus_events(corpus)


def test_every_corpus_diagnostic_normalises_as_the_sql_rule_does(events, sql):
    with_text = [e for e in events if e.diagnostic is not None]
    assert len({e.diagnostic for e in with_text}) > 300  # the DSN and the webhook paths
    assert [e.diagnostic_normalised for e in with_text] == sql_normalised(sql, [e.diagnostic for e in with_text])
    assert all(e.diagnostic_normalised is None for e in events if e.diagnostic is None)


@pytest.mark.parametrize("text", [
    "550-5.1.1 <A.User+tag@Example.COM>:   Recipient\taddress rejected:\r\n User unknown",
    "421 4.7.0 [203.0.113.9      15] Our system has detected an unusual rate; id 9f86d081884c7d65",
    "\f 550 5.7.1\fblocked\v by policy \u00a0 \u2003 ",   # RE2's \s has \f, not \v nor Unicode spaces
    "452 4.2.2 Mailbox full: Gro\u00dfe Postf\u00e4cher \u0130STANBUL caf\u00e9 \u65e5\u672c 1\u0661\u0662",
    "554 5.7.1 \u039f\u0394\u039f\u03a3 \u03a3\u03a3 refused",   # final sigma: DuckDB lowers per code point
    "5.1.1 (no reply code) 999 user_1234abcdEF@x.y:z 10.0.0.256 deadbeefcafe_01 ffffffff",
    "250 ok", "", "   ", "x" * 300 + " 1",
])
def test_edge_texts_normalise_as_the_sql_rule_does(sql, text):
    assert normalise_diagnostic(text) == sql_normalised(sql, [text])[0]


def test_pool_and_ip_come_from_the_tags_in_order_unless_given():
    base = dict(event_id="e", raw_sha256="0" * 64, occurred_at="2026-11-01T00:00:00Z",
                received_at="2026-11-01T00:00:00Z", source_kind="webhook", parser="t",
                category="soft_bounce", classifier_version="t", rule="t")
    tags = {"ip_pool": "c", "pool": "b", "egress_source": "src", "ip": "192.0.2.1"}
    event = MailEvent(**base, tags=tags, diagnostic="451 4.3.0 Try later <a@b.example>")
    assert (event.sending_pool, event.sending_ip, event.diagnostic_normalised) == (
        "b", "192.0.2.1", "try later <addr>")
    given = MailEvent(**base, tags=tags, sending_pool="p", sending_ip="198.51.100.7")
    assert (given.sending_pool, given.sending_ip, given.diagnostic_normalised) == ("p", "198.51.100.7", None)
    # a record serialised by this version reads back unchanged (the fields are not extras)
    assert MailEvent.model_validate_json(event.model_dump_json()) == event
    # a record from before the fields existed gets them on reading (Kafka sink, reclassify)
    old = event.model_dump(exclude={"sending_pool", "sending_ip", "diagnostic_normalised"})
    assert MailEvent.model_validate(old) == event
    assert MailEvent.model_validate_json(event.model_dump_json(
        exclude={"sending_pool", "sending_ip", "diagnostic_normalised"})) == event
    # a plain dict row written to the lake gets them too
    table = to_arrow("events", [old])
    assert table.select(list(DERIVED_EVENT_COLUMNS)).to_pylist() == [
        {"sending_pool": "b", "sending_ip": "192.0.2.1", "diagnostic_normalised": "try later <addr>"}]


def test_kumomta_pool_and_source_are_columns(events):
    kumo = [e for e in events if e.parser.startswith("mta_log.kumomta") or "kumomta" in e.parser]
    tagged = [e for e in kumo if "egress_pool" in e.tags]
    assert tagged and all(e.sending_pool == e.tags["egress_pool"] for e in tagged)
    assert all(e.sending_ip == e.tags.get("egress_source") for e in kumo)


# --- lakes written before the columns existed ------------------------------------------------

def _strip_new_columns(lake: Path, keep: int) -> int:
    """Rewrite all but `keep` events files without the derived columns (as an older bouncepipe
    wrote them). Returns how many files were rewritten."""
    files = sorted((lake / "events").glob("dt=*/*.parquet"))
    for path in files[keep:]:
        table = pq.read_table(path)
        pq.write_table(table.drop_columns(list(DERIVED_EVENT_COLUMNS)), path)
    return len(files) - keep


VIEW_QUERIES = {
    "v_delivery_daily": "SELECT * FROM v_delivery_daily ORDER BY ALL",
    "v_pool_daily": "SELECT * FROM v_pool_daily ORDER BY ALL",
    "v_bounce_diagnostics": "SELECT * FROM v_bounce_diagnostics ORDER BY ALL",
}


@pytest.fixture(scope="module")
def new_lake_answers(tmp_path_factory):
    lake = tmp_path_factory.mktemp("new")
    build_slice_lake(lake)
    con = open_lake(lake)
    try:
        assert con.execute("SELECT count(sending_pool), count(diagnostic_normalised) FROM events").fetchone() == (
            1811, 8)
        return {view: con.execute(sql).fetchall() for view, sql in VIEW_QUERIES.items()}
    finally:
        con.close()


@pytest.mark.parametrize("keep", [0, 1], ids=["old lake", "mixed lake"])
def test_old_lake_files_answer_as_new_ones(tmp_path, new_lake_answers, keep, caplog):
    build_slice_lake(tmp_path)
    # the slice lake writes one file per day: keep=1 leaves the first day with the columns
    assert _strip_new_columns(tmp_path, keep) == 3 - keep
    con = open_lake(tmp_path)
    try:
        assert {view: con.execute(sql).fetchall() for view, sql in VIEW_QUERIES.items()} == new_lake_answers
        described = {r[0]: r[1] for r in con.execute("DESCRIBE events").fetchall()}
        assert all(described[c] == "VARCHAR" for c in DERIVED_EVENT_COLUMNS)
    finally:
        con.close()
    assert "predate the columns" in caplog.text


def test_a_new_lake_reads_the_columns_without_deriving(tmp_path):
    build_slice_lake(tmp_path)
    con = connect(tmp_path, analytics=False)
    try:
        sql = con.execute("SELECT sql FROM duckdb_views() WHERE view_name = 'events'").fetchone()[0]
    finally:
        con.close()
    assert "bp_sending_pool" not in sql and "bp_normalise_diagnostic" not in sql


def test_pool_daily_equals_independent_sql(tmp_path):
    build_slice_lake(tmp_path)
    con = open_lake(tmp_path)
    try:
        view = rows(con, """SELECT day, tenant, sending_pool, sending_ip, delivered, bounces, deferrals,
                                   complaints FROM v_pool_daily ORDER BY ALL""")
        direct = rows(con, """
            SELECT CAST(occurred_at AS DATE) AS day, coalesce(tenant, '(none)') AS tenant,
                   coalesce(sending_pool, '(none)') AS sending_pool,
                   coalesce(sending_ip, '(none)') AS sending_ip,
                   count(*) FILTER (WHERE category = 'delivered') AS delivered,
                   count(*) FILTER (WHERE category IN ('hard_bounce', 'soft_bounce')
                                    AND action IS DISTINCT FROM 'delayed') AS bounces,
                   count(*) FILTER (WHERE action = 'delayed') AS deferrals,
                   count(*) FILTER (WHERE category = 'complaint') AS complaints
            FROM events GROUP BY ALL ORDER BY ALL""")
        # the columns say what the tags say (the slice lake tags KumoMTA-style)
        differ = con.execute("""SELECT count(*) FROM events
                                WHERE sending_pool IS DISTINCT FROM tags['egress_pool']
                                   OR sending_ip IS DISTINCT FROM tags['egress_source']""").fetchone()[0]
    finally:
        con.close()
    assert view == direct and differ == 0
    assert {(r["tenant"], r["sending_pool"], r["sending_ip"]) for r in view} == {
        ("acme", "bulk", "198.51.100.1"), ("acme", "bulk", "198.51.100.2"),
        ("acme", "tx", "198.51.100.3"), ("beta", "(none)", "(none)")}


def test_lake_upgrade_rewrites_old_files_with_the_columns(tmp_path, new_lake_answers, capsys):
    from connectors.cli import main

    build_slice_lake(tmp_path)
    files = sorted((tmp_path / "events").glob("dt=*/*.parquet"))
    before = pa.concat_tables(pq.read_table(p) for p in files)
    _strip_new_columns(tmp_path, 1)
    assert main(["lake", "upgrade", "--lake", str(tmp_path), "--dry-run"]) == 0
    assert "would rewrite: 2 (1,614 rows)" in capsys.readouterr().out
    assert main(["lake", "upgrade", "--lake", str(tmp_path)]) == 0
    assert "rewrote: 2 (1,614 rows)" in capsys.readouterr().out
    # the same rows, now with the columns as the writer would have written them
    assert pa.concat_tables(pq.read_table(p) for p in files).equals(before)
    con = connect(tmp_path, analytics=False)
    try:
        view_sql = con.execute("SELECT sql FROM duckdb_views() WHERE view_name = 'events'").fetchone()[0]
    finally:
        con.close()
    assert "bp_sending_pool" not in view_sql
    con = open_lake(tmp_path)
    try:
        assert {view: con.execute(sql).fetchall() for view, sql in VIEW_QUERIES.items()} == new_lake_answers
    finally:
        con.close()
    assert main(["lake", "upgrade", "--lake", str(tmp_path)]) == 0
    assert "rewrote: 0 (0 rows)" in capsys.readouterr().out
