"""The live path (`bouncepipe views --database`), provider-export importers and the report's
slices and CSV exports."""
from __future__ import annotations

import csv
import subprocess
import sys
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb
import pytest

from connectors.cli import main
from connectors.lake import LakeWriter
from connectors.views import VIEWS
from connectors.views.imports import ImportFormatError, import_file, snds_rows
from tests.unit.test_views import build_known_lake, ev

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "provider_exports"
ROOT = Path(__file__).resolve().parents[2]


def test_views_database_works_with_empty_tables_and_from_another_process(tmp_path):
    lake, db = tmp_path / "lake", tmp_path / "views.duckdb"
    LakeWriter(lake).write("events", ev("2026-11-01", "gmail.com", "delivered", 3), file_stem="e")
    assert main(["views", "--lake", str(lake), "--database", str(db)]) == 0
    # another process (Grafana / Superset open the file the same way): every view answers,
    # although only `events` has files
    code = (f"import duckdb; c = duckdb.connect({str(db)!r}, read_only=True); "
            f"print([c.execute('SELECT count(*) FROM ' + v).fetchone()[0] for v in {list(VIEWS)!r}]); "
            f"print(c.execute('SELECT delivered FROM v_headline').fetchone()[0])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=tmp_path).stdout.splitlines()
    assert len(eval(out[0])) == len(VIEWS) and out[1] == "3"
    # a table that gets its first files later: re-running the command picks it up
    LakeWriter(lake).write("dead_letters", [dict(dead_letter_id="d1", raw_sha256="0", stage="parse",
                                                 error_type="X", reason="r",
                                                 received_at=datetime(2026, 11, 1, tzinfo=timezone.utc))],
                           file_stem="d")
    assert main(["views", "--lake", str(lake), "--database", str(db)]) == 0
    c = duckdb.connect(str(db), read_only=True)
    try:
        assert c.execute("SELECT dead_letters FROM v_headline").fetchone()[0] == 1
    finally:
        c.close()


def test_postmaster_import_lands_each_day_once(tmp_path):
    now = datetime(2026, 11, 19, tzinfo=timezone.utc)
    assert import_file(tmp_path, "postmaster", FIXTURES / "postmaster_traffic_stats.json", now=now) == 2
    assert import_file(tmp_path, "postmaster", FIXTURES / "postmaster_traffic_stats.json", now=now) == 0
    from connectors.views import open_lake

    c = open_lake(tmp_path)
    try:
        got = c.execute("SELECT day, domain, spam_rate, domain_reputation, delivery_error_ratio "
                        "FROM v_postmaster_daily ORDER BY day").fetchall()
        ips = c.execute("SELECT ip_reputation_low_ips, ip_reputation_bad_ips FROM postmaster_traffic "
                        "WHERE day = TIMESTAMPTZ '2026-11-17 00:00:00+00'").fetchall()
    finally:
        c.close()
    assert got[0][:4] == (date(2026, 11, 17), "news.example.com", 0.0021, "MEDIUM")
    assert got[0][4] == pytest.approx(0.005)
    assert got[1][:4] == (date(2026, 11, 18), "news.example.com", 0.0034, "LOW") and got[1][4] is None
    assert ips == [(1, None)]


def test_snds_import_reads_the_documented_columns(tmp_path):
    now = datetime(2026, 11, 19, tzinfo=timezone.utc)
    assert import_file(tmp_path, "snds", FIXTURES / "snds_data.csv", now=now) == 2
    from connectors.views import open_lake

    c = open_lake(tmp_path)
    try:
        got = c.execute("SELECT ip, day, rcpt_commands, message_recipients, complaint_rate, trap_hits, "
                        "filter_result FROM v_snds_daily ORDER BY ip").fetchall()
        text = c.execute("SELECT complaint_rate_text, sample_helo, sample_mail_from, comments, "
                         "trap_message_start FROM snds_data ORDER BY ip").fetchall()
    finally:
        c.close()
    assert got == [("198.51.100.20", date(2026, 11, 17), 5210, 5188, 0.001, 0, "GREEN"),
                   ("198.51.100.31", date(2026, 11, 17), 2100, 2075, 0.004, 3, "YELLOW")]
    assert text[0][:4] == ("< 0.1%", "mta20.example.com", "bounces@news.example.com", None)
    assert text[1][3] == "Trap hits from a purchased list"
    assert text[1][4] == datetime(2026, 11, 17, 15, 10, tzinfo=timezone.utc)


def test_malformed_exports_raise_a_typed_error_and_land_nothing(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("198.51.100.1,yesterday,today,1,1,1,GREEN,< 0.1%,,,0,h,m,\n")
    with pytest.raises(ImportFormatError, match="line 1"):
        import_file(tmp_path / "lake", "snds", bad)
    assert not (tmp_path / "lake" / "snds_data").exists()
    with pytest.raises(ImportFormatError, match="columns"):
        snds_rows("1.2.3.4,a,b\n", source=None, now=datetime.now(timezone.utc))
    pm = tmp_path / "pm.json"
    pm.write_text('{"trafficStats": [{"name": "domains/x.example/trafficStats/2026-11-01"}]}')
    with pytest.raises(ImportFormatError, match="trafficStats"):
        import_file(tmp_path / "lake", "postmaster", pm)
    assert main(["views", "--lake", str(tmp_path), "--import-postmaster", str(pm)]) == 1


def test_report_slice_and_csv_exports(tmp_path, capsys):
    lake = tmp_path / "lake"
    build_known_lake(lake)
    out = tmp_path / "r.html"
    assert main(["report", "--lake", str(lake), "--out", str(out), "--since", "2026-11-11",
                 "--tenant", "acme"]) == 0
    text = out.read_text()
    assert "slice: since 2026-11-11, tenant acme" in text
    assert "Period 2026-11-11 to 2026-11-11 (UTC)" in text
    assert "href='r_csv/v_provider_status.csv'" in text
    with open(tmp_path / "r_csv" / "v_slice_daily.csv", newline="") as f:
        got = list(csv.DictReader(f))
    assert [(r["day"], r["tenant"], r["stream"], r["delivered"]) for r in got] == [
        ("2026-11-11", "acme", "news", "500")]
    with pytest.raises(SystemExit):
        main(["report", "--lake", str(lake), "--since", "2026-11-12", "--until", "2026-11-11"])


def test_grafana_dashboard_queries_run_on_the_view_database(tmp_path):
    """Every panel's SQL (and every variable's) runs on a views database; Grafana's macros are
    replaced the way the DuckDB plugin expands them (a time filter, the variables' values)."""
    import json
    import re

    dash = json.loads((ROOT / "connectors/views/grafana/dashboards/bouncepipe-lake.json").read_text())
    lake, db = tmp_path / "lake", tmp_path / "views.duckdb"
    build_known_lake(lake)
    assert main(["views", "--lake", str(lake), "--database", str(db)]) == 0
    c = duckdb.connect(str(db), read_only=True)
    try:
        assert c.execute("SELECT tags['storage_version'] FROM duckdb_databases() "
                         "WHERE database_name = 'views'").fetchone()[0] == "v1.0.0+"
        for v in dash["templating"]["list"]:
            assert c.execute(v["query"]).fetchall()
        for panel in dash["panels"]:
            assert panel["datasource"]["uid"] == "bouncepipe-lake"
            for target in panel["targets"]:
                sql = re.sub(r"\$__timeFilter\(([^()]*(?:\([^()]*\))?[^()]*)\)",
                             r"\1 BETWEEN TIMESTAMP '2026-10-01' AND TIMESTAMP '2026-12-01'", target["rawSql"])
                sql = sql.replace("${tenant}", "acme").replace("${stream}", "All")
                assert "$" not in sql, panel["title"]
                rows = c.execute(sql).fetchall()
                assert rows, panel["title"]
    finally:
        c.close()


def test_query_command_takes_the_same_slice(tmp_path, capsys):
    lake = tmp_path / "lake"
    build_known_lake(lake)
    assert main(["query", "--lake", str(lake), "--format", "csv", "--tenant", "acme", "--until", "2026-11-10",
                 "SELECT tenant, stream, sum(delivered) AS d FROM v_slice_daily GROUP BY ALL ORDER BY ALL"]) == 0
    assert capsys.readouterr().out.splitlines() == ["tenant,stream,d", "acme,news,1000", "acme,promo,300"]


def test_views_command_identifies_sources_offline(tmp_path, capsys):
    lake = tmp_path / "lake"
    build_known_lake(lake)
    assert main(["views", "--lake", str(lake), "--identify"]) == 0
    assert "identified 4 source IPs (offline: no reverse DNS)" in capsys.readouterr().err
    from connectors.views import open_lake

    c = open_lake(lake)
    try:
        assert c.execute("SELECT count(*), count(*) FILTER (WHERE rdns_status = 'offline') "
                         "FROM v_ip_identity").fetchone() == (4, 4)
    finally:
        c.close()
    with pytest.raises(SystemExit):
        main(["views", "--lake", str(lake)])  # nothing to do
