"""A wall-time budget per input (limits.max_seconds_per_input), for the streaming worker.

Budgets are cooperative: the core's loops call `pipeline.deadline.check_time()` at points
that come round often; this module sets the deadlines around the core.

`budgeted_stream` is `process_stream` under the budget: a chunk of inputs runs as a batch
with the budget of all of them; if the batch runs over, the inputs it has not answered yet
are worked out again one at a time, each with its own budget, and the one that runs over
becomes a dead letter (LimitExceeded, stage=limits). Lazy rows carry their input's budget
into whoever consumes them, so a report that is slow to stream is cut off too (consumers
dead-letter an input whose rows raise).
"""
from __future__ import annotations

import itertools
import time
from collections.abc import Iterable, Iterator

from schemas.models import RawMessage

from .core import process, process_stream
from .deadline import Active, BatchOverBudget, TimeBudgetExceeded, check_time  # noqa: F401
from .outcome import Outcome
from .settings import Settings, default_settings

def process_within(raw: RawMessage, settings: Settings | None = None) -> Outcome:
    """`process(raw)` under the budget (rows included, see `budgeted_stream`)."""
    settings = settings or default_settings()
    return next(budgeted_stream([raw], settings))[1]


def budgeted_stream(raws: Iterable[RawMessage], settings: Settings | None = None, *,
                    batch_size: int = 100) -> Iterator[tuple[RawMessage, Outcome]]:
    """(raw, Outcome) for each input, in order, as `process_stream` gives them, each input
    within settings.limits.max_seconds_per_input of work."""
    settings = settings or default_settings()
    seconds = settings.limits.max_seconds_per_input
    inputs = iter(raws)
    while chunk := list(itertools.islice(inputs, batch_size)):
        allowance = seconds * len(chunk)
        answers = process_stream(chunk, settings, batch_size=batch_size)
        answered = 0
        try:
            while answered < len(chunk):
                started = time.monotonic()
                with Active(started + allowance, seconds, batch=True):
                    raw, outcome = next(answers)
                allowance -= time.monotonic() - started
                answered += 1
                yield raw, _rows_within(outcome, seconds)
        except BatchOverBudget:
            answers.close()
            for raw in chunk[answered:]:
                with Active(time.monotonic() + seconds, seconds, batch=False):
                    outcome = process(raw, settings)
                yield raw, _rows_within(outcome, seconds)


def _rows_within(outcome: Outcome, seconds: float) -> Outcome:
    """Lazy rows handed out under their input's budget, which starts at the first row."""
    for table, rows in outcome.rows.items():
        if not isinstance(rows, list):
            outcome.rows[table] = _timed(rows, seconds)
    return outcome


def _timed(rows: Iterable, seconds: float) -> Iterator:
    iterator = iter(rows)
    deadline = None
    while True:
        if deadline is None:
            deadline = time.monotonic() + seconds
        with Active(deadline, seconds, batch=False):
            try:
                row = next(iterator)
            except StopIteration:
                return
        yield row
