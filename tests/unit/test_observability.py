"""Metrics, health verdicts and JSON logs without a broker (the endpoints of running services
are scraped in tests/integration/test_service_metrics.py)."""
from __future__ import annotations

import logging

import orjson
from aiokafka import TopicPartition
from prometheus_client.parser import text_string_to_metric_families

from connectors.health import alive, ready
from connectors.logs import JsonFormatter
from connectors.metrics import NullMetrics, ServiceMetrics
from connectors.streaming.classify import Out


def samples(metrics: ServiceMetrics) -> dict:
    text = metrics.exposition().decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for f in text_string_to_metric_families(text) for s in f.samples}


def test_produced_counts_topics_and_kinds():
    m = ServiceMetrics()
    outs = [Out("ev", b"k", b"v", kind=("event", "hard_bounce")),
            Out("ev", b"k", b"v", kind=("event", "hard_bounce")),
            Out("ev", b"k", b"v", kind=("event", "complaint")),
            Out("dl", b"k", b"v", kind=("dead_letter", "sniff", "NotSupported")),
            Out("sup", b"k", b"v", kind=("decision", "hard_bounce.block", "hold")),
            Out("state", b"k", b"v")]
    m.produced("classify", outs)
    s = samples(m)
    assert s[("bouncepipe_records_out_total", (("loop", "classify"), ("topic", "ev")))] == 3
    assert s[("bouncepipe_records_out_total", (("loop", "classify"), ("topic", "state")))] == 1
    assert s[("bouncepipe_events_total", (("category", "hard_bounce"),))] == 2
    assert s[("bouncepipe_dead_letters_total", (("reason", "NotSupported"),
                                                ("stage", "sniff")))] == 1
    assert s[("bouncepipe_suppression_decisions_total", (("action", "hold"),
                                                         ("rule", "hard_bounce.block")))] == 1
    assert s[("bouncepipe_blast_radius_holds_total", ())] == 1


def test_lag_series_follow_the_assignment():
    m = ServiceMetrics()
    a, b = TopicPartition("raw", 0), TopicPartition("raw", 1)
    m.set_lag("classify", {a: 5, b: 0})
    m.set_lag("classify", {b: 2})   # partition 0 was revoked: its series goes
    lag = {dict(lab)["partition"]: v for (n, lab), v in samples(m).items()
           if n == "bouncepipe_consumer_lag"}
    assert lag == {"1": 2}


def test_null_metrics_record_nothing():
    m = NullMetrics()
    m.produced("classify", [Out("ev", b"k", b"v", kind=("event", "complaint"))])
    assert samples(m) == {}


def test_health_verdicts():
    up = {"loop": "classify", "connected": True, "assigned": True, "lag": 3,
          "seconds_since_poll": 0.2}
    assert ready([up], max_lag=10) and not ready([up], max_lag=2)
    assert not ready([{**up, "assigned": False, "lag": None}], max_lag=10)
    assert not ready([], max_lag=10)
    assert alive([up], [False], stall_seconds=60)
    assert not alive([up], [True], stall_seconds=60)          # a loop's task ended
    assert not alive([{**up, "seconds_since_poll": 61}], [False], stall_seconds=60)


def test_json_log_lines_carry_the_extra_fields():
    record = logging.LogRecord("connectors.x", logging.INFO, __file__, 1, "dead letter: %s",
                               ("no report",), None)
    record.raw_sha256, record.offset = "ab" * 32, 17
    line = orjson.loads(JsonFormatter().format(record))
    assert line["message"] == "dead letter: no report" and line["level"] == "INFO"
    assert line["raw_sha256"] == "ab" * 32 and line["offset"] == 17
    assert line["ts"].endswith("+00:00") and "args" not in line
