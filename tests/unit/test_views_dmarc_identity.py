"""DMARC source identity (parsedmarc's offline data, a reverse-DNS cache, no network) and
readiness per source over a trailing window, honouring sp / pct and subdomain inheritance."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from connectors.lake import LakeWriter
from connectors.views import open_lake
from connectors.views.lookups import identify_ip, identify_sources, lookup_mx
from tests.unit.test_views import dmarc

VENDOR_IP = "8.8.8.8"   # in parsedmarc's IPinfo Lite database as AS15169 Google LLC


def rows(con, sql):
    cur = con.execute(sql)
    return [dict(zip([d[0] for d in cur.description], r)) for r in cur.fetchall()]


def auth(row, dkim=(), spf=()):
    row["dkim_results"] = [dict(domain=d, selector=s, result=r) for d, s, r in dkim]
    row["spf_results"] = [dict(domain=d, result=r) for d, r in spf]
    return row


def build(lake) -> None:
    recs = []
    for d in range(1, 41):  # 40 days; the trailing window is the last 30 (11-11 .. 12-10)
        day = f"2026-{11 if d <= 30 else 12}-{(d - 1) % 30 + 1:02d}"
        # example.com: its own MTA always aligned
        recs.append(auth(dmarc(day, "example.com", "192.0.2.1", 100, True, report=f"a{d}"),
                         dkim=[("example.com", "s1", "pass")], spf=[("example.com", "pass")]))
        # a vendor never aligned but DKIM-signing as itself, from a named service (Google)
        recs.append(auth(dmarc(day, "example.com", VENDOR_IP, 5, False, report=f"a{d}", idx=1),
                         dkim=[("vendor.example", "k1", "pass")], spf=[("bounce.vendor.example", "pass")]))
        # spoofing from an unnamed network: nothing passes
        recs.append(dmarc(day, "example.com", "203.0.113.9", 3, False, report=f"a{d}", idx=2))
        # mail.shop.example: a subdomain of shop.example (p=none, sp=reject, pct=50)
        r = dmarc(day, "mail.shop.example", "192.0.2.7", 20, True, report=f"s{d}", p="none",
                  policy_domain="shop.example")
        r.update(policy_sp="reject", policy_pct="50")
        recs.append(r)
        # old.example: a source failed badly only in the first 10 days (outside the window)
        ok = d > 10
        recs.append(dmarc(day, "old.example", "192.0.2.9", 100, True, report=f"o{d}"))
        recs.append(dmarc(day, "old.example", "192.0.2.9", 0 if ok else 50, False, report=f"o{d}", idx=1))
    LakeWriter(lake).write("dmarc_aggregate", recs, file_stem="dmarc")


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    root = tmp_path_factory.mktemp("dmarc")
    build(root)
    now = datetime(2026, 12, 11, tzinfo=timezone.utc)
    ptr = {VENDOR_IP: "dns.google.", "192.0.2.1": "mta1.example.com"}
    assert identify_sources(root, resolve_ptr=ptr.get, now=now) == 5
    assert identify_sources(root, resolve_ptr=ptr.get, now=now) == 0  # cached
    return root


@pytest.fixture(scope="module")
def con(lake):
    c = open_lake(lake)
    yield c
    c.close()


def test_identity_is_offline_from_parsedmarcs_data():
    row = identify_ip(VENDOR_IP)
    assert (row["asn"], row["as_name"], row["country"], row["rdns_status"], row["reverse_dns"]) == (
        15169, "Google LLC", "US", "offline", None)
    assert row["service_name"].startswith("Google")     # parsedmarc's map, via the AS domain
    failed = identify_ip("192.0.2.1", resolve_ptr=lambda ip: (_ for _ in ()).throw(OSError("timeout")))
    assert failed["rdns_status"] == "error"


def test_sources_carry_identity_and_auth_domains(con):
    got = {r["source_ip"]: r for r in rows(con, "SELECT * FROM v_dmarc_sources WHERE domain = 'example.com'")}
    vendor = got[VENDOR_IP]
    assert (vendor["reverse_dns"], vendor["base_domain"], vendor["asn"], vendor["country"]) == (
        "dns.google", "dns.google", 15169, "US")
    assert (vendor["dkim_ids"], vendor["spf_domains"], vendor["authenticated"], vendor["known"]) == (
        ["vendor.example/k1"], ["bounce.vendor.example"], True, False)
    assert got["192.0.2.1"]["reverse_dns"] == "mta1.example.com"
    assert got["203.0.113.9"]["authenticated"] is False and got["203.0.113.9"]["asn"] is None


def test_source_readiness_equals_independent_sql(con):
    view = rows(con, """SELECT domain, source_ip, messages, pass_messages, fail_messages
                        FROM v_dmarc_source_readiness ORDER BY ALL""")
    direct = rows(con, """
        SELECT lower(header_from) AS domain, source_ip, sum(message_count) AS messages,
               sum(message_count) FILTER (WHERE dmarc_aligned) AS pass_messages,
               sum(message_count) FILTER (WHERE NOT dmarc_aligned) AS fail_messages
        FROM dmarc_aggregate
        WHERE CAST(begin_date AS DATE) > (SELECT max(CAST(begin_date AS DATE)) FROM dmarc_aggregate) - 30
        GROUP BY ALL ORDER BY ALL""")
    assert [{k: (v or 0) if isinstance(v, int | None) and k.endswith("messages") else v for k, v in r.items()}
            for r in direct] == view


def test_a_named_vendor_that_never_aligns_is_legitimate_and_blocks_enforcement(con):
    src = {r["source_ip"]: r for r in rows(con, "SELECT * FROM v_dmarc_source_readiness WHERE domain = 'example.com'")}
    assert src[VENDOR_IP]["source_class"] == "sending_service"
    assert src["203.0.113.9"]["source_class"] == "unknown"
    assert src["192.0.2.1"]["source_class"] == "aligned"
    ex = rows(con, "SELECT * FROM v_dmarc_readiness WHERE domain = 'example.com'")[0]
    # 30 days x 5 = 150 vendor messages, all failing: not ready, whatever the aligned MTA does
    assert (ex["vendor_sources"], ex["failing_sources"], ex["worst_source_ip"], ex["verdict"]) == (
        1, 1, VENDOR_IP, "not_ready")
    assert (ex["messages"], ex["known_messages"], ex["unknown_messages"]) == (3240, 3150, 90)
    assert (ex["affected_messages"], ex["legit_at_risk"]) == (240, 150)


def test_subdomain_inherits_sp_and_pct_below_100_is_not_at_reject(con):
    sub = rows(con, "SELECT * FROM v_dmarc_readiness WHERE domain = 'mail.shop.example'")[0]
    assert (sub["policy_p"], sub["policy_sp"], sub["policy_pct"], sub["current_policy"]) == ("none", "reject", 50, "reject")
    assert sub["verdict"] == "ready_for_reject" and sub["next_step"] == "raise pct to 100 at p=reject"


def test_readiness_uses_the_trailing_window_only(con):
    old = rows(con, "SELECT * FROM v_dmarc_readiness WHERE domain = 'old.example'")[0]
    assert (old["window_start"], old["window_end"], old["report_days"]) == (date(2026, 11, 11), date(2026, 12, 10), 30)
    assert old["pass_rate"] == 1.0 and old["verdict"] == "ready_for_reject"
    whole = rows(con, "SELECT verdict FROM dmarc_readiness(40) WHERE domain = 'old.example'")[0]
    assert whole["verdict"] == "not_ready"   # the old failures, 500 of 4,500, count over 40 days


def test_p_quarantine_domain_is_told_what_reject_would_reject(tmp_path):
    recs = [dmarc(f"2026-11-{d:02d}", "q.example", "192.0.2.1", 1000, True, p="quarantine", report=f"r{d}")
            for d in range(1, 11)]
    recs += [dmarc(f"2026-11-{d:02d}", "q.example", "203.0.113.5", 40, False, p="quarantine",
                   disposition="quarantine", report=f"r{d}", idx=1) for d in range(1, 11)]
    LakeWriter(tmp_path).write("dmarc_aggregate", recs, file_stem="d")
    c = open_lake(tmp_path)
    try:
        q = rows(c, "SELECT * FROM v_dmarc_readiness")[0]
    finally:
        c.close()
    assert (q["current_policy"], q["fail_messages"], q["acted_messages"], q["affected_messages"], q["verdict"],
            q["next_step"]) == ("quarantine", 400, 400, 400, "ready_for_reject", "move to p=reject")


def test_mx_lookup_is_cached_and_failures_are_recorded(tmp_path):
    import dns.resolver

    from tests.unit.test_views import ev

    LakeWriter(tmp_path).write("events", ev("2026-11-01", "corp.example", "delivered", 2)
                               + ev("2026-11-01", "gone.example", "delivered")
                               + ev("2026-11-01", "gmail.com", "delivered"), file_stem="e")

    def fake(domain):
        if domain == "gone.example":
            raise dns.resolver.NXDOMAIN()
        return ["aspmx.l.google.com"]
    now = datetime(2026, 11, 2, tzinfo=timezone.utc)
    assert lookup_mx(tmp_path, fake, now=now) == 2          # gmail.com is known by name
    assert lookup_mx(tmp_path, fake, now=now) == 0          # cached
    c = open_lake(tmp_path)
    try:
        got = dict(c.execute("SELECT recipient_domain, provider FROM v_recipient_provider").fetchall())
        status = dict(c.execute("SELECT domain, status FROM v_mx_latest").fetchall())
    finally:
        c.close()
    assert got == {"corp.example": "Google", "gone.example": "Other", "gmail.com": "Google"}
    assert status == {"corp.example": "ok", "gone.example": "nxdomain"}
