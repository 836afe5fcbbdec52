"""One fuzzed input through the core, and what is wrong with its outcome.

An input passes when `process()` returns (never raises), its lazy rows can be consumed (a
BouncepipeError there is the documented dead-letter path), it ends as events, rows or a dead
letter (or a stated `empty_reason`), and no dead letter's reason is an "unexpected"
Python exception. Timing and memory are the long run's business (bench/fuzz.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.core import process
from pipeline.errors import BouncepipeError
from pipeline.settings import Settings
from schemas.models import RawMessage, RawSource


@dataclass
class Checked:
    events: int = 0
    rows: int = 0
    dead_letters: int = 0
    problems: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


def check(payload: bytes, settings: Settings | None = None) -> Checked:
    raw = RawMessage.from_bytes(payload, RawSource(transport="memory", path="fuzz"))
    found = Checked()
    try:
        out = process(raw, settings)
    except BaseException as exc:  # noqa: BLE001 - the finding itself
        if isinstance(exc, KeyboardInterrupt):
            raise
        found.problems.append(f"exception: process() raised {type(exc).__name__}: {exc}"[:300])
        return found
    found.events = len(out.events)
    found.dead_letters = len(out.dead_letters)
    found.reasons = [letter.reason for letter in out.dead_letters]
    try:
        for rows in out.rows.values():
            for _ in rows:
                found.rows += 1
    except BouncepipeError as exc:   # lazy rows that raise: the consumer dead-letters
        found.rows = 0
        found.dead_letters += 1
        found.reasons.append(exc.reason)
    except Exception as exc:  # noqa: BLE001
        found.problems.append(f"exception: rows raised {type(exc).__name__}: {exc}"[:300])
        return found
    if not (found.events or found.rows or found.dead_letters or out.empty_reason):
        found.problems.append(f"silent: no event, row or dead letter (parser {out.parser})")
    for reason in found.reasons:
        if reason.startswith("unexpected"):
            found.problems.append(f"unexpected: {reason}"[:300])
    return found
