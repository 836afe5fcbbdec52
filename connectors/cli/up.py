"""`bouncepipe up [--demo]` — everything in one command: the embedded broker (Tansu, memory
storage), the topics, the worker (classify + suppress), the Parquet sink and, when available,
the webhook receiver. Then `bouncepipe publish --bootstrap ... FILES` feeds it.

`--demo` also publishes the bundled example inputs, waits until everything is landed, prints
what happened (events per category, suppressions, dead letters) and exits."""
from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("up", help="run broker + worker + sink (+ receiver) in one process",
                       description=__doc__)
    p.add_argument("--lake", help="lake directory (default: settings lake.path; --demo: ./demo-lake)")
    p.add_argument("--bootstrap", help="use this Kafka instead of starting the embedded broker")
    p.add_argument("--port", type=int, help="embedded broker port (default: a free one)")
    p.add_argument("--topic-prefix", help="prefix every topic and consumer group (shared Kafka)")
    p.add_argument("--partitions", type=int, default=2, help="partitions per topic (default 2)")
    p.add_argument("--no-receiver", action="store_true", help="do not start the webhook receiver")
    p.add_argument("--demo", action="store_true", help="publish the examples, land, summarise, exit")
    p.add_argument("--timeout", type=float, default=50.0, help="--demo: give up after this long")
    p.set_defaults(func=run)


def _receiver(settings):
    """The webhook receiver's aiohttp app, if that module exists (built separately)."""
    try:
        from connectors.sources.kafka_publisher import KafkaPublisher
        from connectors.sources.http import create_app
    except ImportError:
        return None
    hooks = settings.webhooks
    return create_app(settings, KafkaPublisher(
        settings.kafka, timeout=getattr(hooks, "publish_timeout_seconds", 10.0),
        idempotence=getattr(hooks, "kafka_idempotence", False)))


async def _serve_receiver(settings):
    from aiohttp import web

    app = _receiver(settings)
    if app is None:
        return None
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, settings.webhooks.host, settings.webhooks.port)
    try:
        await site.start()
    except OSError as exc:
        log.warning("webhook receiver not started: %s", exc)
        await runner.cleanup()
        return None
    print(f"webhook receiver: http://{settings.webhooks.host}:{settings.webhooks.port}/webhooks/PROVIDER")
    return runner


def current_suppressions(stage) -> list[tuple[str, str, str, str]]:
    """(address, action, scope, rule) per key from the worker's live state: what the compacted
    suppressions topic converges to (the lake keeps every decision, replacements included)."""
    rows = []
    for engine in stage.engines.values():
        for state in engine.state.values():
            for key, scope in state.scopes.items():
                kind, value, address = key.split(":", 2)
                where = f"{kind}:{value}" if value else kind
                rows.append((address, scope.action, where, scope.rule))
    return sorted(rows)


def summarise(lake, suppressions, out=sys.stdout) -> None:
    from connectors.duck import connect

    con = connect(lake)
    try:
        out.write("events by category:\n")
        for category, n in con.execute(
                "SELECT category, count(*) FROM events GROUP BY 1 ORDER BY 2 DESC, 1").fetchall():
            out.write(f"  {category:<14} {n}\n")
        decisions = con.execute("SELECT count(*) FROM suppressions").fetchone()[0]
        out.write(f"suppressions: {len(suppressions)} (current state; {decisions} decision "
                  "records in the lake)\n")
        for address, action, scope, rule in suppressions:
            out.write(f"  {action:<10} {scope:<7} {address:<32} {rule}\n")
        dead = con.execute("SELECT count(*) FROM dead_letters").fetchone()[0]
        out.write(f"dead letters: {dead}\n")
    finally:
        con.close()


async def _up(args, settings, lake) -> int:
    from connectors.kafka import create_topics, publish_paths
    from connectors.streaming.app import run_loops, sink_loop, wait_caught_up, worker_loops

    started = time.monotonic()
    await asyncio.to_thread(create_topics, settings, default=args.partitions)
    prefix = args.topic_prefix
    loops = [*worker_loops(settings, prefix=prefix), sink_loop(settings, lake, prefix=prefix)]
    if settings.archive.enabled:   # the raw inputs too, for `bouncepipe reclassify`
        loops.append(sink_loop(settings, lake, prefix=prefix, sink="archive"))
    receiver = None if args.no_receiver or args.demo else await _serve_receiver(settings)
    until = None
    if args.demo:
        from pipeline.examples import EXAMPLES_DIR

        async def demo() -> bool:
            counts = await asyncio.to_thread(publish_paths, settings, [EXAMPLES_DIR])
            print(f"published {sum(counts.values())} example inputs")
            return await wait_caught_up(loops, timeout=args.timeout)

        until = asyncio.ensure_future(demo())
    else:
        print(f"ready: bouncepipe publish --bootstrap {settings.kafka.bootstrap} FILES...   "
              f"(lake: {lake}; Ctrl-C to stop)", flush=True)
    try:
        await run_loops(loops, until=until)
    finally:
        if receiver is not None:
            await receiver.cleanup()
    if until is None:
        return 0
    if not until.done() or not until.result():
        print("demo: the pipeline did not catch up in time", file=sys.stderr)
        return 1
    print(f"landed in {time.monotonic() - started:.1f}s: lake {lake}")
    summarise(lake, current_suppressions(loops[1].stage))
    print(f"\nQuery it: bouncepipe query --lake {lake} \"select category, count(*) from events group by 1\"")
    return 0


def run(args: argparse.Namespace) -> int:
    from connectors.kafka import with_overrides
    from connectors.broker import EmbeddedBroker
    from pipeline.settings import Settings

    lake = args.lake or ("demo-lake" if args.demo else str(Settings().lake.path))
    if args.demo:
        import shutil
        from pathlib import Path
        # The embedded broker starts empty, so the demo lake starts empty too.
        if Path(lake).is_dir() and not args.lake:
            shutil.rmtree(lake)
    broker = None
    if args.bootstrap:
        settings = with_overrides(Settings(), bootstrap=args.bootstrap,
                                  topic_prefix=args.topic_prefix)
    else:
        broker = EmbeddedBroker(port=args.port).start()
        settings = with_overrides(Settings(), bootstrap=broker.bootstrap, api_version="2.5",
                                  topic_prefix=args.topic_prefix)
        print(f"embedded broker: {broker.bootstrap} (memory storage)", flush=True)
    try:
        return asyncio.run(_up(args, settings, lake))
    finally:
        if broker:
            broker.stop()
