"""DuckDB over the lake: one call gives a connection with a view per table (and analytics).

Each lake table becomes a view of the same name over
`read_parquet('{lake}/{table}/dt=*/*.parquet', hive_partitioning=true)` (union_by_name=true
only when the files' columns differ: `read_parquet_sql`);
a table with no files yet still gets a typed, empty view written in plain SQL (no registered
Arrow object), so queries never fail just because nothing of that kind has landed, and a view
database persisted with `database=FILE` keeps working when reopened by another process (Grafana,
Superset, the DuckDB CLI). Paths are absolute for the same reason.

A `Slice` narrows every base view at the source: a UTC date range on each table's partition
date, and tenant / stream on events, so every analytics view over the connection answers for
that slice (`bouncepipe report --since --until --tenant --stream`).

Schema evolution: events columns derived when an event is built (schemas.dimensions:
sending_pool, sending_ip, diagnostic_normalised) are missing from lake files written before
they existed. `connect` reads the files' footers; when any file lacks one, the events view
derives it in SQL by the same rules (the bp_* macros below) for the rows that lack it, so old
lakes answer the same, only slower (the tags map and the regular expressions per row again).
Rewriting the old files with the columns (`bouncepipe lake upgrade`) restores the speed.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa

from schemas.tables import TABLES

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Slice:
    since: date | None = None      # first UTC day, inclusive
    until: date | None = None      # last UTC day, inclusive
    tenant: str | None = None      # events only ('(none)' = events without a tenant)
    stream: str | None = None

    def where(self, table: str) -> str:
        conds = []
        if self.since:
            conds.append(f"dt >= DATE '{self.since.isoformat()}'")
        if self.until:
            conds.append(f"dt <= DATE '{self.until.isoformat()}'")
        if table == "events":
            for column, value in (("tenant", self.tenant), ("stream", self.stream)):
                if value == "(none)":
                    conds.append(f"{column} IS NULL")
                elif value is not None:
                    conds.append(f"{column} = {_literal(value)}")
        return (" WHERE " + " AND ".join(conds)) if conds else ""

    @property
    def label(self) -> str:
        parts = [f"{k} {v}" for k, v in (("since", self.since), ("until", self.until),
                                         ("tenant", self.tenant), ("stream", self.stream)) if v]
        return ", ".join(parts)


# The rules of schemas.dimensions in SQL (tests/unit/test_event_dimensions.py: they agree).
# DuckDB's regular expressions are RE2; the whitespace runs rule matches runs only, not every
# single space (5x cheaper).
DIMENSION_MACROS_SQL = r"""
CREATE OR REPLACE MACRO bp_sending_pool(tags) AS
    coalesce(tags['egress_pool'], tags['pool'], tags['ip_pool']);
CREATE OR REPLACE MACRO bp_sending_ip(tags) AS
    coalesce(tags['sending_ip'], tags['ip'], tags['egress_source']);
CREATE OR REPLACE MACRO bp_normalise_diagnostic(t) AS
    left(trim(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(
        lower(t),
        '^\s*[245][0-9][0-9][ -]+(#?[245]\.[0-9]{1,3}\.[0-9]{1,3}\s*)?', ''),
        '<?[^\s<>"'';,()]+@[^\s<>"'';,()]+>?', '<addr>', 'g'),
        '\b[0-9]{1,3}(\.[0-9]{1,3}){3}\b', '<ip>', 'g'),
        '\b[0-9a-f]{8,}\b', '<id>', 'g'),
        '[0-9]+', '#', 'g'),
        '[ \t\r\n]{2,}|[\t\r\n]', ' ', 'g')), 200);
