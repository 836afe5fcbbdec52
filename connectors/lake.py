"""The Parquet lake: explicit schemas, Hive partitions, deterministic file names, atomic writes.

Layout: {root}/{table}/dt=YYYY-MM-DD/{file_stem}.parquet  (dt from the table's date_field, UTC)

Two ways in:
- `write(table, rows, file_stem=...)`: the streaming sink names files from topic/partition/
  offset ranges, so a replay rewrites the same file (temp file + fsync + atomic rename).
- `land(table, rows, file_stem=...)`: batch `ingest`; drops rows whose key is already in the
  lake (or twice in the batch), so ingesting the same inputs again adds nothing.
"""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Mapping
from operator import itemgetter
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pydantic import BaseModel

from connectors.durable import durable_replace
from schemas.tables import TABLES, LakeTable


def table_spec(name: str) -> LakeTable:
    try:
        return TABLES[name]
    except KeyError:
        raise KeyError(f"unknown lake table {name!r}; known: {', '.join(sorted(TABLES))}") from None


def _as_dict(row: BaseModel | Mapping[str, Any]) -> Mapping[str, Any]:
    return row.model_dump() if isinstance(row, BaseModel) else row


def to_arrow(table: str, rows: Iterable[BaseModel | Mapping[str, Any]]) -> pa.Table:
    """Rows (models or dicts) -> an Arrow table with the table's explicit schema."""
    spec = table_spec(table)
    schema = spec.schema
    names = schema.names
    derive = spec.derive
    if derive is None:
        dicts = [_as_dict(row) for row in rows]
    else:   # a model derived them on validation; a plain dict may not
        dicts = [_as_dict(row) if isinstance(row, BaseModel) else derive(dict(row))
                 for row in rows]
    try:
        # the bulk path (a huge report's rows, every column present): one C-level pass per
        # row picks its values, one transposes them into columns
        columns: list = list(zip(*map(itemgetter(*names), dicts))) if dicts else []
    except KeyError:   # a row without some column: null there
        columns = [[data.get(name) for data in dicts] for name in names]
    if not columns:
        columns = [[] for _ in names]
    return pa.table([pa.array(values, type=schema.field(i).type)
                     for i, values in enumerate(columns)], schema=schema)


def chunk_to_arrow(table: str, chunk, last: list | None = None) -> pa.Table:
    """A chunk of rows held by column (`chunk.columns()`: the values all its rows share by
    name, and the others' values by name; see pipeline.outcome.ChunkedRows) -> the same Arrow
    table `to_arrow(table, chunk.rows())` gives, without a dict per row. A chunk that does
    not cover the table's columns (the model gained a field its parser does not give) goes
    through its rows. `last`: a list the caller keeps between the chunks of one iterator;
    the shared columns' arrays are reused for a chunk of the same report and length."""
    spec = table_spec(table)
    schema = spec.schema
    shared, columns = chunk.columns()
    if spec.derive is not None or not all(n in columns or n in shared for n in schema.names):
        return to_arrow(table, chunk.rows())
    count = len(chunk)
    if last and last[0] is shared and last[1] == count:
        repeated = last[2]
    else:   # each shared value converted once, repeated
        repeated = {name: pa.repeat(pa.scalar(shared[name], type=schema.field(name).type),
                                    count) for name in schema.names if name not in columns}
        if last is not None:
            last[:] = [shared, count, repeated]
    return pa.table([pa.array(columns[field.name], type=field.type) if field.name in columns
                     else repeated[field.name] for field in schema], schema=schema)


def partition_dates(column: pa.ChunkedArray) -> tuple[pa.Array | None, list[str]]:
    """(each row's partition date, the distinct ones). One date, the usual case (a report's
    rows share their date): from its earliest and latest instants, without formatting every
    row's (then the per-row dates are None: not needed). Rows without one go to "unknown"."""
    if column.null_count == 0 and len(column):
        bounds = pc.min_max(column)
        if bounds["min"] == bounds["max"]:   # every row's instant is the first row's
            return None, pc.strftime(column.slice(0, 1), format="%Y-%m-%d").to_pylist()
    dates = pc.fill_null(pc.strftime(column, format="%Y-%m-%d"), "unknown")
    return dates, pc.unique(dates).to_pylist()


