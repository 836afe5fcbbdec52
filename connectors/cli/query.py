"""`bouncepipe query --lake DIR [--format table|csv|json|jsonl] SQL` — DuckDB over the lake,
with a view per table (events, suppressions, dmarc_aggregate, dmarc_failure, tls_reports,
dead_letters, mx_cache, ip_identity, postmaster_traffic, snds_data, yahoo_insights) and the
analytics views; --since / --until / --tenant / --stream narrow every view to a slice."""
from __future__ import annotations

import argparse
import csv
import sys
from datetime import date, datetime
from decimal import Decimal

import orjson


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("query", help="run SQL over the lake with DuckDB", description=__doc__)
    p.add_argument("sql", metavar="SQL")
    p.add_argument("--lake", required=True, metavar="DIR")
    p.add_argument("--format", choices=("table", "csv", "json", "jsonl"), default="table")
    p.add_argument("--since", type=date.fromisoformat, metavar="YYYY-MM-DD")
    p.add_argument("--until", type=date.fromisoformat, metavar="YYYY-MM-DD")
    p.add_argument("--tenant")
    p.add_argument("--stream")
    p.set_defaults(func=run, _error=p.error)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return str(value)


def _json_default(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    raise TypeError


def print_table(columns: list[str], rows: list[tuple], out=None) -> None:
    out = out or sys.stdout
    cells = [[_text(v).replace("\n", " ") for v in row] for row in rows]
    widths = [min(60, max([len(c)] + [len(r[i]) for r in cells])) for i, c in enumerate(columns)]
    out.write("  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip() + "\n")
    out.write("  ".join("-" * w for w in widths) + "\n")
    for r in cells:
        out.write("  ".join(v[:w].ljust(w) for v, w in zip(r, widths)).rstrip() + "\n")
    out.write(f"({len(rows)} row{'s' if len(rows) != 1 else ''})\n")


def run(args: argparse.Namespace) -> int:
    import duckdb

    from connectors.duck import Slice, connect

    part = Slice(args.since, args.until, args.tenant, args.stream)
    con = connect(args.lake, part=part if part.label else None)
    try:
        cursor = con.execute(args.sql)
    except duckdb.Error as exc:
        sys.stderr.write(f"bouncepipe query: {exc}\n")
        return 1
    columns = [d[0] for d in cursor.description or []]
    rows = cursor.fetchall() if columns else []
    if args.format == "table":
        print_table(columns, rows)
    elif args.format == "csv":
        w = csv.writer(sys.stdout)
        w.writerow(columns)
        w.writerows([[_text(v) for v in r] for r in rows])
    else:
        objs = [dict(zip(columns, r)) for r in rows]
        opts = orjson.OPT_NAIVE_UTC | orjson.OPT_NON_STR_KEYS
        if args.format == "json":
            sys.stdout.write(orjson.dumps(objs, default=_json_default, option=opts).decode() + "\n")
        else:
            for o in objs:
                sys.stdout.write(orjson.dumps(o, default=_json_default, option=opts).decode() + "\n")
    return 0
