"""Streaming speed, run by hand (never in the test suite).

  .venv/bin/python bench/bench_streaming.py throughput [--events 50000] [--kind webhook|dsn|both]
  .venv/bin/python bench/bench_streaming.py latency [--rate 1000] [--seconds 10]
  .venv/bin/python bench/bench_streaming.py sink [--events 50000]

Uses the embedded broker (Tansu, memory) unless --bootstrap is given. Each run uses fresh
topic names and consumer groups.

throughput: pre-publishes the workload, then runs ONE worker process's loops (classify +
  suppress, in this process) and reports events/s from the first batch to the last commit
  (group join time excluded), plus the classify stage alone.
latency: publishes single-event webhook records at --rate/s (10 % hard bounces to fresh
  addresses) into a running worker and reports raw-publish -> suppression-record-consumed
  latency p50/p99.
sink: pre-fills the events topic, reports Parquet sink rows/s.
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from connectors.kafka import aiokafka_config, create_topics, route, with_overrides  # noqa: E402
from pipeline.settings import Settings  # noqa: E402
from tests.integration.generate import dsn_emails, webhook_batches  # noqa: E402

PARTITIONS = {"raw_email": 4, "raw_webhook": 4, "events": 4}


def settings_for(bootstrap: str, api_version: str | None) -> tuple[Settings, str]:
    prefix = f"bench{uuid.uuid4().hex[:8]}"
    settings = with_overrides(Settings(), bootstrap=bootstrap, topic_prefix=prefix,
                              api_version=api_version)
    create_topics(settings, partitions=PARTITIONS)
    return settings, prefix


async def publish_all(settings: Settings, payloads: list[bytes]) -> None:
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(acks="all", linger_ms=5, max_batch_size=1024 * 1024,
                                max_request_size=16 * 1024 * 1024, **aiokafka_config(settings.kafka))
    await producer.start()
    try:
        futures = [await producer.send(route(p, settings.topics), p, key=uuid.uuid4().bytes)
                   for p in payloads]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def throughput(bootstrap, api_version, kind: str, events: int) -> None:
    from connectors.streaming.app import run_loops, wait_caught_up, worker_loops

    settings, prefix = settings_for(bootstrap, api_version)
    if kind == "webhook":
        payloads = webhook_batches(events, per_batch=50, step_minutes=0.1)
    else:
        payloads = dsn_emails(events, step_minutes=0.1)
    t0 = time.monotonic()
    await publish_all(settings, payloads)
    print(f"[{kind}] published {len(payloads)} raw records ({events} events) in "
          f"{time.monotonic() - t0:.1f}s")
    loops = worker_loops(settings, prefix=prefix)
    done = asyncio.ensure_future(wait_caught_up(loops, timeout=600, settle=0.3))
    await run_loops(loops, until=done)
    classify, suppress = loops
    total = max(classify.last_at, suppress.last_at) - classify.first_at
    stage = classify.last_at - classify.first_at
    print(f"[{kind}] worker (classify + suppress), 1 process: {events / total:,.0f} events/s "
          f"({total:.2f}s); classify stage alone: {events / stage:,.0f} events/s; "
          f"batches: classify {classify.batches}, suppress {suppress.batches}")


async def latency(bootstrap, api_version, rate: int, seconds: float) -> None:
    import orjson
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

    from connectors.streaming.app import run_loops, worker_loops

    settings, prefix = settings_for(bootstrap, api_version)
    loops = worker_loops(settings, prefix=prefix)
    runner = asyncio.ensure_future(run_loops(loops, until=asyncio.get_running_loop().create_future()))
    consumer = AIOKafkaConsumer(settings.topics.suppressions, auto_offset_reset="earliest",
                                group_id=f"{prefix}-latency", **aiokafka_config(settings.kafka))
    producer = AIOKafkaProducer(acks="all", linger_ms=0, **aiokafka_config(settings.kafka))
    await consumer.start()
    await producer.start()
    while any(loop.consumer is None or not loop.consumer.assignment() for loop in loops):
        await asyncio.sleep(0.2)   # groups joined
    await asyncio.sleep(1.0)
    sent: dict[str, float] = {}
    seen: dict[str, float] = {}

    async def collect():
        while True:
            batch = await consumer.getmany(timeout_ms=100)
            now = time.monotonic()
            for records in batch.values():
                for r in records:
                    seen.setdefault(orjson.loads(r.value)["address"], now)

    collector = asyncio.ensure_future(collect())
    n = int(rate * seconds)
    start = time.monotonic()
    for i in range(n):
        hard = i % 10 == 0
        address = f"lat{i}@d{i % 7}.example"
        event = {"email": address, "timestamp": 1763370000 + i, "sg_event_id": f"lat-{i}",
                 "sg_message_id": f"m{i}"}
        event.update({"event": "bounce", "type": "bounce", "status": "5.1.1",
                      "reason": "550 5.1.1 user unknown"} if hard else
                     {"event": "delivered", "response": "250 OK"})
        target = start + i / rate
        delay = target - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        if hard:
            sent[address] = time.monotonic()
        await producer.send(settings.topics.raw_webhook, orjson.dumps([event]), key=address.encode())
    await producer.flush()
    deadline = time.monotonic() + 15
    while len(seen) < len(sent) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    collector.cancel()
    lat = sorted(seen[a] - t for a, t in sent.items() if a in seen)
    q = statistics.quantiles(lat, n=100)
    print(f"latency raw -> suppression at {rate}/s for {seconds:g}s: {len(lat)}/{len(sent)} "
          f"suppressions; p50 {q[49] * 1000:.0f} ms, p99 {q[98] * 1000:.0f} ms, "
          f"max {lat[-1] * 1000:.0f} ms")
    for loop in loops:
        loop.stop()
    await runner
    await consumer.stop()
    await producer.stop()


async def sink_speed(bootstrap, api_version, events: int) -> None:
    import tempfile

    from connectors.streaming.app import run_loops, sink_loop, wait_caught_up, worker_loops

    settings, prefix = settings_for(bootstrap, api_version)
    await publish_all(settings, webhook_batches(events, per_batch=50, step_minutes=0.1))
    loops = worker_loops(settings, prefix=prefix)
    await run_loops(loops, until=asyncio.ensure_future(wait_caught_up(loops, timeout=600)))
    with tempfile.TemporaryDirectory() as lake:
        sink = sink_loop(settings, lake, prefix=prefix, max_rows=50_000, max_seconds=2.0)
        await run_loops([sink], until=asyncio.ensure_future(wait_caught_up([sink], timeout=600)))
        took = sink.last_flush - sink.first_record
        print(f"sink: {sink.landed} rows landed in {took:.2f}s = {sink.landed / took:,.0f} rows/s "
              f"(events + suppressions)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=("throughput", "latency", "sink"))
    ap.add_argument("--bootstrap")
    ap.add_argument("--events", type=int, default=50_000)
    ap.add_argument("--kind", choices=("webhook", "dsn", "both"), default="both")
    ap.add_argument("--rate", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=10)
    args = ap.parse_args()
    broker = None
    if not args.bootstrap:
        from connectors.broker import EmbeddedBroker
        broker = EmbeddedBroker().start()
    bootstrap = args.bootstrap or broker.bootstrap
    api_version = None if args.bootstrap else "2.5"
    try:
        if args.mode == "throughput":
            for kind in (("webhook", "dsn") if args.kind == "both" else (args.kind,)):
                events = args.events if kind == "webhook" else min(args.events, 10_000)
                asyncio.run(throughput(bootstrap, api_version, kind, events))
        elif args.mode == "latency":
            asyncio.run(latency(bootstrap, api_version, args.rate, args.seconds))
        else:
            asyncio.run(sink_speed(bootstrap, api_version, args.events))
    finally:
        if broker:
            broker.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
