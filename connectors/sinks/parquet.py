"""Parquet sink: events, suppressions, dmarc_rows and deadletter topics -> the lake, exactly once.

Run by `connectors.sinks.SinkLoop`, which buffers, calls `write_batch` and commits after it.

Per topic-partition the sink buffers records from the committed offset c, writes them to
`{table}/dt=.../{topic}-{partition}-{c}.parquet` (LakeWriter: temp file + fsync + rename) and
only then commits c' = last + 1. Replay-safety, in two parts:
- files are named after their first offset, and on (re)assignment every file of that
  topic-partition whose first offset is >= the committed offset is deleted before anything is
  written: those came from a run that died before committing, and their records will be read
  again. So a crash anywhere gives the same files as no crash;
- topics are at-least-once (a crashed worker replays its batch), so duplicates can appear at
  later offsets of the SAME partition (same key, same deterministic id). The sink drops rows
  whose table key it has already landed for that partition (keys of the recent files are
  reloaded on assignment), so the lake holds each event once.
"""
from __future__ import annotations

import logging
import re
from datetime import datetime, timezone
from pathlib import Path

import orjson
import pyarrow.parquet as pq
from aiokafka import TopicPartition

from connectors.kafka_records import command_of, dead_letter_from_record
from connectors.lake import LakeWriter
from connectors.sinks.base import BatchingSink
from pipeline.settings import Settings
from schemas.archive import EventRevision
from schemas.models import MailEvent, NotParsed, SuppressionEvent
from schemas.tables import TABLES

log = logging.getLogger(__name__)


def _unreadable(record, exc: Exception) -> tuple[str, NotParsed]:
    """A record on an output topic the sink cannot read still lands, as a dead letter."""
    payload = record.value or b""
    from schemas.ids import sha256_hex  # noqa: PLC0415
    sha = sha256_hex(payload)
    return "dead_letters", NotParsed(
        dead_letter_id=NotParsed.make_id(sha, 0, "land", type(exc).__name__), raw_sha256=sha,
        source=f"{record.topic}[{record.partition}]@{record.offset}", stage="land",
        error_type=type(exc).__name__, reason=f"sink could not read the record: {exc}"[:500],
        received_at=datetime.fromtimestamp(record.timestamp / 1000, timezone.utc),
        payload=payload, payload_size=len(payload))


class LakeRecords:
    """Which lake table(s) a topic's records become, and how."""

    def __init__(self, settings: Settings):
        t = settings.topics
        self.topics = [t.events, t.suppressions, t.dmarc_rows, t.deadletter]
        self._kind = {t.events: "events", t.suppressions: "suppressions",
                      t.dmarc_rows: "dmarc_rows", t.deadletter: "dead_letters"}

    def rows(self, record) -> tuple[str, object] | None:
        """(table, row) or (table, [rows]) of one record; None: not a lake row."""
        kind = self._kind[record.topic]
        try:
            if kind == "events":
                command = command_of(record)
                if command == "revision":   # bouncepipe reclassify --bootstrap
                    return "event_revisions", EventRevision.model_validate_json(record.value)
                if command is not None:
                    return None   # `unsuppress` commands travel on events; they are not events
                return "events", MailEvent.model_validate_json(record.value)
            if kind == "suppressions":
                return "suppressions", SuppressionEvent.model_validate_json(record.value)
            if kind == "dead_letters":
                return "dead_letters", dead_letter_from_record(record)
            data = orjson.loads(record.value)
            table = data["table"]
            model = TABLES[table].model
            if "rows" in data:   # a chunk of an input's rows (connectors/streaming/classify.py)
                return table, [model.model_validate(row) for row in data["rows"]]
            return table, model.model_validate(data["row"])   # one row: records from before
        except Exception as exc:  # noqa: BLE001 - never stop a partition on one bad record
            return _unreadable(record, exc)


class ParquetSink(BatchingSink):
    name = "parquet"

    def __init__(self, settings: Settings, lake: str | Path, *, dedup_window: int = 1_000_000,
                 records: LakeRecords | None = None):
        self.writer = LakeWriter(lake)
        self.root = Path(lake)
        self.records = records or LakeRecords(settings)
        self.dedup_window = dedup_window
        # (topic-partition, table) -> {row key: first offset of the file it landed in}; keys
        # older than `dedup_window` offsets are forgotten (replayed duplicates come soon after)
        self.keys: dict[tuple[TopicPartition, str], dict[str, int]] = {}
        self._pruned: dict[tuple[TopicPartition, str], int] = {}

    def topics(self, settings: Settings) -> list[str]:
        return self.records.topics

    # -- files of one topic-partition ------------------------------------------------------
    def _files(self, tp: TopicPartition) -> list[tuple[int, Path]]:
        prefix = f"{tp.topic}-{tp.partition}-"
        pattern = re.compile(re.escape(prefix) + r"(\d+)\.parquet$")
        found = []
        for path in self.root.glob(f"*/dt=*/{prefix}*.parquet"):
            m = pattern.fullmatch(path.name)
            if m:
                found.append((int(m.group(1)), path))
        return found

    def prepare(self, tp: TopicPartition, committed: int) -> None:
        """Delete files of uncommitted ranges; reload recent keys for dedup."""
        for first, path in self._files(tp):
            if first >= committed:
                log.info("removing %s: written after offset %d but never committed", path, committed)
                path.unlink(missing_ok=True)
            elif first >= committed - self.dedup_window:
                table = path.parent.parent.name
                key = TABLES[table].key
                ids = pq.read_table(path, columns=[key]).column(key).to_pylist()
                self.keys.setdefault((tp, table), {}).update(dict.fromkeys(ids, first))

    def revoke(self, tp: TopicPartition) -> None:
        for key in [k for k in self.keys if k[0] == tp]:
            del self.keys[key]
            self._pruned.pop(key, None)

    def write_batch(self, tp: TopicPartition, first_offset: int, records) -> int:
        by_table: dict[str, list] = {}
        for record in records:
            got = self.records.rows(record)
            if got is None:
                continue
            table, rows = got
            if isinstance(rows, list):
                by_table.setdefault(table, []).extend(rows)
            else:
                by_table.setdefault(table, []).append(rows)
        stem = f"{tp.topic}-{tp.partition}-{first_offset}"
        written = 0
        for table, rows in by_table.items():
            seen = self.keys.setdefault((tp, table), {})
            key = TABLES[table].key
            fresh = []
            for row in rows:
                k = getattr(row, key)
                if k not in seen:
                    seen[k] = first_offset
                    fresh.append(row)
            last_prune = self._pruned.setdefault((tp, table), first_offset)
            if first_offset - last_prune >= self.dedup_window // 4:   # forget old keys
                oldest = first_offset - self.dedup_window
                self.keys[(tp, table)] = {k: o for k, o in seen.items() if o >= oldest}
                self._pruned[(tp, table)] = first_offset
            paths = self.writer.write(table, fresh, file_stem=stem)
            self.metrics.sink_written(self.name, table, files=len(paths), rows=len(fresh),
                                      size=sum(p.stat().st_size for p in paths))
            written += len(fresh)
        return written
