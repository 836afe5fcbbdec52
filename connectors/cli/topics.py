"""`bouncepipe topics create|list` — create bouncepipe's topics (raw_*, events, suppressions
(compacted), dmarc_rows, deadletter, the suppression state changelog (compacted, partitioned
like events) and alerts), or list them with their partition counts."""
from __future__ import annotations

import argparse

from .worker import add_kafka_args, settings_from_args


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("topics", help="create or list bouncepipe's Kafka topics",
                       description=__doc__)
    p.add_argument("action", choices=("create", "list"))
    add_kafka_args(p)
    p.add_argument("--partitions", type=int, help="one partition count for every topic")
    p.add_argument("--set", action="append", default=[], metavar="FIELD=N",
                   help="partition count per topic field, e.g. events=12 (repeatable)")
    p.add_argument("--replication", type=int, default=1)
    p.set_defaults(func=run, _error=p.error)


def run(args: argparse.Namespace) -> int:
    from connectors.kafka import DEFAULT_PARTITIONS, create_topics, topic_specs

    settings = settings_from_args(args)
    per_field = {}
    for item in args.set:
        name, _, n = item.partition("=")
        if name not in DEFAULT_PARTITIONS or not n.isdigit():
            args._error(f"--set {item!r}: expected FIELD=N with FIELD in {', '.join(DEFAULT_PARTITIONS)}")
        per_field[name] = int(n)
    if args.action == "list":
        for spec in topic_specs(settings, per_field, args.partitions):
            print(f"{spec.name}\t{spec.partitions}\t{spec.config or ''}")
        return 0
    result = create_topics(settings, partitions=per_field, default=args.partitions,
                           replication=args.replication)
    for name, status in result.items():
        print(f"{status:<8} {name}")
    return 0
