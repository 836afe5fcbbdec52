"""`bouncepipe worker` — the streaming classifier and suppression stages (one process; start
more to scale out: Kafka consumer groups split the partitions).

raw topics -> pipeline.core.process -> events / dmarc_rows / deadletter, and events ->
suppression policy -> the compacted suppressions topic. Offsets are committed only after a
batch's outputs are acknowledged (at-least-once; ids are deterministic)."""
from __future__ import annotations

import argparse
import asyncio
import logging
import os

log = logging.getLogger(__name__)


def add_kafka_args(p: argparse.ArgumentParser) -> None:
    """Options every Kafka command shares (defaults come from BOUNCEPIPE_KAFKA__* settings)."""
    p.add_argument("--bootstrap", help="bootstrap servers (default: settings kafka.bootstrap)")
    p.add_argument("--topic-prefix", help="prefix every topic name (tests, multi-tenant clusters)")


def add_service_args(p: argparse.ArgumentParser) -> None:
    """Options every long-running streaming service shares."""
    p.add_argument("--metrics-port", type=int, help="serve /metrics, /healthz and /readyz on "
                   "this port (default: settings service.metrics_port; unset: none)")
    p.add_argument("--metrics-host", help="address to bind (default: settings "
                   "service.metrics_host, 127.0.0.1)")


def serve_options(args: argparse.Namespace, settings) -> dict:
    """run_loops keyword arguments for the service's HTTP endpoint."""
    service = settings.service
    if getattr(args, "metrics_host", None):
        service = service.model_copy(update={"metrics_host": args.metrics_host})
    port = args.metrics_port if args.metrics_port is not None else service.metrics_port
    return {"metrics_port": port, "service": service}


def run_service(loops, args: argparse.Namespace, settings) -> int:
    """Run a streaming service's loops until SIGTERM/SIGINT (connectors.streaming.app
    run_loops: bounded shutdown). Loops that ignore even cancellation end the process here,
    with exit code 70: asyncio.run's own clean-up would wait on them for ever."""
    from connectors.streaming.app import ShutdownTimeout, run_loops

    async def serve() -> None:
        try:
            await run_loops(loops, **serve_options(args, settings))
        except ShutdownTimeout as exc:
            log.error("%s; exiting now (uncommitted records will be replayed)", exc)
            logging.shutdown()
            os._exit(70)

    asyncio.run(serve())
    return 0


def settings_from_args(args: argparse.Namespace):
    from connectors.kafka import with_overrides
    from pipeline.settings import Settings

    return with_overrides(Settings(), bootstrap=getattr(args, "bootstrap", None),
                          topic_prefix=getattr(args, "topic_prefix", None))


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("worker", help="run the streaming classifier + suppression stages",
                       description=__doc__)
    add_kafka_args(p)
    add_service_args(p)
    p.add_argument("--group-prefix", help="consumer group prefix (default: kafka.client_id)")
    p.add_argument("--policy", metavar="FILE", help="suppression policy YAML/JSON "
                   "(default: settings suppression.policy_file, else built-in)")
    p.add_argument("--only", choices=("classify", "suppress"), help="run one stage only")
    p.add_argument("--max-records", type=int, default=2000,
                   help="raw records per classify batch (one commit per batch)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from connectors.metrics import ServiceMetrics
    from connectors.streaming.app import classify_loop, suppress_loop
    from pipeline.suppression import SuppressionPolicy, load_policy

    settings = settings_from_args(args)
    policy = SuppressionPolicy.from_file(args.policy) if args.policy else load_policy(settings)
    metrics = ServiceMetrics()
    loops = []
    if args.only in (None, "classify"):
        loops.append(classify_loop(settings, prefix=args.group_prefix,
                                   max_records=args.max_records, metrics=metrics))
    if args.only in (None, "suppress"):
        loops.append(suppress_loop(settings, policy=policy, prefix=args.group_prefix,
                                   metrics=metrics))
    return run_service(loops, args, settings)
