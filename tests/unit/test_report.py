"""The HTML report and its findings over the hand-made lake of test_views.py (known numbers),
the `bouncepipe report` command, and the demo lake it can build."""
from __future__ import annotations

import html
import importlib.util
import re
from datetime import datetime, timezone
from html.parser import HTMLParser
from pathlib import Path

import pytest

from connectors.views import open_lake
from connectors.cli import main
from connectors.report.findings import all_findings
from connectors.report.html import render_report

_spec = importlib.util.spec_from_file_location("views_lake", Path(__file__).with_name("test_views.py"))
views_lake = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(views_lake)


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    root = tmp_path_factory.mktemp("known-lake")
    views_lake.build_known_lake(root)
    return root


@pytest.fixture(scope="module")
def con(lake):
    connection = open_lake(lake)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def report(con):
    return render_report(con, generated_at=datetime(2026, 11, 12, 8, 0, tzinfo=timezone.utc),
                         source="known-lake")


def card(report: str, label_start: str) -> str:
    m = re.search(r'<div class="v">([^<]*)</div><div class="l">' + re.escape(label_start), report)
    assert m, label_start
    return m.group(1)


def test_findings_name_the_streams_sources_and_domains_that_need_attention(con):
    found = all_findings(con)
    assert found[0] == ("over", "Complaints: acme / promo at 0.33 % over the last 7 days (1 complaints / "
                                "300 delivered to providers that send complaints), at or over 0.30 %; "
                                "1 day(s) over 0.30 %.")
    assert ("over", "TLS: example.com had 10 failed sessions between 2026-11-05 and 2026-11-05 "
                    "(mostly certificate-expired).") in found
    new = [text for _, text in found if "new failing source" in text]
    assert new == ["DMARC: 1 new failing source(s) sending as example.com in the last 7 days (50 messages; "
                   "biggest 203.0.113.9). Yours? Authorise it (SPF/DKIM) before tightening the policy; "
                   "if not, it is spoofing."]
    ready = [text for _, text in found if text.startswith("DMARC example.com")]
    assert ready == ["DMARC example.com (p=none): ready for reject; legitimate sources pass 98.1 %; a "
                     "stricter policy would act on 66 messages in the last 30 days (16 from legitimate "
                     "sources): move to p=quarantine, then p=reject."]
    bad = [text for _, text in found if text.startswith("DMARC bad.example")]
    assert bad == ["DMARC bad.example (p=none): not ready; legitimate sources pass 90.0 % (1 source(s) "
                   "below 98 %, worst 192.0.2.50 at 90.0 %); a stricter policy would act on 160 messages "
                   "in the last 30 days (160 from legitimate sources): fix failing legitimate sources "
                   "(worst 192.0.2.50) before tightening p=none."]
    assert ("warn", "DMARC: not enough reports yet for a verdict on 1 domain(s) (fewer than 100 "
                    "messages or 7 report days): shop.example.org.") in found
    # gmail.com bounces at 14 % but on 14 messages: below the volume a finding needs
    assert not [text for _, text in found if "bounce" in text.lower()]
    assert [sev for sev, _ in found] == sorted((sev for sev, _ in found), key=["over", "warn", "ok"].index)


def test_report_headline_cards_show_the_known_numbers(report):
    assert card(report, "messages delivered") == "1,815"
    assert card(report, "bounce rate") == "0.17 %"             # 3 / (1815 + 3)
    # last 7 days, streams with delivered mail only, over mail delivered to ARF-sending
    # providers: 2 / (1815 - 12 to gmail.com) (beta's 2 complaints have no delivered mail to be
    # a rate of, so they cannot turn the card red)
    assert card(report, "complaint rate") == "0.111 %"
    assert card(report, "streams over") == "1 / 0"
    assert card(report, "addresses suppressed now") == "2"
    assert card(report, "DMARC pass rate") == "90.7 %"         # 2260 / 2491
    assert card(report, "domains ready") == "1 / 3"
    assert card(report, "unknown sources") == "1"
    assert card(report, "TLS failure rate") == "6.67 %"        # 10 / 150
    assert "TLS failure rate (10 failed of 150 sessions)" in report
    assert card(report, "inputs not understood") == "2"
    assert "Period 2026-11-10 to 2026-11-11 (UTC)" in report


def test_report_lists_findings_first_then_every_section(report):
    text = html.unescape(report)
    attention = text.index("Needs attention")
    assert attention < text.index("Complaints: acme / promo at 0.33 %") < text.index("Which domains bounce")
    for heading in ("Which domains bounce, and why", "Complaint rates against Gmail's limits",
                    "DMARC: who sends as our domains", "SMTP TLS reports",
                    "Suppressions: what was decided", "Inputs that could not be read"):
        assert text.index(heading) > attention
    assert "missing-id (not in lake)" in text      # S1's evidence that is not in the lake
    assert "203.0.113.9" in text


