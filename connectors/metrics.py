"""Prometheus metrics for every streaming service, owned by the one consumer loop.

One `ServiceMetrics` per process (its own CollectorRegistry, so several services in one process,
e.g. tests, never clash); every loop of the service (classify, suppress, sink) records into it:

    bouncepipe_records_in_total{loop,topic}          records consumed
    bouncepipe_records_out_total{loop,topic}         records produced (acknowledged)
    bouncepipe_batch_seconds{loop}                   one poll: handle + produce + commit
    bouncepipe_consumer_lag{loop,topic,partition}    high watermark - committed offset
    bouncepipe_commit_seconds{loop}                  offset commit latency
    bouncepipe_events_total{category}                classified events produced
    bouncepipe_dead_letters_total{stage,reason}      reason = the error type (bounded)
    bouncepipe_suppression_decisions_total{rule,action}
    bouncepipe_blast_radius_holds_total              decisions with action "hold"
    bouncepipe_sink_files_total{sink,table} / _rows_total / _bytes_total
    bouncepipe_sink_write_seconds{sink}              a batch made durable (files fsync'ed)

Labels are bounded sets (topics, partitions, categories, stages, error types, policy rules),
never addresses or domains. `NullMetrics` has the same methods doing nothing (the overhead bench
runs the worker with each).
"""
from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

# What an output record is, for counting (set by the stage that builds it; see
# connectors.streaming.classify.Out.kind): ("event", category), ("dead_letter", stage,
# error_type), ("decision", rule, action), ("row", table) or None.
Kind = tuple[str, ...] | None

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                    10.0, 30.0)

CONTENT_TYPE = CONTENT_TYPE_LATEST


class ServiceMetrics:
    enabled = True

    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        self.records_in = Counter("bouncepipe_records_in", "Records consumed",
                                  ("loop", "topic"), registry=r)
        self.records_out = Counter("bouncepipe_records_out", "Records produced and acknowledged",
                                   ("loop", "topic"), registry=r)
        self.batch_seconds = Histogram("bouncepipe_batch_seconds",
                                       "One poll's records handled, produced and committed",
                                       ("loop",), registry=r, buckets=_LATENCY_BUCKETS)
        self.commit_seconds = Histogram("bouncepipe_commit_seconds", "Offset commit latency",
                                        ("loop",), registry=r, buckets=_LATENCY_BUCKETS)
        self.lag = Gauge("bouncepipe_consumer_lag",
                         "High watermark minus committed offset, per assigned partition",
                         ("loop", "topic", "partition"), registry=r)
        self.events = Counter("bouncepipe_events", "Classified events produced", ("category",),
                              registry=r)
        self.dead_letters = Counter("bouncepipe_dead_letters",
                                    "Dead letters by stage and reason (the error type)",
                                    ("stage", "reason"), registry=r)
        self.decisions = Counter("bouncepipe_suppression_decisions",
                                 "Suppression decisions by policy rule and action",
                                 ("rule", "action"), registry=r)
        self.holds = Counter("bouncepipe_blast_radius_holds",
                             "Hard bounces held (not suppressed) by the blast-radius guard",
                             registry=r)
        self.sink_files = Counter("bouncepipe_sink_files", "Files the sink made durable",
                                  ("sink", "table"), registry=r)
        self.sink_rows = Counter("bouncepipe_sink_rows", "Rows the sink landed",
                                 ("sink", "table"), registry=r)
        self.sink_bytes = Counter("bouncepipe_sink_bytes", "Bytes the sink wrote",
                                  ("sink", "table"), registry=r)
        self.sink_write_seconds = Histogram("bouncepipe_sink_write_seconds",
                                            "A batch written and made durable",
                                            ("sink",), registry=r, buckets=_LATENCY_BUCKETS)
        self._lag_children: dict[tuple, object] = {}

    # -- what the loops call --------------------------------------------------------------
    def consumed(self, loop: str, batch: dict) -> None:
        for tp, records in batch.items():
            self.records_in.labels(loop, tp.topic).inc(len(records))

    def produced(self, loop: str, outs: Iterable) -> None:
        """Count a batch's acknowledged outputs by topic and by what they are."""
        per_topic: dict[str, int] = {}
        per_kind: dict[tuple, int] = {}
        for out in outs:
            per_topic[out.topic] = per_topic.get(out.topic, 0) + 1
            if out.kind is not None:
                per_kind[out.kind] = per_kind.get(out.kind, 0) + 1
        for topic, n in per_topic.items():
            self.records_out.labels(loop, topic).inc(n)
        for kind, n in per_kind.items():
            self.count_kind(kind, n)

    def count_kind(self, kind: tuple, n: int = 1) -> None:
        what = kind[0]
        if what == "event":
            self.events.labels(kind[1]).inc(n)
        elif what == "dead_letter":
            self.dead_letters.labels(kind[1], kind[2]).inc(n)
        elif what == "decision":
            self.decisions.labels(kind[1], kind[2]).inc(n)
            if kind[2] == "hold":
                self.holds.inc(n)

    def batch_done(self, loop: str, seconds: float) -> None:
        self.batch_seconds.labels(loop).observe(seconds)

    def committed(self, loop: str, seconds: float) -> None:
        self.commit_seconds.labels(loop).observe(seconds)

    def set_lag(self, loop: str, lags: dict) -> None:
        """lags: TopicPartition -> records behind. Partitions no longer assigned are removed."""
        current = set()
        for tp, value in lags.items():
            key = (loop, tp.topic, str(tp.partition))
            current.add(key)
            child = self._lag_children.get(key)
            if child is None:
                child = self._lag_children[key] = self.lag.labels(*key)
            child.set(value)
        for key in [k for k in self._lag_children if k[0] == loop and k not in current]:
            del self._lag_children[key]
            self.lag.remove(*key)

    def sink_written(self, sink: str, table: str, *, files: int, rows: int, size: int) -> None:
        self.sink_files.labels(sink, table).inc(files)
        self.sink_rows.labels(sink, table).inc(rows)
        self.sink_bytes.labels(sink, table).inc(size)

    def sink_write_time(self, sink: str, seconds: float) -> None:
        self.sink_write_seconds.labels(sink).observe(seconds)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class NullMetrics(ServiceMetrics):
    """Records nothing (for measuring what metrics cost)."""

    enabled = False

    def __init__(self) -> None:
        self.registry = CollectorRegistry()

    def consumed(self, loop, batch): pass
    def produced(self, loop, outs): pass
    def count_kind(self, kind, n=1): pass
    def batch_done(self, loop, seconds): pass
    def committed(self, loop, seconds): pass
    def set_lag(self, loop, lags): pass
    def sink_written(self, sink, table, *, files, rows, size): pass
    def sink_write_time(self, sink, seconds): pass
