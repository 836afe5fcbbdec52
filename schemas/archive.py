"""The evidence the lake keeps so the past can be corrected (`bouncepipe reclassify`):

- `raw_archive`: every raw input once, content-addressed by its sha256, with the provenance
  the core needs to rebuild the same RawMessage (so the same event ids); Parquet compresses the
  payload column (zstd). `redacted` marks a payload whose returned-message bodies were removed.
- `raw_sightings`: each time an input was seen again (first/last seen per sha256).
- `event_revisions`: a changed classification of an event, keeping the previous one; the
  current classification of an event is its latest revision, else the event itself
  (view `v_events_current`).
- `reclassifications`: one row per `bouncepipe reclassify` run: its version, diff and counts.
"""
from __future__ import annotations

from datetime import datetime

import pyarrow as pa
from pydantic import BaseModel, ConfigDict

from .arrow import TS
from .ids import stable_id
from .models import Reason, UtcDatetime
from .vocab import Category

_S = pa.string()


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=True)


class RawArchiveRow(_Row):
    sha256: str                      # of the ORIGINAL bytes (also when `payload` is redacted)
    payload: bytes
    payload_size: int                # of the original bytes
    redacted: bool = False
    source_json: str                 # RawSource as JSON (transport, topic/partition/offset, path...)
    source: str | None = None        # RawSource.label
    received_at: UtcDatetime
    archived_at: UtcDatetime
    kind_hint: str | None = None
    provider_hint: str | None = None
    tenant: str | None = None
    headers_json: str | None = None  # the edge's headers (HTTP / Kafka), JSON


class RawSighting(_Row):
    sighting_id: str
    sha256: str
    seen_at: UtcDatetime
    source: str | None = None

    @staticmethod
    def make_id(sha256: str, source: str | None, seen_at: datetime) -> str:
        return stable_id("sighting", sha256, source or "", seen_at.isoformat())


class EventRevision(_Row):
    revision_id: str
    event_id: str
    raw_sha256: str
    revised_at: UtcDatetime
    run_id: str                       # the reclassify run that made it
    classifier_version: str
    previous_classifier_version: str
    withdrawn: bool = False           # the new rules no longer produce this event
    previous_category: Category
    previous_reason: Reason = None
    previous_recipient: str | None = None
    previous_rule: str
    category: Category | None = None  # None only when withdrawn
    reason: Reason = None
    recipient: str | None = None
    recipient_domain: str | None = None
    status: str | None = None
    rule: str | None = None
    event_json: str | None = None     # the revised MailEvent, whole

    @staticmethod
    def make_id(event_id: str, classifier_version: str, *outcome: object) -> str:
        return stable_id("revision", event_id, classifier_version, *outcome)


class ReclassifyRun(_Row):
    run_id: str
    started_at: UtcDatetime
    classifier_version: str
    dry_run: bool = False
    inputs: int = 0
    revised: int = 0
    withdrawn: int = 0
    new_events: int = 0
    dead_letters_recovered: int = 0
    suppressed: int = 0
    lifted: int = 0
    diff_json: str


RAW_ARCHIVE = pa.schema([
    ("sha256", _S), ("payload", pa.binary()), ("payload_size", pa.int64()),
    ("redacted", pa.bool_()), ("source_json", _S), ("source", _S), ("received_at", TS),
    ("archived_at", TS), ("kind_hint", _S), ("provider_hint", _S), ("tenant", _S),
    ("headers_json", _S),
])
RAW_SIGHTINGS = pa.schema([("sighting_id", _S), ("sha256", _S), ("seen_at", TS), ("source", _S)])
EVENT_REVISIONS = pa.schema([
    ("revision_id", _S), ("event_id", _S), ("raw_sha256", _S), ("revised_at", TS),
    ("run_id", _S), ("classifier_version", _S), ("previous_classifier_version", _S),
    ("withdrawn", pa.bool_()), ("previous_category", _S), ("previous_reason", _S),
    ("previous_recipient", _S), ("previous_rule", _S), ("category", _S), ("reason", _S),
    ("recipient", _S), ("recipient_domain", _S), ("status", _S), ("rule", _S),
    ("event_json", _S),
])
RECLASSIFICATIONS = pa.schema([
    ("run_id", _S), ("started_at", TS), ("classifier_version", _S), ("dry_run", pa.bool_()),
    ("inputs", pa.int64()), ("revised", pa.int64()), ("withdrawn", pa.int64()),
    ("new_events", pa.int64()), ("dead_letters_recovered", pa.int64()),
    ("suppressed", pa.int64()), ("lifted", pa.int64()), ("diff_json", _S),
])


def _register() -> None:
    from .tables import LakeTable, register_table  # tables imports this module at its end

    register_table(LakeTable("raw_archive", RawArchiveRow, RAW_ARCHIVE, "sha256", "archived_at",
                             row_group_rows=500))
    register_table(LakeTable("raw_sightings", RawSighting, RAW_SIGHTINGS, "sighting_id",
                             "seen_at"))
    register_table(LakeTable("event_revisions", EventRevision, EVENT_REVISIONS, "revision_id",
                             "revised_at"))
    register_table(LakeTable("reclassifications", ReclassifyRun, RECLASSIFICATIONS, "run_id",
                             "started_at"))


_register()