def test_report_is_self_contained_and_well_formed(report):
    assert report.count("<svg") == 8  # every chart has data in this lake
    for external in ("<link", "<script", "src=", "@import", "http://", "https://"):
        assert external not in report.replace("http://www.w3.org/", ""), external
    assert not re.search(r"url\((?!#)", report)  # only references inside the page
    ids = re.findall(r'\bid="([^"]+)"', report)
    assert len(ids) == len(set(ids))  # several inline SVGs: their ids must not collide

    class Checker(HTMLParser):
        void = {"meta", "br", "img", "hr", "input", "link"}

        def __init__(self):
            super().__init__()
            self.stack: list[str] = []

        def handle_starttag(self, tag, attrs):
            if tag not in self.void:
                self.stack.append(tag)

        def handle_startendtag(self, tag, attrs):
            pass

        def handle_endtag(self, tag):
            if tag in self.void:
                return
            assert self.stack and self.stack[-1] == tag, (tag, self.stack[-5:])
            self.stack.pop()

    checker = Checker()
    checker.feed(report)
    assert checker.stack == []


def test_report_command_writes_the_file(lake, tmp_path, capsys):
    out = tmp_path / "sub" / "report.html"
    assert main(["report", "--lake", str(lake), "--out", str(out), "--title", "Weekly <ops>"]) == 0
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert "<h1>Weekly &lt;ops&gt;</h1>" in text
    assert "wrote" in capsys.readouterr().err


def test_report_command_refuses_demo_into_a_lake_with_files(lake, tmp_path):
    with pytest.raises(SystemExit) as exc:
        main(["report", "--lake", str(lake), "--out", str(tmp_path / "r.html"), "--demo"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit):
        main(["report", "--lake", str(tmp_path / "absent"), "--out", str(tmp_path / "r.html")])


def test_empty_lake_report_says_so_instead_of_failing(tmp_path):
    con = open_lake(tmp_path)
    try:
        text = render_report(con)
    finally:
        con.close()
    assert "no delivery events yet" in text
    assert "<svg" not in text
    assert "Nothing stands out." in text


def test_demo_lake_tells_its_story(tmp_path):
    from connectors.report.demo import build_demo_lake

    counts = build_demo_lake(tmp_path, events=6000, days=21)
    assert counts["synthetic.events"] == 6000
    con = open_lake(tmp_path)
    try:
        trend = {r[0]: r[1] for r in con.execute(
            "SELECT recipient_domain, trend FROM v_bounce_trend").fetchall()}
        assert trend["outlook.com"] == "worse"              # outlook.com starts blocking
        ready = dict(con.execute("SELECT domain, verdict FROM v_dmarc_readiness").fetchall())
        assert ready["shop.example.org"] == "not_ready"     # a misconfigured third party
        assert con.execute("SELECT count(*) FROM v_dmarc_new_sources WHERE source_ip = '149.72.120.130'"
                           ).fetchall() == [(1,)]           # the new CRM vendor
        assert con.execute("SELECT service_name, source_class FROM v_dmarc_source_readiness "
                           "WHERE source_ip = '149.72.120.130'").fetchall() == [
            ("Twilio SendGrid", "sending_service")]         # named, authenticated, never aligned
        assert counts["ip_identity"] > 8
        missing = con.execute("SELECT count(*) FILTER (WHERE evidence_missing > 0), count(*) "
                              "FROM v_suppression_audit").fetchall()[0]
        assert 0 < missing[0] < missing[1] / 20      # ~1 % cite evidence no longer in the lake
        ruf = con.execute("SELECT sum(reports), count(DISTINCT domain) FROM v_dmarc_failures").fetchall()
        assert ruf == [(counts["synthetic.dmarc_failure"], 1)] and ruf[0][0] > 0
        examples = con.execute("SELECT count(*) FROM events WHERE source <> 'synthetic'").fetchall()[0][0]
        assert examples == counts.get("examples.events", 0) > 0
        assert render_report(con).count("<svg") == 8
    finally:
        con.close()


def test_notebook_table_renders_rates_lists_and_counts():
    from connectors.report.nb import Table

    t = Table([{"domain": "a.example", "reporters": ["google.com", "Yahoo"], "messages": 1234,
                "pass_rate": 0.5, "complaint_rate": 0.00125, "change": 0.0123, "note": None}])
    assert repr(t).splitlines() == [
        "domain     reporters          messages  pass_rate  complaint_rate  change    note",
        "a.example  google.com, Yahoo  1,234     50.00 %    0.125 %         +1.23 pp      ",
    ]
    html_text = t._repr_html_()
    assert "<td>google.com, Yahoo</td>" in html_text and '<td class="n">50.00 %</td>' in html_text
    assert repr(Table([])) == "(no rows)"


def test_synthetic_lake_is_seeded_partitioned_and_valid_against_the_contract(tmp_path):
    import pyarrow.dataset as ds

    from connectors.report.synth import SynthSpec, write_synthetic_lake
    from schemas.models import MailEvent, SuppressionEvent

    spec = SynthSpec(events=3000, days=3, seed=11)
    a, b = tmp_path / "a", tmp_path / "b"
    assert write_synthetic_lake(a, spec) == write_synthetic_lake(b, spec)
    read = lambda root, t: ds.dataset(root / t, format="parquet", partitioning="hive").to_table()  # noqa: E731
    assert read(a, "events").equals(read(b, "events"))
    assert sorted(p.parent.name for p in (a / "events").glob("*/*.parquet")) == [
        "dt=2026-10-05", "dt=2026-10-06", "dt=2026-10-07"]
    events = read(a, "events").drop(["dt"]).to_pylist()
    assert len(events) == 3000 and len({e["event_id"] for e in events}) == 3000
    for row in events[::97]:
        MailEvent.model_validate({**row, "tags": {}})
    for row in read(a, "suppressions").drop(["dt"]).to_pylist()[::7]:
        SuppressionEvent.model_validate(row)
