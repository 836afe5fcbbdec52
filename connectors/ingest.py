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
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.core import process_stream
from pipeline.errors import dead_letter
from pipeline.settings import Settings, default_settings
from pipeline.suppression import SuppressionEngine
from schemas.ids import stable_id
from schemas.models import MailEvent, NotParsed, RawMessage

from .archive import LakeArchive
from .duck import connect
from .lake import LakeWriter, to_arrow

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

    def add_raw(self, raw: RawMessage) -> None:
        self.raw_ids.append(raw.sha256)
        if self.archive is not None:
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


def _not_archived(inputs: Iterable[RawMessage], archive: LakeArchive, summary: IngestSummary,
                  chunk: int = 500) -> Iterable[RawMessage]:
    """The inputs the archive does not hold yet (asked once per chunk), in order."""
    pending: list[RawMessage] = []

    def flush() -> Iterable[RawMessage]:
        known = archive.known(r.sha256 for r in pending)
        for raw in pending:
            if raw.sha256 in known:
                summary.inputs += 1
                summary.already_archived += 1
            else:
                yield raw
        pending.clear()

    for raw in inputs:
        pending.append(raw)
        if len(pending) >= chunk:
            yield from flush()
    yield from flush()


def _stage_lazy_rows(raw: RawMessage, table: str, rows: Iterable, staging: Path,
                     chunk_rows: int) -> list[Path]:
    """Consume a (possibly huge) row iterator into Arrow chunks on disk; raises on bad input."""
    paths, chunk = [], []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= chunk_rows:
            paths.append(_spill(table, chunk, staging, raw.sha256, len(paths)))
            chunk = []
    if chunk:
        paths.append(_spill(table, chunk, staging, raw.sha256, len(paths)))
    return paths


def _spill(table: str, chunk: list, staging: Path, sha: str, n: int) -> Path:
    path = staging / f"{table}-{sha[:16]}-{n:05d}.parquet"
    pq.write_table(to_arrow(table, chunk), path)
    return path


def ingest(paths: Iterable[str | os.PathLike[str]], lake: str | os.PathLike[str], *,
           settings: Settings | None = None, kind_hint: str | None = None,
           provider_hint: str | None = None, tenant: str | None = None,
           on_input: Callable[[RawMessage], None] | None = None,
           batch_rows: int | None = None) -> IngestSummary:
    """`batch_rows`: rows buffered before a file is written (settings lake.rows_per_file)."""
    from .sources.files import iter_raw_messages

    settings = settings or default_settings()
    batch_rows = batch_rows or settings.lake.rows_per_file
    writer = LakeWriter(lake)
    summary = IngestSummary()
    archive = LakeArchive(lake, settings.archive) if settings.archive.enabled else None
    buffers = _Buffers(writer, summary, archive)
    staging = Path(tempfile.mkdtemp(prefix="bouncepipe-stage-"))
    try:
        inputs = iter_raw_messages(paths, kind_hint=kind_hint, provider_hint=provider_hint,
                                   tenant=tenant)
        if archive is not None:
            inputs = _not_archived(inputs, archive, summary)
        for raw, outcome in process_stream(inputs, settings):   # the core works in batches
            summary.inputs += 1
            dead: list[NotParsed] = list(outcome.dead_letters)
            staged: list[tuple[str, Path]] = []
            eager: dict[str, list] = {}
            try:
                for table, rows in outcome.rows.items():
                    if isinstance(rows, list):
                        eager[table] = rows
                    else:
                        staged += [(table, p) for p in _stage_lazy_rows(raw, table, rows, staging,
                                                                         batch_rows)]
            except Exception as exc:  # noqa: BLE001 - a report failing half-way: none of its rows
                for _, path in staged:
                    path.unlink(missing_ok=True)
                staged, eager = [], {}
                outcome.events.clear()
                dead.append(dead_letter(raw, exc))
            for event in outcome.events:
                summary.events_by_category[event.category] += 1
            buffers.add_raw(raw)
            buffers.add("events", outcome.events)
            for table, rows in eager.items():
                summary.rows_by_table[table] += len(rows)
                buffers.add(table, rows)
            for table, path in staged:
                chunk = pq.read_table(path)
                summary.rows_by_table[table] += chunk.num_rows
                summary.landed_by_table[table] += writer.land(
                    table, chunk, file_stem=f"ingest-{path.stem}")
                path.unlink()
            for record in dead:
                summary.dead_letters_by_reason[record.reason] += 1
            buffers.add("dead_letters", dead)
            if buffers.size() >= batch_rows or buffers.raw_bytes >= ARCHIVE_BUFFER_BYTES:
                buffers.flush()
            if on_input:
                on_input(raw)
        buffers.flush()
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    summary.rows_by_table["events"] = sum(summary.events_by_category.values())
    summary.suppressions = recompute_suppressions(lake, writer, settings)
    return summary


def recompute_suppressions(lake: str | os.PathLike[str], writer: LakeWriter,
                           settings: Settings) -> int:
    """Replay every landed event (its latest revision applied) in time order through the
    policy; land new decisions."""
    from pipeline.suppression import SuppressionPolicy

    policy_file = settings.suppression.policy_file
    policy = SuppressionPolicy.from_file(policy_file) if policy_file and hasattr(
        SuppressionPolicy, "from_file") else SuppressionPolicy()
    engine = SuppressionEngine(policy)
    con = connect(lake, analytics=False)
    cols = ", ".join(f for f in MailEvent.model_fields)
    reader = con.sql(   # v_events_current: events as revised by `bouncepipe reclassify`
        f"SELECT {cols} FROM v_events_current WHERE recipient IS NOT NULL "
        "ORDER BY occurred_at, event_id").to_arrow_reader(settings.lake.rows_per_file)
    decisions = []
    for batch in reader:
        for row in batch.to_pylist():
            row["tags"] = dict(row["tags"]) if row["tags"] else {}
            decisions.extend(engine.feed(MailEvent.model_validate(row)))
    con.close()
    if not decisions:
        return 0
    stem = "ingest-" + stable_id(*(d.suppression_id for d in decisions))[:20]
    return writer.land("suppressions", pa.Table.from_pylist(
        [d.model_dump() for d in decisions], schema=to_arrow("suppressions", []).schema),
        file_stem=stem)
