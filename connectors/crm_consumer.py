"""A CRM-side consumer of the compacted suppressions topic (an example to copy).

The topic is compacted and keyed by `{scope}:{scope_value}:{address}`, so reading it from the
beginning always converges to the current decision per key; upserts keep that state in
SQLite, a CSV snapshot, or forward each decision to an HTTP endpoint (your CRM's API).
Without a consumer group it re-reads the topic on every start (idempotent upserts); with one
it resumes from its committed offsets. kafka-python, as a CRM integration would use.
"""
from __future__ import annotations

import csv
import logging
import os
import sqlite3
import urllib.request
from pathlib import Path

from pipeline.settings import Settings
from schemas.models import SuppressionEvent

from .kafka import kafka_python_config

log = logging.getLogger(__name__)

COLUMNS = ("key", "address", "scope", "scope_value", "action", "reason", "category",
           "policy_rule", "decided_at", "expires_at", "suppression_id", "tenant")


def _row(event: SuppressionEvent) -> dict:
    data = event.model_dump(mode="json")
    return {c: data.get(c) for c in COLUMNS}


class SqliteStore:
    def __init__(self, path: str | Path):
        self.db = sqlite3.connect(str(path))
        cols = ", ".join(f"{c} TEXT" + (" PRIMARY KEY" if c == "key" else "") for c in COLUMNS)
        self.db.execute(f"CREATE TABLE IF NOT EXISTS suppressions ({cols})")

    def apply(self, events: list[SuppressionEvent]) -> None:
        marks = ", ".join("?" for _ in COLUMNS)
        self.db.executemany(f"INSERT OR REPLACE INTO suppressions VALUES ({marks})",
                            [tuple(_row(e).values()) for e in events])
        self.db.commit()

    def close(self) -> None:
        self.db.close()


class CsvStore:
    """Current state as a CSV snapshot, rewritten atomically after each batch."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.state: dict[str, dict] = {}
        if self.path.exists():
            with open(self.path, newline="") as fh:
                self.state = {r["key"]: r for r in csv.DictReader(fh)}

    def apply(self, events: list[SuppressionEvent]) -> None:
        for e in events:
            self.state[e.key] = _row(e)
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        with open(tmp, "w", newline="") as fh:
            writer = csv.DictWriter(fh, COLUMNS)
            writer.writeheader()
            writer.writerows(self.state[k] for k in sorted(self.state))
        os.replace(tmp, self.path)

    def close(self) -> None:
        pass


class HttpForwarder:
    """POSTs each decision as JSON; a failure stops the consumer before its offsets commit."""

    def __init__(self, url: str, timeout: float = 10.0):
        self.url, self.timeout = url, timeout

    def apply(self, events: list[SuppressionEvent]) -> None:
        for e in events:
            req = urllib.request.Request(self.url, data=e.model_dump_json().encode(),
                                         headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                resp.read()

    def close(self) -> None:
        pass


def consume(settings: Settings, store, *, group: str | None = None, once: bool = False,
            poll_ms: int = 500) -> int:
    """Apply suppression records to `store`; with `once`, stop when caught up. Returns count."""
    from kafka import KafkaConsumer, TopicPartition

    topic = settings.topics.suppressions
    conf = kafka_python_config(settings.kafka)
    consumer = KafkaConsumer(group_id=group, enable_auto_commit=False,
                             auto_offset_reset="earliest", **conf)
    applied = 0
    try:
        if group:
            consumer.subscribe([topic])
        else:
            consumer.topics()   # loads cluster metadata
            parts = consumer.partitions_for_topic(topic)
            if not parts:
                raise RuntimeError(f"topic {topic} does not exist (bouncepipe topics create)")
            tps = [TopicPartition(topic, p) for p in sorted(parts)]
            consumer.assign(tps)
            consumer.seek_to_beginning(*tps)
        while True:
            batch = consumer.poll(timeout_ms=poll_ms, max_records=5000)
            events = [SuppressionEvent.model_validate_json(r.value)
                      for records in batch.values() for r in records if r.value]
            if events:
                store.apply(events)
                applied += len(events)
                if group:
                    consumer.commit()
            if once and not batch:
                assigned = consumer.assignment()
                ends = consumer.end_offsets(list(assigned)) if assigned else {}
                if assigned and all(consumer.position(tp) >= ends[tp] for tp in assigned):
                    break
    finally:
        consumer.close()
        store.close()
    return applied


def open_store(*, sqlite: str | None = None, csv_path: str | None = None,
               forward: str | None = None):
    if sqlite:
        return SqliteStore(sqlite)
    if csv_path:
        return CsvStore(csv_path)
    if forward:
        return HttpForwarder(forward)
    raise ValueError("one of sqlite, csv_path or forward is required")
