"""The streaming stages without a broker: classify records, suppression stage with its
changelog and replay skipping, and the sink's replay-safe files and dedup."""
from __future__ import annotations

from types import SimpleNamespace

import orjson
import pyarrow.parquet as pq
from aiokafka import TopicPartition

from connectors.kafka import state_topic
from connectors.sinks.parquet import ParquetSink
from connectors.streaming.classify import classify_record, classify_records, kind_hints
from connectors.kafka_records import command_headers
from connectors.streaming.suppress import SuppressStage
from pipeline.examples import EXAMPLES_DIR
from pipeline.settings import Settings
from pipeline.suppression import SuppressionEngine, SuppressionPolicy
from schemas.models import MailEvent, SuppressionEvent

from .generate import webhook_batches

S = Settings()
T = S.topics


def rec(topic, offset, value, *, partition=0, key=None, headers=(), ts=1_763_400_000_000):
    return SimpleNamespace(topic=topic, partition=partition, offset=offset, timestamp=ts,
                           key=key, value=value, headers=list(headers))


def test_classify_builds_events_with_kafka_provenance_and_replays_identically():
    dsn = (EXAMPLES_DIR / "dsn-userunknown.eml").read_bytes()
    record = rec(T.raw_email, 41, dsn, partition=1)
    outs = classify_record(record, S, kind_hints(S))
    assert [(o.topic, o.key) for o in outs] == [(T.events, b"nobody@example.org")]
    event = MailEvent.model_validate_json(outs[0].value)
    assert event.category == "hard_bounce" and event.source == f"{T.raw_email}[1]@41"
    assert int(event.received_at.timestamp() * 1000) == record.timestamp
    again = classify_record(record, S, kind_hints(S))
    assert [o.value for o in again] == [o.value for o in outs]   # deterministic on replay


def test_classify_in_batches_produces_what_record_by_record_does():
    # the worker hands the core a poll's records at once (process_stream): same outputs, in
    # record order, as classifying each record alone
    examples = sorted(p for p in EXAMPLES_DIR.iterdir() if p.is_file())
    records = [rec(T.raw_email if p.suffix == ".eml" else T.raw_webhook, i, p.read_bytes())
               for i, p in enumerate(examples)]
    records.append(rec(T.raw_webhook, len(records), b"\x00 junk"))
    one_by_one = [o for r in records for o in classify_record(r, S, kind_hints(S))]
    batched = classify_records(records, S, kind_hints(S))
    assert len(one_by_one) > len(records)
    assert [(o.topic, o.key, o.value, o.headers) for o in batched] == [
        (o.topic, o.key, o.value, o.headers) for o in one_by_one]
    assert {o.topic for o in batched} >= {T.events, T.deadletter}


def test_classify_dead_letters_keep_original_bytes_and_say_why():
    junk = b"\x00\x01 not an input"
    [out] = classify_record(rec(T.raw_webhook, 7, junk, partition=2), S, kind_hints(S))
    headers = dict(out.headers)
    assert out.topic == T.deadletter and out.value == junk
    assert headers["error_type"] == b"NotSupported" and headers["stage"] == b"sniff"
    assert headers["source_topic"] == T.raw_webhook.encode()
    assert (headers["source_partition"], headers["source_offset"]) == (b"2", b"7")
    assert headers["reason"].startswith(b"not a recognised input")


def _event_records(payload: bytes, start: int):
    outs = classify_record(rec(T.raw_webhook, 0, payload), S, kind_hints(S))
    return [rec(T.events, start + i, o.value, key=o.key) for i, o in enumerate(outs)]


