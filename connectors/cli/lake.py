"""`bouncepipe lake upgrade --lake DIR [--dry-run]` — rewrite the lake's events files written
before the columns sending_pool, sending_ip and diagnostic_normalised existed. Such files are
read correctly without it (the views derive the columns per row), only more slowly; run it
once after upgrading bouncepipe, with or without writers running (each file is replaced
atomically; files written by this version already have the columns)."""
from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("lake", help="lake maintenance: upgrade old files to the current columns",
                       description=__doc__)
    p.add_argument("action", choices=("upgrade",))
    p.add_argument("--lake", required=True, metavar="DIR")
    p.add_argument("--dry-run", action="store_true", help="count what would be rewritten")
    p.set_defaults(func=run, _error=p.error)


def run(args: argparse.Namespace) -> int:
    from connectors.lake_upgrade import upgrade_events

    summary = upgrade_events(args.lake, dry_run=args.dry_run)
    verb = "would rewrite" if args.dry_run else "rewrote"
    sys.stdout.write(f"events files: {summary.files}   {verb}: {summary.rewritten} "
                     f"({summary.rows:,} rows)\n")
    if summary.rewritten and not args.dry_run:
        sys.stdout.write("re-run `bouncepipe views --database FILE` for a persisted view database\n")
    return 0
