"""Staged report rows: a huge report's rows written straight into their final lake files.

`ingest` lands a report's rows all or nothing. Its rows are converted a record batch at a
time and written into chunk files (chunk n holds the report's rows n*batch_rows .. up to
(n+1)*batch_rows, one file per partition date) in a staging directory inside the lake, so
promoting them is a rename on the same file system (`land_staged`). Memory stays flat in the
report's size: one record batch of rows and the open chunk's writers (footer metadata of at
most batch_rows / STAGE_BATCH_ROWS row groups) are all that is held; the file is never read
back unless some of its rows are in the lake already (a re-run, the same report as .xml and
.gz), and then it is rewritten without them a record batch at a time.
"""
from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .lake import LakeWriter, durable_replace, table_spec, to_arrow

# Rows converted to Arrow at a time, and so rows per row group of a chunk file: the row
# dicts of one batch and its Arrow copy are all that a report's rows ever hold in memory.
STAGE_BATCH_ROWS = 2_000



@dataclass
class StagedFile:
    chunk: int
    dt: str          # partition date (the table's date_field, UTC), "unknown" when null
    path: Path


@dataclass
class Staged:
    """A lazy row iterator (a big report) consumed into chunk files in the staging dir."""

    table: str
    files: list[StagedFile]
    rows: int
    report_keys: frozenset = frozenset()   # the reports its rows belong to (dedup on landing)

    def discard(self) -> None:
        for item in self.files:
            item.path.unlink(missing_ok=True)


class _ChunkWriters:
    """The open chunk's Parquet writers, one per partition date; a chunk is closed when the
    next begins (its footer written, the writers' memory freed)."""

    def __init__(self, staging: Path, table: str, name: str, schema: pa.Schema):
        self.staging, self.table, self.name, self.schema = staging, table, name, schema
        self.chunk: int | None = None
        self.open: dict[str, pq.ParquetWriter] = {}
        self.files: list[StagedFile] = []

    def append(self, chunk: int, piece: pa.Table, date_field: str) -> None:
        if chunk != self.chunk:
            self.close()
            self.chunk = chunk
        dates = pc.fill_null(pc.strftime(piece[date_field], format="%Y-%m-%d"), "unknown")
        unique = pc.unique(dates).to_pylist()
        for dt in unique:
            part = piece if len(unique) == 1 else piece.filter(pc.equal(dates, dt))
            if dt not in self.open:
                path = self.staging / f"{self.name}-{chunk:05d}-{dt}-{uuid.uuid4().hex}.parquet"
                self.files.append(StagedFile(chunk, dt, path))
                self.open[dt] = pq.ParquetWriter(path, self.schema, compression="zstd")
            self.open[dt].write_table(part)

    def close(self) -> None:
        for out in self.open.values():
            out.close()
        self.open = {}


def stage_rows(table: str, rows: Iterable, staging: Path, name: str,
               batch_rows: int) -> Staged:
    """Consume a (possibly huge) row iterator into chunk files of `batch_rows` rows in
    `staging`, a record batch at a time (flat memory); raises on bad input (after removing
    what it wrote)."""
    spec = table_spec(table)
    has_report_key = "report_key" in spec.schema.names
    writers = _ChunkWriters(staging, table, name, spec.schema)
    reports: set[str] = set()
    position = 0

    def write(chunk_rows: list) -> None:
        nonlocal position
        batch = to_arrow(table, chunk_rows)
        if has_report_key:
            reports.update(pc.unique(batch["report_key"]).to_pylist())
        while batch.num_rows:   # a piece per chunk: chunk n holds rows n*batch_rows..
            chunk = position // batch_rows
            piece = batch.slice(0, (chunk + 1) * batch_rows - position)
            batch = batch.slice(piece.num_rows)
            position += piece.num_rows
            writers.append(chunk, piece, spec.date_field)

    try:
        rows = iter(rows)
        while pending := list(islice(rows, STAGE_BATCH_ROWS)):
            write(pending)
        writers.close()
    except BaseException:
        writers.close()
        Staged(table, writers.files, 0).discard()
        raise
    return Staged(table, writers.files, position,
                  frozenset(k for k in reports if k is not None))


def land_staged(writer: LakeWriter, item: Staged, stem: str) -> int:
    """Promote a staged report into the lake as {table}/dt=.../{stem}-{chunk:05d}.parquet
    (names from the input's hash and the chunk number: a re-run gives the same names). Rows
    already landed (a re-run, the same report as .xml and .gz) are left out, as
    `LakeWriter.land` does for small inputs; when none are, each file is renamed into place."""
    spec = table_spec(item.table)
    try:
        landed_before = _landed_rows_of(writer, item, spec)
        if landed_before is not None and len(landed_before) >= item.rows:
            return 0   # every row is in the lake already
        landed = 0
        for staged in item.files:
            final = writer.table_dir(item.table) / f"dt={staged.dt}" / \
                f"{stem}-{staged.chunk:05d}.parquet"
            final.parent.mkdir(parents=True, exist_ok=True)
            if landed_before is None or not len(landed_before):
                landed += pq.read_metadata(staged.path).num_rows
                durable_replace(staged.path, final)
            else:
                landed += _rewrite_without(staged.path, final, spec.key, landed_before)
        return landed
    finally:
        item.discard()


def _rewrite_without(source: Path, final: Path, key: str, landed_before: pa.Array) -> int:
    """`source` without the rows whose key is in `landed_before`, written to `final` a record
    batch at a time (no file when none is left)."""
    tmp = final.with_name(f".{final.name}.{uuid.uuid4().hex}.tmp")
    out: pq.ParquetWriter | None = None
    kept = 0
    reader = pq.ParquetFile(source)
    try:
        for batch in reader.iter_batches(batch_size=STAGE_BATCH_ROWS):
            piece = pa.Table.from_batches([batch])
            piece = piece.filter(pc.invert(pc.is_in(piece[key], value_set=landed_before)))
            if piece.num_rows:
                if out is None:
                    out = pq.ParquetWriter(tmp, piece.schema, compression="zstd")
                out.write_table(piece)
                kept += piece.num_rows
        if out is not None:
            out.close()
            out = None
            durable_replace(tmp, final)
    finally:
        reader.close()
        if out is not None:
            out.close()
        tmp.unlink(missing_ok=True)
    return kept


def _landed_rows_of(writer: LakeWriter, item: Staged, spec) -> pa.Array | None:
    """Keys of the staged report's rows that are already in the lake (usually none), found by
    the report's key column; None when the table has none (then every row is written)."""
    if "report_key" not in spec.schema.names:
        return None
    files = [str(f) for f in writer.table_dir(item.table).glob("dt=*/*.parquet")]
    if not files:
        return pa.array([], pa.string())
    import duckdb   # only when the table has files: an empty lake never loads it (~12 MB)

    reports = pa.array(sorted(item.report_keys), pa.string())
    con = duckdb.connect(config={"threads": 1, "memory_limit": "64MB"})
    try:
        con.register("reports", pa.table({"k": reports}))
        return con.sql(
            f"SELECT DISTINCT t.{spec.key} AS k FROM read_parquet(?, hive_partitioning=false) t "
            "JOIN reports r ON t.report_key = r.k",
            params=[files]).to_arrow_table().column("k").combine_chunks()
    finally:
        con.close()


def staging_dir(lake: Path) -> Path:
    """Where a run stages report rows: a hidden directory inside the lake (renames into the
    lake stay on one file system), outside every table's `{table}/dt=*/` glob."""
    import tempfile

    lake.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=".staging-", dir=lake))
