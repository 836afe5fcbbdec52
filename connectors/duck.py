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
    if analytics:
        try:
            from connectors.views import register_analytics
        except ImportError:  # analytics views are optional until installed
            pass
        else:
            register_analytics(con)
    return con
