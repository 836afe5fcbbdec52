"""The sink contract (`BatchingSink`) and the loop that drives every sink (`SinkLoop`)."""
from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from aiokafka import TopicPartition

from connectors.metrics import NullMetrics
from connectors.streaming.loop import Batch, ConsumerLoop
from pipeline.settings import Settings


# Bytes of record values a partition buffers before its batch is written: a record on
# dmarc_rows holds up to ~1,000 rows (connectors/streaming/classify.py), so a count of
# records alone would not bound the rows (and memory) of a batch.
MAX_PENDING_BYTES = 16 * 1024 * 1024


class BatchingSink:
    """Subclass and implement `topics` and `write_batch` (see the package docstring).
    `write_batch` reports what it wrote with `self.metrics.sink_written(self.name, ...)`
    (SinkLoop sets `metrics` to its service's)."""

    name = "sink"
    metrics = NullMetrics()

    def topics(self, settings: Settings) -> list[str]:
        raise NotImplementedError

    def write_batch(self, tp: TopicPartition, first_offset: int, records: Sequence) -> int:
        raise NotImplementedError

    def prepare(self, tp: TopicPartition, committed: int) -> None:
        return None

    def revoke(self, tp: TopicPartition) -> None:
        return None


@dataclass
class _Pending:
    first_offset: int
    started: float = field(default_factory=time.monotonic)
    records: list = field(default_factory=list)
    size: int = 0   # bytes of the records' values


class SinkLoop(ConsumerLoop):
    """Consumes a sink's topics; per partition: buffer -> write_batch (durable) -> commit."""

    def __init__(self, settings: Settings, sink: BatchingSink, group_id: str, *,
                 max_rows: int = 20_000, max_seconds: float = 1.0, name: str = "sink",
                 max_bytes: int = MAX_PENDING_BYTES, metrics=None):
        super().__init__(name, settings, sink.topics(settings), group_id, max_records=max_rows,
                         metrics=metrics)
        self.sink = sink
        sink.metrics = self.metrics
        self.max_rows, self.max_seconds, self.max_bytes = max_rows, max_seconds, max_bytes
        self.pending: dict[TopicPartition, _Pending] = {}
        self.landed = 0
        self.first_record: float | None = None   # monotonic, for bench/bench_streaming.py
        self.last_flush: float | None = None

    async def on_assigned(self, assigned: set[TopicPartition]) -> None:
        starts = await self.committed_or_beginning(assigned)
        aio = asyncio.get_running_loop()
        for tp, start in starts.items():
            await aio.run_in_executor(None, self.sink.prepare, tp, start)

    async def on_revoked(self, revoked: set[TopicPartition]) -> None:
        for tp in revoked:
            if tp in self.pending:
                await self.flush(tp)
            self.sink.revoke(tp)

    async def on_records(self, batch: Batch) -> None:
        if self.first_record is None:
            self.first_record = time.monotonic()
        for tp, recs in batch.items():
            pending = self.pending.get(tp)
            if pending is None:
                pending = self.pending[tp] = _Pending(recs[0].offset)
            pending.records.extend(recs)
            pending.size += sum(len(r.value or b"") for r in recs)
        await self.flush_due()

    async def on_idle(self) -> None:
        await self.flush_due()

    async def on_stop(self) -> None:
        await self.flush_due(force=True)

    async def flush(self, tp: TopicPartition) -> None:
        pending = self.pending.pop(tp)
        started = time.perf_counter()
        self.landed += await asyncio.get_running_loop().run_in_executor(
            None, self.sink.write_batch, tp, pending.first_offset, pending.records)
        self.metrics.sink_write_time(self.sink.name, time.perf_counter() - started)
        await self.commit({tp: pending.records[-1].offset + 1})
        self.last_flush = time.monotonic()

    async def flush_due(self, force: bool = False) -> None:
        now = time.monotonic()
        for tp, pending in list(self.pending.items()):
            if (force or len(pending.records) >= self.max_rows or pending.size >= self.max_bytes
                    or now - pending.started >= self.max_seconds):
                await self.flush(tp)
