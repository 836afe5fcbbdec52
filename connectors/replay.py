"""The time-ordered replay of a lake's events through the suppression policy, shared by
`ingest` (recompute the decisions after landing) and `reclassify` (the state the revised
evidence asks for).

Only the columns the policy reads (`pipeline.suppression.POLICY_FIELDS`) are sorted and read:
DuckDB's sort of whole events (every column of MailEvent) ran out of ingest's 64 MB cap on a
lake of 100,000 events, and turning each row into a validated MailEvent was most of the
replay's time. Each row becomes an event carrying those fields alone (a rule that reads
another field raises AttributeError instead of seeing a default), in Arrow batches, so
memory stays flat in the lake's size (DuckDB spills the sort past its memory limit).
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import timezone

from pipeline.suppression import POLICY_FIELDS, SuppressionEngine
from schemas.models import SuppressionEvent, unvalidated_mail_event

REPLAY_BATCH = 10_000   # events per Arrow batch


def replay_events(con, engine: SuppressionEngine, source: str = "v_events_current", *,
                  batch_rows: int = REPLAY_BATCH) -> Iterator[SuppressionEvent]:
    """Feed every event of `source` (a view or table on `con` with the events' columns) with a
    recipient to `engine`, in time order (occurred_at, then event_id); yield its decisions."""
    cols = ", ".join(POLICY_FIELDS)
    reader = con.sql(f"SELECT {cols} FROM {source} WHERE recipient IS NOT NULL "
                     "ORDER BY occurred_at, event_id").to_arrow_reader(batch_rows)
    utc = timezone.utc
    for batch in reader:
        columns = batch.to_pydict()
        # the lake's timestamps read back with a zoneinfo UTC; the models hold timezone.utc
        columns["occurred_at"] = [t.astimezone(utc) for t in columns["occurred_at"]]
        # files from before the column read back NULL: not flagged
        columns["unverified"] = [bool(u) for u in columns["unverified"]]
        for row in zip(*(columns[name] for name in POLICY_FIELDS)):
            yield from engine.feed(unvalidated_mail_event(dict(zip(POLICY_FIELDS, row))))
