"""The work of `bouncepipe reclassify` cut into units, so N processes share it.

A unit is a run of row groups of one raw_archive file (or, for lakes older than the archive,
a list of dead-lettered inputs). The main process plans it (`plan_units`): which of its rows
the filters keep, which were dead-lettered, and the current events of those inputs (read in
step from one index of the archive's positions, made once in DuckDB; Arrow out). A worker (or the main
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
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline.core import process_stream
from schemas.archive import EventRevision
from schemas.models import MailEvent, RawMessage, RawSource

from .archive import raw_from_values, received_between
from .duck import file_columns, read_parquet_sql

ROWS_PER_UNIT = 1000   # inputs per unit, about (whole row groups: the archive writes 500)
# the archive columns a RawMessage is rebuilt from, in `raw_from_values`' argument order
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


def _dead_letter_raws(con, selected: bool, since, until) -> Iterator[RawMessage]:
    """Dead-lettered inputs the archive does not hold (lakes older than the archive), from the
    dead letter's own copy of the bytes (only when it kept them whole)."""
    where, params = received_between(since, until)
    where += ["payload IS NOT NULL", "NOT payload_truncated",
              "raw_sha256 NOT IN (SELECT sha256 FROM raw_archive)"]
    if selected:
        where.append("raw_sha256 IN (SELECT sha FROM _selected)")
    # a cursor of its own: the units' look-ups run on `con` while this result is read
    reader = con.cursor().sql(
        "SELECT raw_sha256, any_value(payload) AS payload, min(received_at) AS received_at, "
        "any_value(source) AS source FROM dead_letters WHERE " + " AND ".join(where)
        + " GROUP BY raw_sha256 ORDER BY received_at, raw_sha256", params=params
    ).to_arrow_reader(ROWS_PER_UNIT)
    for batch in reader:
        for sha, payload, received_at, source in zip(*batch.to_pydict().values()):
            raw = RawMessage.from_bytes(payload, RawSource(transport="file", path=source or sha),
                                        received_at)
            if raw.sha256 == sha:
                yield raw


def _index_archive(con, files: list[Path], selected: bool, since, until) -> None:
    """Two DuckDB tables, keyed by archive position (file, row), made once: `_positions`, each
    archived input's sha256, whether it was dead-lettered and whether the filters keep it;
    `_current`, the compared columns of the current events of each kept position. `plan_units`
    reads each in position order, one ordered scan (`_InOrder`), and takes a unit's rows as
    a range of it (a look-up by a set of sha256s scans the whole snapshot, once per unit).
    DuckDB keeps both compressed and spills them to disk past its memory limit; a lake of years
    has thousands of event files, read here once. The tables are not made in order: sorting
    the joined rows as they were inserted ran out of DuckDB's memory limit on a 1,000,000-input
    archive, while the readers' own ORDER BY sorts out of core."""
    con.execute("CREATE OR REPLACE TABLE _dead AS "
                "SELECT DISTINCT raw_sha256 AS sha FROM dead_letters")
    where, params = received_between(since, until, "a.received_at")
    if selected:
        where.append("a.sha256 IN (SELECT sha FROM _selected)")
    keep = " AND ".join(where) or "TRUE"
    if files:
        paths = "[" + ", ".join("'" + str(f).replace("'", "''") + "'" for f in files) + "]"
        source = read_parquet_sql(paths, file_columns(con, paths), hive=False,
                                  extra="filename = true, file_row_number = true")
    else:
        source = ("(SELECT NULL::VARCHAR AS filename, NULL::BIGINT AS file_row_number, "
                  "NULL::VARCHAR AS sha256, NULL::TIMESTAMPTZ AS received_at WHERE false)")
    con.register("_files", pa.table({"file_no": pa.array(range(len(files)), pa.int32()),
                                     "path": pa.array([str(f) for f in files], pa.string())}))
    con.execute(f"""
        CREATE OR REPLACE TABLE _positions AS
        SELECT f.file_no, a.file_row_number AS row_no, a.sha256,
               a.sha256 IN (SELECT sha FROM _dead) AS dead, coalesce({keep}, false) AS keep
        FROM {source} a JOIN _files f ON f.path = a.filename""", params)
    con.unregister("_files")
    con.execute(f"""
        CREATE OR REPLACE TABLE _current AS
        SELECT p.file_no, p.row_no, {", ".join("c." + c for c in BEFORE_COLUMNS)}
        FROM _positions p JOIN _current_events c ON c.raw_sha256 = p.sha256
        WHERE p.keep""")


