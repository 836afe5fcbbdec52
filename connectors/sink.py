"""Parquet sink: events, suppressions, dmarc_rows and deadletter topics -> the lake, exactly once.

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

import asyncio
import logging
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import orjson
import pyarrow.parquet as pq
from aiokafka import TopicPartition

from connectors.kafka_records import dead_letter_from_record, is_command
from connectors.lake import LakeWriter
from pipeline.settings import Settings
from schemas.models import MailEvent, NotParsed, SuppressionEvent
from schemas.tables import TABLES

log = logging.getLogger(__name__)


@dataclass
class _Buffer:
    first_offset: int
    started: float = field(default_factory=time.monotonic)
    records: list = field(default_factory=list)


def _unreadable(record, exc: Exception) -> tuple[str, NotParsed]:
    """A record on an output topic the sink cannot read still lands, as a dead letter."""
    payload = record.value or b""
    from schemas.ids import sha256_hex
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
        kind = self._kind[record.topic]
        try:
            if kind == "events":
                if is_command(record):
                    return None   # `unsuppress` commands travel on events; they are not events
                return "events", MailEvent.model_validate_json(record.value)
            if kind == "suppressions":
                return "suppressions", SuppressionEvent.model_validate_json(record.value)
            if kind == "dead_letters":
                return "dead_letters", dead_letter_from_record(record)
            data = orjson.loads(record.value)
            table = data["table"]
            return table, TABLES[table].model.model_validate(data["row"])
        except Exception as exc:  # noqa: BLE001 - never stop a partition on one bad record
            return _unreadable(record, exc)


class ParquetSink:
    def __init__(self, settings: Settings, lake: str | Path, *, max_rows: int = 20_000,
                 max_seconds: float = 1.0, dedup_window: int = 1_000_000,
                 group_id: str = "bouncepipe-sink"):
        self.settings = settings
        self.writer = LakeWriter(lake)
        self.root = Path(lake)
        self.records = LakeRecords(settings)
        self.max_rows, self.max_seconds, self.dedup_window = max_rows, max_seconds, dedup_window
        self.group_id = group_id
        self.buffers: dict[TopicPartition, _Buffer] = {}
        # (topic-partition, table) -> {row key: first offset of the file it landed in}; keys
        # older than `dedup_window` offsets are forgotten (replayed duplicates come soon after)
        self.keys: dict[tuple[TopicPartition, str], dict[str, int]] = {}
        self._pruned: dict[tuple[TopicPartition, str], int] = {}
        self.consumer = None
        self.landed = 0
        self.first_record: float | None = None   # monotonic, for bench/bench_streaming.py
        self.last_flush: float | None = None
        self.lock = asyncio.Lock()
        self._stop = asyncio.Event()

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

    def _prepare(self, tp: TopicPartition, committed: int) -> None:
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

    async def on_assigned(self, assigned: set[TopicPartition]) -> None:
        begin = await self.consumer.beginning_offsets(list(assigned))
        for tp in assigned:
            committed = await self.consumer.committed(tp)
            start = committed if committed is not None else begin[tp]
            await asyncio.get_running_loop().run_in_executor(None, self._prepare, tp, start)

    async def on_revoked(self, revoked: set[TopicPartition]) -> None:
        for tp in revoked:
            if tp in self.buffers:
                await self._flush(tp)
            for key in [k for k in self.keys if k[0] == tp]:
                del self.keys[key]
                self._pruned.pop(key, None)

    # -- flushing -------------------------------------------------------------------------
    def _write(self, tp: TopicPartition, buf: _Buffer) -> int:
        by_table: dict[str, list] = {}
        for record in buf.records:
            got = self.records.rows(record)
            if got is not None:
                by_table.setdefault(got[0], []).append(got[1])
        stem = f"{tp.topic}-{tp.partition}-{buf.first_offset}"
        written = 0
        for table, rows in by_table.items():
            seen = self.keys.setdefault((tp, table), {})
            key = TABLES[table].key
            fresh = []
            for row in rows:
                k = getattr(row, key)
                if k not in seen:
                    seen[k] = buf.first_offset
                    fresh.append(row)
            last_prune = self._pruned.setdefault((tp, table), buf.first_offset)
            if buf.first_offset - last_prune >= self.dedup_window // 4:   # forget old keys
                oldest = buf.first_offset - self.dedup_window
                self.keys[(tp, table)] = {k: o for k, o in seen.items() if o >= oldest}
                self._pruned[(tp, table)] = buf.first_offset
            self.writer.write(table, fresh, file_stem=stem)
            written += len(fresh)
        return written

    async def _flush(self, tp: TopicPartition) -> None:
        buf = self.buffers.pop(tp)
        self.landed += await asyncio.get_running_loop().run_in_executor(None, self._write, tp, buf)
        from connectors.streaming.runner import maybe_crash_before_commit
        maybe_crash_before_commit()
        await self.consumer.commit({tp: buf.records[-1].offset + 1})
        self.last_flush = time.monotonic()

    async def _flush_due(self, force: bool = False) -> None:
        now = time.monotonic()
        for tp, buf in list(self.buffers.items()):
            if force or len(buf.records) >= self.max_rows or now - buf.started >= self.max_seconds:
                await self._flush(tp)

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        from connectors.streaming.runner import _Listener, make_consumer

        self.consumer = make_consumer(self.settings, [], self.group_id)
        self.consumer.subscribe(self.records.topics, listener=_Listener(self))
        await self.consumer.start()
        try:
            while not self._stop.is_set():
                batch = await self.consumer.getmany(timeout_ms=200, max_records=self.max_rows)
                async with self.lock:
                    for tp, recs in batch.items():
                        if not recs:
                            continue
                        if self.first_record is None:
                            self.first_record = time.monotonic()
                        buf = self.buffers.get(tp)
                        if buf is None:
                            buf = self.buffers[tp] = _Buffer(recs[0].offset)
                        buf.records.extend(recs)
                    await self._flush_due()
            async with self.lock:
                await self._flush_due(force=True)
        finally:
            await self.consumer.stop()

    async def lag(self) -> int:
        if self.consumer is None or not self.consumer.assignment():
            return -1
        assigned = list(self.consumer.assignment())
        ends = await self.consumer.end_offsets(assigned)
        total = 0
        for tp in assigned:
            total += max(0, ends[tp] - (await self.consumer.committed(tp) or 0))
        return total
