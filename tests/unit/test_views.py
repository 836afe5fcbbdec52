"""Analytics views over a small hand-made lake whose every number is known in advance."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone
from itertools import count

import pytest

from connectors.lake import LakeWriter
from connectors.views import VIEWS, open_lake

_ids = count()


def ts(day: str, hour: int = 12, minute: int = 0) -> datetime:
    y, m, d = map(int, day.split("-"))
    return datetime(y, m, d, hour, minute, tzinfo=timezone.utc)


def ev(day, domain, category, n=1, *, reason=None, action=None, tenant=None, stream=None,
       event_id=None, hour=12, source_kind="webhook"):
    return [
        dict(event_id=event_id or f"e{next(_ids)}", raw_sha256="0" * 64, occurred_at=ts(day, hour),
             received_at=ts(day, hour), source_kind=source_kind, parser="test", category=category,
             reason=reason, recipient=f"u{next(_ids)}@{domain}", recipient_domain=domain,
             action=action, tenant=tenant, stream=stream, classifier_version="t", rule="t")
        for _ in range(n)
    ]


def dmarc(day, header_from, ip, messages, aligned, *, org="google.com", report="r", p="none",
          disposition="none", dkim=None, spf=None, policy_domain=None, idx=0):
    dkim = dkim or ("pass" if aligned else "fail")
    spf = spf or ("pass" if aligned else "fail")
    return dict(row_id=f"d{next(_ids)}", report_key=f"{org}:{report}:{day}", raw_sha256="0" * 64,
                parser="test", org_name=org, report_id=report, begin_date=ts(day, 0),
                end_date=ts(day, 23, 59), policy_domain=policy_domain or header_from.lower(),
                policy_p=p, record_index=idx, source_ip=ip, message_count=messages,
                disposition=disposition, policy_dkim=dkim, policy_spf=spf, dmarc_aligned=aligned,
                header_from=header_from)


def tls(day, org, report, detail_index, ok, failed, result_type=None, detail_failed=None, mx=None):
    return dict(row_id=f"t{next(_ids)}", report_key=f"{org}:{report}", raw_sha256="0" * 64,
                parser="test", organization_name=org, report_id=report, begin_date=ts(day, 0),
                end_date=ts(day, 23, 59), policy_index=0, policy_type="sts",
                policy_domain="Example.com", total_successful_session_count=ok,
                total_failure_session_count=failed, detail_index=detail_index,
                result_type=result_type, receiving_mx_hostname=mx,
                failed_session_count=detail_failed)


def sup(sid, address, action, decided, *, scope="global", scope_value=None, expires=None,
        evidence=(), rule="hard_bounce", reason=None):
    key = f"{scope}:{scope_value or ''}:{address}"
    return dict(suppression_id=sid, key=key, address=address, address_domain=address.split("@")[1],
                action=action, scope=scope, scope_value=scope_value, reason=reason,
                policy_rule=rule, decided_at=decided, expires_at=expires,
                evidence_event_ids=list(evidence))


def build_known_lake(lake) -> None:
    """The hand-made lake every expected number below is computed from (also used by
    test_report.py)."""
    w = LakeWriter(lake)
    events = (
        # 2026-11-10 gmail.com: 8 delivered, 1 hard, 1 soft, 1 delayed soft (a deferral)
        ev("2026-11-10", "gmail.com", "delivered", 7)
        + ev("2026-11-10", "gmail.com", "delivered", hour=23)  # late evening: still 11-10 in UTC
        + ev("2026-11-10", "gmail.com", "hard_bounce", reason="userunknown", event_id="E-HARD")
        + ev("2026-11-10", "gmail.com", "soft_bounce", reason="mailboxfull", action="failed")
        + ev("2026-11-10", "gmail.com", "soft_bounce", reason="mailboxfull", action="delayed")
        + ev("2026-11-10", "yahoo.com", "delivered", 3)
        + ev("2026-11-10", "yahoo.com", "hard_bounce", reason="hostunknown")
        + ev("2026-11-11", "gmail.com", "delivered", 4)
        # complaints against delivered volume per tenant/stream
        + ev("2026-11-10", "example.net", "delivered", 1000, tenant="acme", stream="news")
        + ev("2026-11-10", "example.net", "complaint", tenant="acme", stream="news", source_kind="arf")
        + ev("2026-11-11", "example.net", "delivered", 500, tenant="acme", stream="news")
        + ev("2026-11-10", "example.net", "delivered", 300, tenant="acme", stream="promo")
        + ev("2026-11-10", "example.net", "complaint", tenant="acme", stream="promo",
             event_id="E-COMPLAINT", source_kind="arf")
        + ev("2026-11-10", "example.net", "complaint", 2, tenant="beta")
    )
    w.write("events", events, file_stem="events")
    days = [f"2026-11-0{d}" for d in range(1, 9)]
    aggregate = []
    for day in days:
        aggregate.append(dmarc(day, "example.com", "192.0.2.1", 100, True, report=f"g-{day}"))
        aggregate.append(dmarc(day, "example.com", "192.0.2.1", 2, False, report=f"g-{day}", idx=1))
        aggregate.append(dmarc(day, "bad.example", "192.0.2.50", 180, True, report=f"b-{day}"))
        aggregate.append(dmarc(day, "bad.example", "192.0.2.50", 20, False, report=f"b-{day}", idx=1))
    aggregate += [
        dmarc("2026-11-08", "example.com", "203.0.113.9", 50, False, report="g-2026-11-08", idx=2),
        dmarc("2026-11-08", "example.com", "192.0.2.1", 10, True, org="yahoo.com", report="y1"),
        dmarc("2026-11-07", "Shop.Example.org", "198.51.100.7", 10, True, org="Enterprise Outlook",
              report="m1", p="quarantine", dkim="fail", spf="pass", policy_domain="example.org"),
        dmarc("2026-11-08", "Shop.Example.org", "198.51.100.7", 5, False, org="Enterprise Outlook",
              report="m2", p="quarantine", disposition="quarantine", policy_domain="example.org"),
    ]
    w.write("dmarc_aggregate", aggregate, file_stem="dmarc")
    w.write("dmarc_failure", [
        dict(row_id=f"f{i}", raw_sha256="0" * 64, parser="test", is_arf=True, reported_domain="Example.com",
             source_ip="203.0.113.9", arrival_date=ts("2026-11-08", 9 + i), auth_failure=fails,
             delivery_result=result, reporting_mta="mx.google.com", original_mail_from=f"x{i}@example.com",
             sample_subject=f"Invoice {i}")
        for i, (fails, result) in enumerate(((["dmarc", "spf"], "reject"), (["dkim"], "delivered"), (None, None)))
    ], file_stem="ruf")
    w.write("tls_reports", [
        tls("2026-11-05", "google.com", "t1", 0, 90, 10, "certificate-expired", 6, "mx1.example.com"),
        tls("2026-11-05", "google.com", "t1", 1, 90, 10, "starttls-not-supported", 4, "mx2.example.com"),
        tls("2026-11-05", "microsoft.com", "t2", 0, 50, 0),
    ], file_stem="tls")
    w.write("suppressions", [
        sup("S1", "a@gmail.com", "suppress", ts("2026-11-10", 13), evidence=["E-HARD", "missing-id"],
            reason="userunknown"),
        sup("S2", "b@x.com", "suppress", ts("2026-11-01"), scope="tenant", scope_value="acme",
            expires=datetime(2020, 1, 1, tzinfo=timezone.utc), rule="soft_bounce_repeat"),
        sup("S3", "b@x.com", "unsuppress", ts("2026-11-05"), scope="tenant", scope_value="acme",
            rule="manual"),
        sup("S4", "c@y.com", "suppress", ts("2026-11-10", 14), evidence=["E-COMPLAINT"],
            expires=datetime(2099, 1, 1, tzinfo=timezone.utc), rule="complaint", reason="feedback"),
    ], file_stem="sup")
    w.write("dead_letters", [
        dict(dead_letter_id=f"x{i}", raw_sha256="0" * 64, stage="parse", error_type="ParseError",
             reason="bad", retryable=False, received_at=ts("2026-11-10"), payload_size=size)
        for i, size in enumerate((100, 50))
    ], file_stem="dl")


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    lake = tmp_path_factory.mktemp("lake")
    build_known_lake(lake)
    connection = open_lake(lake)
    yield connection
    connection.close()


def rows(con, sql):
    rel = con.sql(sql)
    return [dict(zip(rel.columns, r)) for r in rel.fetchall()]


def one(con, sql):
    (row,) = rows(con, sql)
    return row


D10, D11 = date(2026, 11, 10), date(2026, 11, 11)


def test_every_view_is_registered_and_queryable(con):
    names = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views()").fetchall()}
    assert set(VIEWS) <= names


def test_bounce_rate_daily_uses_delivered_plus_bounces_as_denominator(con):
    got = rows(con, "SELECT * FROM v_bounce_rate_daily WHERE recipient_domain IN ('gmail.com','yahoo.com') "
                    "ORDER BY day, recipient_domain")
    assert [(r["day"], r["recipient_domain"], r["delivered"], r["hard_bounces"], r["soft_bounces"],
             r["deferrals"], r["bounces"]) for r in got] == [
        (D10, "gmail.com", 8, 1, 1, 1, 2),
        (D10, "yahoo.com", 3, 1, 0, 0, 1),
        (D11, "gmail.com", 4, 0, 0, 0, 0),
    ]
    assert [r["bounce_rate"] for r in got] == [pytest.approx(0.2), pytest.approx(0.25), 0.0]
    assert got[0]["hard_bounce_rate"] == pytest.approx(0.1)


def test_bounce_reason_mix_shares(con):
    got = rows(con, "SELECT category, reason, bounces, share FROM v_bounce_reason_mix "
                    "WHERE day = DATE '2026-11-10' AND recipient_domain = 'gmail.com' ORDER BY reason")
    assert got == [
        {"category": "soft_bounce", "reason": "mailboxfull", "bounces": 1, "share": 0.5},
        {"category": "hard_bounce", "reason": "userunknown", "bounces": 1, "share": 0.5},
    ]


def test_bounce_trend_compares_windows_anchored_on_the_lakes_last_day(con):
    got = {r["recipient_domain"]: r for r in rows(con, "SELECT * FROM bounce_trend(1, min_volume := 1)")}
    gmail = got["gmail.com"]
    assert (gmail["recent_volume"], gmail["recent_rate"], gmail["prior_volume"]) == (4, 0.0, 10)
    assert gmail["prior_rate"] == pytest.approx(0.2)
    # 0/4 vs 2/10: 20 points better but z = -0.2 / sqrt(1/7 * 6/7 * (1/4 + 1/10)) = -0.966: chance
    assert gmail["z"] == pytest.approx(-0.2 / (1 / 7 * 6 / 7 * (1 / 4 + 1 / 10)) ** 0.5)
    assert gmail["trend"] == "flat"
    # with the default minimum volume (200 per window) 4 and 10 messages are too few to judge
    assert one(con, "SELECT trend FROM bounce_trend(1) WHERE recipient_domain = 'gmail.com'") == {
        "trend": "low_volume"}
    assert got["yahoo.com"]["trend"] == "no_data"  # nothing sent to yahoo.com on the last day
    # the default 7-day view has no prior window in a 2-day lake
    assert {r["trend"] for r in rows(con, "SELECT trend FROM v_bounce_trend")} == {"no_data"}


def test_complaint_rate_daily_status_against_gmail_thresholds(con):
    got = {(r["day"], r["tenant"], r["stream"]): (r["delivered"], r["delivered_arf"], r["complaints"], r["status"])
           for r in rows(con, "SELECT * FROM v_complaint_rate")}
    assert got == {
        (D10, "acme", "news"): (1000, 1000, 1, "warn"),     # exactly 0.10 %: at the limit is warn
        (D11, "acme", "news"): (500, 500, 0, "ok"),
        (D10, "acme", "promo"): (300, 300, 1, "over"),      # 0.33 %
        (D10, "beta", "(none)"): (0, 0, 2, "no_volume"),
        # the rate's denominator is mail delivered to providers that send ARF: 3 to yahoo.com,
        # not the 8 to gmail.com (Gmail sends no complaints to count against them)
        (D10, "(none)", "(none)"): (11, 3, 0, "ok"),
        (D11, "(none)", "(none)"): (4, 0, 0, "no_volume"),  # only gmail.com: no ARF volume
    }


def test_complaint_status_per_stream(con):
    news = one(con, "SELECT * FROM v_complaint_status WHERE tenant = 'acme' AND stream = 'news'")
    assert (news["days"], news["delivered"], news["complaints"], news["status"]) == (2, 1500, 1, "ok")
    assert news["complaint_rate"] == pytest.approx(1 / 1500)
    assert (news["peak_daily_rate"], news["peak_day"], news["days_warn"], news["days_over"]) == (
        pytest.approx(0.001), D10, 1, 0)
    promo = one(con, "SELECT status, days_over FROM v_complaint_status WHERE stream = 'promo'")
    assert promo == {"status": "over", "days_over": 1}


def test_dmarc_pass_rate_per_domain(con):
    got = {r["domain"]: r for r in rows(con, "SELECT * FROM v_dmarc_pass_rate_domain")}
    assert set(got) == {"example.com", "bad.example", "shop.example.org"}
    ex = got["example.com"]
    assert (ex["reports"], ex["reporters"], ex["sources"], ex["messages"], ex["pass_messages"],
            ex["fail_messages"], ex["first_day"], ex["last_day"]) == (
        9, 2, 2, 876, 810, 66, date(2026, 11, 1), date(2026, 11, 8))
    assert ex["pass_rate"] == pytest.approx(810 / 876)
    shop = got["shop.example.org"]
    assert (shop["messages"], shop["pass_messages"], shop["dkim_pass_rate"]) == (15, 10, 0.0)
    assert shop["spf_pass_rate"] == pytest.approx(10 / 15)


def test_dmarc_sources_known_and_unknown(con):
    got = {(r["domain"], r["source_ip"]): r for r in rows(con, "SELECT * FROM v_dmarc_sources")}
    spoof = got[("example.com", "203.0.113.9")]
    assert (spoof["messages"], spoof["pass_messages"], spoof["fail_messages"], spoof["known"],
            spoof["reporters"], spoof["first_seen"]) == (50, 0, 50, False, ["google.com"], date(2026, 11, 8))
    esp = got[("example.com", "192.0.2.1")]
    assert (esp["messages"], esp["pass_messages"], esp["known"], esp["reporters"]) == (
        826, 810, True, ["google.com", "yahoo.com"])
    shop = got[("shop.example.org", "198.51.100.7")]
    assert (shop["quarantined"], shop["spf_pass_messages"], shop["dkim_pass_messages"]) == (5, 10, 0)


def test_dmarc_new_sources_window(con):
    got = {(r["domain"], r["source_ip"], r["age_days"])
           for r in rows(con, "SELECT * FROM v_dmarc_new_sources")}
    assert got == {("example.com", "203.0.113.9", 0), ("shop.example.org", "198.51.100.7", 1)}
    assert len(rows(con, "SELECT * FROM dmarc_new_sources(8)")) == 4  # every source


def test_dmarc_readiness_verdicts_and_affected_volume(con):
    got = {r["domain"]: r for r in rows(con, "SELECT * FROM v_dmarc_readiness")}
    ex = got["example.com"]
    assert (ex["current_policy"], ex["report_days"], ex["messages"], ex["known_messages"],
            ex["known_fail_messages"], ex["unknown_messages"], ex["affected_messages"],
            ex["legit_at_risk"], ex["verdict"]) == (
        "none", 8, 876, 826, 16, 50, 66, 16, "ready_for_reject")
    assert ex["known_pass_rate"] == pytest.approx(810 / 826)
    assert ex["next_step"] == "move to p=quarantine, then p=reject"
    bad = got["bad.example"]
    assert (bad["known_pass_rate"], bad["verdict"], bad["affected_messages"]) == (
        pytest.approx(0.9), "not_ready", 160)
    shop = got["shop.example.org"]
    assert (shop["current_policy"], shop["verdict"], shop["affected_messages"]) == (
        "quarantine", "insufficient_data", 5)  # quarantined now, rejected by p=reject


def test_tls_summary_counts_policy_totals_once(con):
    s = one(con, "SELECT * FROM v_tls_summary")
    assert (s["day"], s["policy_domain"], s["reports"], s["reporters"], s["successful_sessions"],
            s["failed_sessions"]) == (date(2026, 11, 5), "example.com", 2, 2, 140, 10)
    assert s["failure_rate"] == pytest.approx(10 / 150)
    f = rows(con, "SELECT result_type, receiving_mx_hostname, failed_sessions, reporters "
                  "FROM v_tls_failures ORDER BY failed_sessions DESC")
    assert f == [
        {"result_type": "certificate-expired", "receiving_mx_hostname": "mx1.example.com",
         "failed_sessions": 6, "reporters": ["google.com"]},
        {"result_type": "starttls-not-supported", "receiving_mx_hostname": "mx2.example.com",
         "failed_sessions": 4, "reporters": ["google.com"]},
    ]


def test_suppression_audit_joins_evidence_and_expiry(con):
    got = {r["suppression_id"]: r for r in rows(con, "SELECT * FROM v_suppression_audit")}
    s1 = got["S1"]
    assert (s1["decided_by"], s1["expiry_status"], s1["is_current"], s1["evidence_count"],
            s1["evidence_found"], s1["evidence_missing"], s1["evidence_categories"]) == (
        "hard_bounce", "permanent", True, 2, 1, 1, ["hard_bounce"])
    assert s1["evidence_first_at"] == ts("2026-11-10")
    assert (got["S2"]["expiry_status"], got["S2"]["is_current"]) == ("expired", False)
    assert (got["S3"]["is_current"], got["S3"]["evidence_count"]) == (True, 0)
    assert (got["S4"]["expiry_status"], got["S4"]["evidence_kinds"]) == ("active", ["arf"])
    evidence = rows(con, "SELECT evidence_event_id, found, category, reason FROM v_suppression_evidence "
                         "WHERE suppression_id = 'S1' ORDER BY evidence_event_id")
    assert evidence == [
        {"evidence_event_id": "E-HARD", "found": True, "category": "hard_bounce", "reason": "userunknown"},
        {"evidence_event_id": "missing-id", "found": False, "category": None, "reason": None},
    ]


def test_headline_numbers(con):
    h = one(con, "SELECT * FROM v_headline")
    assert (h["first_day"], h["last_day"], h["delivered"], h["bounces"], h["hard_bounces"],
            h["complaints"], h["complaint_status"], h["streams_warn"], h["streams_over"]) == (
        D10, D11, 1815, 3, 2, 4, "warn", 0, 1)
    assert h["bounce_rate"] == pytest.approx(3 / 1818)
    assert h["complaint_rate"] == pytest.approx(4 / (1815 - 12))  # 12 delivered to gmail.com: no ARF
    assert (h["dmarc_messages"], h["dmarc_domains"], h["dmarc_domains_ready"],
            h["dmarc_unknown_sources"]) == (876 + 1600 + 15, 3, 1, 1)
    assert (h["tls_failed_sessions"], h["active_suppressions"], h["dead_letters"]) == (10, 2, 2)


def test_dead_letters_daily(con):
    assert rows(con, "SELECT * FROM v_dead_letters_daily") == [
        {"day": D10, "stage": "parse", "error_type": "ParseError", "dead_letters": 2,
         "retryable": 0, "payload_bytes": 150}]


def test_empty_lake_gives_empty_views_and_a_headline_of_zeros(tmp_path):
    con = open_lake(tmp_path)
    try:
        for view in VIEWS:
            if view != "v_headline":
                assert con.execute(f"SELECT count(*) FROM {view}").fetchall() == [(0,)], view
        h = one(con, "SELECT delivered, bounces, bounce_rate, complaint_status FROM v_headline")
        assert h == {"delivered": 0, "bounces": 0, "bounce_rate": None, "complaint_status": "no_volume"}
    finally:
        con.close()


def test_register_analytics_is_idempotent(con):
    from connectors.views import register_analytics
    register_analytics(con)
    assert con.execute("SELECT count(*) FROM v_dmarc_sources").fetchall() == [(4,)]


def test_suppression_state_is_the_latest_decision_per_key(con):
    got = {r["key"]: (r["suppression_id"], r["action"], r["expiry_status"], r["suppressed"])
           for r in rows(con, "SELECT * FROM v_suppression_state")}
    assert got == {
        "global::a@gmail.com": ("S1", "suppress", "permanent", True),
        "tenant:acme:b@x.com": ("S3", "unsuppress", "permanent", False),
        "global::c@y.com": ("S4", "suppress", "active", True),
    }


def test_filtered_audit_gives_the_same_row_as_the_full_audit(con):
    full = {r["suppression_id"]: r for r in rows(con, "SELECT * FROM v_suppression_audit")}
    only = one(con, "SELECT * FROM v_suppression_audit WHERE address = 'c@y.com'")
    assert only == full["S4"]
    assert (only["evidence_count"], only["evidence_found"], only["is_current"]) == (1, 1, True)


def test_complaint_rate_7d_rolls_over_the_streams_days(con):
    got = rows(con, "SELECT day, delivered_7d, complaints_7d, complaint_rate_7d, status "
                    "FROM v_complaint_rate_7d WHERE tenant = 'acme' AND stream = 'news' ORDER BY day")
    assert got == [
        {"day": D10, "delivered_7d": 1000, "complaints_7d": 1, "complaint_rate_7d": 0.001, "status": "warn"},
        {"day": D11, "delivered_7d": 1500, "complaints_7d": 1, "complaint_rate_7d": 1 / 1500, "status": "ok"},
    ]


def test_views_are_there_in_bouncepipe_query(tmp_path, capsys):
    from connectors.cli import main

    build_known_lake(tmp_path)
    sql = "SELECT tenant, stream, status FROM v_complaint_status WHERE stream = 'promo'"
    assert main(["query", "--lake", str(tmp_path), "--format", "jsonl", sql]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out == ['{"tenant":"acme","stream":"promo","status":"over"}']


def test_headline_stream_status_looks_at_the_last_7_days_only(tmp_path):
    LakeWriter(tmp_path).write("events", (
        ev("2026-11-01", "a.example", "delivered", 100, tenant="t", stream="old")
        + ev("2026-11-01", "a.example", "complaint", 2, tenant="t", stream="old")  # 2 %, 10 days ago
        + ev("2026-11-11", "a.example", "delivered", 1000, tenant="t", stream="old")
        + ev("2026-11-11", "a.example", "delivered", 100, tenant="t", stream="new")
        + ev("2026-11-11", "a.example", "complaint", tenant="t", stream="new")   # 1 %, now
    ), file_stem="e")
    con = open_lake(tmp_path)
    try:
        h = one(con, "SELECT streams_over, streams_warn, complaints, first_day FROM v_headline")
        assert h == {"streams_over": 1, "streams_warn": 0, "complaints": 3, "first_day": date(2026, 11, 1)}
        status = {r["stream"]: r["status"] for r in rows(con, "SELECT * FROM v_complaint_status")}
        assert status == {"old": "warn", "new": "over"}  # whole period: 2 / 1100 for "old"
    finally:
        con.close()


def test_dmarc_failure_reports_per_domain_source_and_day(con):
    assert rows(con, "SELECT * FROM v_dmarc_failures") == [{
        "day": date(2026, 11, 8), "domain": "example.com", "source_ip": "203.0.113.9", "reports": 3,
        "auth_failures": ["dkim", "dmarc", "spf"], "delivery_results": ["delivered", "reject"],
        "reporting_mtas": ["mx.google.com"], "example_mail_from": "x0@example.com",
        "example_subject": "Invoice 0"}]


def test_each_sql_statement_is_run_on_its_own():
    from connectors.views import analytics_sql

    statements = analytics_sql()
    assert all(st.count("CREATE OR REPLACE") == 1 for _, st in statements)
    created = {re.search(r"CREATE OR REPLACE (?:VIEW|MACRO|TABLE) (\w+)", st).group(1) for _, st in statements}
    assert set(VIEWS) <= created and {"bp_rate", "bounce_trend", "dmarc_new_sources"} <= created


def test_a_broken_view_is_skipped_unless_strict(tmp_path, caplog):
    from connectors.duck import connect
    from connectors.views import register_analytics

    con = connect(tmp_path, analytics=False)
    try:
        con.execute("CREATE OR REPLACE VIEW tls_reports AS SELECT 1 AS nothing_useful")
        register_analytics(con)  # what connectors.duck.connect does: keep going
        assert "40_tls.sql" in caplog.text
        assert con.execute("SELECT count(*) FROM v_complaint_rate").fetchall() == [(0,)]
        with pytest.raises(RuntimeError, match="40_tls.sql"):
            register_analytics(con, strict=True)
    finally:
        con.close()
