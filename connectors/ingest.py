"""Batch ingest: files -> the same pure core as the streaming worker -> the Parquet lake.

Idempotent: every row has a deterministic key and `LakeWriter.land` skips keys already in the
lake, so ingesting the same inputs twice leaves the same row counts. Rows of one input land
all-or-nothing: a huge DMARC report is streamed into staged Arrow chunks and only promoted into
the lake when the whole report parsed; if it fails half-way, the staged chunks are dropped and
the input is dead-lettered instead.

Suppressions are recomputed after the events landed, from every event in the lake in time
order, so the decision state is the same however the inputs were split across runs.
"""
from __future__ import annotations

import os
import shutil
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pyarrow as pa

from pipeline.core import process_stream
from pipeline.errors import dead_letter
from pipeline.outcome import Outcome
from pipeline.settings import Settings, default_settings
from pipeline.suppression import SuppressionEngine
from schemas.ids import stable_id
from schemas.models import NotParsed, RawMessage

from .archive import LakeArchive
from .lake import LakeWriter, to_arrow
from .staging import Staged, land_staged, stage_rows, staging_dir
from .replay import replay_events


@dataclass
class IngestSummary:
    inputs: int = 0
    events_by_category: Counter = field(default_factory=Counter)
    rows_by_table: Counter = field(default_factory=Counter)       # rows produced
    landed_by_table: Counter = field(default_factory=Counter)     # rows new to the lake
    dead_letters_by_reason: Counter = field(default_factory=Counter)
    suppressions: int = 0
    archived: int = 0          # inputs new to the raw archive
    already_archived: int = 0  # inputs skipped: the archive holds them (landed before)

    @property
    def dead_letters(self) -> int:
        return sum(self.dead_letters_by_reason.values())


class _Buffers:
    """Rows waiting to land, per table; flushed into deterministic file names."""

    def __init__(self, writer: LakeWriter, summary: IngestSummary,
                 archive: LakeArchive | None = None):
        self.writer = writer
        self.summary = summary
        self.archive = archive
        self.rows: dict[str, list] = {}
        self.raw_ids: list[str] = []
        self.raws: list[RawMessage] = []   # archived once their rows have landed
        self.raw_bytes = 0

    def add_input(self, sha256: str, raw: RawMessage | None) -> None:
        """An input whose rows are in the buffers; `raw` is archived with them (None: a
        report streamed from disk, which is not archived: see settle_big_report)."""
        self.raw_ids.append(sha256)
        if self.archive is not None and raw is not None:
            self.raws.append(raw)
            self.raw_bytes += len(raw.payload)

    def add(self, table: str, rows: Iterable) -> None:
        self.rows.setdefault(table, []).extend(rows)

    def size(self) -> int:
        return sum(len(v) for v in self.rows.values())

    def flush(self) -> None:
        if not self.rows:
            return
        # The file name hashes the inputs it holds: the same inputs in the same batch give the
        # same file (and land() already dropped keys another file holds).
        stem = "ingest-" + stable_id(*self.raw_ids)[:20]
        for table, rows in self.rows.items():
            self.summary.landed_by_table[table] += self.writer.land(table, rows, file_stem=stem)
        # Archived after its outputs landed: a crash in between re-reads the input next time
        # (its rows land idempotently), never skips it with its rows missing.
        if self.archive is not None:
            self.summary.archived += self.archive.add(self.raws)
        self.rows = {}
        self.raw_ids = []
        self.raws = []
        self.raw_bytes = 0


# Raw bytes held for the archive before the buffer is flushed (bounds ingest's memory).
ARCHIVE_BUFFER_BYTES = 32 * 1024 * 1024


def _archived_already(raws: list[RawMessage], archive: LakeArchive | None) -> set[str]:
    """The shas of `raws` the raw archive holds (they landed in an earlier run)."""
    if archive is None or not raws:
        return set()
    return archive.known(r.sha256 for r in raws)


