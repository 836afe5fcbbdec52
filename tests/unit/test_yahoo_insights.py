"""Yahoo Sender Hub Insights: the CSV an analyst fills from the dashboard (Yahoo documents no
export), its lake table, v_yahoo_insights_daily and Yahoo's own rate in v_provider_status and
the report, each number checked against SQL written straight over the base tables."""
from __future__ import annotations

import shutil
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from connectors.cli import main
from connectors.lake import LakeWriter
from connectors.views import open_lake
from connectors.views.import_yahoo import yahoo_insights_rows
from connectors.views.imports import ImportFormatError, import_file
from tests.unit.test_views_slices import build_slice_lake

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "provider_exports" / "yahoo_insights.csv"
NOW = datetime(2026, 11, 4, tzinfo=timezone.utc)
HEADER = "date,dkim_domain,inbox_delivered,spam_complaint_rate\n"


def rows(con, sql):
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def parse(text):
    return [(r["dkim_domain"], r["day"].date(), r["inbox_delivered"], r["spam_complaint_rate"])
            for r in yahoo_insights_rows(text, source=None, now=NOW)]


@pytest.fixture(scope="module")
def slice_lake(tmp_path_factory):
    root = tmp_path_factory.mktemp("yahoo")
    build_slice_lake(root)
    return root


def test_fixture_lands_once_with_exact_values(tmp_path):
    assert import_file(tmp_path, "yahoo", FIXTURE, now=NOW) == 5
    assert import_file(tmp_path, "yahoo", FIXTURE, now=datetime(2026, 11, 5, tzinfo=timezone.utc)) == 0
    c = open_lake(tmp_path)
    try:
        got = c.execute("""SELECT day, dkim_domain, inbox_delivered, spam_complaint_rate,
                                  complaints_estimated, status
                           FROM v_yahoo_insights_daily ORDER BY dkim_domain, day""").fetchall()
        text = c.execute("SELECT spam_complaint_rate_text, source FROM yahoo_insights "
                         "ORDER BY dkim_domain, day").fetchall()
    finally:
        c.close()
    assert [g[:3] + (g[4], g[5]) for g in got] == [
        (date(2026, 11, 2), "mail.example.org", 2400, 1, "ok"),
        (date(2026, 11, 3), "mail.example.org", 2600, 1, "ok"),
        (date(2026, 11, 1), "news.example.com", 12480, 10, "ok"),
        (date(2026, 11, 2), "news.example.com", 11950, 18, "warn"),
        (date(2026, 11, 3), "news.example.com", 13020, 40, "over")]
    assert [g[3] for g in got] == pytest.approx([0.0005, 0.0004, 0.0008, 0.0015, 0.0031])
    assert [t[0] for t in text] == ["0.05%", "0.0004", "0.08%", "0.15%", "0.31%"]
    assert text[0][1] == str(FIXTURE)


def test_a_corrected_day_lands_and_the_view_keeps_the_latest_import(tmp_path):
    assert import_file(tmp_path, "yahoo", FIXTURE, now=NOW) == 5
    fixed = tmp_path / "fixed.csv"
    fixed.write_text(FIXTURE.read_text().replace("0.31%", "0.29%"))
    assert import_file(tmp_path, "yahoo", fixed, now=datetime(2026, 11, 6, tzinfo=timezone.utc)) == 1
    c = open_lake(tmp_path)
    try:
        got = c.execute("SELECT spam_complaint_rate, status FROM v_yahoo_insights_daily "
                        "WHERE dkim_domain = 'news.example.com' AND day = DATE '2026-11-03'").fetchall()
        assert c.execute("SELECT count(*) FROM yahoo_insights").fetchone()[0] == 6
    finally:
        c.close()
    assert got == [(pytest.approx(0.0029), "warn")]


