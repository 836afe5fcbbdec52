"""Archive sink: the raw topics -> the lake's `raw_archive` table (what `bouncepipe reclassify`
replays in a streaming deployment). The Parquet sink's machinery (files named by first offset,
replay-safe, per-partition dedup on the sha256 key) over a different topic -> table mapping."""
from __future__ import annotations

from pathlib import Path

from connectors.archive import archive_row
from connectors.kafka import raw_topics
from connectors.kafka_records import raw_message_from_record
from connectors.sinks.parquet import LakeRecords, ParquetSink
from connectors.streaming.classify import kind_hints
from pipeline.settings import Settings


class ArchiveRecords(LakeRecords):
    def __init__(self, settings: Settings):
        self.settings = settings
        self.topics = raw_topics(settings.topics)
        self.hints = kind_hints(settings)

    def rows(self, record):
        raw = raw_message_from_record(record, self.hints.get(record.topic))
        return "raw_archive", archive_row(raw, self.settings.archive)


class ArchiveSink(ParquetSink):
    def __init__(self, settings: Settings, lake: str | Path, **kw):
        super().__init__(settings, lake, records=ArchiveRecords(settings), **kw)
