"""The one consumer loop every streaming service runs on (aiokafka, manual commits).

    subscribe -> getmany -> on_records(batch) -> ... -> commit(offsets that are durable)

A subclass says what a poll's records become and when they are durable; this loop owns the
consumer, the rebalance callbacks (never in the middle of a batch), offset commits, the
crash-injection hook and lag. Two kinds run on it:
- `runner.BatchLoop` (the classify and suppress stages): a poll's outputs are produced and
  acknowledged (acks=all), then its offsets are committed;
- `connectors.sinks.SinkLoop` (the Parquet lake, ...): records are written to a sink and its
  offsets committed after the sink's flush made them durable.
Offsets are committed only after the outputs are durable, so a crash replays: duplicates are
possible, losses are not, and deterministic ids let every consumer drop the duplicates.
"""
from __future__ import annotations

import asyncio
import logging
import os
import random
from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError

from connectors.kafka import aiokafka_config
from pipeline.settings import Settings

log = logging.getLogger(__name__)

Batch = dict[TopicPartition, list]

# Fault injection for the crash tests: with this probability a process dies (like kill -9)
# after a batch's outputs were made durable and before its offsets are committed, the worst
# moment (its outputs will be produced again). Never set in production.
FAULT_ENV = "BOUNCEPIPE_FAULT_EXIT_BEFORE_COMMIT"

# Group timing: a crashed member is noticed after session_timeout_ms (6 s is Kafka's minimum
# group.min.session.timeout.ms), so a restarted worker resumes quickly.
CONSUMER_TUNING = {"session_timeout_ms": 6000, "heartbeat_interval_ms": 1000,
                   "max_poll_interval_ms": 300_000, "fetch_max_bytes": 32 * 1024 * 1024,
                   "max_partition_fetch_bytes": 8 * 1024 * 1024}


def maybe_crash_before_commit() -> None:
    chance = float(os.environ.get(FAULT_ENV) or 0)
    if chance and random.random() < chance:
        log.error("fault injection: exiting before commit (%s=%s)", FAULT_ENV, chance)
        os._exit(137)


def make_consumer(settings: Settings, topics: Sequence[str], group_id: str, **extra
                  ) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(*topics, group_id=group_id, enable_auto_commit=False,
                            auto_offset_reset="earliest", **CONSUMER_TUNING,
                            **aiokafka_config(settings.kafka), **extra)


class _Rebalance(ConsumerRebalanceListener):
    def __init__(self, loop: ConsumerLoop):
        self.loop = loop

    # Both run under the loop's lock: never in the middle of a batch.
    async def on_partitions_revoked(self, revoked):
        if revoked:
            async with self.loop.lock:
                await self.loop.on_revoked(set(revoked))

    async def on_partitions_assigned(self, assigned):
        if assigned:
            async with self.loop.lock:
                await self.loop.on_assigned(set(assigned))


class ConsumerLoop:
    """One consumer group member. Subclasses implement `on_records`; the hooks are optional."""

    def __init__(self, name: str, settings: Settings, topics: Sequence[str], group_id: str, *,
                 max_records: int = 2000, poll_ms: int = 200):
        self.name, self.settings, self.topics, self.group_id = name, settings, topics, group_id
        self.max_records, self.poll_ms = max_records, poll_ms
        self.consumer: AIOKafkaConsumer | None = None
        self.lock = asyncio.Lock()
        self._stop = asyncio.Event()

    # -- what a subclass says -------------------------------------------------------------
    async def on_records(self, batch: Batch) -> None:
        raise NotImplementedError

    async def on_idle(self) -> None:
        """A poll returned nothing (time-based flushes go here)."""

    async def on_assigned(self, assigned: set[TopicPartition]) -> None:
        """Partitions arrived (restore state, clean up uncommitted output)."""

    async def on_revoked(self, revoked: set[TopicPartition]) -> None:
        """Partitions leave: make their pending output durable and commit it."""

    async def on_stop(self) -> None:
        """The loop is stopping: flush what is pending."""

    async def start(self) -> None:
        """Resources the loop needs before consuming (producers)."""

    async def close(self) -> None:
        """... released after the consumer stopped."""

    # -- what the loop owns ---------------------------------------------------------------
    def stop(self) -> None:
        self._stop.set()

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        """Commit offsets whose outputs are durable. After a rebalance the commit fails and
        the new owner replays those records (deduplicated downstream)."""
        maybe_crash_before_commit()
        try:
            await self.consumer.commit(offsets)
        except (CommitFailedError, IllegalStateError) as exc:
            log.warning("%s: commit failed after a rebalance (%s); the batch will be replayed "
                        "by the new owner and deduplicated downstream", self.name, exc)

    async def committed_or_beginning(self, tps: set[TopicPartition]) -> dict[TopicPartition, int]:
        begin = await self.consumer.beginning_offsets(list(tps))
        out = {}
        for tp in tps:
            committed = await self.consumer.committed(tp)
            out[tp] = committed if committed is not None else begin[tp]
        return out

    async def run(self) -> None:
        await self.start()
        try:
            self.consumer = make_consumer(self.settings, [], self.group_id)
            self.consumer.subscribe(list(self.topics), listener=_Rebalance(self))
            await self.consumer.start()
            try:
                while not self._stop.is_set():
                    batch = await self.consumer.getmany(timeout_ms=self.poll_ms,
                                                        max_records=self.max_records)
                    batch = {tp: recs for tp, recs in batch.items() if recs}
                    async with self.lock:
                        if batch:
                            await self.on_records(batch)
                        else:
                            await self.on_idle()
                async with self.lock:
                    await self.on_stop()
            finally:
                await self.consumer.stop()
        finally:
            await self.close()

    async def lag(self) -> int:
        """Records not yet committed on this loop's assigned partitions (0 = caught up;
        -1 = not assigned yet)."""
        consumer = self.consumer
        if consumer is None or not consumer.assignment():
            return -1
        assigned = list(consumer.assignment())
        ends = await consumer.end_offsets(assigned)
        total = 0
        for tp in assigned:
            total += max(0, ends[tp] - (await consumer.committed(tp) or 0))
        return total
