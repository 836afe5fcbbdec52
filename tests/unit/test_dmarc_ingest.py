"""`bouncepipe ingest` twice over the same aggregate report as .xml and .xml.gz lands it once."""
from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pyarrow.dataset as ds

from connectors.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "dmarc"


def landed(lake: Path, table: str) -> list[dict]:
    folder = lake / table
    if not folder.exists():
        return []
    return ds.dataset(folder, format="parquet", partitioning="hive").to_table().to_pylist()


def test_same_report_twice_in_two_wrappings_lands_once(tmp_path: Path, capsys) -> None:
    inbox, lake = tmp_path / "in", tmp_path / "lake"
    inbox.mkdir()
    xml = (FIXTURES / "rfc9990_namespaced_lang.xml").read_bytes()
    (inbox / "report.xml").write_bytes(xml)
    (inbox / "report.xml.gz").write_bytes(gzip.compress(xml))
    shutil.copy(FIXTURES / "non_arf_base64_feedback_part.eml", inbox / "ruf.eml")

    assert main(["ingest", str(inbox), "--lake", str(lake)]) == 0
    first = landed(lake, "dmarc_aggregate")
    assert sorted((r["record_index"], r["message_count"]) for r in first) == [(0, 7), (1, 3)]
    assert {str(r["dt"]) for r in first} == {"2023-11-14"}  # partition = begin_date (UTC)
    assert len(landed(lake, "dmarc_failure")) == 1

    assert main(["ingest", str(inbox), "--lake", str(lake)]) == 0
    second = landed(lake, "dmarc_aggregate")
    assert len(second) == 2 and sum(r["message_count"] for r in second) == 10
    assert len(landed(lake, "dmarc_failure")) == 1
    capsys.readouterr()
