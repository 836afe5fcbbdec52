"""`bouncepipe crm --sqlite FILE | --csv FILE | --forward URL` — an example CRM-side consumer of
the compacted suppressions topic: keeps the current decision per (scope, address) in SQLite or
a CSV snapshot, or forwards each decision to an HTTP endpoint."""
from __future__ import annotations

import argparse

from .worker import add_kafka_args, settings_from_args


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("crm", help="example CRM consumer of the suppressions topic",
                       description=__doc__)
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--sqlite", metavar="FILE")
    target.add_argument("--csv", metavar="FILE")
    target.add_argument("--forward", metavar="URL")
    add_kafka_args(p)
    p.add_argument("--group", help="consumer group (resume from offsets); default: re-read the "
                   "compacted topic from the beginning on every start")
    p.add_argument("--once", action="store_true", help="exit when caught up")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from connectors.crm_consumer import consume, open_store

    settings = settings_from_args(args)
    store = open_store(sqlite=args.sqlite, csv_path=args.csv, forward=args.forward)
    n = consume(settings, store, group=args.group, once=args.once)
    print(f"applied {n} suppression record(s)")
    return 0
