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
    """Runs until stop(); then its last flush takes `flush_seconds` (None: for ever). When
    cancelled, its clean-up awaits again `cleanup_awaits` times (like `finally: await
    consumer.stop()` on a dead broker); -1: it swallows every cancellation."""

    def __init__(self, name: str, flush_seconds: float | None = 0.0, cleanup_awaits: int = 0):
        self.name, self.flush_seconds, self.cleanup_awaits = name, flush_seconds, cleanup_awaits
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
            done = 0
            while self.cleanup_awaits == -1 or done < self.cleanup_awaits:
                done += 1
                try:
                    await asyncio.sleep(3600)
                except asyncio.CancelledError:
                    pass
            raise


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


def test_a_clean_up_that_awaits_again_after_the_cancel_is_cancelled_again():
    async def main():
        loop = FakeLoop("classify", None, cleanup_awaits=2)
        loop.stop()
        task = asyncio.create_task(loop.run(), name=loop.name)
        started = time.monotonic()
        await _stop_within([task], grace=0.1, hurry=asyncio.Event(), cancel_wait=1.0)
        return time.monotonic() - started, task.cancelled()
    took, cancelled = asyncio.run(main())
    assert cancelled and took < 1.0


def test_a_loop_that_swallows_every_cancellation_raises_shutdown_timeout():
    async def main():
        loop = FakeLoop("sink.parquet", None, cleanup_awaits=-1)
        loop.stop()
        task = asyncio.create_task(loop.run(), name=loop.name)
        try:
            with pytest.raises(ShutdownTimeout, match="sink.parquet ignored cancellation"):
                await _stop_within([task], grace=0.1, hurry=asyncio.Event(), cancel_wait=0.3)
        finally:
            loop.cleanup_awaits = 0   # let the test's own clean-up end it
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    asyncio.run(main())
