"""Mail-provider bounce dialects (pipeline/dsn/dialects/lhost_<provider>.py).

Hand-written fixtures in tests/fixtures/lhost_providers/ imitate each provider's format (made-up
addresses); the corpus check at the end runs only when the shared Sisimai corpus is present.
"""
from __future__ import annotations

import email
import json
import os
import re
from pathlib import Path

import pytest

from pipeline.dsn import dialects as dialect_registry
from pipeline.dsn.engine import read_bounce
from pipeline.mime.view import MailView

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "lhost_providers"
PROVIDERS = ("amazonses", "receivingses", "amazonworkmail", "yahoo", "googlegroups", "gmail",
             "googleworkspace", "mailru", "ezweb", "kddi", "biglobe", "gmx", "outlook", "zoho",
             "sendgrid", "einsundeins", "verizon", "yandex")
MODULES = tuple(f"lhost-{p}" for p in PROVIDERS)


def load(data: bytes) -> MailView:
    if data.startswith(b"From "):       # mbox separator line, any newline convention
        data = re.split(rb"\r\n|\r|\n", data, maxsplit=1)[-1]
    return MailView(email.message_from_bytes(data))


def fixture(name: str) -> MailView:
    return load((FIXTURES / name).read_bytes())


def my_dialects():
    return [d for d in dialect_registry.dialects() if d.name in MODULES]


# file -> (dialect, [(recipient, action, status, reply_code, reason)])
EXPECTED = {
    "amazonses_dsn.eml": ("lhost-amazonses", [
        ("gone@dest.example.test", "failed", "5.1.1", 550, None)]),
    # Status 5.0.0 only: the quoted remote reply inside the diagnostic carries 5.7.1.
    "amazonses_2011.eml": ("lhost-amazonses", [
        ("locked@dest.example.test", "failed", "5.7.1", 550, None)]),
    # SES expiry wraps the last remote reply: <421 4.4.2 ...> wins over 554 4.4.7.
    "amazonses_expired.eml": ("lhost-amazonses", [
        ("slow@dest.example.test", "failed", "4.4.2", 421, "expired")]),
    "amazonses_sns_bounce.eml": ("lhost-amazonses", [
        ("full@dest.example.test", "failed", "5.2.2", 552, "mailboxfull")]),
    "amazonses_sns_complaint.eml": ("lhost-amazonses", [
        ("angry@dest.example.test", None, None, None, "feedback")]),
    "receivingses_crlf.eml": ("lhost-receivingses", [
        ("big@inbound.example.test", "failed", "5.2.3", 552, None)]),
    "amazonworkmail.eml": ("lhost-amazonworkmail", [
        ("full@dest.example.test", "failed", "5.2.2", 550, None)]),
    "yahoo.eml": ("lhost-yahoo", [
        ("full@dest.example.test", "failed", "5.2.2", 552, None),
        ("nomx@nomx.example.test", "failed", None, None, "notaccept")]),
    # "(state 14)" says userunknown, but the specific 5.2.2 in the reply outranks it.
    "gmail_state14.eml": ("lhost-gmail", [
        ("full@dest.example.test", "failed", "5.2.2", 550, None)]),
    "gmail_delayed.eml": ("lhost-gmail", [
        ("far@down.example.test", "delayed", None, None, "expired")]),
    "googlegroups.eml": ("lhost-googlegroups", [
        ("closed-list@groups.example.test", "failed", None, None, "rejected")]),
    "googleworkspace.eml": ("lhost-googleworkspace", [
        ("friend@dest.example.test", "failed", None, None, "rejected")]),
    "mailru.eml": ("lhost-mailru", [
        ("gone@dest.example.test", "failed", "5.1.1", 550, None),
        ("nyan@nowhere.example.test", "failed", None, None, "hostunknown")]),
    "ezweb_rcpt.eml": ("lhost-ezweb", [
        ("nobody@ezweb.ne.jp", "failed", None, 550, "userunknown")]),
    "kddi_sjis.eml": ("lhost-kddi", [
        ("full@a1b2c3.dion.ne.jp", "failed", None, None, "mailboxfull")]),
    "biglobe.eml": ("lhost-biglobe", [
        ("full@mxr.biglobe.ne.jp", "failed", None, None, "mailboxfull")]),
    "gmx.eml": ("lhost-gmx", [
        ("gone@dest.example.test", "failed", "5.1.1", None, None),
        ("late@slow.example.test", "failed", None, None, "expired")]),
    "outlook_noconnect.eml": ("lhost-outlook", [
        ("far@down.example.test", "failed", "4.4.7", None, None)]),
    "zoho.eml": ("lhost-zoho", [
        ("gone@dest.example.test", "failed", "5.1.1", 550, None),
        ("late@slow.example.test", "failed", None, 421, "expired")]),
    "sendgrid.eml": ("lhost-sendgrid", [
        ("gone@dest.example.test", "failed", "5.1.1", 550, None)]),
    "einsundeins.eml": ("lhost-einsundeins", [
        ("big@dest.example.test", "failed", None, None, "mesgtoobig")]),
    "verizon.eml": ("lhost-verizon", [
        ("5550100@vtext.com", "failed", None, 550, "userunknown")]),
    "verizon_vzwpix.eml": ("lhost-verizon", [
        ("5550199@vzwpix.com", "failed", None, None, "userunknown")]),
    "yandex.eml": ("lhost-yandex", [
        ("full@dest.example.test", "delayed", "4.2.2", 452, None)]),
}


