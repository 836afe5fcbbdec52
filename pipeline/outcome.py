"""What the core returns for one raw input."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from pydantic import BaseModel

from schemas.models import MailEvent, NotParsed, RawMessage

from .errors import ParseError, dead_letter


@dataclass
class Outcome:
    """Everything one raw input produced.

    `rows` maps a lake table name ("dmarc_aggregate", "dmarc_failure", "tls_reports") to its
    rows. A value may be a lazy iterator (huge DMARC reports are streamed): consumers land an
    input's rows only after the iterator finished; if it raises a BouncepipeError half-way,
    the consumer discards that input's rows and dead-letters it instead (all or nothing per
    input).

    `final=False` lets the next matching handler in the registry contribute too (e.g. the
    DMARC failure handler adds `dmarc_failure` rows and lets the ARF handler emit the events).

    Nothing vanishes: the core turns an Outcome with no events, no rows and no dead letter
    into a dead letter (`accounted`, below), unless `empty_reason` says why nothing
    is the right answer (a provider's empty test ping). Lazy rows that end empty raise.
    """

    events: list[MailEvent] = field(default_factory=list)
    rows: dict[str, Iterable[BaseModel]] = field(default_factory=dict)
    dead_letters: list[NotParsed] = field(default_factory=list)
    parser: str | None = None
    final: bool = True
    empty_reason: str | None = None

    def merge(self, other: "Outcome") -> "Outcome":
        self.events.extend(other.events)
        for table, rows in other.rows.items():
            if table in self.rows:
                self.rows[table] = [*self.rows[table], *rows]
            else:
                self.rows[table] = rows
        self.dead_letters.extend(other.dead_letters)
        self.parser = ",".join(p for p in (self.parser, other.parser) if p) or None
        self.final = other.final
        self.empty_reason = self.empty_reason or other.empty_reason
        return self


def accounted(raw: RawMessage, outcome: Outcome) -> Outcome:
    """Nothing vanishes: an Outcome with no event, no row and no dead letter becomes a
    dead letter saying which handler came up empty (unless the handler said why nothing is
    right: `empty_reason`). Lazy rows cannot be counted yet: when they are the only output,
    they raise a ParseError at their end if they yielded nothing (consumers dead-letter an
    input whose rows raise)."""
    if outcome.events or outcome.dead_letters or outcome.empty_reason:
        return outcome
    lazy = [table for table, rows in outcome.rows.items() if not isinstance(rows, list)]
    if any(isinstance(rows, list) and rows for rows in outcome.rows.values()):
        return outcome
    if lazy:
        counter = _RowCounter(raw, outcome.parser, len(lazy))
        for table in lazy:
            rows = outcome.rows[table]
            outcome.rows[table] = (ChunkedRows(counter.watch(rows.chunks()))
                                   if isinstance(rows, ChunkedRows) else counter.watch(rows))
        return outcome
    error = ParseError(
        f"{outcome.parser or 'a handler'} recognised the input but produced no event, row or "
        "dead letter (nothing would have been recorded)", raw_sha256=raw.sha256,
        parser=outcome.parser)
    return Outcome(dead_letters=[dead_letter(raw, error)], parser=outcome.parser)


class _RowCounter:
    """Counts the rows of an input's lazy tables; the last table to end raises when none
    of them yielded a row."""

    def __init__(self, raw: RawMessage, parser: str | None, tables: int):
        self.raw, self.parser, self.open, self.rows = raw, parser, tables, 0

    def watch(self, rows: Iterable) -> Iterator:
        for row in rows:   # rows, or chunks of rows (never empty)
            self.rows += 1
            yield row
        self.open -= 1
        if not self.open and not self.rows:
            raise ParseError(f"{self.parser or 'a handler'} recognised the input but its "
                             "report held no row", raw_sha256=self.raw.sha256,
                             parser=self.parser)


class ChunkedRows:
    """A lazy table's rows that a parser produces a chunk at a time (a huge DMARC report's
    records: pipeline/dmarc/chunk.py). Iterated, it gives row dicts like any lazy rows;
    `chunks()` hands a consumer that converts rows into columns (the lake's staging) the
    chunks themselves, each with `rows()` (the same dicts), `columns()` (its values by
    column, see `RecordChunk`) and `len()`, so it need not build a dict per row. An item
    may also be a plain row dict (a fallback parser's rows). Use one or the other, once."""

    def __init__(self, items: Iterator):
        self._items = items
        self._rows: Iterator[dict] | None = None
        self._chunked = False

    def chunks(self) -> Iterator:
        if self._rows is not None or self._chunked:
            raise RuntimeError("these rows were already taken")
        self._chunked = True
        return self._items

    def __iter__(self) -> "ChunkedRows":
        return self

    def __next__(self) -> dict:
        if self._rows is None:
            if self._chunked:
                raise RuntimeError("these rows were already taken as chunks")
            self._rows = _flatten(self._items)
        return next(self._rows)


def _flatten(items: Iterator) -> Iterator[dict]:
    for item in items:
        if type(item) is dict:
            yield item
        else:
            yield from item.rows()
