"""Poison messages, restarts from committed offsets, and kill -9 crash recovery."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time

import pytest

from connectors.kafka import make_producer
from pipeline.settings import Settings

from .conftest import (BackgroundPipeline, batch_reference, compacted, group_lag, lake_events,
                       read_topic)
from .generate import dsn_emails, webhook_batches

pytestmark = [pytest.mark.broker]


def _send(settings: Settings, payloads, topic, partition=None):
    producer = make_producer(settings)
    try:
        for p in payloads:
            producer.send(topic, p, key=None if partition is not None else os.urandom(8),
                          partition=partition)
        producer.flush()
    finally:
        producer.close()


@pytest.mark.timeout(180)
def test_poison_message_dead_letters_and_restart_resumes(stream_settings, unique_topic_prefix,
                                                         tmp_path):
    topics = stream_settings.topics
    good1, good2 = webhook_batches(40, per_batch=20, seed=3)
    poison = [b'{"email": "a@example.org", ', b"\x00\x01\x02 binary junk"]
    _send(stream_settings, [*poison, good1], topics.raw_webhook, partition=0)
    lake = tmp_path / "lake"
    pipeline = BackgroundPipeline(stream_settings, lake, unique_topic_prefix).start()
    try:
        pipeline.wait_caught_up()
    finally:
        pipeline.stop()
    dead = read_topic(stream_settings, topics.deadletter)
    assert [r.value for r in dead] == poison          # the original bytes, in order
    headers = [dict(r.headers) for r in dead]
    assert [h["error_type"] for h in headers] == [b"ParseError", b"NotSupported"]
    assert [h["source_offset"] for h in headers] == [b"0", b"1"]
    assert all(h["source_topic"] == topics.raw_webhook.encode() and h["source_partition"] == b"0"
               and h["reason"] and h["stage"] for h in headers)
    import hashlib
    assert [h["raw_sha256"].decode() for h in headers] == [hashlib.sha256(p).hexdigest() for p in poison]
    first_events = batch_reference([good1])[0]
    assert len(lake_events(lake)) == len(first_events) == 20   # the partition went on

    # a new worker in the same groups resumes from the committed offsets
    _send(stream_settings, [good2], topics.raw_webhook, partition=0)
    pipeline = BackgroundPipeline(stream_settings, lake, unique_topic_prefix).start()
    try:
        pipeline.wait_caught_up()
        classify = pipeline.loops[0]
        assert classify.processed == 1                 # only the new record
    finally:
        pipeline.stop()
    events, state = batch_reference([good1, good2])
    assert lake_events(lake) == sorted((e.event_id, e.category, e.reason, e.recipient) for e in events)
    assert compacted(read_topic(stream_settings, topics.suppressions)) == state


def _spawn(args, log, env=None):
    return subprocess.Popen([sys.executable, "-m", "connectors.cli", *args], stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True, env=env)


def _lake_counts(lake):
    from connectors.duck import connect
    try:
        con = connect(lake)
        try:
            return con.execute("SELECT count(*), count(DISTINCT event_id) FROM events").fetchone()
        finally:
            con.close()
    except Exception:  # noqa: BLE001 - a file being renamed in: try again
        return (-1, -1)


class _Progress:
    """Watches the worker's output (events topic size) and the sink's (lake files)."""

    def __init__(self, settings: Settings, lake):
        from kafka import KafkaConsumer, TopicPartition

        from connectors.kafka import kafka_python_config
        self.lake = lake
        self.consumer = KafkaConsumer(**kafka_python_config(settings.kafka))
        topic = settings.topics.events
        parts = self.consumer.partitions_for_topic(topic) or {0, 1, 2}
        self.tps = [TopicPartition(topic, p) for p in parts]

    def value(self, name: str) -> int:
        if name == "worker":
            return sum(self.consumer.end_offsets(self.tps).values())
        return len(list(self.lake.glob("*/dt=*/*.parquet"))) if self.lake.exists() else 0

    def wait_for_growth(self, name: str, timeout: float, tick=lambda: None) -> None:
        start, deadline = self.value(name), time.monotonic() + timeout
        while self.value(name) == start and time.monotonic() < deadline:
            tick()
            time.sleep(0.1)


# (DSN emails, webhook events, kill rounds): "full" is the real proof and runs in CI (the
# default `pytest` run); "quick" is the same test at a fifth of the size for the development
# loop (`pytest -m "not slow"` runs only it).
CHAOS_SIZES = {"quick": (1_600, 400, 2), "full": (8_000, 2_000, 5)}


@pytest.mark.timeout(300)
@pytest.mark.parametrize("size", [pytest.param("quick"),
                                  pytest.param("full", marks=pytest.mark.slow)])
def test_kill_9_worker_and_sink_loses_and_duplicates_nothing(size, stream_settings,
                                                             unique_topic_prefix, tmp_path):
    """Events stream while the worker and the sink are killed with SIGKILL at random points
    while working (once per round each: 5 rounds, 10,000 events at full size), and also die
    now and then at the worst moment (outputs acknowledged, offsets not committed: fault
    injection), forcing replays. After the last restart the lake holds every event exactly
    once and the compacted suppression state equals batch processing."""
    from connectors.kafka import route
    from connectors.streaming.loop import FAULT_ENV

    dsns, hooks, rounds = CHAOS_SIZES[size]
    # DSN emails + webhook events over ~3 days. DSNs keep the worker busy; raw partitions
    # processed unevenly after a restart deliver an address's events out of order, within the
    # policy's allowed lateness.
    payloads = dsn_emails(dsns, step_minutes=0.5 * 8_000 / dsns) + webhook_batches(
        hooks, per_batch=20, seed=5, step_minutes=2 * 2_000 / hooks)
    events, state = batch_reference(payloads)
    expected = sorted((e.event_id, e.category, e.reason, e.recipient) for e in events)
    assert len(expected) == dsns + hooks and len(state) > (dsns + hooks) // 10

    lake = tmp_path / "lake"
    common = ["--bootstrap", stream_settings.kafka.bootstrap, "--topic-prefix", unique_topic_prefix,
              "--group-prefix", unique_topic_prefix]
    cmds = {"worker": ["worker", *common, "--max-records", "100"],
            "sink": ["sink", *common, "--lake", str(lake), "--max-seconds", "0.3"]}
    env = {**os.environ, FAULT_ENV: "0.02"}
    log = open(tmp_path / "processes.log", "wb")
    procs = {name: _spawn(cmd, log, env) for name, cmd in cmds.items()}
    restarts = {"worker": 0, "sink": 0}

    def supervise():
        for name, proc in procs.items():
            if proc.poll() is not None:        # died by fault injection: restart it
                restarts[name] += 1
                procs[name] = _spawn(cmds[name], log, env)

    by_topic: dict[str, list[bytes]] = {}
    for p in payloads:
        by_topic.setdefault(route(p, stream_settings.topics), []).append(p)

    def publish():
        for chunk in range(10):
            for topic, items in by_topic.items():
                share = len(items) // 10
                _send(stream_settings, items[chunk * share:(chunk + 1) * share], topic)
            time.sleep(0.5)

    publisher = threading.Thread(target=publish)
    publisher.start()
    rng = random.Random(1234)
    kills = {"worker": 0, "sink": 0}
    progress = _Progress(stream_settings, lake)
    try:
        T0 = time.monotonic()
        for _round in range(rounds):
            print("round", _round, round(time.monotonic() - T0, 1), restarts, flush=True)
            # kill both while they are working: once each one's output grew, at random moments
            # (both in one round, so their group rejoins overlap and the test stays short)
            for name in rng.sample(sorted(procs), 2):
                progress.wait_for_growth(name, timeout=20, tick=supervise)
            for name in rng.sample(sorted(procs), 2):
                time.sleep(rng.uniform(0, 0.8))
                supervise()
                os.kill(procs[name].pid, signal.SIGKILL)
                procs[name].wait()
                kills[name] += 1
                procs[name] = _spawn(cmds[name], log, env)
        publisher.join()
        print("final wait", round(time.monotonic() - T0, 1), restarts, flush=True)
        deadline = time.monotonic() + 150
        t = stream_settings.topics
        sink_topics = [t.events, t.suppressions, t.dmarc_rows, t.deadletter]
        while time.monotonic() < deadline:
            supervise()
            # Caught up = every event landed AND the sink group committed everything AND no
            # process is down: a file written but not committed (a crash between the two) is
            # deleted and rewritten by the next sink, so counting rows alone can stop mid-recovery.
            if _lake_counts(lake)[0] >= len(expected) and \
                    group_lag(stream_settings, f"{unique_topic_prefix}-sink", sink_topics) == 0 \
                    and all(p.poll() is None for p in procs.values()) and \
                    compacted(read_topic(stream_settings, t.suppressions)) == state:
                break
            time.sleep(1)
        print("caught up", round(time.monotonic() - T0, 1), restarts, _lake_counts(lake), flush=True)
        time.sleep(1.0)   # anything still in flight would show up as a duplicate now
    finally:
        for p in procs.values():
            p.send_signal(signal.SIGTERM)
        for p in procs.values():
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
        log.close()
    on_topic = len(read_topic(stream_settings, stream_settings.topics.events))
    print(f"kills {kills}, injected crashes {restarts}; events topic: {on_topic} records for "
          f"{len(expected)} events ({on_topic - len(expected)} replayed duplicates dropped)")
    assert kills == {"worker": rounds, "sink": rounds}
    assert _lake_counts(lake) == (len(expected), len(expected))   # 0 lost, 0 duplicated
    assert lake_events(lake) == expected
    assert compacted(read_topic(stream_settings, stream_settings.topics.suppressions)) == state


@pytest.mark.timeout(180)
def test_a_second_worker_takes_over_partitions_and_state(stream_settings, unique_topic_prefix,
                                                         tmp_path):
    """Scale out: a second worker joins the consumer groups mid-stream; partitions (and the
    suppression state of the events partitions it takes) move to it; nothing is lost or
    decided twice differently."""
    payloads = webhook_batches(3_000, per_batch=20, seed=21, step_minutes=1)
    events, state = batch_reference(payloads)
    topics = stream_settings.topics
    lake = tmp_path / "lake"
    first = BackgroundPipeline(stream_settings, lake, unique_topic_prefix).start()
    second = None
    try:
        _send(stream_settings, payloads[:75], topics.raw_webhook)
        first.wait_caught_up()
        second = BackgroundPipeline(stream_settings, lake, unique_topic_prefix, sink=False).start()
        second.wait_caught_up()                 # joined: it owns some partitions now
        _send(stream_settings, payloads[75:], topics.raw_webhook)
        second.wait_caught_up()
        first.wait_caught_up()
        assert second.loops[1].processed > 0    # the new worker's suppress stage did work
    finally:
        if second:
            second.stop()
        first.stop()
    assert lake_events(lake) == sorted((e.event_id, e.category, e.reason, e.recipient) for e in events)
    assert compacted(read_topic(stream_settings, topics.suppressions)) == state