@dataclass
class Settled:
    """One input worked out into what the main process lands (picklable: it may come from a
    worker process, connectors/parallel.py)."""

    sha256: str
    events: list
    eager: dict[str, list]
    staged: list[Staged]
    dead: list[NotParsed]
    raw: RawMessage | None = None    # for the raw archive (None: not archived)
    already_archived: bool = False   # skipped: the archive holds it (landed before)


def settle(raw: RawMessage, outcome, staging: Path, batch_rows: int) -> Settled:
    """An input's Outcome -> Settled: eager rows kept, lazy rows staged on disk, all or none
    (a report failing half-way keeps none of its rows and events and is dead-lettered)."""
    dead: list[NotParsed] = list(outcome.dead_letters)
    staged: list[Staged] = []
    eager: dict[str, list] = {}
    events = list(outcome.events)
    try:
        for table, rows in outcome.rows.items():
            if isinstance(rows, list):
                eager[table] = rows
            else:
                staged.append(stage_rows(table, rows, staging,
                                         f"{table}-{raw.sha256[:16]}", batch_rows))
    except Exception as exc:  # noqa: BLE001 - a report failing half-way: none of its rows
        for item in staged:
            item.discard()
        staged, eager, events = [], {}, []
        dead.append(dead_letter(raw, exc))
    return Settled(raw.sha256, events, eager, staged, dead, raw=raw)


def settle_unit(unit: list[tuple[str, str]], *, staging: Path, batch_rows: int,
                settings: Settings,
                hints: dict, archive: LakeArchive | None = None) -> list[Settled]:
    """A work unit of files (connectors/parallel.py) -> Settled inputs, in order. Inputs the
    raw archive holds are skipped (they landed before). A report file over BIG_REPORT_BYTES is
    parsed from disk (`settle_big_report`), never read whole."""
    from .sources.files import raw_messages_of_file

    out: list[Settled] = []
    run: list[tuple[Path, str]] = []

    def flush_run() -> None:
        raws = [raw for file, label in run
                for raw in raw_messages_of_file(file, label, **hints)]
        known = _archived_already(raws, archive)
        fresh = [raw for raw in raws if raw.sha256 not in known]
        answers = process_stream(iter(fresh), settings)
        for raw in raws:
            if raw.sha256 in known:
                out.append(Settled(raw.sha256, [], {}, [], [], already_archived=True))
            else:
                done, outcome = next(answers)
                out.append(settle(done, outcome, staging, batch_rows))
                if archive is None:
                    out[-1].raw = None   # nothing to archive: do not carry the bytes back
        run.clear()

    for name, label in unit:
        file = Path(name)
        big = _big_report_parser(file)
        if big is None:
            run.append((file, label))
            continue
        flush_run()
        out.append(settle_big_report(file, label, big, staging, batch_rows, settings,
                                     hints))
    flush_run()
    return out


# Report files larger than this are streamed from disk by `ingest` (flat memory whatever
# their size) instead of being read whole into a RawMessage.
BIG_REPORT_BYTES = 16 * 1024 * 1024


def _big_report_parser(file: Path) -> str | None:
    """The DMARC handler the core would pick for a big report file (the same detection:
    gzip/zip archives, XML with a DMARC root), or None: read it whole as usual."""
    from pipeline.dmarc.handlers import _is_report_xml
    from pipeline.dmarc.unwrap import kind_of

    try:
        if file.stat().st_size <= BIG_REPORT_BYTES:
            return None
        with file.open("rb") as handle:
            head = handle.read(65536)
    except OSError:
        return None   # read as usual, which reports the error as one job would
    kind = kind_of(head)
    if kind in ("gzip", "zip"):
        return "dmarc.archive"
    if kind == "xml" and _is_report_xml(None, head):
        return "dmarc.aggregate"
    return None