class _InOrder:
    """The rows of a query ordered by (file_no, row_no), taken a range of positions at a time:
    one ordered scan serves every unit in turn (two look-ups per unit cost the main process
    ~10 ms a unit, a third of its work with two jobs)."""

    def __init__(self, con, sql: str):
        self._cursor = con.cursor()   # its own: several are read in step on one connection
        self._batches = iter(self._cursor.sql(sql).to_arrow_reader(8192))
        self._pending: pa.Table | None = None

    def take(self, file_no: int, end_row: int) -> pa.Table:
        """The next rows before position (file_no, end_row)."""
        parts = []
        while True:
            if self._pending is None or not len(self._pending):
                batch = next(self._batches, None)
                if batch is None:
                    break
                self._pending = pa.Table.from_batches([batch])
            files, rows = self._pending["file_no"], self._pending["row_no"]
            earlier = pc.or_(pc.less(files, file_no),
                             pc.and_(pc.equal(files, file_no), pc.less(rows, end_row)))
            n = pc.sum(earlier).as_py() or 0     # a prefix: the rows are in order
            parts.append(self._pending.slice(0, n))
            self._pending = self._pending.slice(n)
            if len(self._pending):
                break
        return pa.concat_tables(parts) if parts else None

    def close(self) -> None:
        self._cursor.close()


def plan_units(lake, con, selected: bool, since, until, run_id: str, now: datetime
           ) -> Iterator[Unit]:
    """The archive in runs of row groups (each file in its order), then the dead letters'
    own copies, with what a worker needs to compare."""
    files = archive_files(lake)
    _index_archive(con, files, selected, since, until)
    positions = _InOrder(con, "SELECT file_no, row_no, sha256, dead, keep FROM _positions "
                              "ORDER BY file_no, row_no")
    current = _InOrder(con, f"SELECT file_no, row_no, {', '.join(BEFORE_COLUMNS)} "
                            "FROM _current ORDER BY file_no, row_no")
    try:
        for file_no, path in enumerate(files):
            meta = pq.ParquetFile(path).metadata
            first = 0
            for row_groups in row_group_runs(path):
                rows = sum(meta.row_group(g).num_rows for g in row_groups)
                first += rows
                flags = positions.take(file_no, first)
                before = current.take(file_no, first)
                if flags is None or len(flags) != rows:
                    raise RuntimeError(f"{path}: the index and the file's row groups disagree")
                kept = pc.sum(flags["keep"]).as_py() or 0
                if not kept:
                    continue
                before = (before.select(list(BEFORE_COLUMNS)) if before is not None
                          else pa.table({c: pa.array([], pa.string()) for c in BEFORE_COLUMNS}))
                dead = frozenset(flags.filter(pc.and_(flags["keep"], flags["dead"]))["sha256"]
                                 .to_pylist())
                keep = None if kept == rows else flags["keep"].combine_chunks()
                yield Unit(run_id, now, before, dead, path=str(path), row_groups=row_groups,
                           keep=keep)
    finally:
        positions.close()
        current.close()
    raws: list[RawMessage] = []
    for raw in _dead_letter_raws(con, selected, since, until):
        raws.append(raw)
        if len(raws) >= ROWS_PER_UNIT:
            yield _raws_unit(con, raws, run_id, now)
            raws = []
    if raws:
        yield _raws_unit(con, raws, run_id, now)


def _raws_unit(con, raws: list[RawMessage], run_id: str, now: datetime) -> Unit:
    """Dead letters of lakes older than the archive (each dead-lettered, by where they come
    from): their current events looked up by sha256 (a rare path: the scan is not indexed)."""
    shas = [r.sha256 for r in raws]
    con.register("_unit_shas", pa.table({"s": pa.array(shas, pa.string())}))
    before = con.sql(f"SELECT {', '.join(BEFORE_COLUMNS)} FROM _current_events "
                     "WHERE raw_sha256 IN (SELECT s FROM _unit_shas)").to_arrow_table()
    con.unregister("_unit_shas")
    return Unit(run_id, now, before, frozenset(shas), raws=raws)


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
    columns = _utc_as_naive(table).to_pydict()
    n = table.num_rows
    for name in RAW_COLUMNS:   # files from before a column
        columns.setdefault(name, [None] * n)
    return [raw_from_values(*row) for row in zip(*(columns[name] for name in RAW_COLUMNS))]


def _utc_as_naive(table: pa.Table) -> pa.Table:
    """`table` with a time-zone-aware received_at cast to naive UTC (Arrow keeps the UTC
    instant): RawMessage makes a naive time UTC, so each input gets the same received_at,
    and pyarrow makes a naive datetime ~3x faster than a zone-aware one (2.4 -> 0.8 us)."""
    if "received_at" not in table.column_names:
        return table
    index = table.column_names.index("received_at")
    kind = table.schema.field(index).type
    if not pa.types.is_timestamp(kind) or kind.tz is None:
        return table
    return table.set_column(index, "received_at",
                            table.column(index).cast(pa.timestamp(kind.unit)))


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
