"""Big DMARC reports through `ingest`: streamed from disk (never read whole), staged and
promoted a record batch at a time, with the same rows as the in-memory path; re-runs and
partial re-runs land each row once; an unreadable big report is a dead letter."""
from __future__ import annotations

import gzip
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import connectors.ingest as ingest_module
from connectors.ingest import ingest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from gen_dmarc import write_report  # noqa: E402

RECORDS = 5_000


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    root = tmp_path_factory.mktemp("reports")
    xml = write_report(root / "agg.xml", RECORDS, seed=3)
    gz = root / "agg.xml.gz"
    gz.write_bytes(gzip.compress(xml.read_bytes()))
    return xml, gz


def _rows(lake: Path) -> list[dict]:
    files = sorted((lake / "dmarc_aggregate").rglob("*.parquet"))
    rows = [r for f in files for r in pq.read_table(f).to_pylist()]
    return sorted(rows, key=lambda r: r["row_id"])


@pytest.mark.parametrize("which", [0, 1], ids=["xml", "gzip"])
def test_streamed_from_disk_equals_read_whole(reports, tmp_path, monkeypatch, which):
    path = reports[which]
    whole = ingest([path], tmp_path / "whole", batch_rows=1_000)
    calls = []
    original = ingest_module.settle_big_report
    monkeypatch.setattr(ingest_module, "BIG_REPORT_BYTES", 1_000)
    monkeypatch.setattr(ingest_module, "settle_big_report",
                        lambda *a, **k: calls.append(a[0]) or original(*a, **k))
    streamed = ingest([path], tmp_path / "streamed", batch_rows=1_000)
    assert calls == [path]   # the big-file path was taken
    assert streamed.rows_by_table["dmarc_aggregate"] == RECORDS == whole.rows_by_table[
        "dmarc_aggregate"]
    assert _rows(tmp_path / "streamed") == _rows(tmp_path / "whole")
    names = sorted(p.name for p in (tmp_path / "streamed" / "dmarc_aggregate").rglob("*.parquet"))
    assert len(names) == RECORDS // 1_000   # files of batch_rows rows, named by chunk
    assert names == sorted(
        p.name for p in (tmp_path / "whole" / "dmarc_aggregate").rglob("*.parquet"))
    # a report streamed from disk is not put in the raw archive (read whole, it is)
    assert not (tmp_path / "streamed" / "raw_archive").exists()
    assert (tmp_path / "whole" / "raw_archive").exists()


def test_rerun_and_partial_rerun_land_each_row_once(reports, tmp_path, monkeypatch):
    monkeypatch.setattr(ingest_module, "BIG_REPORT_BYTES", 1_000)
    lake = tmp_path / "lake"
    first = ingest([reports[1]], lake, batch_rows=1_000)
    assert first.landed_by_table["dmarc_aggregate"] == RECORDS
    again = ingest([reports[0], reports[1]], lake, batch_rows=1_000)   # .xml and .gz
    assert again.landed_by_table["dmarc_aggregate"] == 0
    # a run that died after landing some chunks: the missing chunk lands, nothing doubles
    victim = sorted((lake / "dmarc_aggregate").rglob("*.parquet"))[2]
    lost = pq.read_table(victim).num_rows
    victim.unlink()
    partial = ingest([reports[1]], lake, batch_rows=1_000)
    assert partial.landed_by_table["dmarc_aggregate"] == lost == 1_000
    rows = _rows(lake)
    assert len(rows) == RECORDS == len({r["row_id"] for r in rows})


def test_unreadable_big_report_is_a_dead_letter_with_its_first_bytes(tmp_path, monkeypatch):
    monkeypatch.setattr(ingest_module, "BIG_REPORT_BYTES", 1_000)
    broken = tmp_path / "broken.xml.gz"
    data = gzip.compress(b"<?xml version='1.0'?><feedback><report_metadata>" + b"x" * 5_000)
    broken.write_bytes(data[: len(data) // 2])   # cut off half-way
    summary = ingest([broken], tmp_path / "lake")
    assert summary.dead_letters == 1 and not summary.rows_by_table.get("dmarc_aggregate")
    [row] = pq.read_table(next((tmp_path / "lake" / "dead_letters").rglob("*.parquet"))
                          ).to_pylist()
    assert row["payload"] == broken.read_bytes() and row["payload_size"] == len(data) // 2
    assert row["source"] == str(broken)