def settle_big_report(file: Path, label: str, parser: str, staging: Path, batch_rows: int,
                      settings: Settings, hints: dict) -> Settled:
    """A big report file, streamed: sha256 over the file, rows parsed from disk and staged;
    the same rows (ids, provenance) as the core gives the file read whole. A failure is a
    dead letter holding the file's first bytes (the file itself stays where it is)."""
    import hashlib
    from datetime import datetime, timezone

    from pipeline.dmarc.api import context_of, parse_report_file
    from pipeline.dmarc.handlers import _outcome
    from pipeline.errors import DEAD_LETTER_PAYLOAD_CAP
    from schemas.models import RawSource

    with file.open("rb") as handle:
        sha = hashlib.file_digest(handle, "sha256").hexdigest()
    size = file.stat().st_size
    received = datetime.fromtimestamp(file.stat().st_mtime, timezone.utc)
    stand_in = RawMessage(payload=b"", sha256=sha, received_at=received,
                          source=RawSource(transport="file", path=label), **hints)
    # the in-memory cap guards RawMessages; a streamed file has its own
    streamed = settings.model_copy(update={"limits": settings.limits.model_copy(
        update={"max_payload_bytes": settings.limits.max_report_file_bytes})})
    try:
        found = parse_report_file(file, settings=streamed,
                                  context=context_of(sha, stand_in.source.label, received))
        settled = settle(stand_in, _outcome(found, parser), staging, batch_rows)
        # not archived: the archive holds inputs in memory-sized rows (bouncepipe reclassify
        # replays classifications; a DMARC aggregate report's rows do not depend on them)
        settled.raw = None
    except Exception as exc:  # noqa: BLE001 - an unreadable report: a dead letter, never a crash
        settled = Settled(sha, [], {}, [], [dead_letter(stand_in, exc)])
    if settled.dead:   # the dead letter holds the file's first bytes (the file stays on disk)
        with file.open("rb") as handle:
            head = handle.read(DEAD_LETTER_PAYLOAD_CAP)
        settled.dead = [d.model_copy(update={"payload": head, "payload_size": size,
                                             "payload_truncated": size > len(head)})
                        for d in settled.dead]
    return settled


class _Landing:
    """What one ingest run lands through: the writer, the buffers (with the raw archive) and
    a staging directory for report rows; `land` takes each settled input, `close` flushes,
    removes the staging and (by default) replays the lake's events through the policy."""

    def __init__(self, lake: str | os.PathLike[str], settings: Settings | None,
                 batch_rows: int | None):
        self.lake = lake
        self.settings = settings or default_settings()
        self.batch_rows = batch_rows or self.settings.lake.rows_per_file
        self.writer = LakeWriter(lake)
        self.summary = IngestSummary()
        self.archive = (LakeArchive(lake, self.settings.archive)
                        if self.settings.archive.enabled else None)
        self.buffers = _Buffers(self.writer, self.summary, self.archive)
        self.staging = staging_dir(Path(lake))

    def land(self, settled: Settled) -> None:
        _land_input(settled, self.writer, self.buffers, self.summary, self.batch_rows)

    def close(self, *, completed: bool, suppressions: bool = True) -> IngestSummary:
        try:
            if completed:
                self.buffers.flush()
        finally:
            shutil.rmtree(self.staging, ignore_errors=True)
        summary = self.summary
        summary.rows_by_table["events"] = sum(summary.events_by_category.values())
        if completed and suppressions:
            summary.suppressions = recompute_suppressions(self.lake, self.writer, self.settings)
        return summary


def ingest(paths: Iterable[str | os.PathLike[str]], lake: str | os.PathLike[str], *,
           settings: Settings | None = None, kind_hint: str | None = None,
           provider_hint: str | None = None, tenant: str | None = None,
           on_input: Callable[[Settled], None] | None = None,
           batch_rows: int | None = None, jobs: int = 1) -> IngestSummary:
    """`batch_rows`: rows buffered before a file is written (settings lake.rows_per_file).
    `jobs`: worker processes working the inputs (connectors/parallel.py); the lake gets the
    same rows in the same files for any number."""
    from .parallel import map_ordered, work_units

    run = _Landing(lake, settings, batch_rows)
    hints = {"kind_hint": kind_hint, "provider_hint": provider_hint, "tenant": tenant}
    work = partial(settle_unit, staging=run.staging, batch_rows=run.batch_rows,
                   settings=run.settings, hints=hints,
                   archive=run.archive)
    completed = False
    try:
        for settled_unit in map_ordered(work, work_units(paths, files=UNIT_FILES), jobs):
            for settled in settled_unit:
                run.land(settled)
                if on_input:
                    on_input(settled)
        completed = True
    finally:
        summary = run.close(completed=completed)
    return summary


