"""Batch work on every core (`bouncepipe classify|ingest --jobs N`).

The inputs are the files under the given paths, in the order one job reads them
(`sources.files.iter_files`). They are cut into work units of consecutive files; N forked
worker processes each work a unit through the same core (`process_stream`) and return what the
main process needs (classify: the output text; ingest: the settled rows), and the main process
takes the answers in unit order. So N jobs give the same output, in the same order, as one.

Workers are forked after start-up (`warm_up`), so they inherit the loaded handlers and tables
instead of importing them again; at most 2 x N units are in flight, so a slow consumer (the lake
writer) holds back the workers rather than piling answers up in memory.
"""
from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from connectors.sources.files import iter_files

T = TypeVar("T")
Unit = list[tuple[str, str]]   # [(file path, label)]

FILES_PER_UNIT = 48
BYTES_PER_UNIT = 8 * 1024 * 1024


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
    for file, label in iter_files(paths):
        try:
            n = file.stat().st_size
        except OSError:
            n = 0   # the worker reports the unreadable file as one job would
        if unit and (len(unit) >= files or total + n > size):
            yield unit
            unit, total = [], 0
        unit.append((str(file), label))
        total += n
    if unit:
        yield unit


def map_ordered(work: Callable[[Unit], T], units: Iterable[Unit], jobs: int) -> Iterator[T]:
    """work(unit) for each unit, in order; in this process when jobs <= 1. `work` must be a
    module-level function (or a functools.partial of one) so the workers can receive it."""
    units = iter(units)
    head = [u for _, u in zip(range(2), units)]
    if jobs <= 1 or len(head) < 2:   # one unit: no pool to start
        for unit in (*head, *units):
            yield work(unit)
        return
    units = (u for part in (head, units) for u in part)
    context = multiprocessing.get_context("fork")
    with context.Pool(jobs) as pool:
        pending: deque = deque()
        for unit in units:
            pending.append(pool.apply_async(work, (unit,)))
            if len(pending) >= 2 * jobs:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()
