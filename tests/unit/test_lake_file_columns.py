"""The lake's views read its files with union_by_name only when their columns differ.

Why it matters: union_by_name makes DuckDB keep a reader per file while binding (a lake of
5,439 event files: +456 MB, and `reclassify` peaked at 937 MiB on 300,000 bounces). Files
written by one version agree, so they are read plainly; files that differ (an older or newer
writer) must still be read by name, a missing column as NULL, an extra one kept."""
from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq

from connectors.duck import connect, file_columns, read_parquet_sql
from tests.unit.test_views_slices import build_slice_lake


def _view_sql(con, name: str) -> str:
    return con.execute("SELECT sql FROM duckdb_views() WHERE view_name = ?", [name]).fetchone()[0]


def _events_files(lake):
    return sorted((lake / "events").glob("dt=*/*.parquet"))


def test_files_of_one_version_are_read_without_union_by_name(tmp_path):
    build_slice_lake(tmp_path)
    written = pa.concat_tables(pq.read_table(p) for p in _events_files(tmp_path))
    con = connect(tmp_path, analytics=False)
    try:
        assert "union_by_name" not in _view_sql(con, "events")
        assert con.execute("SELECT count(*), count(sending_pool) FROM events").fetchone() == (
            written.num_rows, written.num_rows - written["sending_pool"].null_count)
    finally:
        con.close()


def test_a_file_with_an_extra_column_is_read_by_name(tmp_path):
    """A newer writer's file (one more column) after older ones: without union_by_name DuckDB
    would bind to the first file's columns and drop the new one silently."""
    build_slice_lake(tmp_path)
    files = _events_files(tmp_path)
    rows = sum(pq.read_metadata(p).num_rows for p in files)
    last = files[-1]
    table = pq.read_table(last)
    pq.write_table(table.append_column("x_newer", pa.array(["n"] * table.num_rows)), last)
    con = connect(tmp_path, analytics=False)
    try:
        assert "union_by_name" in _view_sql(con, "events")
        assert con.execute("SELECT count(*), count(x_newer) FROM events").fetchone() == (
            rows, table.num_rows)
    finally:
        con.close()


def test_file_columns_and_read_parquet_sql_on_differing_files(tmp_path):
    pq.write_table(pa.table({"a": [1, 2], "b": ["x", "y"]}), tmp_path / "1.parquet")
    pq.write_table(pa.table({"b": ["z"], "a": [3]}), tmp_path / "2.parquet")   # same, reordered
    pq.write_table(pa.table({"a": [4]}), tmp_path / "3.parquet")               # lacks b
    con = connect(tmp_path, analytics=False)   # an empty lake: only the helpers are used
    try:
        same = f"['{tmp_path / '1.parquet'}', '{tmp_path / '2.parquet'}']"
        columns = file_columns(con, same)
        assert (columns.files, columns.uniform) == (2, True)
        assert read_parquet_sql(same, columns, hive=False) == f"read_parquet({same})"
        assert con.execute(f"SELECT * FROM {read_parquet_sql(same, columns, hive=False)} "
                           "ORDER BY a").fetchall() == [(1, "x"), (2, "y"), (3, "z")]

        all_three = f"'{tmp_path}/*.parquet'"
        columns = file_columns(con, all_three)
        assert (columns.files, columns.uniform) == (3, False)
        assert columns.lacking(["a", "b"]) == {"b": (1, 3)}
        sql = read_parquet_sql(all_three, columns, hive=False, extra="filename = true")
        assert con.execute(f"SELECT a, b, filename LIKE '%3.parquet' FROM {sql} ORDER BY a"
                           ).fetchall() == [(1, "x", False), (2, "y", False), (3, "z", False),
                                            (4, None, True)]
    finally:
        con.close()


def test_a_lake_connection_draws_no_progress_bar_on_stdout(tmp_path, capfd):
    """DuckDB draws its progress bar on stdout, where `query` and `reclassify --out -` write
    their answers, for any statement over 2 s: it did so while the footers of a big lake were
    read (~4 s over 17,947 files) and broke the reclassify bench's reading of a count."""
    build_slice_lake(tmp_path)
    con = connect(tmp_path, analytics=False)
    try:
        con.execute("SET progress_bar_time = 0")   # the bar at once (this also switches it on)
        capfd.readouterr()
        assert con.execute("SELECT count(*) FROM range(200000000) t(i) WHERE i % 7 = 3"
                           ).fetchone() == (28571429,)
    finally:
        con.close()
    assert capfd.readouterr().out == ""
