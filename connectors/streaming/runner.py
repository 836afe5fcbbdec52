"""The at-least-once batch loop every stage runs on (aiokafka, manual commits).

    getmany (up to max_records) -> handle(batch) in a thread -> produce phase 1, await acks
    -> produce phase 2, await acks -> ... -> commit offsets (last + 1 per partition)

Offsets are committed only after every output of the batch is acknowledged (acks=all), so a
crash at any point replays the batch: duplicates are possible, losses are not. Outputs carry
deterministic ids, so the sink and the suppression state drop the duplicates.
Why not faust agents: see connectors/streaming/app.py.
"""
from __future__ import annotations

import asyncio
import logging
import os
import random
import time
from collections.abc import Awaitable, Callable, Sequence

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError

from connectors.kafka import aiokafka_config
from pipeline.settings import Settings

from .classify import Out

log = logging.getLogger(__name__)

Batch = dict[TopicPartition, list]

# Fault injection for the crash tests: with this probability a process dies (like kill -9)
# after a batch's outputs were acknowledged and before its offsets are committed, the worst
# moment (its outputs will be produced again). Never set in production.
FAULT_ENV = "BOUNCEPIPE_FAULT_EXIT_BEFORE_COMMIT"


def maybe_crash_before_commit() -> None:
    chance = float(os.environ.get(FAULT_ENV) or 0)
    if chance and random.random() < chance:
        log.error("fault injection: exiting before commit (%s=%s)", FAULT_ENV, chance)
        os._exit(137)
Handler = Callable[[Batch], Sequence[Sequence[Out]]]

# Group timing: a crashed member is noticed after session_timeout_ms (6 s is Kafka's minimum
# group.min.session.timeout.ms), so a restarted worker resumes quickly.
CONSUMER_TUNING = {"session_timeout_ms": 6000, "heartbeat_interval_ms": 1000,
                   "max_poll_interval_ms": 300_000, "fetch_max_bytes": 32 * 1024 * 1024,
                   "max_partition_fetch_bytes": 8 * 1024 * 1024}


def make_consumer(settings: Settings, topics: Sequence[str], group_id: str, **extra
                  ) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(*topics, group_id=group_id, enable_auto_commit=False,
                            auto_offset_reset="earliest", **CONSUMER_TUNING,
                            **aiokafka_config(settings.kafka), **extra)


def make_async_producer(settings: Settings) -> AIOKafkaProducer:
    return AIOKafkaProducer(acks="all", linger_ms=5, max_batch_size=1024 * 1024,
                            max_request_size=16 * 1024 * 1024, **aiokafka_config(settings.kafka))


async def produce(producer: AIOKafkaProducer, outs: Sequence[Out]) -> None:
    """Send every record and wait until all are acknowledged."""
    futures = [await producer.send(o.topic, o.value, key=o.key, headers=o.headers or None,
                                   partition=o.partition) for o in outs]
    if futures:
        await asyncio.gather(*futures)


class _Listener(ConsumerRebalanceListener):
    def __init__(self, loop: "BatchLoop"):
        self.loop = loop

    # Both run under the loop's lock: never in the middle of a batch.
    async def on_partitions_revoked(self, revoked):
        if self.loop.on_revoked and revoked:
            async with self.loop.lock:
                await self.loop.on_revoked(set(revoked))

    async def on_partitions_assigned(self, assigned):
        if self.loop.on_assigned and assigned:
            async with self.loop.lock:
                await self.loop.on_assigned(set(assigned))


class BatchLoop:
    def __init__(self, name: str, settings: Settings, topics: Sequence[str], group_id: str,
                 handle: Handler, *, max_records: int = 2000, poll_ms: int = 200,
                 on_assigned: Callable[[set], Awaitable[None]] | None = None,
                 on_revoked: Callable[[set], Awaitable[None]] | None = None,
                 on_idle: Callable[[], Awaitable[None]] | None = None,
                 producer: AIOKafkaProducer | None = None):
        self.name, self.settings, self.topics, self.group_id = name, settings, topics, group_id
        self.handle, self.max_records, self.poll_ms = handle, max_records, poll_ms
        self.on_assigned, self.on_revoked, self.on_idle = on_assigned, on_revoked, on_idle
        self.producer = producer
        self.consumer: AIOKafkaConsumer | None = None
        self.processed = 0
        self.batches = 0
        self.first_at: float | None = None   # monotonic time the first batch started (bench)
        self.last_at: float | None = None    # ... and the last one was committed
        self._stop = asyncio.Event()
        self.lock = asyncio.Lock()

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        own_producer = self.producer is None
        if own_producer:
            self.producer = make_async_producer(self.settings)
            await self.producer.start()
        self.consumer = make_consumer(self.settings, [], self.group_id)
        self.consumer.subscribe(list(self.topics), listener=_Listener(self))
        await self.consumer.start()
        try:
            while not self._stop.is_set():
                batch = await self.consumer.getmany(timeout_ms=self.poll_ms,
                                                    max_records=self.max_records)
                batch = {tp: recs for tp, recs in batch.items() if recs}
                if batch:
                    async with self.lock:
                        await self.process(batch)
                elif self.on_idle:
                    async with self.lock:
                        await self.on_idle()
        finally:
            await self.consumer.stop()
            if own_producer:
                await self.producer.stop()

    async def process(self, batch: Batch) -> None:
        if self.first_at is None:
            self.first_at = time.monotonic()
        phases = await asyncio.get_running_loop().run_in_executor(None, self.handle, batch)
        for outs in phases:
            await produce(self.producer, outs)
        offsets = {tp: recs[-1].offset + 1 for tp, recs in batch.items()}
        maybe_crash_before_commit()
        try:
            await self.consumer.commit(offsets)
        except (CommitFailedError, IllegalStateError) as exc:  # rebalanced meanwhile
            log.warning("%s: commit failed after a rebalance (%s); the batch will be replayed "
                        "by the new owner and deduplicated downstream", self.name, exc)
        self.processed += sum(len(r) for r in batch.values())
        self.batches += 1
        self.last_at = time.monotonic()

    async def lag(self) -> int:
        """Records not yet committed on this loop's assigned partitions (0 = caught up)."""
        consumer = self.consumer
        if consumer is None:
            return -1
        assigned = consumer.assignment()
        if not assigned:
            return -1
        ends = await consumer.end_offsets(list(assigned))
        total = 0
        for tp in assigned:
            committed = await consumer.committed(tp) or 0
            total += max(0, ends[tp] - committed)
        return total