def ingest_raw(inputs: Iterable[RawMessage], lake: str | os.PathLike[str], *,
               settings: Settings | None = None,
               on_input: Callable[[RawMessage], None] | None = None,
               on_outcome: Callable[[RawMessage, Outcome], None] | None = None,
               batch_rows: int | None = None, suppressions: bool = True) -> IngestSummary:
    """`ingest` of RawMessages from any pull source (an IMAP folder), in this process, landed
    as `ingest` lands files. Every row is in the lake when it returns. `suppressions=False`
    leaves the replay of the lake's events through the policy to a later
    `recompute_suppressions` (a poller landing many small batches does it once per round;
    decisions are derived from events, never lost)."""
    run = _Landing(lake, settings, batch_rows)
    completed = False
    try:
        for raw, outcome in process_stream(inputs, run.settings):   # the core works in batches
            run.land(settle(raw, outcome, run.staging, run.batch_rows))
            if on_outcome:
                on_outcome(raw, outcome)
            if on_input:
                on_input(raw)
        completed = True
    finally:
        summary = run.close(completed=completed, suppressions=suppressions)
    return summary


# Files per work unit: the raw archive is asked once per unit.
UNIT_FILES = 200


def _land_input(settled: Settled, writer: LakeWriter, buffers: _Buffers,
                summary: IngestSummary, batch_rows: int) -> None:
    summary.inputs += 1
    if settled.already_archived:
        summary.already_archived += 1
        return
    for event in settled.events:
        summary.events_by_category[event.category] += 1
    buffers.add_input(settled.sha256, settled.raw)
    buffers.add("events", settled.events)
    for table, rows in settled.eager.items():
        summary.rows_by_table[table] += len(rows)
        buffers.add(table, rows)
    for item in settled.staged:
        summary.rows_by_table[item.table] += item.rows
        summary.landed_by_table[item.table] += land_staged(
            writer, item, f"ingest-{item.table}-{settled.sha256[:16]}")
    for record in settled.dead:
        summary.dead_letters_by_reason[record.reason] += 1
    buffers.add("dead_letters", settled.dead)
    if buffers.size() >= batch_rows or buffers.raw_bytes >= ARCHIVE_BUFFER_BYTES:
        buffers.flush()


def recompute_suppressions(lake: str | os.PathLike[str], writer: LakeWriter,
                           settings: Settings) -> int:
    """Replay every landed event (its latest revision applied) in time order through the
    policy; land new decisions."""
    from pipeline.suppression import SuppressionPolicy

    if not any(writer.table_dir("events").glob("dt=*/*.parquet")):
        return 0   # no event in the lake: nothing to decide (a DMARC-only lake)
    from .duck import connect   # duckdb loads only now (12 MB): not for a DMARC-only lake

    policy_file = settings.suppression.policy_file
    policy = SuppressionPolicy.from_file(policy_file) if policy_file and hasattr(
        SuppressionPolicy, "from_file") else SuppressionPolicy()
    engine = SuppressionEngine(policy)
    con = connect(lake, analytics=False)
    # one thread and a memory cap: the sort spills to disk rather than growing with the lake
    con.execute("SET threads = 1")
    con.execute("SET memory_limit = '64MB'")
    try:   # v_events_current: events as revised by `bouncepipe reclassify`
        decisions = list(replay_events(con, engine, "v_events_current"))
    finally:
        con.close()
    if not decisions:
        return 0
    stem = "ingest-" + stable_id(*(d.suppression_id for d in decisions))[:20]
    return writer.land("suppressions", pa.Table.from_pylist(
        [d.model_dump() for d in decisions], schema=to_arrow("suppressions", []).schema),
        file_stem=stem)