def _value_column_options(schema: pa.Schema) -> dict:
    """Binary columns (raw payloads of the archive and dead letters, up to megabytes a
    value) get no dictionary and no min/max statistics: both copy every value again while
    the file is written (a 2.4 MB payload cost ~20 MB of peak memory) and no query uses
    them on raw bytes."""
    binary = {f.name for f in schema if pa.types.is_binary(f.type)
              or pa.types.is_large_binary(f.type)}
    if not binary:
        return {}
    others = [name for name in schema.names if name not in binary]
    return {"use_dictionary": others, "write_statistics": others}


def _atomic_write(arrow_table: pa.Table, path: Path, row_group_rows: int | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        pq.write_table(arrow_table, tmp, compression="zstd", row_group_size=row_group_rows,
                       **_value_column_options(arrow_table.schema))
        durable_replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def rewrite_file(table: str, arrow_table: pa.Table, path: Path) -> None:
    """Replace one lake file in place (atomic, durable) with `arrow_table` in the table's
    schema: columns the rows lack become null, the others are cast to the schema's types."""
    spec = table_spec(table)
    columns = {f.name: (arrow_table[f.name].cast(f.type) if f.name in arrow_table.column_names
                        else pa.nulls(arrow_table.num_rows, f.type)) for f in spec.schema}
    _atomic_write(pa.table(columns, schema=spec.schema), path, spec.row_group_rows)


class LakeWriter:
    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)

    def table_dir(self, table: str) -> Path:
        return self.root / table

    def write(self, table: str, rows: Iterable[BaseModel | Mapping[str, Any]] | pa.Table,
              *, file_stem: str) -> list[Path]:
        """Write rows to {table}/dt=.../{file_stem}.parquet, one file per partition date.

        The same stem and rows give the same files: a replay overwrites, never duplicates.
        """
        spec = table_spec(table)
        arrow_table = rows if isinstance(rows, pa.Table) else to_arrow(table, rows)
        if arrow_table.num_rows == 0:
            return []
        dates, unique = partition_dates(arrow_table[spec.date_field])
        written = []
        for dt in sorted(unique):
            part = arrow_table if dates is None else arrow_table.filter(pc.equal(dates, dt))
            path = self.table_dir(table) / f"dt={dt}" / f"{file_stem}.parquet"
            _atomic_write(part, path, spec.row_group_rows)
            written.append(path)
        return written

    def existing_keys(self, table: str, candidates: pa.Array) -> set[str]:
        """Which of `candidates` are already landed in `table`: from the process's key index
        (lake_keys: each file's keys read once), or through DuckDB for a table too big for it."""
        from .lake_keys import landed_among

        spec = table_spec(table)
        files = list(self.table_dir(table).glob("dt=*/*.parquet"))
        if not files or len(candidates) == 0:
            return set()
        found = landed_among(self.table_dir(table), table, spec.key, files, candidates.to_pylist())
        if found is not None:
            return found
        import duckdb   # only now: start-up, the parsers and a fresh lake do without it (12 MB)

        # capped: the join spills to disk rather than growing with the lake (ingest's peak
        # memory is bounded whatever the lake's size)
        con = duckdb.connect(config={"memory_limit": "128MB"})
        try:
            con.register("candidates", pa.table({"k": candidates}))
            found = con.execute(
                f"SELECT DISTINCT t.{spec.key} FROM read_parquet(?, hive_partitioning=false) t "
                f"JOIN candidates c ON t.{spec.key} = c.k",
                [[str(f) for f in files]],
            ).fetchall()
        finally:
            con.close()
        return {row[0] for row in found}

    def land(self, table: str, rows: Iterable[BaseModel | Mapping[str, Any]] | pa.Table,
             *, file_stem: str) -> int:
        """Idempotent landing: write only rows whose key is new. Returns rows written."""
        spec = table_spec(table)
        arrow_table = rows if isinstance(rows, pa.Table) else to_arrow(table, rows)
        if arrow_table.num_rows == 0:
            return 0
        keys = arrow_table[spec.key]
        # Within the batch: first occurrence wins (the same report as .xml and .gz, say).
        seen: set[str] = set()
        keep = []
        for key in keys.to_pylist():
            keep.append(key not in seen)
            seen.add(key)
        arrow_table = arrow_table.filter(pa.array(keep))
        existing = self.existing_keys(table, pc.unique(arrow_table[spec.key]))
        if existing:
            mask = pc.invert(pc.is_in(arrow_table[spec.key], value_set=pa.array(sorted(existing))))
            arrow_table = arrow_table.filter(mask)
        self.write(table, arrow_table, file_stem=file_stem)
        return arrow_table.num_rows

