"""The raw archive in the lake: every raw input once, content-addressed by sha256.

`bouncepipe ingest` archives what it reads (and skips inputs the archive already holds); the
streaming `archive` sink (connectors/sinks/archive.py) archives the raw topics. `bouncepipe
reclassify` reads it back (`read_archive`) into the same RawMessages, so the same event ids.
Tables and their meaning: schemas/archive.py.
"""
from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import orjson

from pipeline.mime.redact import redact_returned_bodies
from pipeline.settings import ArchiveSettings
from schemas.archive import RawArchiveRow, RawSighting
from schemas.ids import stable_id
from schemas.models import RawMessage, RawSource

from .lake import LakeWriter


def archive_row(raw: RawMessage, settings: ArchiveSettings,
                archived_at: datetime | None = None) -> RawArchiveRow:
    payload, redacted = raw.payload, False
    if settings.redact_returned_bodies:
        payload, redacted = redact_returned_bodies(raw.payload)
    return RawArchiveRow(
        sha256=raw.sha256, payload=payload, payload_size=len(raw.payload), redacted=redacted,
        source_json=raw.source.model_dump_json(exclude_none=True), source=raw.source.label,
        received_at=raw.received_at, archived_at=archived_at or raw.received_at,
        kind_hint=raw.kind_hint, provider_hint=raw.provider_hint, tenant=raw.tenant,
        headers_json=orjson.dumps(raw.headers).decode() if raw.headers else None)


def raw_from_row(row: dict) -> RawMessage:
    """An archive row -> the RawMessage the core saw (its sha256 is the original's, also for
    a redacted payload, so events keep their ids)."""
    return raw_from_values(row["sha256"], row["payload"], row["source_json"],
                           row["received_at"], row.get("kind_hint"), row.get("provider_hint"),
                           row.get("tenant"), row.get("headers_json"))


_VALIDATE_RAW = RawMessage.__pydantic_validator__.validate_python
_VALIDATE_SOURCE = RawSource.__pydantic_validator__.validate_json


def raw_from_values(sha256: str, payload: bytes, source_json: str, received_at: datetime,
                    kind_hint: str | None, provider_hint: str | None, tenant: str | None,
                    headers_json: str | None) -> RawMessage:
    """`raw_from_row` of a row's values in `RAW_COLUMNS` order (connectors/reclassify_units.py
    reads them by column: no dict per row). Validated as `RawMessage(...)` validates, through
    the validators themselves (without the keyword-argument handling: this runs per input)."""
    values = {"payload": payload, "sha256": sha256, "source": _VALIDATE_SOURCE(source_json),
              "received_at": received_at, "kind_hint": kind_hint,
              "provider_hint": provider_hint, "tenant": tenant,
              "headers": orjson.loads(headers_json) if headers_json else {}}
    return _VALIDATE_RAW(values)


class LakeArchive:
    """Archive raw inputs in one lake (batch `ingest`)."""

    def __init__(self, lake: str | os.PathLike[str], settings: ArchiveSettings):
        self.writer = LakeWriter(lake)
        self.settings = settings

    def known(self, shas: Iterable[str]) -> set[str]:
        import pyarrow as pa
        return self.writer.existing_keys("raw_archive", pa.array(sorted(set(shas)), pa.string()))

    def add(self, raws: list[RawMessage], seen_at: datetime | None = None) -> int:
        """Archive the inputs not archived yet and record a sighting of each; returns how
        many were new. File names hash the batch, so a re-run writes nothing twice."""
        if not raws:
            return 0
        seen_at = seen_at or datetime.now(timezone.utc)
        stem = "archive-" + stable_id(*(r.sha256 for r in raws))[:20]
        new = self.writer.land("raw_archive", [archive_row(r, self.settings) for r in raws],
                               file_stem=stem)
        self.writer.land("raw_sightings", [
            RawSighting(sighting_id=RawSighting.make_id(r.sha256, r.source.label, r.received_at),
                        sha256=r.sha256, seen_at=r.received_at, source=r.source.label)
            for r in raws], file_stem=stem)
        return new


def received_between(since: datetime | None, until: datetime | None,
                     column: str = "received_at") -> tuple[list[str], list]:
    """SQL conditions (and their parameters) for [since, until) on `column`."""
    where, params = [], []
    if since is not None:
        where.append(f"{column} >= ?")
        params.append(since)
    if until is not None:
        where.append(f"{column} < ?")
        params.append(until)
    return where, params


def read_archive(lake: str | os.PathLike[str], *, since: datetime | None = None,
                 until: datetime | None = None, shas: Iterable[str] | None = None,
                 batch_rows: int = 1000) -> Iterator[RawMessage]:
    """Archived inputs (received in [since, until)), in the archive's file order, streamed in
    Arrow batches so memory stays flat whatever the archive's size."""
    from .duck import connect   # duckdb on use: `ingest` parses and lands without it (~12 MB)

    con = connect(lake, analytics=False)
    try:
        where, params = received_between(since, until)
        where.insert(0, "TRUE")
        if shas is not None:
            import pyarrow as pa
            con.register("_wanted", pa.table({"sha256": pa.array(sorted(set(shas)),
                                                                  pa.string())}))
            where.append("sha256 IN (SELECT sha256 FROM _wanted)")
        reader = con.sql(
            # A plain scan, in file order: no sort or window over the payloads, so DuckDB streams
            # it in flat memory. (An input two sink partitions both archived is read twice;
            # what it produces lands once, on its deterministic ids.)
            "SELECT * EXCLUDE (dt) FROM raw_archive WHERE " + " AND ".join(where),
            params=params).to_arrow_reader(batch_rows)
        for batch in reader:
            for row in batch.to_pylist():
                yield raw_from_row(row)
    finally:
        con.close()


def prune(lake: str | os.PathLike[str], retention_days: int, *,
          today: date | None = None) -> list[Path]:
    """Drop archive partitions (dt = archived day) older than `retention_days`."""
    cutoff = (today or datetime.now(timezone.utc).date()) - timedelta(days=retention_days)
    dropped = []
    for part in sorted((Path(lake) / "raw_archive").glob("dt=*")):
        try:
            day = date.fromisoformat(part.name[3:])
        except ValueError:
            continue
        if day < cutoff:
            shutil.rmtree(part)
            dropped.append(part)
    return dropped
