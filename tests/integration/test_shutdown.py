"""A streaming service stops within its grace period even when it cannot flush.

The case that left orphaned sinks behind: a sink holding buffered rows whose broker is gone
never finished its last flush+commit, and SIGTERM left it running for good. The shutdown is
now bounded (connectors/streaming/app.py run_loops: `service.shutdown_grace_seconds`, then
the loops are cancelled; their uncommitted records are replayed by the next owner).

This test starts its own embedded broker (it must kill it), so it runs with or without
KAFKA_BOOTSTRAP."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from connectors.broker import EmbeddedBroker, free_port
from connectors.kafka import create_topics, publish_paths, with_overrides
from pipeline.settings import Settings

from .generate import dsn_emails
from .test_service_metrics import scrape, total, wait_for

pytestmark = [pytest.mark.broker, pytest.mark.timeout(180)]

GRACE = 2.0


def test_sink_with_buffered_rows_exits_within_grace_after_its_broker_died(tmp_path):
    broker = EmbeddedBroker(log_path=tmp_path / "tansu.log")
    try:
        broker.start()
    except RuntimeError as exc:
        pytest.skip(f"embedded broker unavailable: {exc}")
    procs: list[subprocess.Popen] = []
    try:
        settings = with_overrides(Settings(), bootstrap=broker.bootstrap, topic_prefix="sd",
                                  api_version="2.5")
        create_topics(settings)
        src = tmp_path / "inputs"
        src.mkdir()
        for i, payload in enumerate(dsn_emails(20)):
            (src / f"dsn-{i:04d}.eml").write_bytes(payload)
        env = {**os.environ, "BOUNCEPIPE_SERVICE__SHUTDOWN_GRACE_SECONDS": str(GRACE)}
        common = ["--bootstrap", broker.bootstrap, "--topic-prefix", "sd"]
        cli = [sys.executable, "-m", "connectors.cli"]
        port = free_port()
        worker = subprocess.Popen(cli + ["worker", *common], env=env, stdout=subprocess.DEVNULL,
                                  stderr=open(tmp_path / "worker.log", "wb"))
        # a flush only after 600 s: the rows stay buffered until the shutdown's own flush
        sink = subprocess.Popen(cli + ["sink", *common, "--lake", str(tmp_path / "lake"),
                                       "--max-seconds", "600", "--metrics-port", str(port)],
                                env=env, stdout=subprocess.DEVNULL,
                                stderr=open(tmp_path / "sink.log", "wb"))
        procs += [worker, sink]
        assert sum(publish_paths(settings, [src]).values()) == 20
        wait_for(lambda: total(scrape(port), "bouncepipe_records_in_total", loop="sink.parquet")
                 >= 20, what="the sink to consume the 20 events")
        assert not list((tmp_path / "lake").rglob("*.parquet"))   # buffered, not flushed

        broker.stop()
        time.sleep(0.5)
        started = time.monotonic()
        sink.send_signal(signal.SIGTERM)
        code = sink.wait(timeout=GRACE + 30)
        took = time.monotonic() - started
        log = (tmp_path / "sink.log").read_text()
        assert code == 0, log[-2000:]
        assert GRACE - 0.5 <= took < GRACE + 10, took
        assert "sink.parquet did not stop within 2 s" in log
        worker.send_signal(signal.SIGTERM)
        code = worker.wait(timeout=GRACE + 30)
        assert code == 0, (tmp_path / "worker.log").read_text()[-2000:]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        broker.stop()