def test_every_provider_has_a_registered_dialect_and_a_fixture():
    names = {d.name for d in my_dialects()}
    assert names == set(MODULES)
    assert {dialect for dialect, _ in EXPECTED.values()} == set(MODULES)
    # providers are tried before the MTA software (their markers are the more specific)
    from pipeline.dsn.dialects.order import RANK

    assert all(d.order < RANK["lhost-exim"] for d in my_dialects())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_is_read_by_its_dialect(name):
    dialect, want = EXPECTED[name]
    report = read_bounce(fixture(name))
    assert report is not None
    assert report.dialect == dialect
    got = [(r.recipient, r.action, r.status, r.reply_code, r.reason) for r in report.recipients]
    assert got == want
    for r in report.recipients:
        assert (r.reason_rule is None) == (r.reason is None)
        assert r.diagnostic is None or "\n" not in r.diagnostic


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_other_provider_dialects_reject_the_fixture(name):
    own, _ = EXPECTED[name]
    mail = fixture(name)
    claimed = [d.name for d in my_dialects() if d.name != own and d.inquire(mail) is not None]
    assert claimed == []


@pytest.mark.parametrize("newline", [b"\r\n", b"\r"])
@pytest.mark.parametrize("name", ["gmail_state14.eml", "yahoo.eml", "mailru.eml",
                                  "amazonses_dsn.eml", "zoho.eml", "kddi_sjis.eml"])
def test_newline_variants_parse_the_same(name, newline):
    data = (FIXTURES / name).read_bytes().replace(b"\r\n", b"\n")
    want = read_bounce(load(data))
    got = read_bounce(load(data.replace(b"\n", newline)))
    assert got is not None and want is not None
    assert [(r.recipient, r.status, r.reply_code, r.reason) for r in got.recipients] == \
        [(r.recipient, r.status, r.reply_code, r.reason) for r in want.recipients]


def test_returned_message_details():
    ses = read_bounce(fixture("amazonses_dsn.eml"))
    assert ses.original.message_id == "sale-1@shop.example.test"
    assert ses.original.subject == "Spring sale"
    assert ses.original.tags == {"x-campaign": "spring26"}
    sns = read_bounce(fixture("amazonses_sns_bounce.eml"))
    assert sns.original.message_id == "0101-abc"
    assert sns.original.sender == "sender@shop.example.test"
    assert sns.original.tags == {"x-stream": "receipts"}
    yahoo = read_bounce(fixture("yahoo.eml"))        # pasted after "--- Below this line ..."
    assert (yahoo.original.message_id, yahoo.original.subject) == (
        "picnic-1@yahoo.example.test", "Picnic")
    verizon = read_bounce(fixture("verizon.eml"))    # only the "Message details" summary
    assert (verizon.original.sender, verizon.original.subject) == (
        "sender@shop.example.test", "Alert")


