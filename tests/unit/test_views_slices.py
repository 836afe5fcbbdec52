"""Slices, mailbox providers, diagnostics, trends and incidents: each view's numbers against
independent SQL written straight over the base tables (not over other views)."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from connectors.duck import Slice
from connectors.lake import LakeWriter
from connectors.views import open_lake
from tests.unit.test_views import ev


def tagged(day, domain, category, n=1, *, pool=None, ip=None, campaign=None, **kw):
    rows = ev(day, domain, category, n, **kw)
    for r in rows:
        r["tags"] = {k: v for k, v in (("egress_pool", pool), ("egress_source", ip)) if v}
        r["campaign"] = campaign
    return rows


def build_slice_lake(lake) -> None:
    w = LakeWriter(lake)
    events = []
    for day in ("2026-11-01", "2026-11-02", "2026-11-03"):
        events += tagged(day, "gmail.com", "delivered", 300, pool="bulk", ip="198.51.100.1",
                         campaign="c1", tenant="acme", stream="news")
        events += tagged(day, "googlemail.com", "delivered", 100, pool="bulk", ip="198.51.100.2",
                         campaign="c1", tenant="acme", stream="news")
        events += tagged(day, "hotmail.co.uk", "delivered", 200, pool="tx", ip="198.51.100.3",
                         campaign="c2", tenant="acme", stream="receipts")
        events += tagged(day, "hotmail.co.uk", "complaint", 1, pool="tx", ip="198.51.100.3",
                         tenant="acme", stream="receipts", source_kind="arf")
        events += tagged(day, "yahoo.com", "delivered", 150, tenant="beta", stream="promo")
        events += tagged(day, "yahoo.com", "complaint", 1, tenant="beta", stream="promo", source_kind="arf")
        events += tagged(day, "gmail.com", "complaint", 1, tenant="beta", stream="promo", source_kind="arf")
        events += tagged(day, "corp.example", "delivered", 50, tenant="beta", stream="promo")
    # bounces with diagnostics and deferrals (throttling) on the last day
    events += tagged("2026-11-03", "gmail.com", "hard_bounce", 3, reason="userunknown", tenant="acme",
                     stream="news", pool="bulk", ip="198.51.100.1")
    events += tagged("2026-11-03", "hotmail.co.uk", "soft_bounce", 4, reason="ratelimited",
                     action="delayed", tenant="acme", stream="receipts", pool="tx", ip="198.51.100.3")
    events += tagged("2026-11-03", "hotmail.co.uk", "soft_bounce", 1, reason="blocked",
                     action="failed", tenant="acme", stream="receipts", pool="tx", ip="198.51.100.3")
    for i, r in enumerate(e for e in events if e["category"] in ("hard_bounce", "soft_bounce")):
        r["status"] = "5.1.1" if r["category"] == "hard_bounce" else "4.7.0"
        r["remote_mta"] = "GMAIL-SMTP-IN.L.GOOGLE.COM" if r["recipient_domain"] == "gmail.com" else None
        r["diagnostic"] = (f"550 5.1.1 <user{i}@gmail.com>: Recipient address rejected"
                           if r["category"] == "hard_bounce" else f"421 4.7.0 Too many connections from 192.0.2.{i}")
    w.write("events", events, file_stem="events")
    w.write("mx_cache", [dict(row_id="m1", domain="corp.example", mx_hosts=["corp-example.mail.protection.outlook.com"],
                              status="ok", looked_up_at=datetime(2026, 11, 1, tzinfo=timezone.utc))],
            file_stem="mx")


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    root = tmp_path_factory.mktemp("slices")
    build_slice_lake(root)
    return root


@pytest.fixture(scope="module")
def con(lake):
    c = open_lake(lake)
    yield c
    c.close()


def rows(con, sql):
    cur = con.execute(sql)
    return [dict(zip([d[0] for d in cur.description], r)) for r in cur.fetchall()]


PROVIDER_SQL = """CASE WHEN recipient_domain IN ('gmail.com', 'googlemail.com') THEN 'Google'
                       WHEN recipient_domain LIKE 'hotmail.%' OR recipient_domain = 'corp.example' THEN 'Microsoft'
                       WHEN recipient_domain = 'yahoo.com' THEN 'Yahoo/AOL' ELSE 'Other' END"""


def test_providers_by_domain_pattern_and_by_cached_mx(con):
    got = {r["recipient_domain"]: (r["provider"], r["matched_by"])
           for r in rows(con, "SELECT * FROM v_recipient_provider")}
    assert got == {"gmail.com": ("Google", "domain"), "googlemail.com": ("Google", "domain"),
                   "hotmail.co.uk": ("Microsoft", "domain"), "yahoo.com": ("Yahoo/AOL", "domain"),
                   "corp.example": ("Microsoft", "mx")}


def test_delivery_daily_slices_equal_independent_sql(con):
    view = rows(con, """SELECT day, tenant, stream, campaign, sending_pool, sending_ip, provider,
                               sum(delivered) AS delivered, sum(bounces) AS bounces,
                               sum(deferrals) AS deferrals, sum(throttled) AS throttled,
                               sum(complaints) AS complaints
                        FROM v_delivery_daily GROUP BY ALL ORDER BY ALL""")
    direct = rows(con, f"""
        SELECT CAST(occurred_at AS DATE) AS day, coalesce(tenant, '(none)') AS tenant,
               coalesce(stream, '(none)') AS stream, coalesce(campaign, '(none)') AS campaign,
               coalesce(tags['egress_pool'], '(none)') AS sending_pool,
               coalesce(tags['egress_source'], '(none)') AS sending_ip, {PROVIDER_SQL} AS provider,
               count(*) FILTER (WHERE category = 'delivered') AS delivered,
               count(*) FILTER (WHERE category IN ('hard_bounce', 'soft_bounce') AND action IS DISTINCT FROM 'delayed') AS bounces,
               count(*) FILTER (WHERE action = 'delayed') AS deferrals,
               count(*) FILTER (WHERE reason = 'ratelimited') AS throttled,
               count(*) FILTER (WHERE category = 'complaint') AS complaints
        FROM events GROUP BY ALL ORDER BY ALL""")
    assert view == direct and len(view) == 22  # 7 slices a day + the bounces without a campaign


def test_provider_complaint_rate_is_over_mail_delivered_to_that_provider(con):
    got = {r["provider"]: r for r in rows(con, "SELECT * FROM v_provider_status")}
    ms, yahoo, google = got["Microsoft"], got["Yahoo/AOL"], got["Google"]
    # Microsoft: 3 complaints / (600 hotmail + 150 corp.example delivered), not / all 2,400
    assert (ms["delivered"], ms["complaints"]) == (750, 3)
    assert ms["complaint_rate"] == pytest.approx(3 / 750) and ms["complaint_status"] == "over"
    assert yahoo["complaint_rate"] == pytest.approx(3 / 450) and yahoo["complaint_source"] == "arf"
    # Gmail sends no ARF: the 3 complaints from gmail.com recipients (forwarded, say) give no rate
    assert (google["complaints"], google["complaint_rate"], google["complaint_source"],
            google["complaint_status"]) == (3, None, "none", "no_volume")
    assert (ms["deferrals"], ms["throttled"], ms["bounces"]) == (4, 4, 1)
    assert ms["deferral_rate"] == pytest.approx(4 / (750 + 1 + 4))
    assert (ms["complaint_warn"], ms["complaint_over"], ms["bounce_warn"]) == (0.001, 0.003, 0.02)


def test_provider_daily_equals_independent_sql(con):
    view = rows(con, "SELECT day, provider, delivered, bounces, complaints FROM v_provider_daily ORDER BY ALL")
    direct = rows(con, f"""SELECT CAST(occurred_at AS DATE) AS day, {PROVIDER_SQL} AS provider,
               count(*) FILTER (WHERE category = 'delivered') AS delivered,
               count(*) FILTER (WHERE category IN ('hard_bounce', 'soft_bounce') AND action IS DISTINCT FROM 'delayed') AS bounces,
               count(*) FILTER (WHERE category = 'complaint') AS complaints
        FROM events GROUP BY ALL ORDER BY ALL""")
    assert view == direct


def test_google_complaint_rate_comes_from_postmaster_tools(lake, tmp_path):
    import shutil

    copy = tmp_path / "lake"
    shutil.copytree(lake, copy)
    LakeWriter(copy).write("postmaster_traffic", [
        dict(row_id=f"p{d}", domain="example.com", day=datetime(2026, 11, d, tzinfo=timezone.utc),
             user_reported_spam_ratio=r, imported_at=datetime(2026, 11, 4, tzinfo=timezone.utc))
        for d, r in ((1, 0.002), (2, 0.003), (3, 0.005))], file_stem="pm")
    c = open_lake(copy)
    try:
        g = rows(c, "SELECT * FROM v_provider_status WHERE provider = 'Google'")[0]
    finally:
        c.close()
    assert g["complaint_source"] == "postmaster_tools"
    assert g["complaint_rate"] == pytest.approx((0.002 + 0.003 + 0.005) / 3)
    assert g["complaint_status"] == "over"


def test_a_slice_narrows_every_view(lake):
    c = open_lake(lake, Slice(since=date(2026, 11, 2), until=date(2026, 11, 2), tenant="acme"))
    try:
        h = rows(c, "SELECT * FROM v_headline")[0]
        assert (h["first_day"], h["last_day"], h["delivered"], h["complaints"]) == (
            date(2026, 11, 2), date(2026, 11, 2), 600, 1)
        assert {r["tenant"] for r in rows(c, "SELECT DISTINCT tenant FROM v_delivery_daily")} == {"acme"}
        stream = open_lake(lake, Slice(stream="promo"))
        assert rows(stream, "SELECT sum(delivered) AS d FROM v_slice_daily") == [{"d": 600}]
        stream.close()
    finally:
        c.close()


def test_bounce_diagnostics_normalise_texts_and_count_codes_and_mtas(con):
    got = rows(con, """SELECT provider, status, deferred, remote_mta, diagnostic, sum(events) AS n
                       FROM v_bounce_diagnostics GROUP BY ALL ORDER BY ALL""")
    assert got == [
        {"provider": "Google", "status": "5.1.1", "deferred": False, "remote_mta": "gmail-smtp-in.l.google.com",
         "diagnostic": "<addr>: recipient address rejected", "n": 3},
        {"provider": "Microsoft", "status": "4.7.0", "deferred": False, "remote_mta": "(unknown)",
         "diagnostic": "too many connections from <ip>", "n": 1},
        {"provider": "Microsoft", "status": "4.7.0", "deferred": True, "remote_mta": "(unknown)",
         "diagnostic": "too many connections from <ip>", "n": 4},
    ]


def test_incidents_are_runs_of_days_ongoing_or_resolved(tmp_path):
    w = LakeWriter(tmp_path)
    events = []
    for d in (1, 2, 3, 5, 6):  # over on 1-3 (resolved run), again on 5-6 (ongoing: the last day)
        events += ev(f"2026-11-0{d}", "example.net", "delivered", 500, tenant="t", stream="s")
        events += ev(f"2026-11-0{d}", "example.net", "complaint", 2, tenant="t", stream="s")
    events += ev("2026-11-04", "example.net", "delivered", 500, tenant="t", stream="s")
    w.write("events", events, file_stem="e")
    c = open_lake(tmp_path)
    try:
        got = rows(c, "SELECT first_day, last_day, days, level, state FROM v_incidents ORDER BY first_day")
    finally:
        c.close()
    assert got == [
        {"first_day": date(2026, 11, 1), "last_day": date(2026, 11, 3), "days": 3, "level": "over", "state": "resolved"},
        {"first_day": date(2026, 11, 5), "last_day": date(2026, 11, 6), "days": 2, "level": "over", "state": "ongoing"},
    ]


def test_trend_needs_volume_and_significance(tmp_path):
    w = LakeWriter(tmp_path)
    events = []
    for d in range(1, 15):
        day = f"2026-11-{d:02d}"
        big = d > 7
        events += ev(day, "a.example", "delivered", 1000)
        events += ev(day, "a.example", "hard_bounce", 40 if big else 10)   # 1 % -> 3.8 %: worse
        events += ev(day, "b.example", "delivered", 100)
        events += ev(day, "b.example", "hard_bounce", 2 if big else 1)     # 1 % -> 2 %: not significant
    w.write("events", events, file_stem="e")
    c = open_lake(tmp_path)
    try:
        got = {r["recipient_domain"]: r for r in rows(c, "SELECT * FROM v_bounce_trend")}
    finally:
        c.close()
    a, b = got["a.example"], got["b.example"]
    assert a["trend"] == "worse" and a["z"] > 10
    assert (b["recent_volume"], b["prior_volume"]) == (714, 707)
    assert b["trend"] == "flat" and abs(b["z"]) < 1.96  # 1 point more, but 14 vs 7 bounces


@pytest.mark.parametrize("text, expected", [
    ("550-5.1.1 <A.User+tag@Example.COM>:   Recipient\taddress rejected:\r\n User unknown",
     "<addr>: recipient address rejected: user unknown"),
    ("421 4.7.0 [203.0.113.9      15] Our system has detected an unusual rate; id 9f86d081884c7d65",
     "[<ip> #] our system has detected an unusual rate; id <id>"),
    ("Host or domain name not found", "host or domain name not found"),
])
def test_diagnostic_normalisation(con, text, expected):
    assert con.execute("SELECT bp_normalise_diagnostic(?)", [text]).fetchone()[0] == expected


def test_complaint_rate_counts_mail_to_arf_providers_only(con):
    view = rows(con, "SELECT day, tenant, stream, delivered, delivered_arf, complaints, complaints_all "
                     "FROM v_complaint_rate ORDER BY ALL")
    direct = rows(con, f"""
        SELECT CAST(occurred_at AS DATE) AS day, coalesce(tenant, '(none)') AS tenant,
               coalesce(stream, '(none)') AS stream,
               count(*) FILTER (WHERE category = 'delivered') AS delivered,
               count(*) FILTER (WHERE category = 'delivered' AND {PROVIDER_SQL} NOT IN ('Google', 'Apple')) AS delivered_arf,
               count(*) FILTER (WHERE category = 'complaint' AND {PROVIDER_SQL} NOT IN ('Google', 'Apple')) AS complaints,
               count(*) FILTER (WHERE category = 'complaint') AS complaints_all
        FROM events GROUP BY ALL
        HAVING count(*) FILTER (WHERE category IN ('delivered', 'complaint')) > 0 ORDER BY ALL""")
    assert view == direct
    promo = rows(con, "SELECT * FROM v_complaint_status WHERE stream = 'promo'")[0]
    # beta/promo: 3 Yahoo complaints over 450 Yahoo + 150 corp.example (Microsoft) delivered;
    # the 3 from gmail.com recipients have no denominator and are not counted
    assert (promo["delivered"], promo["delivered_arf"], promo["complaints"]) == (600, 600, 3)
    news = rows(con, "SELECT * FROM v_complaint_status WHERE stream = 'news'")[0]
    assert (news["delivered"], news["delivered_arf"], news["complaint_rate"], news["status"]) == (
        1200, 0, None, "no_volume")  # all of acme/news went to Gmail
