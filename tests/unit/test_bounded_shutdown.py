"""run_loops' bounded shutdown (connectors/streaming/app.py) with loops that stop, hang in
their last flush, or ignore cancellation. The process-level case (a real sink whose broker
died) is tests/integration/test_shutdown.py."""
from __future__ import annotations

import asyncio
import logging
import time

import pytest

from connectors.streaming.app import ShutdownTimeout, _stop_within, run_loops
from pipeline.settings import ServiceSettings


class FakeLoop:
    """Runs until stop(); then its last flush takes `flush_seconds` (None: for ever)."""

    def __init__(self, name: str, flush_seconds: float | None = 0.0,
                 ignores_cancel: bool = False):
        self.name, self.flush_seconds, self.ignores_cancel = name, flush_seconds, ignores_cancel
        self._stop = asyncio.Event()
        self.flushed = self.cancelled = False

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        await self._stop.wait()
        try:
            if self.flush_seconds is None:
                await asyncio.Event().wait()
            await asyncio.sleep(self.flush_seconds)
            self.flushed = True
        except asyncio.CancelledError:
            self.cancelled = True
            if not self.ignores_cancel:
                raise
            await asyncio.sleep(3600)


def run_until_done(loops, grace: float):
    async def main():
        until = asyncio.get_running_loop().create_future()
        until.set_result(None)
        started = time.monotonic()
        await run_loops(loops, until=until,
                        service=ServiceSettings(shutdown_grace_seconds=grace))
        return time.monotonic() - started
    return asyncio.run(main())


def test_loops_that_flush_in_time_are_not_cancelled(caplog):
    loops = [FakeLoop("classify", 0.1), FakeLoop("suppress", 0.2)]
    with caplog.at_level(logging.WARNING):
        took = run_until_done(loops, grace=5)
    assert [(l.flushed, l.cancelled) for l in loops] == [(True, False), (True, False)]
    assert took < 2
    assert "did not stop" not in caplog.text


def test_a_loop_hung_in_its_last_flush_is_cancelled_after_the_grace(caplog):
    loops = [FakeLoop("classify", 0.0), FakeLoop("sink.parquet", None)]
    with caplog.at_level(logging.WARNING):
        took = run_until_done(loops, grace=0.5)
    assert [(l.flushed, l.cancelled) for l in loops] == [(True, False), (False, True)]
    assert 0.5 <= took < 3
    assert "shutdown: sink.parquet did not stop within 0.5 s" in caplog.text


def test_a_second_signal_cuts_the_grace_short():
    async def main():
        loop = FakeLoop("sink.parquet", None)
        loop.stop()
        task = asyncio.create_task(loop.run(), name=loop.name)
        hurry = asyncio.Event()
        asyncio.get_running_loop().call_later(0.2, hurry.set)
        started = time.monotonic()
        await _stop_within([task], grace=60, hurry=hurry)
        return time.monotonic() - started, loop.cancelled
    took, cancelled = asyncio.run(main())
    assert cancelled and took < 2


def test_a_loop_that_ignores_cancellation_raises_shutdown_timeout():
    async def main():
        loop = FakeLoop("sink.parquet", None, ignores_cancel=True)
        loop.stop()
        task = asyncio.create_task(loop.run(), name=loop.name)
        try:
            with pytest.raises(ShutdownTimeout, match="sink.parquet ignored cancellation"):
                await _stop_within([task], grace=0.1, hurry=asyncio.Event(), cancel_wait=0.2)
        finally:
            loop.ignores_cancel = False
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    asyncio.run(main())