def test_session_details():
    complaint = read_bounce(fixture("amazonses_sns_complaint.eml")).recipients[0]
    assert complaint.feedback_type == "abuse"
    gmail = read_bounce(fixture("gmail_state14.eml")).recipients[0]
    assert gmail.command == "RCPT"
    mailru = read_bounce(fixture("mailru.eml")).recipients[0]
    assert (mailru.command, mailru.remote_mta) == ("RCPT", "mx.dest.example.test")
    ezweb = read_bounce(fixture("ezweb_rcpt.eml")).recipients[0]
    assert ezweb.command == "RCPT" and ezweb.reason_rule == "ezweb.rejected-at-rcpt"
    kddi = read_bounce(fixture("kddi_sjis.eml")).recipients[0]
    assert kddi.arrival_date is not None and kddi.arrival_date.year == 2026


def test_spasign_ng_means_filtered():
    data = (FIXTURES / "ezweb_rcpt.eml").read_bytes().replace(
        b"MIME-Version: 1.0\n", b"MIME-Version: 1.0\nX-SPASIGN: NG\n", 1)
    r = read_bounce(load(data)).recipients[0]
    assert (r.reason, r.reason_rule) == ("filtered", "ezweb.x-spasign-ng")


NOT_PROVIDER_BOUNCES = [
    b"From: alice@example.test\nTo: bob@example.test\nSubject: Delivery Status Notification\n\n"
    b"Delivery to the following recipient failed permanently:\n     x@example.test\n",
    b"From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\nSubject: hello\n\nhi\n",
    b"From: MAILER-DAEMON@mx.example.test\nSubject: Undelivered Mail Returned to Sender\n\n"
    b"This is the mail system at host mx.example.test.\n<x@example.test>: host said: 550 5.1.1\n",
    b"",
    b"\x00\xff\xfe garbage \r\r\n\n",
]


@pytest.mark.parametrize("data", NOT_PROVIDER_BOUNCES)
def test_no_provider_dialect_claims_other_mail(data):
    mail = load(data)
    assert [d.name for d in my_dialects() if d.inquire(mail) is not None] == []


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_truncated_input_never_raises(name):
    data = (FIXTURES / name).read_bytes()
    for cut in range(0, len(data), max(1, len(data) // 23)):
        mail = load(data[:cut])
        for d in my_dialects():
            d.inquire(mail)          # must not raise; None or a partial report are both fine


# --- the shared Sisimai corpus (skipped when absent) -------------------------------------------

def _corpus() -> Path | None:
    env = os.environ.get("BOUNCEPIPE_CORPUS")
    repo = Path(__file__).resolve().parents[2]
    for base in ([Path(env)] if env else []) + [repo.parent / "shared" / "corpus"]:
        for path in (base / "bounces", base):
            if (path / "labels.jsonl").is_file():
                return path
    return None


CORPUS = _corpus()
PSEUDO_STATUS = re.compile(r"^[245]\.0\.9\d\d$")


def _corpus_rows() -> dict[str, list[dict]]:
    rows: dict[str, list[dict]] = {}
    if CORPUS is None:
        return rows
    for line in (CORPUS / "labels.jsonl").read_text(encoding="utf-8").splitlines():
        label = json.loads(line)
        if label["source_module"] in MODULES:
            rows.setdefault(label["file"], []).append(label)
    return rows


CORPUS_ROWS = _corpus_rows()


@pytest.mark.skipif(CORPUS is None, reason="bounce corpus not found (BOUNCEPIPE_CORPUS)")
@pytest.mark.parametrize("file", sorted(CORPUS_ROWS))
def test_corpus_file_matches_sisimai(file):
    labels = sorted(CORPUS_ROWS[file], key=lambda lab: lab["recipient_index"])
    report = read_bounce(load((CORPUS / "emails" / file).read_bytes()))
    assert report is not None and report.dialect == labels[0]["source_module"]
    assert len(report.recipients) == labels[0]["recipients_in_file"]
    for label, got in zip(labels, report.recipients):
        want_status = label["delivery_status"]
        if want_status and not PSEUDO_STATUS.match(want_status):
            assert got.status == want_status
        want_reply = int(label["reply_code"]) if label["reply_code"] else None
        assert got.reply_code == want_reply
        if got.reason is not None:       # only where the dialect itself decided
            assert got.reason == label["reason"]
