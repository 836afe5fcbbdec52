"""A big DMARC report through the streaming worker: its rows leave as bounded chunk messages
on dmarc_rows (deterministic keys: a replay produces the same records), and the sink lands
every row once, the same rows `ingest` lands from the same file."""
from __future__ import annotations

import gzip
import math
import sys
from pathlib import Path
from types import SimpleNamespace

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from aiokafka import TopicPartition

from connectors.ingest import ingest
from connectors.kafka import publish_paths
from connectors.lake import table_spec
from connectors.sinks.parquet import ParquetSink
from connectors.streaming.classify import (
    MESSAGE_ROW_BYTES, ROWS_PER_MESSAGE, classify_record, kind_hints)
from pipeline.settings import Settings

from .conftest import BackgroundPipeline, read_topic

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from gen_dmarc import write_report  # noqa: E402

RECORDS = 2_500   # over ROWS_PER_MESSAGE and MESSAGE_ROW_BYTES: several chunk messages
S = Settings()


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("chunks")
    xml = write_report(root / "agg.xml", RECORDS, seed=9)
    gz = root / "agg.xml.gz"
    gz.write_bytes(gzip.compress(xml.read_bytes()))
    return gz


def _record(topic, offset, value, key=None):
    return SimpleNamespace(topic=topic, partition=0, offset=offset, timestamp=1_763_400_000_000,
                           key=key, value=value, headers=[])


def _lake_rows(lake: Path) -> pa.Table:
    schema = table_spec("dmarc_aggregate").schema
    files = sorted((lake / "dmarc_aggregate").rglob("*.parquet"))
    table = pa.concat_tables(pq.read_table(f, schema=schema) for f in files)
    # `source` says where the input came from (a file path, a topic offset): all else equal
    return table.drop_columns(["source"]).sort_by("row_id")


def test_rows_leave_in_bounded_chunks_and_a_replay_lands_once(report, tmp_path):
    raw = _record(S.topics.raw_dmarc, 7, report.read_bytes())
    outs = [o for o in classify_record(raw, S, kind_hints(S)) if o.topic == S.topics.dmarc_rows]
    chunks = [orjson.loads(o.value) for o in outs]
    assert len(outs) >= math.ceil(RECORDS / ROWS_PER_MESSAGE) and len(outs) > 1
    assert [c["chunk"] for c in chunks] == list(range(len(outs)))
    assert sum(len(c["rows"]) for c in chunks) == RECORDS
    row_bytes = [sum(len(orjson.dumps(r)) for r in c["rows"]) for c in chunks]
    for chunk, size in zip(chunks[:-1], row_bytes):   # each is full by rows or by bytes
        assert len(chunk["rows"]) == ROWS_PER_MESSAGE or size >= MESSAGE_ROW_BYTES
    assert all(len(c["rows"]) <= ROWS_PER_MESSAGE for c in chunks)
    assert max(row_bytes) < MESSAGE_ROW_BYTES + 16 * 1024   # at most one row over
    sha = outs[0].key.decode().split(":")[0]
    assert [o.key for o in outs] == [f"{sha}:dmarc_aggregate:{i}".encode()
                                     for i in range(len(outs))]
    again = [o for o in classify_record(raw, S, kind_hints(S)) if o.topic == S.topics.dmarc_rows]
    assert [(o.key, o.value) for o in again] == [(o.key, o.value) for o in outs]

    # the sink: chunk 1 replayed at a later offset (a worker that crashed before committing)
    records = [_record(S.topics.dmarc_rows, i, o.value, o.key) for i, o in enumerate(outs)]
    records.append(_record(S.topics.dmarc_rows, len(outs), outs[1].value, outs[1].key))
    sink = ParquetSink(S, tmp_path / "lake")
    assert sink.write_batch(TopicPartition(S.topics.dmarc_rows, 0), 0, records) == RECORDS
    ingest([report], tmp_path / "ingested")
    streamed, batch = _lake_rows(tmp_path / "lake"), _lake_rows(tmp_path / "ingested")
    assert streamed.num_rows == RECORDS and streamed.equals(batch)


def test_a_row_chunk_the_sink_cannot_read_is_a_dead_letter(tmp_path):
    value = orjson.dumps({"table": "dmarc_aggregate", "chunk": 0,
                          "rows": [{"row_id": "x", "message_count": "many"}]})
    sink = ParquetSink(S, tmp_path)
    sink.write_batch(TopicPartition(S.topics.dmarc_rows, 0), 0,
                     [_record(S.topics.dmarc_rows, 0, value)])
    [row] = pq.read_table(next(tmp_path.glob("dead_letters/dt=*/*.parquet"))).to_pylist()
    assert row["payload"] == value and row["stage"] == "land"
    assert not (tmp_path / "dmarc_aggregate").exists()


@pytest.mark.broker
@pytest.mark.timeout(180)
def test_big_report_through_the_broker(report, stream_settings, unique_topic_prefix, tmp_path):
    assert publish_paths(stream_settings, [report])[stream_settings.topics.raw_dmarc] == 1
    lake = tmp_path / "lake"
    pipeline = BackgroundPipeline(stream_settings, lake, unique_topic_prefix).start()
    try:
        pipeline.wait_caught_up()
    finally:
        pipeline.stop()
    records = read_topic(stream_settings, stream_settings.topics.dmarc_rows)
    chunks = [orjson.loads(r.value) for r in records]
    assert len(records) > 1 and len({r.key for r in records}) == len(records)
    assert sorted(c["chunk"] for c in chunks) == list(range(len(records)))
    assert sum(len(c["rows"]) for c in chunks) == RECORDS
    ingest([report], tmp_path / "ingested")
    streamed, batch = _lake_rows(lake), _lake_rows(tmp_path / "ingested")
    assert streamed.num_rows == RECORDS and streamed.equals(batch)