@pytest.mark.parametrize("text, expected", [
    # the unit stated in the header makes bare numbers percent
    ("Date;DKIM Domain;Inbox-Delivered;Spam Complaint Rate (%)\n"
     "2026-11-17;News.Example.COM.;12 480;0.12\n",
     [("news.example.com", date(2026, 11, 17), 12480, 0.0012)]),
    ("\ufeffday\tdomain\tinbox volume\tcomplaint rate\n"
     "Nov 17, 2026\tnews.example.com\t1\u202f204\t0,12%\n",
     [("news.example.com", date(2026, 11, 17), 1204, 0.0012)]),
    ("DKIM_DOMAIN,notes,SPAM_COMPLAINT_RATE_PCT,date,Inbox Delivered Volume\n"
     "news.example.com,launch day,0.3,17 Nov 2026,\"1,204,000\"\n",
     [("news.example.com", date(2026, 11, 17), 1204000, 0.003)]),
    # no value on the dashboard: NULL, not 0
    (HEADER + "2026-11-17,news.example.com,—,n/a\n\n",
     [("news.example.com", date(2026, 11, 17), None, None)]),
    # the same row twice (a copied line) lands once
    (HEADER + "2026-11-17,a.example,10,0.001\n2026-11-17,a.example,10,0.10%\n",
     [("a.example", date(2026, 11, 17), 10, 0.001)]),
])
def test_accepted_spellings(text, expected):
    got = parse(text)
    assert [g[:3] for g in got] == [e[:3] for e in expected]
    assert [g[3] for g in got] == [e[3] if e[3] is None else pytest.approx(e[3]) for e in expected]


@pytest.mark.parametrize("body, message", [
    ("2026-11-17,news.example.com,100,abc\n",
     r"line 3 \(2026-11-17,news.example.com,100,abc\): spam_complaint_rate 'abc'"),
    ("2026-11-17,news.example.com,100,120%\n", "line 3 .*over 100 %"),
    ("11/17/2026,news.example.com,100,0.1%\n", "line 3 .*date '11/17/2026' is not YYYY-MM-DD"),
    ("2026-11-17,news.example.com,12.3K,0.1%\n", "line 3 .*'12.3K' is not a whole count"),
    ("2026-11-17,news.example.com,12.345,0.1%\n", "line 3 .*'12.345' is not a whole count"),
    ("2026-11-17,news.example.com,12,345,0.1%\n", "line 3 .*5 cells, the header has 4"),
    ("2026-11-17,not a domain,100,0.1%\n", "line 3 .*dkim_domain 'not a domain'"),
    ("2026-11-17,a.example,100,0.1%\n2026-11-17,a.example,100,0.2%\n",
     "line 4: a.example on 2026-11-17 is given twice"),
])
def test_malformed_rows_name_the_line_and_land_nothing(tmp_path, body, message):
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "2026-11-16,ok.example,100,0.1%\n" + body)
    with pytest.raises(ImportFormatError, match=message):
        import_file(tmp_path / "lake", "yahoo", bad)
    assert not (tmp_path / "lake" / "yahoo_insights").exists()


def test_a_file_without_the_columns_or_not_utf8_is_refused(tmp_path):
    with pytest.raises(ImportFormatError, match="line 1: header .* lacks inbox_delivered"):
        parse("date,dkim domain,delivered,spam rate\n2026-11-17,a.example,1,0.1%\n")
    with pytest.raises(ImportFormatError, match="empty file"):
        parse("\n\n")
    latin = tmp_path / "latin.csv"
    latin.write_bytes(HEADER.encode() + "2026-11-17,caf\xe9.example,1,0.1%\n".encode("latin-1"))
    with pytest.raises(ImportFormatError, match="not UTF-8"):
        import_file(tmp_path / "lake", "yahoo", latin)


def test_cli_imports_and_reports_a_bad_file(tmp_path, capsys):
    assert main(["views", "--lake", str(tmp_path), "--import-yahoo", str(FIXTURE)]) == 0
    assert "imported 5 new yahoo rows" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "2026-11-17,a.example,1,x\n")
    assert main(["views", "--lake", str(tmp_path), "--import-yahoo", str(bad)]) == 1
    assert "line 2" in capsys.readouterr().err


