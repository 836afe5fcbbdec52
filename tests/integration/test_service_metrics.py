"""The worker and the sink as processes (`bouncepipe worker|sink --metrics-port`): their real
/metrics, /healthz and /readyz endpoints, scraped while they run, and their JSON logs.
Counters must equal what batch processing of the same inputs gives, and move by exactly what a
second publish adds."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter

import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families

from connectors.broker import free_port
from connectors.duck import connect
from connectors.kafka import publish_paths, route
from connectors.sources.files import iter_raw_messages
from pipeline.examples import EXAMPLES_DIR

from .conftest import batch_reference, read_topic
from .generate import dsn_emails

pytestmark = [pytest.mark.broker, pytest.mark.timeout(240)]


def scrape(port: int) -> dict[tuple[str, tuple], float]:
    """(sample name, sorted labels) -> value."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        text = r.read().decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def total(samples, name: str, **labels) -> float:
    return sum(v for (n, lab), v in samples.items()
               if n == name and all(dict(lab).get(k) == w for k, w in labels.items()))


def by_label(samples, name: str, label: str) -> dict[str, float]:
    out: Counter = Counter()
    for (n, lab), v in samples.items():
        if n == name and v:
            out[dict(lab)[label]] += v
    return dict(out)


def probe(port: int, path: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as r:
            return r.status, orjson.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, orjson.loads(exc.read())


def wait_for(check, timeout: float = 90.0, what: str = ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            got = check()
        except (OSError, urllib.error.URLError):
            got = None
        if got:
            return got
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def test_worker_and_sink_endpoints_count_what_they_did(stream_settings, unique_topic_prefix,
                                                       tmp_path):
    topics = stream_settings.topics
    src = tmp_path / "inputs"
    src.mkdir()
    for i, payload in enumerate(dsn_emails(30)):
        (src / f"dsn-{i:04d}.eml").write_bytes(payload)
    paths = [EXAMPLES_DIR, src]
    payloads = [raw.payload for raw in iter_raw_messages(paths)]
    events, _ = batch_reference(payloads)
    published = publish_paths(stream_settings, paths)
    assert published == Counter(route(p, topics) for p in payloads)

    env = {**os.environ, "BOUNCEPIPE_KAFKA__BOOTSTRAP": stream_settings.kafka.bootstrap}
    if stream_settings.kafka.api_version:
        env["BOUNCEPIPE_KAFKA__API_VERSION"] = stream_settings.kafka.api_version
    common = ["--topic-prefix", unique_topic_prefix, "--group-prefix", unique_topic_prefix]
    worker_port, sink_port = free_port(), free_port()
    lake = tmp_path / "lake"
    worker_log, sink_log = tmp_path / "worker.log", tmp_path / "sink.log"
    procs = []
    try:
        with open(worker_log, "wb") as wl, open(sink_log, "wb") as sl:
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "connectors.cli", "--log-format", "json", "worker",
                 *common, "--metrics-port", str(worker_port)], stderr=wl, env=env))
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "connectors.cli", "sink", *common, "--lake", str(lake),
                 "--max-seconds", "0.3", "--metrics-port", str(sink_port)], stderr=sl, env=env))
        # alive at once; ready only once connected, assigned and caught up
        wait_for(lambda: probe(worker_port, "/healthz")[0] == 200, what="worker /healthz")
        wait_for(lambda: probe(worker_port, "/readyz")[0] == 200, what="worker /readyz")
        wait_for(lambda: probe(sink_port, "/readyz")[0] == 200, what="sink /readyz")
        status, ready = probe(worker_port, "/readyz")
        assert {s["loop"] for s in ready["loops"]} == {"classify", "suppress"}
        assert all(s["connected"] and s["assigned"] and s["lag"] <= 1000 for s in ready["loops"])

        # records in: every published raw record, per raw topic
        w = wait_for(lambda: (lambda s: s if total(s, "bouncepipe_records_in_total",
                                                   loop="suppress") >= len(events) else None)(
            scrape(worker_port)), what="suppress stage to consume every event")
        for topic, n in published.items():
            assert total(w, "bouncepipe_records_in_total", loop="classify", topic=topic) == n
        # events by category = the batch reference; records out per topic = what is on it
        assert by_label(w, "bouncepipe_events_total", "category") == dict(
            Counter(str(e.category) for e in events))
        assert total(w, "bouncepipe_records_out_total", loop="classify",
                     topic=topics.events) == len(events)
        assert total(w, "bouncepipe_records_in_total", loop="suppress") == len(events)
        # the one input that is no report: one dead letter, stage and reason labelled
        dead = read_topic(stream_settings, topics.deadletter)
        assert total(w, "bouncepipe_dead_letters_total") == len(dead) >= 1
        assert total(w, "bouncepipe_dead_letters_total", reason="NotSupported") >= 1
        # suppression decisions by rule and action = the records on the suppressions topic
        decisions = [orjson.loads(r.value) for r in read_topic(stream_settings,
                                                               topics.suppressions)]
        got = {(dict(lab)["rule"], dict(lab)["action"]): v for (n, lab), v in w.items()
               if n == "bouncepipe_suppression_decisions_total"}
        assert got == dict(Counter((d["policy_rule"], d["action"]) for d in decisions))
        assert total(w, "bouncepipe_blast_radius_holds_total") == sum(
            d["action"] == "hold" for d in decisions)
        assert total(w, "bouncepipe_batch_seconds_count", loop="classify") >= 1
        assert total(w, "bouncepipe_commit_seconds_count", loop="classify") >= 1

        # the sink: rows per table = the lake's rows; files and bytes = the lake's files
        def sink_caught_up():
            s = scrape(sink_port)
            return s if total(s, "bouncepipe_sink_rows_total", table="events") == len(events) \
                else None
        s = wait_for(sink_caught_up, what="sink to land every event")
        time.sleep(1.5)   # the last flushes of the other tables
        s = scrape(sink_port)
        files = [p for p in lake.rglob("*.parquet")]
        con = connect(lake)
        try:
            for table in {p.parent.parent.name for p in files}:
                n = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                assert total(s, "bouncepipe_sink_rows_total", table=table) == n, table
        finally:
            con.close()
        assert total(s, "bouncepipe_sink_files_total") == len(files)
        assert total(s, "bouncepipe_sink_bytes_total") == sum(p.stat().st_size for p in files)
        assert total(s, "bouncepipe_sink_write_seconds_count") >= 1

        # a second publish moves the counters by exactly what it adds; lag returns to zero
        before = scrape(worker_port)
        more = dsn_emails(37)[30:]   # 7 new recipients (the generator is deterministic)
        extra = tmp_path / "more"
        extra.mkdir()
        for i, payload in enumerate(more):
            (extra / f"more-{i}.eml").write_bytes(payload)
        assert publish_paths(stream_settings, [extra])[topics.raw_email] == 7
        new_events, _ = batch_reference(more)
        want_in = total(before, "bouncepipe_records_in_total", loop="classify") + 7
        after = wait_for(lambda: (lambda a: a if total(a, "bouncepipe_records_in_total",
                                                       loop="suppress") >= len(events) + len(
            new_events) else None)(scrape(worker_port)), what="the second publish")
        assert total(after, "bouncepipe_records_in_total", loop="classify") == want_in
        assert total(after, "bouncepipe_events_total") - total(
            before, "bouncepipe_events_total") == len(new_events)
        wait_for(lambda: all(v == 0 for (n, _), v in scrape(worker_port).items()
                             if n == "bouncepipe_consumer_lag") or None, what="lag back to 0")
        lag_series = [lab for (n, lab) in scrape(worker_port) if n == "bouncepipe_consumer_lag"]
        assert {dict(lab)["partition"] for lab in lag_series
                if dict(lab)["topic"] == topics.raw_email} == {"0", "1"}
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()

    # JSON logs: one object per line; the dead letter's line carries its raw sha256 and offset
    lines = [orjson.loads(line) for line in worker_log.read_bytes().splitlines() if line.strip()]
    not_a_report = (EXAMPLES_DIR / "not-a-report.txt").read_bytes()
    [line] = [x for x in lines if x.get("raw_sha256") == hashlib.sha256(not_a_report).hexdigest()]
    assert line["message"].startswith("dead letter") and line["level"] == "WARNING"
    assert line["topic"] == topics.raw_email and isinstance(line["offset"], int)
    assert line["error_type"] == "NotSupported" and line["stage"]
