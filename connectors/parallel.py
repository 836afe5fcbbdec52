"""Batch work on every core (`bouncepipe classify|ingest --jobs N`).

The inputs are the files under the given paths, in the order one job reads them
(`sources.files.iter_paths`). They are cut into work units of consecutive files; N forked
worker processes each work a unit through the same core (`process_stream`) and return what the
main process needs (classify: the output text; ingest: the settled rows), and the main process
takes the answers in unit order. So N jobs give the same output, in the same order, as one.

Workers are forked after start-up (`warm_up`), so they inherit the loaded handlers and tables
instead of importing them again. The main process talks to each worker over its own pipe, from
its one thread: no task/result handler threads (multiprocessing.Pool's cost ~1 ms of CPU per
unit in the main process, 0.2 s per 12,000 files). A worker holds at most two units (one
working, one waiting in its pipe, so it never waits for the main process between units), and
at most 2 x N units are out, so a slow consumer (the lake writer) holds back the workers rather
than piling answers up in memory.
"""
from __future__ import annotations

import itertools
import multiprocessing
import os
import pickle
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.connection import Connection, wait
from typing import TypeVar

from connectors.sources.files import iter_paths

T = TypeVar("T")
Unit = list[tuple[str, str]]   # [(file path, label)]

FILES_PER_UNIT = 48
BYTES_PER_UNIT = 8 * 1024 * 1024
# A unit larger than this (pickled) goes only to a worker holding none: a pipe's buffer (64 KiB)
# then never fills while its worker is blocked sending an answer the main process is not reading.
PIPE_SAFE_BYTES = 32 * 1024


def default_jobs() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:   # not Linux
        return max(1, os.cpu_count() or 1)


def work_units(paths: Iterable[str | os.PathLike[str]], *, files: int = FILES_PER_UNIT,
               size: int = BYTES_PER_UNIT) -> Iterator[Unit]:
    """Consecutive files, at most `files` of them or `size` bytes (a larger file goes alone)."""
    unit: Unit = []
    total = 0
    for file, label in iter_paths(paths):
        try:
            n = os.stat(file).st_size
        except OSError:
            n = 0   # the worker reports the unreadable file as one job would
        if unit and (len(unit) >= files or total + n > size):
            yield unit
            unit, total = [], 0
        unit.append((file, label))
        total += n
    if unit:
        yield unit


def map_ordered(work: Callable[[Unit], T], units: Iterable[Unit], jobs: int) -> Iterator[T]:
    """work(unit) for each unit, in order; in this process when jobs <= 1. The workers are
    forked, so `work` reaches them as it is (no pickling); units and answers are pickled. An
    exception `work` raises in a worker is raised here at that unit's turn (after the answers
    before it, as one job would); a worker that dies raises WorkerDied."""
    units = iter(units)
    head = [u for _, u in zip(range(2), units)]
    if jobs <= 1 or len(head) < 2:   # one unit: no worker to start
        # chained, not unpacked: `(*head, *units)` planned every unit before the first was
        # worked (reclassify of 1,000,000 inputs held all 1,000 units' current events, +250 MB)
        for unit in itertools.chain(head, units):
            yield work(unit)
        return
    yield from _forked(work, itertools.chain(head, units), jobs)


class WorkerDied(RuntimeError):
    """A worker process ended without answering (killed, out of memory)."""


def _serve(work: Callable[[Unit], T], conn: Connection, theirs: list[Connection]) -> None:
    """A worker's loop: a unit in, its answer (ok, value or exception) out, until the main
    process closes the pipe. Ctrl-C is the main process's to handle (it stops the workers).
    `theirs`: the main process's ends of the pipes forked into this worker, closed here so
    that closing them in the main process ends their workers' reads."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for other in theirs:
        other.close()
    while True:
        try:
            unit = pickle.loads(conn.recv_bytes())
        except (EOFError, OSError):   # closed: done, or the main process stopped early
            return
        try:
            answer = pickle.dumps((True, work(unit)), pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # noqa: BLE001 - raised again in the main process
            try:
                answer = pickle.dumps((False, exc), pickle.HIGHEST_PROTOCOL)
            except Exception:  # noqa: BLE001 - an exception that does not pickle
                answer = pickle.dumps((False, RuntimeError(repr(exc))))
        try:
            conn.send_bytes(answer)
        except OSError:   # the main process stopped listening (it failed or was closed)
            return


class _Worker:
    def __init__(self, context, work: Callable[[Unit], T], others: list[_Worker]):
        self.conn, theirs = context.Pipe()
        main_ends = [self.conn, *(w.conn for w in others)]
        self.process = context.Process(target=_serve, args=(work, theirs, main_ends),
                                       daemon=True)
        self.process.start()
        theirs.close()
        self.owed: deque[int] = deque()   # the unit numbers it holds, oldest first

    def died(self) -> WorkerDied:
        self.process.join(timeout=1)
        return WorkerDied(f"a worker process ended without answering (exit code "
                          f"{self.process.exitcode})")

    def stop(self, *, finished: bool) -> None:
        self.conn.close()   # the worker's recv ends: it exits
        self.process.join(timeout=5 if finished else 0.1)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join()


def _forked(work: Callable[[Unit], T], units: Iterator[Unit], jobs: int) -> Iterator[T]:
    context = multiprocessing.get_context("fork")
    workers: list[_Worker] = []
    for _ in range(jobs):
        workers.append(_Worker(context, work, workers))
    by_conn = {w.conn: w for w in workers}
    answers: dict[int, tuple[bool, T | BaseException]] = {}   # unit number -> (ok, value)
    sent = done = 0          # units handed out; units yielded
    waiting: bytes | None = None   # the next unit, pickled, when no worker could take it yet
    exhausted = finished = False
    try:
        while True:
            while done in answers:   # before handing out: yielding makes room in the window
                ok, value = answers.pop(done)
                if not ok:   # in unit order, as one job would raise it
                    raise value
                yield value
                done += 1
            # hand out units: to workers holding fewer than two, at most 2 x jobs out
            for w in sorted(workers, key=lambda w: len(w.owed)):
                while len(w.owed) < 2 and sent - done < 2 * jobs and not exhausted:
                    if waiting is None:
                        unit = next(units, None)
                        if unit is None:
                            exhausted = True
                            break
                        waiting = pickle.dumps(unit, pickle.HIGHEST_PROTOCOL)
                    if w.owed and len(waiting) > PIPE_SAFE_BYTES:
                        break
                    try:
                        w.conn.send_bytes(waiting)
                    except OSError:
                        raise w.died() from None
                    w.owed.append(sent)
                    sent, waiting = sent + 1, None
            if exhausted and done == sent:
                finished = True
                return
            # every answer up to `sent` was yielded, so a worker holds a unit: wait for one
            for conn in wait([w.conn for w in workers if w.owed]):
                w = by_conn[conn]  # type: ignore[index]
                try:
                    answers[w.owed.popleft()] = pickle.loads(conn.recv_bytes())  # type: ignore[union-attr]
                except (EOFError, OSError):
                    raise w.died() from None
    finally:
        for w in workers:
            w.stop(finished=finished)
