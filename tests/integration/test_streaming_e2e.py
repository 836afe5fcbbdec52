"""End to end through Kafka: publish -> worker -> suppressions + sink -> lake, compared with
batch processing of the same inputs; the CRM consumer; manual unsuppress."""
from __future__ import annotations

from collections import Counter

import pytest

from connectors.crm_consumer import SqliteStore, consume
from connectors.duck import connect
from connectors.sources.files import iter_raw_messages
from connectors.kafka import publish_paths, route
from pipeline.examples import EXAMPLES_DIR

from .conftest import BackgroundPipeline, batch_reference, compacted, lake_events, read_topic
from .generate import dsn_emails, webhook_batches

pytestmark = [pytest.mark.broker, pytest.mark.timeout(180)]


def read_sqlite(path) -> dict[str, str]:
    """The CRM example's state: suppression key -> action."""
    import sqlite3
    with sqlite3.connect(str(path)) as db:
        return dict(db.execute("SELECT key, action FROM suppressions"))


def _inputs(tmp_path):
    src = tmp_path / "inputs"
    src.mkdir()
    for i, payload in enumerate(dsn_emails(40)):
        (src / f"dsn-{i:04d}.eml").write_bytes(payload)
    for i, payload in enumerate(webhook_batches(600, per_batch=20)):
        (src / f"sendgrid-{i:04d}.json").write_bytes(payload)
    paths = [EXAMPLES_DIR, src]
    return paths, [raw.payload for raw in iter_raw_messages(paths)]


def test_streaming_equals_batch(stream_settings, unique_topic_prefix, tmp_path):
    paths, payloads = _inputs(tmp_path)
    expected_events, expected_state = batch_reference(payloads)
    assert len(expected_events) > 600 and len(expected_state) > 40

    counts = publish_paths(stream_settings, paths)
    topics = stream_settings.topics
    assert counts == Counter(route(p, topics) for p in payloads)
    assert counts[topics.raw_email] >= 40 and counts[topics.raw_webhook] >= 30
    assert counts[topics.raw_dmarc] >= 1 and counts[topics.raw_mta_log] >= 1

    lake = tmp_path / "lake"
    pipeline = BackgroundPipeline(stream_settings, lake, unique_topic_prefix).start()
    try:
        pipeline.wait_caught_up()
    finally:
        pipeline.stop()

    # events: exactly the batch events, once each
    want = sorted((e.event_id, e.category, e.reason, e.recipient) for e in expected_events)
    assert lake_events(lake) == want
    # suppression state: the compacted topic equals the batch engine's state
    decisions = read_topic(stream_settings, topics.suppressions)
    assert compacted(decisions) == expected_state
    con = connect(lake)
    landed = con.execute("SELECT count(*), count(DISTINCT suppression_id) FROM suppressions").fetchone()
    assert landed == (len(decisions), len(decisions))
    # DMARC rows and dead letters landed too; the dead letter kept the original bytes
    for table, n in batch_reference.rows.items():
        assert con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == n, table
    dead = con.execute("SELECT source, error_type, payload FROM dead_letters").fetchall()
    not_a_report = (EXAMPLES_DIR / "not-a-report.txt").read_bytes()
    assert [(err, p) for src, err, p in dead if p == not_a_report] == [("NotSupported", not_a_report)]
    assert all(src.startswith(topics.raw_email) for src, _, p in dead if p == not_a_report)
    con.close()

    # the CRM example converges to the same state
    db = tmp_path / "crm.sqlite"
    consume(stream_settings, SqliteStore(db), once=True)
    crm = {k: a for k, a in read_sqlite(db).items() if a != "unsuppress"}   # retracted = absent
    assert crm == {k: action for k, (action, _) in expected_state.items()}


def test_unsuppress_command_reaches_the_crm(stream_settings, unique_topic_prefix, tmp_path):
    from connectors.cli import main

    dsn = EXAMPLES_DIR / "dsn-userunknown.eml"
    boot = ["--bootstrap", stream_settings.kafka.bootstrap, "--topic-prefix", unique_topic_prefix]
    assert main(["publish", str(dsn), *boot]) == 0
    lake = tmp_path / "lake"
    pipeline = BackgroundPipeline(stream_settings, lake, unique_topic_prefix).start()
    try:
        pipeline.wait_caught_up()
        key = "global::nobody@example.org"
        assert compacted(read_topic(stream_settings, stream_settings.topics.suppressions)
                         )[key][0] == "suppress"
        assert main(["unsuppress", "Nobody@example.org", "--note", "mailbox re-created", *boot]) == 0
        pipeline.wait_caught_up()
    finally:
        pipeline.stop()
    records = read_topic(stream_settings, stream_settings.topics.suppressions)
    assert [compacted([r])[key][0] for r in records] == ["suppress", "unsuppress"]
    db = tmp_path / "crm.sqlite"
    assert main(["crm", "--sqlite", str(db), "--once", *boot]) == 0
    assert read_sqlite(db) == {key: "unsuppress"}
    # the command is not an event: the lake holds only the bounce
    assert [row[1] for row in lake_events(lake)] == ["hard_bounce"]
