"""The lake's suppression replay (connectors/replay.py) reads only the policy's columns
(POLICY_FIELDS): it must decide exactly what feeding whole, validated events decides."""
from __future__ import annotations

from datetime import datetime, timezone

import pyarrow as pa
import pytest

from connectors.duck import connect
from connectors.ingest import ingest
from connectors.replay import replay_events
from pipeline.suppression import POLICY_FIELDS, SuppressionEngine
from schemas.models import MailEvent, unvalidated_mail_event
from tests.integration.generate import dsn_emails


def _lake(tmp_path, count=120):
    folder = tmp_path / "in"
    folder.mkdir()
    # a small pool of recipients, a few hours apart: hard bounces, and soft ones that escalate
    for i, payload in enumerate(dsn_emails(count, pool=12, step_minutes=60 * 9)):
        (folder / f"dsn-{i:03d}.eml").write_bytes(payload)
    lake = tmp_path / "lake"
    ingest([folder], lake)
    return lake


def _whole_events(con) -> list[MailEvent]:
    rows = con.sql("SELECT * EXCLUDE (dt) FROM events WHERE recipient IS NOT NULL "
                   "ORDER BY occurred_at, event_id").to_arrow_table().to_pylist()
    for row in rows:
        row["tags"] = dict(row["tags"]) if row["tags"] else {}
    return [MailEvent.model_validate(row) for row in rows]


def test_the_replay_decides_what_whole_events_decide(tmp_path):
    lake = _lake(tmp_path)
    con = connect(lake, analytics=False)
    try:
        whole = SuppressionEngine()
        expected = [d for event in _whole_events(con) for d in whole.feed(event)]
        narrow = SuppressionEngine()
        got = list(replay_events(con, narrow, "events", batch_rows=7))   # batches cut runs
    finally:
        con.close()
    rules = {d.policy_rule for d in expected}
    assert {"hard_bounce.immediate", "soft_bounce.escalated"} <= rules
    assert [d.model_dump() for d in got] == [d.model_dump() for d in expected]
    assert narrow.active() == whole.active()


def test_events_from_before_the_unverified_column_replay_as_verified(tmp_path):
    lake = _lake(tmp_path, count=20)
    con = connect(lake, analytics=False)
    try:
        table = con.sql("SELECT * EXCLUDE (dt) FROM events").to_arrow_table()
        at = table.schema.get_field_index("unverified")
        old = table.set_column(at, "unverified", pa.nulls(table.num_rows, pa.bool_()))
        con.register("old_events", old)
        decided = list(replay_events(con, SuppressionEngine(), "old_events"))
        expected = list(replay_events(con, SuppressionEngine(), "events"))
    finally:
        con.close()
    assert decided and [d.suppression_id for d in decided] == \
        [d.suppression_id for d in expected]


def test_a_policy_event_has_only_the_policy_fields():
    at = datetime(2026, 1, 1, tzinfo=timezone.utc)
    event = unvalidated_mail_event(dict.fromkeys(POLICY_FIELDS) | {"occurred_at": at})
    assert event.occurred_at == at and event.recipient is None
    with pytest.raises(AttributeError):
        _ = event.raw_sha256  # a rule reading it must be added to POLICY_FIELDS
