"""The running input's wall-time deadline, per thread, and the check the core's loops make.

The low half of the worker's time budget (the high half, which sets deadlines around the
core, is pipeline/timebudget.py): `check_time()` is called at points that come round often
(each handler turn, each bounce dialect, each MIME part parsed, every 1,024 report records)
and costs a thread-local look-up when no deadline is set. Nothing uses signals: the worker
runs the core in an executor thread, where SIGALRM cannot reach.
"""
from __future__ import annotations

import threading
import time

from .errors import LimitExceeded

_state = threading.local()


class TimeBudgetExceeded(LimitExceeded):
    """One input took longer than limits.max_seconds_per_input."""


class BatchOverBudget(BaseException):
    """A batch ran over its budget: not any one input's fault, so no per-input guard may
    catch it (they catch Exception); budgeted_stream redoes the batch one input at a time."""


def check_time() -> None:
    """Raise when the running input (or batch) is past its deadline; free otherwise."""
    deadline = getattr(_state, "deadline", None)
    if deadline is not None and time.monotonic() > deadline:
        if _state.batch:
            raise BatchOverBudget()
        raise TimeBudgetExceeded(
            f"input took more than its {_state.seconds:g} s budget "
            "(limits.max_seconds_per_input); stopped, not finished")


class Active:
    """Sets the thread's deadline for a `with` block, restoring the one before."""

    def __init__(self, deadline: float | None, seconds: float, batch: bool):
        self.deadline, self.seconds, self.batch = deadline, seconds, batch

    def __enter__(self) -> None:
        self.saved = (getattr(_state, "deadline", None), getattr(_state, "seconds", 0.0),
                      getattr(_state, "batch", False))
        _state.deadline, _state.seconds, _state.batch = self.deadline, self.seconds, self.batch

    def __exit__(self, *exc) -> None:
        _state.deadline, _state.seconds, _state.batch = self.saved
