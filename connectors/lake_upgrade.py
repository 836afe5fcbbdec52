"""Rewrite events files written before the derived columns existed (connectors.duck
DERIVED_EVENT_COLUMNS: sending_pool, sending_ip, diagnostic_normalised) so that the views read
the columns instead of deriving them per row at every query (`bouncepipe lake upgrade`).

One file at a time, each replaced atomically by the same rows plus the columns, computed by the
same SQL rules the views apply to such files (so answers do not change, only their cost).
Idempotent: a file that has every column is left alone; a crash leaves each file old or new.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from connectors.duck import DERIVED_EVENT_COLUMNS, connect
from connectors.lake import rewrite_file


@dataclass
class UpgradeSummary:
    files: int = 0        # events files in the lake
    rewritten: int = 0    # of which lacked a column and were rewritten
    rows: int = 0         # rows in the rewritten files


def upgrade_events(lake: str | os.PathLike[str], *, dry_run: bool = False) -> UpgradeSummary:
    root = Path(lake).resolve()
    files = sorted((root / "events").glob("dt=*/*.parquet"))
    summary = UpgradeSummary(files=len(files))
    if not files:
        return summary
    con = connect(root, analytics=False)   # the bp_* macros the rules are written in
    try:
        for path in files:
            have = {r[0] for r in con.execute("SELECT name FROM parquet_schema(?)",
                                              [str(path)]).fetchall()}
            missing = [c for c in DERIVED_EVENT_COLUMNS if c not in have]
            if not missing:
                continue
            summary.rewritten += 1
            if dry_run:
                summary.rows += con.execute("SELECT count(*) FROM read_parquet(?)",
                                            [str(path)]).fetchone()[0]
                continue
            derived = ", ".join(f"{DERIVED_EVENT_COLUMNS[c]} AS {c}" for c in missing)
            table = con.sql(f"SELECT *, {derived} FROM read_parquet($path, hive_partitioning = false)",
                            params={"path": str(path)}).to_arrow_table()
            rewrite_file("events", table, path)
            summary.rows += table.num_rows
    finally:
        con.close()
    return summary
