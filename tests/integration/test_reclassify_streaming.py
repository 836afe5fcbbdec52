"""The streaming form of `bouncepipe reclassify`: revisions and corrections published to the
events and suppressions topics leave the CRM's SQLite state equal to the batch result, and the
sink lands the revisions in event_revisions."""
from __future__ import annotations

import shutil

import pytest

from connectors.crm_consumer import SqliteStore, consume
from connectors.duck import connect
from connectors.ingest import ingest
from connectors.kafka import make_producer
from connectors.reclassify import reclassify
from connectors.reclassify_publish import KafkaCorrections
from schemas.models import SuppressionEvent
from tests.unit.test_reclassify import NOW, _inputs, _manual_unsuppress, rules

from .conftest import BackgroundPipeline, read_topic
from .test_streaming_e2e import read_sqlite

pytestmark = [pytest.mark.broker, pytest.mark.timeout(180)]


def _decisions(lake) -> list[SuppressionEvent]:
    con = connect(lake)
    try:
        rows = con.sql("SELECT * EXCLUDE (dt) FROM suppressions "
                           "ORDER BY decided_at, suppression_id").to_arrow_table().to_pylist()
    finally:
        con.close()
    return [SuppressionEvent.model_validate(r) for r in rows]


def test_streaming_reclassify_brings_the_crm_to_the_batch_state(
        stream_settings, unique_topic_prefix, tmp_path, monkeypatch):
    batch_lake, stream_lake = tmp_path / "batch", tmp_path / "stream"
    ingest([_inputs(tmp_path)], batch_lake)          # today's rules: hard bounces suppressed
    hard = sorted({d.address for d in _decisions(batch_lake) if d.action == "suppress"})
    assert len(hard) >= 4
    _manual_unsuppress(batch_lake, hard[0])
    shutil.copytree(batch_lake, stream_lake)

    # the CRM has consumed every decision so far
    producer = make_producer(stream_settings)
    for decision in _decisions(stream_lake):
        producer.send(stream_settings.topics.suppressions, decision.model_dump_json().encode(),
                      key=decision.key.encode())
    producer.flush()
    producer.close()

    with rules(monkeypatch, "old"):                   # a worse rule: lifts follow
        batch = reclassify(batch_lake, now=NOW)
        streamed = reclassify(stream_lake, now=NOW,
                              publisher=KafkaCorrections(stream_settings))
    assert sorted(streamed.lifted) == sorted(batch.lifted) == [f"global::{a}" for a in hard[1:]]
    assert streamed.revised == batch.revised > 0

    db = tmp_path / "crm.sqlite"
    consume(stream_settings, SqliteStore(db), once=True)
    con = connect(batch_lake)
    want = dict(con.execute("SELECT key, action FROM v_suppression_state").fetchall())
    con.close()
    assert read_sqlite(db) == want
    assert want[f"global::{hard[0]}"] == "unsuppress"       # the manual lift, untouched
    assert all(want[f"global::{a}"] == "unsuppress" for a in hard[1:])

    # the revisions travel as commands on the events topic: the sink lands them, the
    # suppress stage skips them
    revisions = [r for r in read_topic(stream_settings, stream_settings.topics.events)
                 if dict(r.headers).get("bouncepipe-command") == b"revision"]
    assert len(revisions) == streamed.revised
    # each correction also travels on events (keyed by address) for the suppress stage's state
    corrections = [r for r in read_topic(stream_settings, stream_settings.topics.events)
                   if dict(r.headers).get("bouncepipe-command") == b"correction"]
    assert sorted(SuppressionEvent.model_validate_json(r.value).key for r in corrections) == \
        sorted(streamed.lifted + streamed.suppressed)
    assert all(r.key == SuppressionEvent.model_validate_json(r.value).address.encode()
               for r in corrections)
    sunk = tmp_path / "sunk"
    pipeline = BackgroundPipeline(stream_settings, sunk, unique_topic_prefix).start()
    try:
        pipeline.wait_caught_up()
    finally:
        pipeline.stop()
    con = connect(sunk)
    landed = con.execute("SELECT count(*) FROM event_revisions").fetchone()[0]
    con.close()
    assert landed == streamed.revised
