"""The work of `bouncepipe reclassify` cut into units, so N processes share it.

A unit is a run of row groups of one raw_archive file (or, for lakes older than the archive,
a list of dead-lettered inputs). The main process plans it (connectors/reclassify.py `_units`):
which of its rows the filters keep, which were dead-lettered, and the current events of those
inputs (DuckDB look-ups of a range of archive positions, Arrow out). A worker (or the main
process with one job) works it (`work_unit`): reads the kept rows' other columns straight from
the Parquet file with pyarrow, runs the core over them in batches (`process_stream`) and
compares each input's events with its current ones, returning only what changed (revisions,
new events: few) and a partial diff. Nothing of a unit outlives its answer, so memory stays
flat in the archive's size, and the answers merged in unit order make N jobs give one job's
diff exactly.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.core import process_stream
from schemas.archive import EventRevision
from schemas.models import MailEvent, RawMessage

from .archive import raw_from_row

ROWS_PER_UNIT = 1000   # inputs per unit, about (whole row groups: the archive writes 500)
# the archive columns a RawMessage is rebuilt from (`raw_from_row`)
RAW_COLUMNS = ("sha256", "payload", "source_json", "received_at", "kind_hint",
               "provider_hint", "tenant", "headers_json")
BEFORE_COLUMNS = ("raw_sha256", "event_id", "category", "reason", "recipient",
                  "recipient_domain", "rule", "classifier_version", "parser")


@dataclass
class Unit:
    run_id: str
    now: datetime
    before: pa.Table                         # current events of the unit's inputs
    dead: frozenset[str]                     # its inputs that were dead-lettered
    path: str | None = None                  # an archive file, its row groups, rows kept
    row_groups: list[int] = field(default_factory=list)
    keep: pa.Array | None = None             # bool per row of those groups (None: all)
    raws: list[RawMessage] | None = None     # or the inputs themselves (dead letters' copies)


@dataclass
class UnitAnswer:
    """A worker's answer: counts and examples as in ReclassifyDiff, and the changes."""
    counts: dict[str, int] = field(default_factory=dict)
    category_changes: dict[str, int] = field(default_factory=dict)
    reason_changes: dict[str, int] = field(default_factory=dict)
    examples: list[tuple[str, dict]] = field(default_factory=list)
    revisions: list[EventRevision] = field(default_factory=list)
    new_events: list[MailEvent] = field(default_factory=list)
    # addresses and receiving domains whose evidence changed (the suppression replay's scope)
    addresses: set[str] = field(default_factory=set)
    domains: set[str] = field(default_factory=set)

    def count(self, name: str, n: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + n

    def touched(self, recipient: str | None, domain: str | None) -> None:
        if recipient:
            self.addresses.add(recipient)
            self.domains.add(recipient.rpartition("@")[2])
        if domain:
            self.domains.add(domain)


# -- planning (main process) ----------------------------------------------------------------
def archive_files(lake: str | Path) -> list[Path]:
    return sorted((Path(lake) / "raw_archive").glob("dt=*/*.parquet"))


def row_group_runs(path: Path, rows: int | None = None) -> Iterator[list[int]]:
    """Consecutive row groups of one file, about `rows` rows a run."""
    rows = rows or ROWS_PER_UNIT
    meta = pq.ParquetFile(path).metadata
    run: list[int] = []
    total = 0
    for index in range(meta.num_row_groups):
        run.append(index)
        total += meta.row_group(index).num_rows
        if total >= rows:
            yield run
            run, total = [], 0
    if run:
        yield run


# -- working (worker process) ---------------------------------------------------------------
def _read_raws(unit: Unit) -> list[RawMessage]:
    if unit.raws is not None:
        return unit.raws
    file = pq.ParquetFile(unit.path)
    present = [c for c in RAW_COLUMNS if c in file.schema_arrow.names]
    # one thread: the other cores run the other workers
    table = file.read_row_groups(unit.row_groups, columns=present, use_threads=False)
    if unit.keep is not None:
        table = table.filter(unit.keep)
    columns = table.to_pydict()
    n = table.num_rows
    for name in RAW_COLUMNS:   # files from before a column
        columns.setdefault(name, [None] * n)
    return [raw_from_row(dict(zip(RAW_COLUMNS, row)))
            for row in zip(*(columns[name] for name in RAW_COLUMNS))]


def work_unit(unit: Unit) -> UnitAnswer:
    raws = _read_raws(unit)
    before: dict[str, dict[str, dict]] = {}
    for row in unit.before.to_pylist():
        before.setdefault(row["raw_sha256"], {})[row["event_id"]] = row
    answer = UnitAnswer()
    for raw, outcome in process_stream(raws):
        events = list(outcome.events)
        unreadable = bool(outcome.dead_letters) and not events
        answer.count("inputs")
        compare(raw, events, unreadable, before.get(raw.sha256, {}), raw.sha256 in unit.dead,
                unit.run_id, unit.now, answer)
    return answer


_COMPARED = ("category", "reason", "recipient")


def compare(raw: RawMessage, events: list[MailEvent], unreadable: bool,
            before: dict[str, dict], was_dead: bool, run_id: str, now: datetime,
            answer: UnitAnswer) -> None:
    """One input's events now against its events as they stand (`before`, by event id)."""
    if unreadable and before:
        answer.count("now_unreadable")
        answer.examples.append(("now_unreadable",
                                {"raw_sha256": raw.sha256, "source": raw.source.label}))
        return
    seen = set()
    for event in events:
        seen.add(event.event_id)
        old = before.get(event.event_id)
        if old is None:
            answer.new_events.append(event)
            answer.count("new_events")
            answer.touched(event.recipient, event.recipient_domain)
            if was_dead:
                answer.examples.append(("recovered", {
                    "raw_sha256": raw.sha256, "recipient": event.recipient,
                    "category": event.category, "reason": event.reason}))
            continue
        if tuple(old[k] for k in _COMPARED) == (event.category, event.reason, event.recipient):
            continue
        answer.revisions.append(_revision(event.event_id, raw.sha256, old, event, run_id, now))
        answer.count("revised")
        _add(answer.category_changes, f"{old['category']} -> {event.category}")
        _add(answer.reason_changes, f"{old['reason']} -> {event.reason}")
        answer.touched(old["recipient"], old["recipient_domain"])
        answer.touched(event.recipient, event.recipient_domain)
        answer.examples.append((f"{old['category']} -> {event.category}", {
            "event_id": event.event_id, "recipient": event.recipient,
            "before": [old["category"], old["reason"]], "after": [event.category, event.reason],
            "rule": event.rule}))
    for event_id, old in before.items():
        if event_id not in seen:
            answer.revisions.append(_revision(event_id, raw.sha256, old, None, run_id, now))
            answer.count("withdrawn")
            _add(answer.category_changes, f"{old['category']} -> (withdrawn)")
            answer.touched(old["recipient"], old["recipient_domain"])
    if was_dead and events and not before:
        answer.count("dead_letters_recovered")


def _add(counter: dict[str, int], key: str) -> None:
    counter[key] = counter.get(key, 0) + 1


def _revision(event_id: str, sha: str, old: dict, new: MailEvent | None, run_id: str,
              now: datetime) -> EventRevision:
    from pipeline.version import CLASSIFIER_VERSION

    outcome = (new.category, new.reason, new.recipient) if new else ("withdrawn",)
    return EventRevision(
        revision_id=EventRevision.make_id(event_id, CLASSIFIER_VERSION, *outcome),
        event_id=event_id, raw_sha256=sha, revised_at=now, run_id=run_id,
        classifier_version=CLASSIFIER_VERSION,
        previous_classifier_version=old["classifier_version"], withdrawn=new is None,
        previous_category=old["category"], previous_reason=old["reason"],
        previous_recipient=old["recipient"], previous_rule=old["rule"],
        category=new.category if new else None, reason=new.reason if new else None,
        recipient=new.recipient if new else None,
        recipient_domain=new.recipient_domain if new else None,
        status=new.status if new else None, rule=new.rule if new else None,
        event_json=new.model_dump_json() if new else None)


def worked(units: Iterable[Unit], jobs: int) -> Iterator[UnitAnswer]:
    """work_unit of each unit, in order; in worker processes when jobs > 1."""
    from .parallel import map_ordered

    return map_ordered(work_unit, units, jobs)
