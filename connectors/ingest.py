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
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.core import process_stream
from pipeline.errors import dead_letter
from pipeline.settings import Settings, default_settings
from pipeline.suppression import SuppressionEngine
from schemas.ids import stable_id
from schemas.models import MailEvent, NotParsed, RawMessage

from .duck import connect
from .lake import LakeWriter, table_spec, to_arrow

@dataclass
class IngestSummary:
    inputs: int = 0
    events_by_category: Counter = field(default_factory=Counter)
    rows_by_table: Counter = field(default_factory=Counter)       # rows produced
    landed_by_table: Counter = field(default_factory=Counter)     # rows new to the lake
    dead_letters_by_reason: Counter = field(default_factory=Counter)
    suppressions: int = 0

    @property
    def dead_letters(self) -> int:
        return sum(self.dead_letters_by_reason.values())


class _Buffers:
    """Rows waiting to land, per table; flushed into deterministic file names."""

    def __init__(self, writer: LakeWriter, summary: IngestSummary):
        self.writer = writer
        self.summary = summary
        self.rows: dict[str, list] = {}
        self.raw_ids: list[str] = []

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
        self.rows = {}
        self.raw_ids = []


# Rows of a huge report are staged in Arrow record batches of this many rows: the pydantic
# rows of one batch are all that is ever held in memory at a time.
STAGE_BATCH_ROWS = 2_000


@dataclass
class Staged:
    """A lazy row iterator (a big report) consumed into one Parquet file in the staging dir."""

    table: str
    path: Path
    rows: int


@dataclass
class Settled:
    """One input worked out into what the main process lands (picklable: it may come from a
    worker process, connectors/parallel.py)."""

    sha256: str
    events: list
    eager: dict[str, list]
    staged: list[Staged]
    dead: list[NotParsed]


def _stage_lazy_rows(raw: RawMessage, table: str, rows: Iterable, staging: Path) -> Staged:
    """Consume a (possibly huge) row iterator into a Parquet file on disk, a record batch at a
    time (flat memory); raises on bad input (the caller drops the file)."""
    path = staging / f"{table}-{raw.sha256[:16]}-{uuid.uuid4().hex}.parquet"
    schema = table_spec(table).schema
    n = 0
    try:
        with pq.ParquetWriter(path, schema, compression="zstd") as out:
            chunk: list = []
            for row in rows:
                chunk.append(row)
                if len(chunk) >= STAGE_BATCH_ROWS:
                    out.write_table(to_arrow(table, chunk))
                    n += len(chunk)
                    chunk = []
            if chunk:
                out.write_table(to_arrow(table, chunk))
                n += len(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Staged(table, path, n)


def settle(raw: RawMessage, outcome, staging: Path) -> Settled:
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
                staged.append(_stage_lazy_rows(raw, table, rows, staging))
    except Exception as exc:  # noqa: BLE001 - a report failing half-way: none of its rows
        for item in staged:
            item.path.unlink(missing_ok=True)
        staged, eager, events = [], {}, []
        dead.append(dead_letter(raw, exc))
    return Settled(raw.sha256, events, eager, staged, dead)


def settle_unit(unit: list[tuple[str, str]], *, staging: Path, settings: Settings,
                hints: dict) -> list[Settled]:
    """A work unit of files (connectors/parallel.py) -> Settled inputs, in order."""
    from .sources.files import raw_messages_of_file

    raws = (raw for file, label in unit
            for raw in raw_messages_of_file(Path(file), label, **hints))
    return [settle(raw, outcome, staging) for raw, outcome in process_stream(raws, settings)]


def _land_staged(writer: LakeWriter, item: Staged, sha256: str, batch_rows: int) -> int:
    """Promote a staged report into the lake in files of `batch_rows` rows (names from the
    input's hash and the chunk number: a re-run gives the same names)."""
    landed = 0
    source = pq.ParquetFile(item.path)
    try:
        for n, batch in enumerate(source.iter_batches(batch_size=batch_rows)):
            landed += writer.land(item.table, pa.Table.from_batches([batch]),
                                  file_stem=f"ingest-{item.table}-{sha256[:16]}-{n:05d}")
    finally:
        source.close()
        item.path.unlink(missing_ok=True)
    return landed


def ingest(paths: Iterable[str | os.PathLike[str]], lake: str | os.PathLike[str], *,
           settings: Settings | None = None, kind_hint: str | None = None,
           provider_hint: str | None = None, tenant: str | None = None,
           on_input: Callable[[Settled], None] | None = None,
           batch_rows: int | None = None, jobs: int = 1) -> IngestSummary:
    """`batch_rows`: rows buffered before a file is written (settings lake.rows_per_file).
    `jobs`: worker processes working the inputs (connectors/parallel.py); the lake gets the
    same rows in the same files for any number."""
    from .parallel import map_ordered, work_units

    settings = settings or default_settings()
    batch_rows = batch_rows or settings.lake.rows_per_file
    writer = LakeWriter(lake)
    summary = IngestSummary()
    buffers = _Buffers(writer, summary)
    staging = Path(tempfile.mkdtemp(prefix="bouncepipe-stage-"))
    hints = {"kind_hint": kind_hint, "provider_hint": provider_hint, "tenant": tenant}
    work = partial(settle_unit, staging=staging, settings=settings, hints=hints)
    try:
        for settled_unit in map_ordered(work, work_units(paths), jobs):
            for settled in settled_unit:
                _land_input(settled, writer, buffers, summary, batch_rows)
                if on_input:
                    on_input(settled)
        buffers.flush()
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    summary.rows_by_table["events"] = sum(summary.events_by_category.values())
    summary.suppressions = recompute_suppressions(lake, writer, settings)
    return summary


def _land_input(settled: Settled, writer: LakeWriter, buffers: _Buffers,
                summary: IngestSummary, batch_rows: int) -> None:
    summary.inputs += 1
    for event in settled.events:
        summary.events_by_category[event.category] += 1
    buffers.raw_ids.append(settled.sha256)
    buffers.add("events", settled.events)
    for table, rows in settled.eager.items():
        summary.rows_by_table[table] += len(rows)
        buffers.add(table, rows)
    for item in settled.staged:
        summary.rows_by_table[item.table] += item.rows
        summary.landed_by_table[item.table] += _land_staged(writer, item, settled.sha256,
                                                            batch_rows)
    for record in settled.dead:
        summary.dead_letters_by_reason[record.reason] += 1
    buffers.add("dead_letters", settled.dead)
    if buffers.size() >= batch_rows:
        buffers.flush()


def recompute_suppressions(lake: str | os.PathLike[str], writer: LakeWriter,
                           settings: Settings) -> int:
    """Replay every landed event in time order through the policy; land new decisions."""
    from pipeline.suppression import SuppressionPolicy

    policy_file = settings.suppression.policy_file
    policy = SuppressionPolicy.from_file(policy_file) if policy_file and hasattr(
        SuppressionPolicy, "from_file") else SuppressionPolicy()
    engine = SuppressionEngine(policy)
    con = connect(lake, analytics=False)
    cols = ", ".join(f for f in MailEvent.model_fields)
    reader = con.sql(
        f"SELECT {cols} FROM events WHERE recipient IS NOT NULL "
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
