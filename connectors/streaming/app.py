"""The streaming app: which loops run, on which topics, in which consumer groups.

    raw topics --classify--> events / dmarc_rows / deadletter      (group {prefix}-classify)
    events     --suppress--> suppressions (compacted) / alerts     (group {prefix}-suppress)
    events, suppressions, dmarc_rows, deadletter --sink--> lake     (group {prefix}-sink)

Scale out by starting more `bouncepipe worker` / `bouncepipe sink` processes: Kafka consumer
groups split the partitions; suppression state follows its events partition.

Why aiokafka loops and not faust agents: faust-streaming has no in-memory transport and its
per-message agents ran ~1,600 msg/s (`stream.take()` batches ~2,300 msg/s) on the embedded
broker; it commits offsets on its own schedule (not "after this batch's outputs are acked"),
and its tables' changelog semantics do not let the Parquet sink name files by offset range.
aiokafka (faust's own client) consumed ~100x faster. So the loops are plain asyncio over
aiokafka with manual commits (connectors/streaming/runner.py), and this module is the thin wiring
faust's App would have been.
"""
from __future__ import annotations

import asyncio
import logging
import signal
from datetime import datetime, timezone
from pathlib import Path

from connectors.kafka import raw_topics
from connectors.streaming.classify import (
    Out,
    classify_record,
    classify_records,
    dead_letter_record,
    kind_hints,
)
from connectors.streaming.runner import BatchLoop
from connectors.streaming.suppress import SuppressStage
from pipeline.errors import dead_letter
from pipeline.settings import Settings
from pipeline.suppression import SuppressionPolicy, load_policy
from schemas.models import RawMessage, RawSource

log = logging.getLogger(__name__)


def group_prefix(settings: Settings, prefix: str | None = None) -> str:
    return prefix or settings.kafka.client_id


def make_classify_handler(settings: Settings):
    hints = kind_hints(settings)

    def handle(batch) -> list[list[Out]]:
        records = [record for records in batch.values() for record in records]
        try:
            return [classify_records(records, settings, hints)]
        except Exception:  # noqa: BLE001 - a bug must not stop the partition: one by one
            log.exception("classify: batch failed; classifying its records one by one")
        out: list[Out] = []
        for record in records:
            try:
                out += classify_record(record, settings, hints)
            except Exception as exc:  # noqa: BLE001 - a bug must not stop the partition
                raw = RawMessage.from_bytes(
                    record.value or b"", RawSource(transport="kafka", topic=record.topic,
                                                   partition=record.partition,
                                                   offset=record.offset),
                    datetime.now(timezone.utc))
                out.append(dead_letter_record(raw, dead_letter(raw, exc),
                                              settings.topics.deadletter))
        return [out]

    return handle


def classify_loop(settings: Settings, *, prefix: str | None = None,
                  max_records: int = 2000) -> BatchLoop:
    return BatchLoop("classify", settings, raw_topics(settings.topics),
                     f"{group_prefix(settings, prefix)}-classify",
                     make_classify_handler(settings), max_records=max_records)


def suppress_loop(settings: Settings, *, policy: SuppressionPolicy | None = None,
                  prefix: str | None = None, max_records: int = 5000) -> BatchLoop:
    stage = SuppressStage(settings, policy or load_policy(settings))
    loop = BatchLoop("suppress", settings, [settings.topics.events],
                     f"{group_prefix(settings, prefix)}-suppress", stage.handle,
                     max_records=max_records, on_assigned=stage.restore, on_revoked=stage.revoke)
    loop.stage = stage
    return loop


def worker_loops(settings: Settings, *, policy: SuppressionPolicy | None = None,
                 prefix: str | None = None) -> list[BatchLoop]:
    return [classify_loop(settings, prefix=prefix),
            suppress_loop(settings, policy=policy, prefix=prefix)]


def sink_loop(settings: Settings, lake: str | Path, *, prefix: str | None = None,
              sink: str = "parquet", max_rows: int | None = None, max_seconds: float = 1.0):
    """The Parquet lake sink (or another registered sink, connectors/sinks) on its loop."""
    from connectors.sinks import SinkLoop, sink_class
    group = f"{group_prefix(settings, prefix)}-sink" + ("" if sink == "parquet" else f"-{sink}")
    return SinkLoop(settings, sink_class(sink)(settings, lake), group, name=f"sink.{sink}",
                    max_rows=max_rows or settings.lake.rows_per_file,
                    max_seconds=max_seconds)


async def wait_caught_up(loops, *, timeout: float = 60.0, settle: float = 0.5) -> bool:
    """True once every loop has committed everything on its partitions, twice in a row."""
    deadline = asyncio.get_running_loop().time() + timeout
    zero_since = None
    while asyncio.get_running_loop().time() < deadline:
        lags = [await loop.lag() for loop in loops]
        now = asyncio.get_running_loop().time()
        if all(lag == 0 for lag in lags):
            zero_since = zero_since or now
            if now - zero_since >= settle:
                return True
        else:
            zero_since = None
        await asyncio.sleep(0.2)
    return False


async def run_loops(loops, *, until: asyncio.Future | None = None) -> None:
    """Run loops until SIGINT/SIGTERM (or `until` completes); stop them cleanly."""
    aio = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            aio.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread
            pass
    tasks = [asyncio.create_task(loop.run(), name=getattr(loop, "name", "sink")) for loop in loops]
    stopper = asyncio.create_task(stop.wait())
    waiters = [stopper, *tasks]
    if until is not None:
        waiters.append(until)
    done, _ = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    stopper.cancel()
    for loop in loops:
        loop.stop()
    await asyncio.gather(*tasks, return_exceptions=True)
    for task in done:
        if task in tasks and task.exception():
            raise task.exception()
