"""`bouncepipe sink --lake DIR` — land the events, suppressions, dmarc_rows and deadletter
topics in the Parquet lake, exactly once (files named {topic}-{partition}-{first offset};
offsets committed after the file is durable; a replay rewrites the same files)."""
from __future__ import annotations

import argparse

from connectors.sinks import SINKS

from .worker import add_kafka_args, add_service_args, run_service, settings_from_args


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sink", help="land the output topics in the Parquet lake",
                       description=__doc__)
    add_kafka_args(p)
    add_service_args(p)
    p.add_argument("--lake", help="lake directory (default: settings lake.path)")
    p.add_argument("--sink", default="parquet", choices=sorted(SINKS),
                   help="which registered sink (connectors/sinks) lands the records")
    p.add_argument("--group-prefix", help="consumer group prefix (default: kafka.client_id)")
    p.add_argument("--max-rows", type=int, help="rows per file at most (default: settings "
                   "lake.rows_per_file)")
    p.add_argument("--max-seconds", type=float, default=5.0,
                   help="flush a partition's buffer after this long")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from connectors.streaming.app import sink_loop

    settings = settings_from_args(args)
    sink = sink_loop(settings, args.lake or settings.lake.path, prefix=args.group_prefix,
                     sink=args.sink, max_rows=args.max_rows or settings.lake.rows_per_file,
                     max_seconds=args.max_seconds)
    return run_service([sink], args, settings)
