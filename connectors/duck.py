"""DuckDB over the lake: one call gives a connection with a view per table (and analytics).

Each lake table becomes a view of the same name over
`read_parquet('{lake}/{table}/**/*.parquet', hive_partitioning=true, union_by_name=true)`;
a table with no files yet still gets a typed, empty view (from its explicit Arrow schema), so
queries never fail just because nothing of that kind has landed.
"""
from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pyarrow as pa

from schemas.tables import TABLES


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


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")


def connect(lake: str | os.PathLike[str], *, database: str = ":memory:",
            analytics: bool = True) -> duckdb.DuckDBPyConnection:
    root = Path(lake)
    con = duckdb.connect(database)
    con.execute("SET TimeZone = 'UTC'")
    for name, spec in TABLES.items():
        files = list((root / name).glob("dt=*/*.parquet"))
        if files:
            con.execute(
                f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet("
                f"'{_quote(root / name)}/dt=*/*.parquet', hive_partitioning=true, "
                f"union_by_name=true)"
            )
        else:
            empty = pa.table({f.name: pa.array([], type=f.type) for f in spec.schema},
                             schema=spec.schema)
            con.register(f"_empty_{name}", empty)
            con.execute(
                f"CREATE OR REPLACE VIEW {name} AS SELECT *, NULL::DATE AS dt "
                f"FROM _empty_{name}"
            )
    con.execute(f"CREATE OR REPLACE VIEW v_events_current AS {CURRENT_EVENTS_SQL}")
    if analytics:
        try:
            from connectors.views import register_analytics
        except ImportError:  # analytics views are optional until installed
            pass
        else:
            register_analytics(con)
    return con
