"""Lake round trips: explicit schemas, Hive partitions, replay-safe names, idempotent landing."""
from __future__ import annotations

from datetime import datetime, timezone

import pyarrow.parquet as pq

from connectors.duck import connect
from connectors.lake import LakeWriter
from schemas.models import MailEvent


def _event(n: int, day: int = 17, **kw) -> MailEvent:
    recipient = f"user{n}@example.org"
    return MailEvent(
        event_id=MailEvent.make_id("sha", n, 0, recipient), raw_sha256="sha", raw_index=n,
        occurred_at=datetime(2026, 11, day, 12, 0, tzinfo=timezone.utc),
        received_at=datetime(2026, 11, 20, tzinfo=timezone.utc), source_kind="webhook",
        parser="webhook.test", category=kw.pop("category", "hard_bounce"), reason="userunknown",
        recipient=recipient, recipient_domain="example.org", status="5.1.1", reply_code=550,
        tags={"campaign": f"c{n}"}, classifier_version="t", rule="test", **kw)


def test_write_partitions_by_utc_date_and_roundtrips_through_duckdb(tmp_path):
    writer = LakeWriter(tmp_path)
    events = [_event(1, 17), _event(2, 18), _event(3, 18)]
    paths = writer.write("events", events, file_stem="topic-0-100")
    assert sorted(p.relative_to(tmp_path).as_posix() for p in paths) == [
        "events/dt=2026-11-17/topic-0-100.parquet", "events/dt=2026-11-18/topic-0-100.parquet"]
    con = connect(tmp_path, analytics=False)
    rows = con.execute("SELECT recipient, reply_code, tags, occurred_at, dt FROM events "
                       "ORDER BY recipient").fetchall()
    assert [r[0] for r in rows] == ["user1@example.org", "user2@example.org", "user3@example.org"]
    assert rows[0][1] == 550 and rows[0][2] == {"campaign": "c1"}
    assert rows[0][3] == datetime(2026, 11, 17, 12, 0, tzinfo=timezone.utc)
    assert str(rows[1][4]) == "2026-11-18"
    # the file carries the explicit schema, not one inferred from the batch
    schema = pq.read_schema(paths[0])
    assert schema.field("reply_code").type == "int32"
    assert schema.field("stream").type == "string"  # all-null column still typed


def test_same_stem_is_overwritten_not_duplicated(tmp_path):
    writer = LakeWriter(tmp_path)
    writer.write("events", [_event(1), _event(2)], file_stem="topic-0-0")
    writer.write("events", [_event(1), _event(2)], file_stem="topic-0-0")  # a replay
    con = connect(tmp_path, analytics=False)
    assert con.execute("SELECT count(*) FROM events").fetchone()[0] == 2
    assert not list(tmp_path.rglob("*.tmp")), "no temp files left behind"


def test_land_is_idempotent_across_batches_and_within_one(tmp_path):
    writer = LakeWriter(tmp_path)
    assert writer.land("events", [_event(1), _event(1), _event(2)], file_stem="a") == 2
    assert writer.land("events", [_event(2), _event(3)], file_stem="b") == 1
    assert writer.land("events", [_event(1), _event(2), _event(3)], file_stem="c") == 0
    con = connect(tmp_path, analytics=False)
    assert con.execute("SELECT count(*), count(DISTINCT event_id) FROM events").fetchone() == (3, 3)


def test_empty_lake_has_typed_empty_views(tmp_path):
    con = connect(tmp_path, analytics=False)
    for table in ("events", "suppressions", "dead_letters", "dmarc_aggregate",
                  "dmarc_failure", "tls_reports"):
        assert con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0
    cols = dict(con.execute("DESCRIBE events").fetchall()[i][:2] for i in range(3))
    assert cols["event_id"] == "VARCHAR" and cols["raw_index"] == "INTEGER"


def test_lake_rows_per_file_sets_how_much_ingest_buffers_per_file(tmp_path):
    """`lake.rows_per_file` (once a setting nothing read) cuts ingest's files."""
    from connectors.ingest import ingest
    from pipeline.examples import EXAMPLES_DIR
    from pipeline.settings import LakeSettings, Settings

    def files_and_events(rows_per_file: int, lake):
        summary = ingest([EXAMPLES_DIR], lake, settings=Settings(
            lake=LakeSettings(path=lake, rows_per_file=rows_per_file)))
        files = sorted(lake.glob("events/dt=*/*.parquet"))
        return len(files), sum(pq.read_metadata(f).num_rows for f in files), summary

    few, events_few, summary = files_and_events(1, tmp_path / "small")
    many, events_many, _ = files_and_events(100_000, tmp_path / "big")
    assert events_few == events_many == sum(summary.events_by_category.values()) > 3
    dates = {f.parent.name for f in (tmp_path / "big").glob("events/dt=*/*.parquet")}
    assert many == len(dates)          # one buffer: one file per partition date
    assert few > many                  # a file per input's rows once the buffer holds one row
