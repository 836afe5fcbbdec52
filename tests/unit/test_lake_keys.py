"""The process's key index behind LakeWriter.existing_keys (connectors/lake_keys.py): each
file's keys are read once, yet the answers follow the lake as other writers, replays and
compactions change it, and a table past the size cap is answered by DuckDB the same way."""
from __future__ import annotations

import pyarrow as pa
import pytest

from connectors import lake_keys
from connectors.lake import LakeWriter

from tests.unit.test_lake import _event


@pytest.fixture(autouse=True)
def fresh_index():
    lake_keys.forget()
    yield
    lake_keys.forget()


def _ids(*ns: int) -> list[str]:
    return [_event(n).event_id for n in ns]


def _known(writer: LakeWriter, *ns: int) -> set[str]:
    return writer.existing_keys("events", pa.array(_ids(*ns), pa.string()))


def test_new_files_from_any_writer_are_seen_and_read_once(tmp_path, monkeypatch):
    mine, other = LakeWriter(tmp_path), LakeWriter(tmp_path)   # another process, say
    mine.write("events", [_event(1), _event(2)], file_stem="a")
    assert _known(mine, 1, 2, 3) == set(_ids(1, 2))
    other.write("events", [_event(3)], file_stem="b")
    reads = []
    real = lake_keys.pq.ParquetFile
    monkeypatch.setattr(lake_keys.pq, "ParquetFile", lambda p: reads.append(p) or real(p))
    assert _known(mine, 1, 2, 3, 4) == set(_ids(1, 2, 3))
    assert [p.rsplit("/", 1)[1] for p in reads] == ["b.parquet"]   # "a" came from the index


def test_a_rewritten_or_removed_file_takes_its_keys_with_it(tmp_path):
    writer = LakeWriter(tmp_path)
    (a,) = writer.write("events", [_event(1), _event(2)], file_stem="a")
    writer.write("events", [_event(3)], file_stem="b")
    assert _known(writer, 1, 2, 3) == set(_ids(1, 2, 3))
    writer.write("events", [_event(1)], file_stem="a")   # the same stem, fewer rows
    assert _known(writer, 1, 2, 3) == set(_ids(1, 3))
    a.unlink()   # a compaction moved its rows elsewhere
    assert _known(writer, 1, 2, 3) == set(_ids(3))


def test_past_the_cap_duckdb_answers_the_same(tmp_path, monkeypatch):
    writer = LakeWriter(tmp_path)
    writer.write("events", [_event(n) for n in range(5)], file_stem="a")
    monkeypatch.setattr(lake_keys, "MAX_KEYS", 3)
    assert lake_keys.landed_among(writer.table_dir("events"), "events", "event_id",
                                  list(writer.table_dir("events").rglob("*.parquet")),
                                  _ids(1)) is None
    assert _known(writer, 1, 4, 7) == set(_ids(1, 4))
    assert writer.land("events", [_event(4), _event(7)], file_stem="b") == 1


def test_a_table_past_the_cap_is_not_read_again_until_one_of_its_files_changes(tmp_path,
                                                                              monkeypatch):
    writer = LakeWriter(tmp_path)
    writer.write("events", [_event(n) for n in range(5)], file_stem="a")
    monkeypatch.setattr(lake_keys, "MAX_KEYS", 3)
    reads = []
    real = lake_keys.pq.ParquetFile
    monkeypatch.setattr(lake_keys.pq, "ParquetFile", lambda p: reads.append(p) or real(p))
    table_dir = writer.table_dir("events")

    def ask():
        return lake_keys.landed_among(table_dir, "events", "event_id",
                                      list(table_dir.rglob("*.parquet")), _ids(1))

    assert ask() is None and len(reads) == 1
    writer.write("events", [_event(9)], file_stem="b")   # a new file only adds keys
    assert ask() is None and len(reads) == 1              # still too big: nothing read
    for path in table_dir.rglob("a.parquet"):
        path.unlink()                                     # the file that overflowed is gone
    assert ask() == set() and len(reads) == 2             # rebuilt: the one key of b fits
