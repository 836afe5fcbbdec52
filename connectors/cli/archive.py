"""`bouncepipe archive prune --lake DIR [--days N]` — drop raw-archive partitions older than the
retention (settings archive.retention_days). Events stay; what was pruned can no longer be
reclassified. `bouncepipe archive stats --lake DIR` — inputs, bytes, redacted share."""
from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("archive", help="the raw archive: retention and size",
                       description=__doc__)
    p.add_argument("action", choices=("prune", "stats"))
    p.add_argument("--lake", required=True, metavar="DIR")
    p.add_argument("--days", type=int, help="keep this many days (default: settings "
                                             "archive.retention_days)")
    p.set_defaults(func=run, _error=p.error)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from pipeline.settings import Settings

    if args.action == "stats":
        from connectors.duck import connect
        con = connect(args.lake, analytics=False)
        inputs, original, stored, redacted = con.execute(
            "SELECT count(*), coalesce(sum(payload_size), 0), coalesce(sum(octet_length(payload)), 0), "
            "count(*) FILTER (WHERE redacted) FROM raw_archive").fetchone()
        con.close()
        on_disk = sum(p.stat().st_size for p in Path(args.lake, "raw_archive").rglob("*.parquet"))
        sys.stdout.write(f"inputs: {inputs}   original bytes: {original:,}   stored: {stored:,}"
                         f"   on disk (compressed): {on_disk:,}   redacted: {redacted}\n")
        return 0
    from connectors.archive import prune

    days = args.days if args.days is not None else Settings().archive.retention_days
    if days is None:
        args._error("no retention: pass --days N or set BOUNCEPIPE_ARCHIVE__RETENTION_DAYS")
    for part in prune(args.lake, days):
        sys.stdout.write(f"pruned {part}\n")
    return 0