"""
# Event columns newer than the first lake files -> how to derive each from older columns.
DERIVED_EVENT_COLUMNS = {
    "sending_pool": "bp_sending_pool(tags)",
    "sending_ip": "bp_sending_ip(tags)",
    "diagnostic_normalised": "bp_normalise_diagnostic(diagnostic)",
}


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def duckdb_type(t: pa.DataType) -> str:
    """The DuckDB type a Parquet column of Arrow type `t` reads back as."""
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "VARCHAR"
    if pa.types.is_boolean(t):
        return "BOOLEAN"
    if pa.types.is_int32(t):
        return "INTEGER"
    if pa.types.is_int64(t):
        return "BIGINT"
    if pa.types.is_floating(t):
        return "DOUBLE"
    if pa.types.is_timestamp(t):
        return "TIMESTAMP WITH TIME ZONE" if t.tz else "TIMESTAMP"
    if pa.types.is_date(t):
        return "DATE"
    if pa.types.is_binary(t) or pa.types.is_large_binary(t):
        return "BLOB"
    if pa.types.is_map(t):
        return f"MAP({duckdb_type(t.key_type)}, {duckdb_type(t.item_type)})"
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return f"{duckdb_type(t.value_type)}[]"
    if pa.types.is_struct(t):
        return "STRUCT(" + ", ".join(f'"{f.name}" {duckdb_type(f.type)}' for f in t) + ")"
    raise TypeError(f"no DuckDB type for Arrow {t}")


def empty_view_sql(schema: pa.Schema) -> str:
    cols = ", ".join(f'NULL::{duckdb_type(f.type)} AS "{f.name}"' for f in schema)
    return f"SELECT {cols}, NULL::DATE AS dt WHERE false"


def files_glob(root: Path, name: str) -> str:
    return str(root / name) + "/dt=*/*.parquet"


@dataclass(frozen=True)
class FileColumns:
    """What the footers of a table's files say about their columns."""
    files: int = 0
    sets: tuple[tuple[frozenset[str], int], ...] = ()   # (column names, files having that set)

    @property
    def uniform(self) -> bool:
        """Every file has the same column names: read_parquet needs no union_by_name."""
        return len(self.sets) <= 1

    def lacking(self, columns: list[str]) -> dict[str, tuple[int, int]]:
        """Column -> (files lacking it, files), for those of `columns` some file lacks."""
        out = {}
        for column in columns:
            having = sum(n for names, n in self.sets if column in names)
            if having < self.files:
                out[column] = (self.files - having, self.files)
        return out


def file_columns(con: duckdb.DuckDBPyConnection, files_sql: str) -> FileColumns:
    """The column-name sets of the Parquet files `files_sql` names (a glob or a list, as SQL),
    from their footers only (~0.1 ms a file). Nested fields' names count too: they are part of
    what must agree."""
    # a hash of each file's names, then the names of one file per distinct hash: a list of
    # distinct names per file held until the grouping ends cost twice the memory (+187 MB at
    # 17,947 files, and every lake command connects)
    rows = con.execute(
        "SELECT count(*), min(file_name) FROM (SELECT file_name, hash(list_sort(list(name))) AS h "
        f"FROM parquet_schema({files_sql}) GROUP BY file_name) GROUP BY h").fetchall()
    sets = []
    for n, example in rows:
        names = con.execute("SELECT DISTINCT name FROM parquet_schema(?)", [example]).fetchall()
        sets.append((frozenset(name for (name,) in names), n))
    sets.sort(key=lambda s: -s[1])
    return FileColumns(sum(n for _, n in sets), tuple(sets))


def read_parquet_sql(files_sql: str, columns: FileColumns, *, hive: bool = True,
                     extra: str = "") -> str:
    """read_parquet over `files_sql`; union_by_name only when the files' columns differ.

    Why not always: with union_by_name DuckDB opens and keeps a reader for every file while
    binding, ~84 KB each (a lake of 5,439 event files: +456 MB before a row is read, and its
    scans 2.5x slower). Files written by one version of bouncepipe all agree; a lake with files
    of an older version (`bouncepipe lake upgrade` rewrites them) gets union_by_name, which
    gives a missing column as NULL. Without it DuckDB binds to the first file's columns, which
    are every file's at connect time. A file written later that lacks one of them fails the
    query loudly ("schema mismatch"), one with more columns is read without them (this
    connection does not know them); a new connection (or `bouncepipe views` again) reads both
    by name."""
    options = [*(["hive_partitioning=true"] if hive else []),
               *([] if columns.uniform else ["union_by_name=true"]), *([extra] if extra else [])]
    return f"read_parquet({', '.join([files_sql, *options])})"


