"""Broker-test helpers: per-test settings (unique topic names and consumer groups), the
pipeline run in a background thread, whole-topic reads, and the batch reference result."""
from __future__ import annotations

import asyncio
import os
import threading
from datetime import datetime, timezone

import pytest

from connectors.kafka import create_topics, with_overrides
from pipeline.core import process
from pipeline.settings import Settings
from pipeline.suppression import SuppressionEngine, SuppressionPolicy
from schemas.models import RawMessage, RawSource

PARTITIONS = {"raw_email": 2, "raw_dmarc": 1, "raw_webhook": 2, "raw_mta_log": 1, "events": 3,
              "suppressions": 2, "dmarc_rows": 1, "deadletter": 1}


@pytest.fixture
def stream_settings(kafka_bootstrap, unique_topic_prefix) -> Settings:
    external = bool(os.environ.get("KAFKA_BOOTSTRAP"))
    settings = with_overrides(Settings(), bootstrap=kafka_bootstrap, topic_prefix=unique_topic_prefix,
                              api_version=None if external else "2.5")
    create_topics(settings, partitions=PARTITIONS)
    return settings


class BackgroundPipeline:
    """Worker loops + sink on an event loop in a thread (stop() joins it)."""

    def __init__(self, settings: Settings, lake, prefix: str, *, policy=None, sink=True,
                 worker=True, sink_seconds: float = 0.3):
        from connectors.streaming.app import sink_loop, worker_loops

        self.loops = []
        if worker:
            self.loops += worker_loops(settings, policy=policy or SuppressionPolicy(), prefix=prefix)
        if sink:
            self.loops.append(sink_loop(settings, lake, prefix=prefix, max_seconds=sink_seconds))
        self.aio = asyncio.new_event_loop()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        from connectors.streaming.app import run_loops

        asyncio.set_event_loop(self.aio)
        self.done = self.aio.create_future()
        try:
            self.aio.run_until_complete(run_loops(self.loops, until=self.done))
        except BaseException as exc:  # noqa: BLE001 - surfaced by stop()
            self.error = exc

    def start(self) -> "BackgroundPipeline":
        self.thread.start()
        return self

    def wait_caught_up(self, timeout: float = 60.0) -> None:
        from connectors.streaming.app import wait_caught_up

        fut = asyncio.run_coroutine_threadsafe(wait_caught_up(self.loops, timeout=timeout), self.aio)
        assert fut.result(timeout + 5), "pipeline did not catch up"

    def stop(self) -> None:
        if self.thread.is_alive():
            self.aio.call_soon_threadsafe(lambda: self.done.done() or self.done.set_result(True))
            self.thread.join(30)
        if self.error:
            raise self.error


def read_topic(settings: Settings, topic: str) -> list:
    """Every record currently in `topic` (all partitions, offset order per partition)."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    from connectors.kafka import aiokafka_config

    async def read():
        consumer = AIOKafkaConsumer(enable_auto_commit=False, **aiokafka_config(settings.kafka))
        await consumer.start()
        try:
            parts = consumer.partitions_for_topic(topic)
            if parts is None:
                await consumer._client.force_metadata_update()
                parts = consumer.partitions_for_topic(topic) or set()
            tps = [TopicPartition(topic, p) for p in sorted(parts)]
            consumer.assign(tps)
            await consumer.seek_to_beginning(*tps)
            ends = await consumer.end_offsets(tps)
            out = []
            while any([await consumer.position(tp) < ends[tp] for tp in tps]):
                batch = await consumer.getmany(timeout_ms=500)
                for recs in batch.values():
                    out += recs
            return out
        finally:
            await consumer.stop()

    return asyncio.run(read())


def group_lag(settings: Settings, group_id: str, topics: list[str]) -> int:
    """Records of `topics` not yet committed by consumer group `group_id` (its lag)."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    from connectors.kafka import aiokafka_config

    async def lag():
        consumer = AIOKafkaConsumer(group_id=group_id, enable_auto_commit=False,
                                    **aiokafka_config(settings.kafka))
        await consumer.start()   # not subscribed: reads the group's offsets without joining it
        try:
            await consumer._client.force_metadata_update()
            tps = [TopicPartition(t, p) for t in topics
                   for p in sorted(consumer.partitions_for_topic(t) or ())]
            ends = await consumer.end_offsets(tps)
            total = 0
            for tp in tps:
                total += max(0, ends[tp] - (await consumer.committed(tp) or 0))
            return total
        finally:
            await consumer.stop()

    return asyncio.run(lag())


def compacted(records) -> dict[str, tuple[str, str]]:
    """What a compacted suppressions topic converges to: key -> (action, suppression_id)."""
    from schemas.models import SuppressionEvent

    state = {}
    for r in records:
        d = SuppressionEvent.model_validate_json(r.value)
        state[d.key] = (d.action, d.suppression_id)
        if d.policy_rule == "soft_bounce.retracted":   # = never suppressed (a late delivery)
            del state[d.key]
    return state


def batch_reference(payloads: list[bytes], policy: SuppressionPolicy | None = None):
    """What batch processing of the same inputs gives: (events, engine state)."""
    events = []
    rows: dict[str, int] = {}
    for payload in payloads:
        raw = RawMessage.from_bytes(payload, RawSource(transport="memory"),
                                    datetime(2026, 1, 1, tzinfo=timezone.utc))
        outcome = process(raw)
        events += outcome.events
        for table, table_rows in outcome.rows.items():
            rows[table] = rows.get(table, 0) + len(list(table_rows))
    engine = SuppressionEngine(policy or SuppressionPolicy())
    for event in sorted(events, key=lambda e: (e.occurred_at, e.event_id)):
        engine.feed(event)
    state = {key: (scope.action, scope.suppression_id)
             for st in engine.state.values() for key, scope in st.scopes.items()
             if scope.rule != "soft_bounce.retracted"}
    batch_reference.rows = rows   # rows per DMARC/TLS table, for the tests that want them
    return events, state


def lake_events(lake) -> list[tuple]:
    from connectors.duck import connect

    con = connect(lake)
    try:
        return con.execute("SELECT event_id, category, reason, recipient FROM events "
                           "ORDER BY event_id").fetchall()
    finally:
        con.close()