def test_suppress_stage_changelog_restore_skips_applied_offsets():
    batch_payload = webhook_batches(200, per_batch=200, seed=9)[0]
    records = _event_records(batch_payload, 0)
    tp = TopicPartition(T.events, 0)
    stage = SuppressStage(S, SuppressionPolicy())
    decisions, states = stage.handle({tp: records})
    assert decisions and all(o.topic == T.suppressions for o in decisions
                             if not o.topic.endswith(".alerts"))
    assert all(o.topic == state_topic(T) and o.partition == 0 for o in states)
    assert {orjson.loads(o.value)["offset"] for o in states} == {records[-1].offset}

    # a restarted stage restores from the changelog and skips what it already applied
    restored = SuppressStage(S, SuppressionPolicy())
    restored.engines[0], restored.applied[0] = SuppressionEngine(SuppressionPolicy()), {}
    for o in states:
        restored.load_record(0, o.key, o.value)
    replay, _ = restored.handle({tp: records})
    assert [o for o in replay if o.topic == T.suppressions] == []
    # the same events duplicated at later offsets (an upstream replay) decide nothing either
    dupes = [rec(T.events, 1000 + i, r.value, key=r.key) for i, r in enumerate(records)]
    again, _ = restored.handle({tp: dupes})
    assert [o for o in again if o.topic == T.suppressions] == []
    # and the final state is the same as the original stage's
    assert restored.engines[0].state == stage.engines[0].state


def test_suppress_stage_applies_unsuppress_commands():
    dsn = (EXAMPLES_DIR / "dsn-userunknown.eml").read_bytes()
    outs = classify_record(rec(T.raw_email, 0, dsn), S, kind_hints(S))
    command = orjson.dumps({"address": "nobody@example.org", "requested_at": "2026-11-20T00:00:00Z"})
    records = [rec(T.events, 0, outs[0].value, key=outs[0].key),
               rec(T.events, 1, command, key=b"nobody@example.org",
                   headers=command_headers("unsuppress"))]
    stage = SuppressStage(S, SuppressionPolicy())
    decisions, _ = stage.handle({TopicPartition(T.events, 0): records})
    actions = [SuppressionEvent.model_validate_json(o.value).action for o in decisions]
    assert actions == ["suppress", "unsuppress"]


def test_sink_files_are_replay_safe_and_deduplicated(tmp_path):
    payload = webhook_batches(10, per_batch=10, seed=4)[0]
    events = [o for o in classify_record(rec(T.raw_webhook, 0, payload), S, kind_hints(S))]
    tp = TopicPartition(T.events, 0)
    first = [rec(T.events, i, o.value, key=o.key) for i, o in enumerate(events[:6])]
    # offsets 6..11: the last 4 events, then a replayed duplicate of events 2 and 3
    second = [rec(T.events, 6 + i, o.value, key=o.key) for i, o in enumerate(events[6:] + events[2:4])]
    sink = ParquetSink(S, tmp_path)
    assert sink.write_batch(tp, 0, first) == 6
    assert sink.write_batch(tp, 6, second) == 4     # duplicates dropped
    files = sorted(p.name for p in tmp_path.glob("events/dt=*/*.parquet"))
    assert files == [f"{T.events}-0-0.parquet", f"{T.events}-0-6.parquet"]

    # crash before committing offset 12 (committed = 6): a new sink deletes the uncommitted file,
    # remembers the keys of the committed one, and the replay rewrites the same rows
    restarted = ParquetSink(S, tmp_path)
    restarted.prepare(tp, 6)
    assert sorted(p.name for p in tmp_path.glob("events/dt=*/*.parquet")) == [f"{T.events}-0-0.parquet"]
    assert restarted.write_batch(tp, 6, second) == 4
    ids = [i for p in tmp_path.glob("events/dt=*/*.parquet")
           for i in pq.read_table(p, columns=["event_id"]).column("event_id").to_pylist()]
    assert sorted(ids) == sorted(MailEvent.model_validate_json(o.value).event_id for o in events)


def test_sink_lands_an_unreadable_record_as_a_dead_letter(tmp_path):
    sink = ParquetSink(S, tmp_path)
    tp = TopicPartition(T.suppressions, 1)
    assert sink.write_batch(tp, 3, [rec(T.suppressions, 3, b"{not json", partition=1)]) == 1
    [path] = tmp_path.glob("dead_letters/dt=*/*.parquet")
    row = pq.read_table(path).to_pylist()[0]
    assert row["stage"] == "land" and row["payload"] == b"{not json"
    assert row["source"] == f"{T.suppressions}[1]@3"