def base_view_sql(root: Path, name: str, part: Slice | None = None,
                  columns: FileColumns | None = None) -> str:
    """`columns` (`file_columns` of the table's files; none: the table has no file yet):
    whether they agree, and for events, which derived columns some files lack (then derived
    in SQL)."""
    spec = TABLES[name]
    where = (part or Slice()).where(name)
    columns = columns or FileColumns()
    if columns.files:
        source = f"SELECT * FROM {read_parquet_sql(_literal(files_glob(root, name)), columns)}"
        lacking = columns.lacking(list(DERIVED_EVENT_COLUMNS)) if name == "events" else None
        if lacking:
            source = _derive_missing(source, lacking)
    else:
        source = empty_view_sql(spec.schema)
    return f"SELECT * FROM ({source}){where}" if where else source


def _derive_missing(source: str, lacking: dict[str, tuple[int, int]]) -> str:
    """Wrap the events source so that the derived columns are filled where a file lacks them:
    coalesce when some files have the column, the rule alone when none has it. (A database
    persisted by `bouncepipe views` keeps this shape: re-run it after `bouncepipe lake upgrade`.)"""
    replaced = [f"coalesce({c}, {DERIVED_EVENT_COLUMNS[c]}) AS {c}"
                for c, (n, files) in lacking.items() if n < files]
    added = [f"{DERIVED_EVENT_COLUMNS[c]} AS {c}" for c, (n, files) in lacking.items() if n == files]
    select = "*" + (f" REPLACE ({', '.join(replaced)})" if replaced else "")
    return f"SELECT {', '.join([select, *added])} FROM ({source})"


# The current classification of each event: its latest revision applied, withdrawn left out
# (`connect` creates it as the view v_events_current on every connection).
CURRENT_EVENTS_SQL = """
WITH latest AS (
    SELECT * FROM event_revisions
    QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY revised_at DESC, revision_id DESC) = 1)
SELECT e.* EXCLUDE (dt) REPLACE (
           coalesce(r.category, e.category) AS category,
           CASE WHEN r.event_id IS NULL THEN e.reason ELSE r.reason END AS reason,
           CASE WHEN r.event_id IS NULL THEN e.recipient ELSE r.recipient END AS recipient,
           CASE WHEN r.event_id IS NULL THEN e.recipient_domain ELSE r.recipient_domain END AS recipient_domain,
           CASE WHEN r.event_id IS NULL THEN e.status ELSE r.status END AS status,
           coalesce(r.rule, e.rule) AS rule,
           coalesce(r.classifier_version, e.classifier_version) AS classifier_version)
FROM events e LEFT JOIN latest r USING (event_id)
WHERE NOT coalesce(r.withdrawn, false)
"""


def connect(lake: str | os.PathLike[str], *, database: str = ":memory:",
            analytics: bool = True, part: Slice | None = None,
            config: dict | None = None) -> duckdb.DuckDBPyConnection:
    root = Path(lake).resolve()
    con = duckdb.connect(database, config=config or {})
    # No progress bar: DuckDB draws it on stdout, where `query`, `reclassify --out -` and
    # scripts write their answers, for any statement over 2 s (reading the footers of a lake of
    # ~18,000 files takes ~4 s). The print switch, because progress_bar_time switches the bar
    # itself on again. Inside Jupyter DuckDB refuses any change to the bar without ipywidgets
    # (the notebooks): there it draws in the notebook, not into data, and is left as it is.
    try:
        con.execute("SET enable_progress_bar_print = false")
    except duckdb.InvalidInputException:
        pass
    con.execute("SET TimeZone = 'UTC'")
    for statement in DIMENSION_MACROS_SQL.split(";\n")[:-1]:  # a ';' ends a line only there
        con.execute(statement)
    for name in TABLES:
        columns = (file_columns(con, _literal(files_glob(root, name)))
                   if any((root / name).glob("dt=*/*.parquet")) else FileColumns())
        lacking = columns.lacking(list(DERIVED_EVENT_COLUMNS)) if name == "events" else None
        if lacking:
            log.warning("events: %s lake file(s) predate the columns %s: derived at query time "
                        "(slower); `bouncepipe lake upgrade` rewrites them",
                        max(n for n, _ in lacking.values()), ", ".join(lacking))
        view = base_view_sql(root, name, part, columns)
        con.execute(f"CREATE OR REPLACE VIEW {name} AS {view}")
    con.execute(f"CREATE OR REPLACE VIEW v_events_current AS {CURRENT_EVENTS_SQL}")
    if analytics:
        try:
            from connectors.views import register_analytics
        except ImportError:  # analytics views are optional until installed
            pass
        else:
            register_analytics(con)
    return con