def test_provider_status_puts_yahoos_rate_beside_ours(slice_lake, tmp_path):
    lake = tmp_path / "lake"
    shutil.copytree(slice_lake, lake)
    assert import_file(lake, "yahoo", FIXTURE, now=NOW) == 5
    c = open_lake(lake)
    try:
        y = rows(c, "SELECT * FROM v_provider_status WHERE provider = 'Yahoo/AOL'")[0]
        g = rows(c, "SELECT * FROM v_provider_status WHERE provider = 'Google'")[0]
        # independent SQL over the base tables: Yahoo's rate weighted by inbox volume over the
        # 7 days ending on the events' last day, the latest import per domain and day
        direct = c.execute("""
            WITH last AS (SELECT max(CAST(occurred_at AS DATE)) AS d FROM events),
                 y AS (SELECT * FROM yahoo_insights, last
                       WHERE CAST(day AS DATE) > last.d - 7
                       QUALIFY row_number() OVER (PARTITION BY CAST(day AS DATE), dkim_domain
                                                  ORDER BY imported_at DESC) = 1)
            SELECT sum(spam_complaint_rate * inbox_delivered) / sum(inbox_delivered),
                   sum(inbox_delivered) FROM y""").fetchone()
        ours = c.execute("""SELECT count(*) FILTER (WHERE category = 'complaint'),
                                   count(*) FILTER (WHERE category = 'delivered')
                            FROM events WHERE recipient_domain = 'yahoo.com'""").fetchone()
    finally:
        c.close()
    assert direct[0] == pytest.approx(70.511 / 42450) and direct[1] == 42450
    assert y["provider_complaint_rate"] == pytest.approx(direct[0])
    assert (y["provider_complaint_source"], y["provider_volume"]) == ("yahoo_insights", 42450)
    assert (y["complaint_warn"], y["complaint_over"]) == (0.001, 0.003)
    assert y["provider_complaint_status"] == "warn"
    # our ARF-derived rate stays beside it: 3 complaints / 450 delivered to yahoo.com
    assert ours == (3, 450)
    assert (y["complaint_source"], y["complaint_rate"]) == ("arf", pytest.approx(3 / 450))
    assert g["provider_complaint_source"] is None and g["provider_complaint_status"] is None


def test_report_shows_yahoos_rate_and_a_finding(slice_lake, tmp_path):
    lake = tmp_path / "lake"
    shutil.copytree(slice_lake, lake)
    LakeWriter(lake).land("yahoo_insights", yahoo_insights_rows(
        HEADER + "".join(f"2026-11-0{d},news.example.com,5000,0.35%\n" for d in (1, 2, 3)),
        source=None, now=NOW), file_stem="y")
    from connectors.report.findings import provider_findings

    c = open_lake(lake)
    try:
        found = [f for f in provider_findings(c) if "Insights" in f[1]]
    finally:
        c.close()
    assert found == [("over", "Yahoo/AOL: complaint rate 0.350 % by Yahoo Sender Hub Insights "
                              "(inbox-delivered mail) over the last 7 days, at or over 0.300 % "
                              "(Yahoo/AOL's limit).")]
    out = tmp_path / "r.html"
    assert main(["report", "--lake", str(lake), "--out", str(out)]) == 0
    html = out.read_text()
    assert "yahoo_insights" in html and "provider&#x27;s own" in html.replace("'", "&#x27;")


def test_provider_status_low_volume_and_googles_own_rate(slice_lake, tmp_path):
    lake = tmp_path / "lake"
    shutil.copytree(slice_lake, lake)
    w = LakeWriter(lake)
    # 99 inbox-delivered messages in the window: under bp_incident_min_volume() (100)
    w.land("yahoo_insights", yahoo_insights_rows(
        HEADER + "2026-11-03,news.example.com,99,1.01%\n"
        "2026-10-27,news.example.com,50000,0.50%\n",  # 7 days before the last day: outside
        source=None, now=NOW), file_stem="y")
    w.write("postmaster_traffic", [dict(row_id="p1", domain="example.com",
                                        day=datetime(2026, 11, 3, tzinfo=timezone.utc),
                                        user_reported_spam_ratio=0.0012, imported_at=NOW)],
            file_stem="pm")
    c = open_lake(lake)
    try:
        y = rows(c, "SELECT * FROM v_provider_status WHERE provider = 'Yahoo/AOL'")[0]
        g = rows(c, "SELECT * FROM v_provider_status WHERE provider = 'Google'")[0]
    finally:
        c.close()
    assert (y["provider_volume"], y["provider_complaint_status"]) == (99, "low_volume")
    assert y["provider_complaint_rate"] == pytest.approx(0.0101)
    assert g["provider_complaint_source"] == "postmaster_tools"
    assert g["provider_complaint_status"] == "warn"
    assert g["provider_complaint_rate"] == g["complaint_rate"] == pytest.approx(0.0012)
    assert g["provider_volume"] is None
