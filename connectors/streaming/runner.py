"""The stages' loop: a poll's records -> outputs produced and acknowledged -> offsets committed.

    getmany (up to max_records) -> handle(batch) in a thread -> produce phase 1, await acks
    -> produce phase 2, await acks -> ... -> commit offsets (last + 1 per partition)

The consumer, rebalancing, commits and lag are the shared `loop.ConsumerLoop`'s.
Why not faust agents: see connectors/streaming/app.py.
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence

from aiokafka import AIOKafkaProducer

from connectors.kafka import aiokafka_config
from pipeline.settings import Settings

from .classify import Out
from .loop import Batch, ConsumerLoop

Handler = Callable[[Batch], Sequence[Sequence[Out]]]


def make_async_producer(settings: Settings) -> AIOKafkaProducer:
    return AIOKafkaProducer(acks="all", linger_ms=5, max_batch_size=1024 * 1024,
                            max_request_size=16 * 1024 * 1024, **aiokafka_config(settings.kafka))


async def produce(producer: AIOKafkaProducer, outs: Sequence[Out]) -> None:
    """Send every record and wait until all are acknowledged."""
    futures = [await producer.send(o.topic, o.value, key=o.key, headers=o.headers or None,
                                   partition=o.partition) for o in outs]
    if futures:
        await asyncio.gather(*futures)


class BatchLoop(ConsumerLoop):
    def __init__(self, name: str, settings: Settings, topics: Sequence[str], group_id: str,
                 handle: Handler, *, max_records: int = 2000, poll_ms: int = 200,
                 on_assigned: Callable[[set], Awaitable[None]] | None = None,
                 on_revoked: Callable[[set], Awaitable[None]] | None = None,
                 on_idle: Callable[[], Awaitable[None]] | None = None,
                 producer: AIOKafkaProducer | None = None):
        super().__init__(name, settings, topics, group_id, max_records=max_records,
                         poll_ms=poll_ms)
        self.handle = handle
        self._assigned, self._revoked, self._idle = on_assigned, on_revoked, on_idle
        self.producer = producer
        self._own_producer = producer is None
        self.processed = 0
        self.batches = 0
        self.first_at: float | None = None   # monotonic time the first batch started (bench)
        self.last_at: float | None = None    # ... and the last one was committed

    async def start(self) -> None:
        if self._own_producer:
            self.producer = make_async_producer(self.settings)
            await self.producer.start()

    async def close(self) -> None:
        if self._own_producer and self.producer is not None:
            await self.producer.stop()

    async def on_assigned(self, assigned: set) -> None:
        if self._assigned:
            await self._assigned(assigned)

    async def on_revoked(self, revoked: set) -> None:
        if self._revoked:
            await self._revoked(revoked)

    async def on_idle(self) -> None:
        if self._idle:
            await self._idle()

    async def on_records(self, batch: Batch) -> None:
        await self.process(batch)

    async def process(self, batch: Batch) -> None:
        if self.first_at is None:
            self.first_at = time.monotonic()
        phases = await asyncio.get_running_loop().run_in_executor(None, self.handle, batch)
        for outs in phases:
            await produce(self.producer, outs)
        await self.commit({tp: recs[-1].offset + 1 for tp, recs in batch.items()})
        self.processed += sum(len(r) for r in batch.values())
        self.batches += 1
        self.last_at = time.monotonic()
