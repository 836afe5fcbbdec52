"""A report's rows staged in chunk files: the lake holds the same rows however the report is
cut into chunks; nothing of a report failing half-way stays behind; the column conversion's
fast path gives what the row-by-row one gives."""
from __future__ import annotations

import gzip
import math
import os
import random
import sys
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import connectors.ingest as ingest_module
from connectors.ingest import ingest
from connectors.lake import table_spec, to_arrow

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from gen_dmarc import write_report  # noqa: E402

RECORDS = 4_500


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("staging")
    xml = write_report(root / "agg.xml", RECORDS, seed=11)
    gz = root / "agg.xml.gz"
    gz.write_bytes(gzip.compress(xml.read_bytes()))
    return gz


def _table(lake: Path) -> pa.Table:
    files = sorted((lake / "dmarc_aggregate").rglob("*.parquet"))
    table = pa.concat_tables(pq.read_table(f, schema=table_spec("dmarc_aggregate").schema)
                             for f in files)
    return table.sort_by("row_id")


@pytest.mark.parametrize("big", [False, True], ids=["read-whole", "streamed-from-disk"])
def test_one_chunk_and_many_chunks_land_identical_parquet_content(report, tmp_path,
                                                                  monkeypatch, big):
    if big:
        monkeypatch.setattr(ingest_module, "BIG_REPORT_BYTES", 1_000)
    one = ingest([report], tmp_path / "one", batch_rows=1_000_000)
    many = ingest([report], tmp_path / "many", batch_rows=700)   # splits record batches
    assert one.landed_by_table["dmarc_aggregate"] == many.landed_by_table[
        "dmarc_aggregate"] == RECORDS
    one_files = sorted((tmp_path / "one" / "dmarc_aggregate").rglob("*.parquet"))
    many_files = sorted((tmp_path / "many" / "dmarc_aggregate").rglob("*.parquet"))
    assert len(one_files) == 1 and len(many_files) == math.ceil(RECORDS / 700)
    assert [pq.read_metadata(f).num_rows for f in many_files] == \
        [700] * (RECORDS // 700) + [RECORDS % 700]
    assert [f.name[-13:] for f in many_files] == [f"{n:05d}.parquet" for n in range(7)]
    whole, chunked = _table(tmp_path / "one"), _table(tmp_path / "many")
    assert whole.num_rows == RECORDS and whole.equals(chunked)
    # the staging directory inside the lake is gone once the run is over
    assert not list((tmp_path / "one").glob(".staging-*"))
    assert not list((tmp_path / "many").glob(".staging-*"))


def test_a_report_failing_half_way_leaves_no_chunk_behind(tmp_path, monkeypatch):
    """A report whose XML breaks after thousands of records: dead-lettered, no row and no
    staged chunk left (the chunks written before the error are removed)."""
    monkeypatch.setattr(ingest_module, "BIG_REPORT_BYTES", 1_000)
    xml = write_report(tmp_path / "agg.xml", 6_000, seed=5).read_bytes()
    broken = tmp_path / "broken.xml"
    cut = xml.rindex(b"<record>", 0, len(xml) * 9 // 10)
    broken.write_bytes(xml[:cut] + b"<record><row></feedback>")
    summary = ingest([broken], tmp_path / "lake", batch_rows=1_000)
    assert summary.dead_letters == 1
    assert not summary.landed_by_table.get("dmarc_aggregate")
    assert not (tmp_path / "lake" / "dmarc_aggregate").exists()
    assert not list((tmp_path / "lake").glob(".staging-*"))


def _reference(table: str, rows: list[dict]) -> pa.Table:
    """The row-by-row conversion: each column's values read with dict.get."""
    schema = table_spec(table).schema
    return pa.table({name: pa.array([row.get(name) for row in rows],
                                    type=schema.field(name).type)
                     for name in schema.names}, schema=schema)


@pytest.mark.parametrize("seed", range(6))
def test_to_arrow_equals_the_row_by_row_conversion(seed):
    """Random dmarc_aggregate rows, some missing columns (the fallback path), some with every
    column (the transposing path), some with extra keys: the same Arrow table."""
    rnd = random.Random(seed)
    names = table_spec("dmarc_aggregate").schema.names

    def value(name: str):
        if rnd.random() < 0.2:
            return None
        if name in ("begin_date", "end_date"):
            return datetime.fromtimestamp(rnd.randint(0, 2_000_000_000), timezone.utc)
        if name in ("record_index", "message_count"):
            return rnd.randint(0, 10_000)
        if name == "dmarc_aligned":
            return rnd.random() < 0.5
        if name == "report_errors":
            return [f"e{rnd.randint(0, 9)}" for _ in range(rnd.randint(0, 2))]
        if name == "override_reasons":
            return [{"type": "forwarded", "comment": None}] * rnd.randint(0, 2)
        if name in ("dkim_results", "spf_results"):
            return [{"domain": "example.com", "result": "pass"}] * rnd.randint(0, 2)
        return rnd.choice(["a", "bé", "", "x" * 40])

    rows = [{name: value(name) for name in names} for _ in range(rnd.randint(1, 300))]
    for row in rows:
        row["extra"] = "ignored"
    assert to_arrow("dmarc_aggregate", rows).equals(_reference("dmarc_aggregate", rows))
    gappy = [{k: v for k, v in row.items() if rnd.random() < 0.9} for row in rows]
    assert to_arrow("dmarc_aggregate", gappy).equals(_reference("dmarc_aggregate", gappy))
    assert to_arrow("dmarc_aggregate", []).equals(_reference("dmarc_aggregate", []))


@pytest.mark.parametrize("by_position", [True, False], ids=["bitmap", "duckdb"])
def test_a_partial_rerun_rewrites_the_missing_chunk_identically(report, tmp_path, monkeypatch,
                                                                 by_position):
    """A run that died after landing some chunks: the re-run finds some of the report's rows
    in the lake, so it rewrites (through DuckDB) only the missing chunk, with the same rows
    and types as the first time, and skips a complete re-run without writing."""
    import connectors.staging as staging

    monkeypatch.setattr(ingest_module, "BIG_REPORT_BYTES", 1_000)
    monkeypatch.setattr(staging, "_keyed_by_position", lambda spec: by_position)
    lake = tmp_path / "lake"
    ingest([report], lake, batch_rows=1_000)
    files = sorted((lake / "dmarc_aggregate").rglob("*.parquet"))
    victim = files[3]
    lost = pq.read_table(victim)
    victim.unlink()
    again = ingest([report], lake, batch_rows=1_000)
    assert again.landed_by_table["dmarc_aggregate"] == lost.num_rows == 1_000
    assert sorted((lake / "dmarc_aggregate").rglob("*.parquet")) == files
    assert pq.read_table(victim).equals(lost)
    stamps = [f.stat().st_mtime_ns for f in files]
    assert ingest([report], lake, batch_rows=1_000).landed_by_table["dmarc_aggregate"] == 0
    assert [f.stat().st_mtime_ns for f in files] == stamps


def test_landed_count_by_positions_equals_distinct_row_keys(report, tmp_path):
    """The bitmap count of (report_key, record_index) equals DuckDB's count of distinct row
    ids, for one report, for two, and with duplicates and a missing file in the lake."""
    import duckdb

    from connectors.staging import _landed_positions

    other = tmp_path / "other.xml"
    write_report(other, 2_345, seed=12)
    lake = tmp_path / "lake"
    ingest([report, other], lake, batch_rows=1_000)
    files = sorted((lake / "dmarc_aggregate").rglob("*.parquet"))
    files[1].unlink()
    dup = files[2].with_name("dup.parquet")   # the same rows twice in the lake
    dup.write_bytes(files[2].read_bytes())
    paths = [str(f) for f in (lake / "dmarc_aggregate").rglob("*.parquet")]
    keys = sorted(k for (k,) in duckdb.sql(
        "SELECT DISTINCT report_key FROM read_parquet(?)", params=[paths]).fetchall())
    assert len(keys) == 2
    for wanted in ([keys[0]], [keys[1]], keys, ["no-such-report"]):
        (expected,) = duckdb.sql(
            "SELECT count(DISTINCT row_id) FROM read_parquet(?) WHERE list_contains(?, "
            "report_key)", params=[paths, wanted]).fetchall()[0]
        assert sum(int(b.sum()) for b in _landed_positions(paths, wanted).values()) == expected


def test_partition_dates_of_a_batch_one_date_or_each_rows() -> None:
    """One instant for every row: its date alone; else (another day, a null) each row's."""
    from connectors.lake import partition_dates

    def column(*values):
        return pa.chunked_array([pa.array(list(values), pa.timestamp("us", tz="UTC"))])

    late = datetime(2024, 1, 1, 23, 59, tzinfo=timezone.utc)
    next_day = datetime(2024, 1, 2, 0, 0, tzinfo=timezone.utc)
    assert partition_dates(column(late, late, late)) == (None, ["2024-01-01"])
    dates, unique = partition_dates(column(late, next_day, late))
    assert unique == ["2024-01-01", "2024-01-02"]
    assert dates.to_pylist() == ["2024-01-01", "2024-01-02", "2024-01-01"]
    assert partition_dates(column(None, late))[1] == ["unknown", "2024-01-01"]


def test_a_killed_runs_staging_directory_is_swept_by_the_next_run(tmp_path):
    import subprocess
    import sys

    from connectors import staging

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()   # its pid no longer runs (reuse within this test is vanishingly unlikely)
    lake = tmp_path / "lake"
    lake.mkdir()
    abandoned = lake / f".staging-{staging._HOST}-{dead.pid}-abc123"
    (abandoned / "x.parquet").parent.mkdir()
    (abandoned / "x.parquet").write_bytes(b"chunk")
    live = lake / f".staging-{staging._HOST}-{os.getpid()}-def456"
    live.mkdir()
    other_host = lake / f".staging-otherhost-{dead.pid}-ghi789"
    other_host.mkdir()

    mine = staging.staging_dir(lake)

    assert not abandoned.exists()
    assert live.is_dir() and other_host.is_dir()   # a live owner's, and another host's, stay
    assert mine.name.startswith(f".staging-{staging._HOST}-{os.getpid()}-")
    assert staging.sweep_abandoned_staging(lake) == []   # its own directory is not swept
