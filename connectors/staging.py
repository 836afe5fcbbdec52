"""Staged report rows: a huge report's rows written straight into their final lake files.

`ingest` lands a report's rows all or nothing. Its rows are converted a record batch at a
time and written into chunk files (chunk n holds the report's rows n*batch_rows .. up to
(n+1)*batch_rows, one file per partition date) in a staging directory inside the lake, so
promoting them is a rename on the same file system (`land_staged`). Memory stays flat in the
report's size: one record batch of rows and the open chunk's writers (footer metadata of at
most batch_rows / STAGE_BATCH_ROWS row groups) are all that is held; the file is never read
back unless some but not all of its rows are in the lake already (a re-run that died
half-way), and then it is rewritten without them a record batch at a time.
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .durable import durable_replace
from .lake import LakeWriter, chunk_to_arrow, partition_dates, table_spec, to_arrow

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
        dates, unique = partition_dates(piece[date_field])
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

    def write(batch: pa.Table) -> None:
        nonlocal position
        if has_report_key:
            reports.update(pc.unique(batch["report_key"]).to_pylist())
        while batch.num_rows:   # a piece per chunk: chunk n holds rows n*batch_rows..
            chunk = position // batch_rows
            piece = batch.slice(0, (chunk + 1) * batch_rows - position)
            batch = batch.slice(piece.num_rows)
            position += piece.num_rows
            writers.append(chunk, piece, spec.date_field)

    try:
        for batch in _arrow_batches(table, rows):
            write(batch)
        writers.close()
    except BaseException:
        writers.close()
        Staged(table, writers.files, 0).discard()
        raise
    return Staged(table, writers.files, position,
                  frozenset(k for k in reports if k is not None))


def _arrow_batches(table: str, rows: Iterable) -> Iterator[pa.Table]:
    """`rows` as Arrow tables of STAGE_BATCH_ROWS rows (the last one shorter). Rows that come
    in chunks of columns (`ChunkedRows.chunks()`: a big DMARC report's records) are converted
    a chunk at a time without a dict per row, then cut to the same batches."""
    chunks = getattr(rows, "chunks", None)
    if chunks is None:
        rows = iter(rows)
        while pending := list(islice(rows, STAGE_BATCH_ROWS)):
            yield to_arrow(table, pending)
        return
    held: list[pa.Table] = []
    count = 0
    for piece in _chunk_tables(table, chunks()):
        while piece.num_rows:
            take = min(STAGE_BATCH_ROWS - count, piece.num_rows)
            held.append(piece.slice(0, take))
            count += take
            piece = piece.slice(take)
            if count == STAGE_BATCH_ROWS:
                yield held[0] if len(held) == 1 else pa.concat_tables(held)
                held, count = [], 0
    if held:
        yield held[0] if len(held) == 1 else pa.concat_tables(held)


def _chunk_tables(table: str, items: Iterator) -> Iterator[pa.Table]:
    """Chunks -> Arrow tables; plain row dicts among them (a fallback parser's) -> Arrow
    tables of up to STAGE_BATCH_ROWS rows."""
    pending: list[dict] = []
    last: list = []   # the previous chunk's shared columns, for the next of its report
    for item in items:
        if type(item) is dict:
            pending.append(item)
            if len(pending) >= STAGE_BATCH_ROWS:
                yield to_arrow(table, pending)
                pending = []
            continue
        if pending:
            yield to_arrow(table, pending)
            pending = []
        yield chunk_to_arrow(table, item, last)
    if pending:
        yield to_arrow(table, pending)


def land_staged(writer: LakeWriter, item: Staged, stem: str) -> int:
    """Promote a staged report into the lake as {table}/dt=.../{stem}-{chunk:05d}.parquet
    (names from the input's hash and the chunk number: a re-run gives the same names). Rows
    already landed (a re-run, the same report as .xml and .gz) are left out, as
    `LakeWriter.land` does for small inputs; when none are, each file is renamed into place.
    Memory stays flat: a re-run of the same input is recognised by its chunk files; else the
    lake is asked how many of the report's rows it holds (`_LandedBefore`), and only when
    that is some but not all are the chunk files rewritten, a record batch at a time."""
    spec = table_spec(item.table)
    finals = [writer.table_dir(item.table) / f"dt={staged.dt}" /
              f"{stem}-{staged.chunk:05d}.parquet" for staged in item.files]
    if _landed_by_this_input(item, finals):
        item.discard()
        return 0   # a re-run of the same input: no need to ask the lake row by row
    landed_before = _LandedBefore(writer, item, spec)
    try:
        held = landed_before.count()
        if held and held >= item.rows:
            return 0   # every row is in the lake already
        landed = 0
        for staged, final in zip(item.files, finals):
            final.parent.mkdir(parents=True, exist_ok=True)
            if not held:
                landed += pq.read_metadata(staged.path).num_rows
                durable_replace(staged.path, final)
            else:
                landed += _write_batches(landed_before.rows_not_landed(staged.path), final,
                                         spec.schema)
        return landed
    finally:
        landed_before.close()
        item.discard()


def _landed_by_this_input(item: Staged, finals: list[Path]) -> bool:
    """Every chunk file this input would land exists with the same number of rows: the same
    bytes staged into the same chunks give the same rows (a chunk's rows are positions
    n*batch_rows.. of the report), so they landed in an earlier run."""
    try:
        return all(pq.read_metadata(final).num_rows == pq.read_metadata(staged.path).num_rows
                   for staged, final in zip(item.files, finals))
    except (FileNotFoundError, OSError, pa.ArrowInvalid):
        return False


def _write_batches(batches, final: Path, schema: pa.Schema) -> int:
    """Record batches -> `final` (temp file, fsync, rename); no file when there are none."""
    tmp = final.with_name(f".{final.name}.{uuid.uuid4().hex}.tmp")
    out: pq.ParquetWriter | None = None
    kept = 0
    try:
        for batch in batches:
            if batch.num_rows:
                if out is None:
                    out = pq.ParquetWriter(tmp, schema, compression="zstd")
                out.write_table(pa.Table.from_batches([batch]).cast(schema))
                kept += batch.num_rows
        if out is not None:
            out.close()
            out = None
            durable_replace(tmp, final)
    finally:
        if out is not None:
            out.close()
        tmp.unlink(missing_ok=True)
    return kept


class _LandedBefore:
    """The staged report's rows the lake holds already (usually none), found through its
    reports' keys. Where the row key is derived from the report key and the record's position
    (dmarc_aggregate) with a bitmap of landed positions per report, a byte per record (a
    DISTINCT over a million key strings in DuckDB peaked ~100 MB over its 64 MB limit, and an
    anti-join at 16 MB ran out of memory); else in DuckDB (one thread, 64 MB, spilling into
    the staging dir). A table without a report key: none."""

    def __init__(self, writer: LakeWriter, item: Staged, spec):
        self.key, self.con, self.files = spec.key, None, []
        self.reports = sorted(item.report_keys)
        self.by_position = _keyed_by_position(spec)
        if "report_key" in spec.schema.names and self.reports and item.files:
            self.files = [str(f) for f in writer.table_dir(item.table).glob("dt=*/*.parquet")]
            self.spill = str(item.files[0].path.parent)

    def count(self) -> int:
        if not self.files:
            return 0
        if self.by_position:
            self.positions = _landed_positions(self.files, self.reports)
            return int(sum(int(bits.sum()) for bits in self.positions.values()))
        return self._duckdb().execute("SELECT count(*) FROM landed").fetchall()[0][0]

    def rows_not_landed(self, staged: Path):
        """The staged file's rows whose key is not in the lake, in file order, in record
        batches."""
        if self.by_position:
            return _without_positions(staged, self.positions)
        return self._duckdb().sql(
            f"SELECT s.* FROM read_parquet(?) s WHERE NOT EXISTS "
            f"(SELECT 1 FROM landed l WHERE l.k = s.{self.key})",
            params=[str(staged)]).to_arrow_reader(STAGE_BATCH_ROWS)

    def _duckdb(self):
        if self.con is None:
            import duckdb   # only when the lake holds some rows of the report (~12 MB)

            self.con = duckdb.connect(config={"threads": 1, "memory_limit": "64MB",
                                              "temp_directory": self.spill})
            self.con.register("reports", pa.table({"k": pa.array(self.reports, pa.string())}))
            self.con.read_parquet(self.files, hive_partitioning=False).create_view("lake_rows")
            self.con.execute(
                f"CREATE TEMP VIEW landed AS SELECT DISTINCT t.{self.key} AS k "
                "FROM lake_rows t JOIN reports r ON t.report_key = r.k")
        return self.con

    def close(self) -> None:
        if self.con is not None:
            self.con.close()


def _keyed_by_position(spec) -> bool:
    """Whether the table's row key derives from its report key and the record's position."""
    return spec.key == "row_id" and {"report_key", "record_index"} <= set(spec.schema.names)


def _landed_positions(files: list[str], reports: list[str]) -> dict:
    """report key -> bitmap of the record positions the lake's rows of `reports` hold: the
    distinct row keys of a table whose key is derived from exactly these two
    (schemas.dmarc.aggregate_row_id), a byte per record instead of a hash table of key
    strings (a pyarrow dataset scan of the same cost ~40 MB more)."""
    import numpy as np   # loaded with pyarrow

    wanted = pa.array(reports, pa.string())
    seen: dict[str, np.ndarray] = {}
    for file in files:   # one file, two columns, a record batch at a time
        with pq.ParquetFile(file) as source:
            for batch in source.iter_batches(batch_size=STAGE_BATCH_ROWS,
                                             columns=["report_key", "record_index"],
                                             use_threads=False):
                keys, positions = batch.column(0), batch.column(1)
                mine = pc.is_in(keys, value_set=wanted)
                if not pc.any(mine).as_py():
                    continue
                for key in pc.unique(keys.filter(mine)).to_pylist():
                    found = positions.filter(pc.equal(keys, key)).drop_null().to_numpy()
                    found = found[found >= 0]
                    if not len(found):
                        continue
                    bits = seen.get(key)
                    top = int(found.max()) + 1
                    if bits is None or len(bits) < top:
                        grown = np.zeros(max(top, 2 * len(bits) if bits is not None else 0),
                                         bool)
                        if bits is not None:
                            grown[:len(bits)] = bits
                        bits = seen[key] = grown
                    bits[found] = True
    return seen


def _without_positions(staged: Path, positions: dict):
    """The staged file's record batches without the rows whose position is in `positions`."""
    import numpy as np

    with pq.ParquetFile(staged) as source:
        for batch in source.iter_batches(batch_size=STAGE_BATCH_ROWS):
            keys = batch.column("report_key")
            index = batch.column("record_index").fill_null(-1).to_numpy()
            landed = np.zeros(batch.num_rows, bool)
            for key in pc.unique(keys).to_pylist():
                bits = positions.get(key)
                if bits is None:
                    continue
                rows = np.flatnonzero(pc.equal(keys, key).fill_null(False).to_numpy(
                    zero_copy_only=False))
                at = index[rows]
                known = (at >= 0) & (at < len(bits))
                landed[rows[known]] = bits[at[known]]
            yield batch.filter(pa.array(~landed))


def staging_dir(lake: Path) -> Path:
    """Where a run stages report rows: a hidden directory inside the lake (renames into the
    lake stay on one file system), outside every table's `{table}/dt=*/` glob. Its name says
    which host and process own it, so a later run can sweep what a killed run left behind."""
    import tempfile

    lake.mkdir(parents=True, exist_ok=True)
    sweep_abandoned_staging(lake)
    return Path(tempfile.mkdtemp(prefix=f".staging-{_HOST}-{os.getpid()}-", dir=lake))


_HOST = re.sub(r"[^A-Za-z0-9.]", "_", socket.gethostname()) or "host"


def sweep_abandoned_staging(lake: Path) -> list[Path]:
    """Remove staging directories whose owning process on this host no longer runs (a run
    killed with -9 never renames its chunks into the lake; they are not data: the next run
    stages the report again). Another host's directories, and ones whose owner lives, stay."""
    removed = []
    for path in lake.glob(f".staging-{_HOST}-*-*"):
        pid_text = path.name[len(f".staging-{_HOST}-"):].split("-", 1)[0]
        if not pid_text.isdigit() or _alive(int(pid_text)):
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:   # someone else's process: alive
        return True
    return True
