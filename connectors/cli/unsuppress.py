"""`bouncepipe unsuppress ADDRESS [--scope global|tenant:NAME|stream:NAME]` — lift a
suppression. Publishes an unsuppress command on the events topic, keyed by the address, so the
worker that owns the address's state applies it in order and publishes action "unsuppress" on
the suppressions topic."""
from __future__ import annotations

import argparse
from datetime import datetime, timezone

from ._common import parse_address_arg
from .worker import add_kafka_args, settings_from_args


def parse_scope(text: str) -> tuple[str, str | None]:
    scope, _, value = text.partition(":")
    if scope not in ("global", "tenant", "stream") or (scope == "global" and value):
        raise argparse.ArgumentTypeError(f"scope {text!r}: use global, tenant:NAME or stream:NAME")
    return scope, value or None


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("unsuppress", help="lift a suppression (publishes an unsuppress event)",
                       description=__doc__)
    p.add_argument("address")
    p.add_argument("--scope", type=parse_scope, default=("global", None))
    p.add_argument("--note", help="why (kept on the suppression record)")
    add_kafka_args(p)
    p.set_defaults(func=run, _error=p.error)


def run(args: argparse.Namespace) -> int:
    from connectors.kafka import make_producer
    from connectors.kafka_records import command_headers
    from pipeline.suppression import UnsuppressRequest

    address = parse_address_arg(args.address)
    if address is None:
        args._error(f"not an email address: {args.address!r}")
    settings = settings_from_args(args)
    scope, value = args.scope
    request = UnsuppressRequest(address=address, scope=scope,
                                scope_value=value, requested_at=datetime.now(timezone.utc),
                                note=args.note)
    producer = make_producer(settings)
    try:
        producer.send(settings.topics.events, request.model_dump_json().encode(),
                      key=request.address.encode(), headers=command_headers("unsuppress")).get(30)
    finally:
        producer.close()
    print(f"unsuppress requested: {request.address} ({scope}{':' + value if value else ''}) "
          f"id {request.request_id}")
    return 0
