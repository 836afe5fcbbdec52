"""`bouncepipe publish PATH... [--topic auto|NAME]` — publish inputs (files, directories, mbox,
JSONL lines) to their raw topics. `auto` routes by content: emails -> raw.email, DMARC XML /
gz / zip and TLS reports -> raw.dmarc, KumoMTA log records -> raw.mta_log, other JSON ->
raw.webhook."""
from __future__ import annotations

import argparse

from ._common import check_paths
from .worker import add_kafka_args, settings_from_args


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("publish", help="publish input files to the raw Kafka topics",
                       description=__doc__)
    p.add_argument("paths", nargs="+", metavar="PATH")
    add_kafka_args(p)
    p.add_argument("--topic", default="auto", help="auto (default) or a topic name")
    p.add_argument("--provider", help="webhook provider header for every input")
    p.add_argument("--tenant", help="tenant header for every input")
    p.set_defaults(func=run, _error=p.error)


def run(args: argparse.Namespace) -> int:
    from connectors.kafka import publish_paths

    check_paths(args._error, args.paths)
    counts = publish_paths(settings_from_args(args), args.paths, topic=args.topic,
                           provider=args.provider, tenant=args.tenant)
    for topic, n in sorted(counts.items()):
        print(f"{n:>7}  {topic}")
    if not counts:
        print("nothing to publish")
    return 0
