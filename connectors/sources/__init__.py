"""Sources: where raw inputs come from, and when a source may forget one.

Every source turns what arrives into `RawMessage`s (bytes exactly as received + provenance) for
the one core, and lets go of an input only after its outputs are durable. Two shapes:

- Pull sources read at their own pace (files, mbox, maildir, an IMAP folder): `read()` yields
  RawMessages; `ack(raw)` is called once that input's outputs are durable (landed in the lake
  or acknowledged by the broker) — only then may the source forget it (move the IMAP message to
  its archive folder, remember a file as done). `files.FileSource` is the model.
- Push sources answer a client (the HTTP webhook receiver `http.py`, the SMTP/LMTP bounce
  receiver): they
  hand each input to a `RawPublisher` and answer success only after `publish` returned, else a
  retryable failure (HTTP 503, SMTP 451) so the client retries and nothing is lost. Publishers:
  `kafka_publisher.KafkaPublisher` (raw topic, acks=all) and `spool_publisher.SpoolPublisher`
  (fsync'ed files that `bouncepipe ingest` reads: the Kafka-free mode).

The headers a push source writes on a raw record are the Kafka record contract's
(connectors/kafka_records.py). Adding a source = one module here + its fixtures; register pull
sources in SOURCES so `ingest`/`publish` can name them.
"""
from __future__ import annotations

from .base import PullSource, RawPublisher

SOURCES = {
    "files": "connectors.sources.files:FileSource",
}

__all__ = ["SOURCES", "PullSource", "RawPublisher"]