def test_sink_reads_the_webhook_receivers_dead_letter_json(tmp_path):
    import base64
    from datetime import datetime, timezone

    from schemas.models import NotParsed
    record = NotParsed(dead_letter_id="d1", raw_sha256="ab" * 32, stage="parse",
                       error_type="ParseError", reason="JSON body is a str",
                       received_at=datetime(2026, 11, 20, tzinfo=timezone.utc))
    data = record.model_dump(mode="json", exclude={"payload"})
    data["payload_b64"] = base64.b64encode(b'"hello"').decode()
    sink = ParquetSink(S, tmp_path)
    tp = TopicPartition(T.deadletter, 0)
    assert sink.write_batch(tp, 0, [rec(T.deadletter, 0, orjson.dumps(data))]) == 1
    [path] = tmp_path.glob("dead_letters/dt=*/*.parquet")
    row = pq.read_table(path).to_pylist()[0]
    assert (row["dead_letter_id"], row["reason"], row["payload"]) == ("d1", "JSON body is a str", b'"hello"')


def test_sink_forgets_keys_outside_its_dedup_window(tmp_path):
    payload = webhook_batches(4, per_batch=4, seed=8)[0]
    outs = classify_record(rec(T.raw_webhook, 0, payload), S, kind_hints(S))
    tp = TopicPartition(T.events, 0)
    sink = ParquetSink(S, tmp_path, dedup_window=100)
    sink.write_batch(tp, 0, [rec(T.events, 0, outs[0].value)])
    sink.write_batch(tp, 30, [rec(T.events, 30, outs[1].value)])
    assert len(sink.keys[(tp, "events")]) == 2
    sink.write_batch(tp, 120, [rec(T.events, 120, outs[2].value)])
    assert set(sink.keys[(tp, "events")].values()) == {30, 120}   # offset 0 is out of the window


def test_suppress_stage_records_reclassify_corrections_and_decides_against_them():
    """A reclassify run's lift (`correction` command on events) is taken into the stage's
    state without a decision of its own; a later hard bounce for the address suppresses it
    again (without the correction the state still says suppressed and nothing is decided)."""
    from datetime import timedelta

    dsn = (EXAMPLES_DIR / "dsn-userunknown.eml").read_bytes()
    [out] = classify_record(rec(T.raw_email, 0, dsn), S, kind_hints(S))
    first = MailEvent.model_validate_json(out.value)
    stage = SuppressStage(S, SuppressionPolicy())
    tp = TopicPartition(T.events, 0)
    [suppressed], _ = stage.handle({tp: [rec(T.events, 0, out.value, key=out.key)]})
    suppressed = SuppressionEvent.model_validate_json(suppressed.value)
    assert suppressed.action == "suppress"

    lift = suppressed.model_copy(update={
        "suppression_id": "lift-1", "action": "unsuppress", "policy_rule": "reclassified",
        "decided_at": first.occurred_at + timedelta(days=1), "evidence_event_ids": []})
    decisions, states = stage.handle({tp: [rec(T.events, 1, lift.model_dump_json().encode(),
                                               key=b"nobody@example.org",
                                               headers=command_headers("correction"))]})
    assert decisions == []                     # the run published the lift itself
    assert [orjson.loads(o.value)["state"]["scopes"][lift.key][0] for o in states] == ["unsuppress"]

    later = first.model_copy(update={"event_id": "later-hard-bounce",
                                     "occurred_at": first.occurred_at + timedelta(days=2)})
    decisions, _ = stage.handle({tp: [rec(T.events, 2, later.model_dump_json().encode(),
                                          key=b"nobody@example.org")]})
    again = [SuppressionEvent.model_validate_json(o.value) for o in decisions]
    assert [(d.action, d.evidence_event_ids) for d in again] == [("suppress", ["later-hard-bounce"])]
