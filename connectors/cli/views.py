"""`bouncepipe views --lake DIR --database FILE` — write a DuckDB database whose views read the
lake's Parquet files live (every analytics view of connectors/views, with typed empty views for
tables that have no files yet). Point Grafana's DuckDB data source or Superset (duckdb-engine,
read-only) at FILE; re-run the command when a table gets its first files and after
`bouncepipe lake upgrade` (it is idempotent).

Lookups and imports land in the lake first (each optional):
  --identify            DMARC source IPs -> ASN/country/service (parsedmarc's offline data);
                        with --dns also reverse DNS (network; off by default)
  --lookup-mx           MX hosts of recipient domains not matched by name (network)
  --import-postmaster F Google Postmaster Tools TrafficStats JSON
  --import-snds F       Microsoft SNDS data CSV
  --import-yahoo F      Yahoo Sender Hub Insights per DKIM domain and day: Yahoo has no export,
                        so a CSV filled from the dashboard (date, dkim_domain, inbox_delivered,
                        spam_complaint_rate; connectors/views/import_yahoo.py)
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("views", help="write a DuckDB database of live views over the lake",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--lake", required=True, metavar="DIR")
    p.add_argument("--database", metavar="FILE", help="DuckDB file to (re)write the views into")
    p.add_argument("--storage-version", default="v1.0.0", metavar="V",
                   help="DuckDB storage compatibility of FILE (default v1.0.0: readable by the "
                        "DuckDB inside Grafana's plugin and older duckdb-engine builds)")
    p.add_argument("--identify", action="store_true")
    p.add_argument("--dns", action="store_true", help="allow reverse DNS with --identify")
    p.add_argument("--lookup-mx", action="store_true")
    p.add_argument("--import-postmaster", metavar="FILE", action="append", default=[])
    p.add_argument("--import-snds", metavar="FILE", action="append", default=[])
    p.add_argument("--import-yahoo", metavar="FILE", action="append", default=[])
    p.set_defaults(func=run, _error=p.error)


def run(args: argparse.Namespace) -> int:
    lake = Path(args.lake)
    if not lake.is_dir():
        args._error(f"no lake at {lake}")
    if not (args.database or args.identify or args.lookup_mx or args.import_postmaster
            or args.import_snds or args.import_yahoo):
        args._error("nothing to do: give --database and/or a lookup or import")
    from connectors.views.imports import ImportFormatError, import_file

    for kind, files in (("postmaster", args.import_postmaster), ("snds", args.import_snds),
                        ("yahoo", args.import_yahoo)):
        for f in files:
            try:
                n = import_file(lake, kind, f)
            except (ImportFormatError, OSError) as exc:
                print(f"bouncepipe views: {f}: {exc}", file=sys.stderr)
                return 1
            print(f"imported {n} new {kind} rows from {f}", file=sys.stderr)
    if args.identify:
        from connectors.views.lookups import dns_ptr, identify_sources

        n = identify_sources(lake, resolve_ptr=dns_ptr() if args.dns else None)
        print(f"identified {n} source IPs{'' if args.dns else ' (offline: no reverse DNS)'}",
              file=sys.stderr)
    if args.lookup_mx:
        from connectors.views.lookups import dns_mx, lookup_mx

        print(f"looked up MX of {lookup_mx(lake, dns_mx())} domains", file=sys.stderr)
    if args.database:
        write_database(lake, args.database, storage_version=args.storage_version)
        print(f"wrote views into {args.database}", file=sys.stderr)
    return 0


def write_database(lake: Path, database: str | Path, *, storage_version: str = "v1.0.0") -> None:
    """(Re)create every base and analytics view in the DuckDB file `database` (a new file gets
    `storage_version`; an existing one keeps its own)."""
    from connectors.duck import connect
    from connectors.views import register_analytics

    con = connect(lake, database=str(database), analytics=False,
                  config={"storage_compatibility_version": storage_version})
    try:
        register_analytics(con, strict=True)
        con.execute("CHECKPOINT")
    finally:
        con.close()
