"""DuckDB over the lake: one call gives a connection with a view per table (and analytics).

Each lake table becomes a view of the same name over
`read_parquet('{lake}/{table}/dt=*/*.parquet', hive_partitioning=true, union_by_name=true)`;
a table with no files yet still gets a typed, empty view written in plain SQL (no registered
Arrow object), so queries never fail just because nothing of that kind has landed, and a view
database persisted with `database=FILE` keeps working when reopened by another process (Grafana,
Superset, the DuckDB CLI). Paths are absolute for the same reason.

A `Slice` narrows every base view at the source: a UTC date range on each table's partition
date, and tenant / stream on events, so every analytics view over the connection answers for
that slice (`bouncepipe report --since --until --tenant --stream`).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa

from schemas.tables import TABLES


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


def base_view_sql(root: Path, name: str, part: Slice | None = None) -> str:
    spec = TABLES[name]
    where = (part or Slice()).where(name)
    if any((root / name).glob("dt=*/*.parquet")):
        source = (f"SELECT * FROM read_parquet({_literal(str(root / name) + '/dt=*/*.parquet')}, "
                  f"hive_partitioning=true, union_by_name=true)")
    else:
        source = empty_view_sql(spec.schema)
    return f"SELECT * FROM ({source}){where}" if where else source


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
    con.execute("SET TimeZone = 'UTC'")
    for name in TABLES:
        con.execute(f"CREATE OR REPLACE VIEW {name} AS {base_view_sql(root, name, part)}")
    con.execute(f"CREATE OR REPLACE VIEW v_events_current AS {CURRENT_EVENTS_SQL}")
    if analytics:
        try:
            from connectors.views import register_analytics
        except ImportError:  # analytics views are optional until installed
            pass
        else:
            register_analytics(con)
    return con
