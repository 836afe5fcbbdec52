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
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from connectors.kafka import raw_topics
from connectors.metrics import ServiceMetrics
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
from pipeline.settings import ServiceSettings, Settings
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
                  max_records: int = 2000, metrics: ServiceMetrics | None = None) -> BatchLoop:
    return BatchLoop("classify", settings, raw_topics(settings.topics),
                     f"{group_prefix(settings, prefix)}-classify",
                     make_classify_handler(settings), max_records=max_records, metrics=metrics)


def suppress_loop(settings: Settings, *, policy: SuppressionPolicy | None = None,
                  prefix: str | None = None, max_records: int = 5000,
                  metrics: ServiceMetrics | None = None) -> BatchLoop:
    stage = SuppressStage(settings, policy or load_policy(settings))
    loop = BatchLoop("suppress", settings, [settings.topics.events],
                     f"{group_prefix(settings, prefix)}-suppress", stage.handle,
                     max_records=max_records, on_assigned=stage.restore, on_revoked=stage.revoke,
                     metrics=metrics)
    loop.stage = stage
    return loop


def worker_loops(settings: Settings, *, policy: SuppressionPolicy | None = None,
                 prefix: str | None = None, metrics: ServiceMetrics | None = None
                 ) -> list[BatchLoop]:
    metrics = metrics if metrics is not None else ServiceMetrics()
    return [classify_loop(settings, prefix=prefix, metrics=metrics),
            suppress_loop(settings, policy=policy, prefix=prefix, metrics=metrics)]


def sink_loop(settings: Settings, lake: str | Path, *, prefix: str | None = None,
              sink: str = "parquet", max_rows: int | None = None, max_seconds: float = 1.0,
              metrics: ServiceMetrics | None = None):
    """The Parquet lake sink (or another registered sink, connectors/sinks) on its loop."""
    from connectors.sinks import SinkLoop, sink_class
    group = f"{group_prefix(settings, prefix)}-sink" + ("" if sink == "parquet" else f"-{sink}")
    return SinkLoop(settings, sink_class(sink)(settings, lake), group, name=f"sink.{sink}",
                    max_rows=max_rows or settings.lake.rows_per_file,
                    max_seconds=max_seconds, metrics=metrics)


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


def service_metrics(loops) -> ServiceMetrics:
    """The one metrics object a service's loops share (they are built with the same one)."""
    found = {id(loop.metrics): loop.metrics for loop in loops}
    if len(found) != 1:
        raise ValueError("a service's loops must share one ServiceMetrics (pass metrics=)")
    return next(iter(found.values()))


class ShutdownTimeout(RuntimeError):
    """The loops did not stop even after being cancelled (a call that ignores cancellation,
    e.g. one blocked in a thread): the service must end its process (the CLI does, with
    exit code 70); uncommitted records are replayed by the next owner."""


async def run_loops(loops, *, until: asyncio.Future | None = None,
                    metrics_port: int | None = None, service: ServiceSettings | None = None,
                    on_serving: Callable[[int], None] | None = None) -> None:
    """Run loops until SIGINT/SIGTERM (or `until` completes); stop them cleanly. With a
    metrics port (0: a free one, reported to `on_serving`), serve /metrics, /healthz and
    /readyz (connectors/health.py) while they run.

    Stopping is bounded: the loops get `service.shutdown_grace_seconds` to flush and commit
    (a second signal cuts the grace short), then they are cancelled. Cancelling loses nothing
    (offsets are committed only after outputs are durable, so what was not committed is
    replayed); waiting forever on a broker that is gone would keep a dead service running."""
    aio = asyncio.get_running_loop()
    service = service or ServiceSettings()
    stop, hurry = asyncio.Event(), asyncio.Event()

    def on_signal() -> None:
        if stop.is_set():
            hurry.set()
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            aio.add_signal_handler(sig, on_signal)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread
            pass
    tasks = [asyncio.create_task(loop.run(), name=getattr(loop, "name", "sink")) for loop in loops]
    runner = None
    if metrics_port is not None:
        from connectors.health import bound_port, health_app, serve
        runner = await serve(health_app(loops, service_metrics(loops), service, tasks),
                             service.metrics_host, metrics_port)
        if on_serving:
            on_serving(bound_port(runner))
    stopper = asyncio.create_task(stop.wait())
    waiters = [stopper, *tasks]
    if until is not None:
        waiters.append(until)
    done, _ = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    stopper.cancel()
    stop.set()   # a signal from here on cuts the grace short
    for loop in loops:
        loop.stop()
    try:
        await _stop_within(tasks, service.shutdown_grace_seconds, hurry)
    finally:
        if runner is not None:
            await runner.cleanup()
    for task in tasks:
        if task.done() and not task.cancelled() and task.exception():
            raise task.exception()


_CANCEL_ROUNDS = 5


async def _stop_within(tasks: list[asyncio.Task], grace: float, hurry: asyncio.Event,
                       cancel_wait: float = 5.0) -> None:
    """Wait for the stopping loops up to `grace` seconds (or until `hurry`), then cancel what
    is left and give it `cancel_wait` seconds; raise ShutdownTimeout if even that fails."""
    if not tasks:
        return
    finished = asyncio.ensure_future(asyncio.wait(tasks))
    hurried = asyncio.ensure_future(hurry.wait())
    await asyncio.wait([finished, hurried], timeout=grace, return_when=asyncio.FIRST_COMPLETED)
    hurried.cancel()
    pending = [t for t in tasks if not t.done()]
    if not pending:
        return
    log.warning("shutdown: %s did not stop within %g s (broker or sink unreachable?); "
                "cancelling: uncommitted records will be replayed by the next owner",
                ", ".join(t.get_name() for t in pending), grace)
    # Cancelled more than once: a loop's clean-up (`finally: await consumer.stop()`, which
    # tries to leave its group on a broker that is gone) awaits again after the first cancel.
    still = set(pending)
    for _ in range(_CANCEL_ROUNDS):
        for task in still:
            task.cancel()
        _, still = await asyncio.wait(still, timeout=cancel_wait / _CANCEL_ROUNDS)
        if not still:
            break
    finished.cancel()
    if still:
        raise ShutdownTimeout("shutdown: " + ", ".join(t.get_name() for t in still)
                              + " ignored cancellation")
