"""The bounce engine and handlers: dialect order, failure isolation, ARF/auto-reply routing."""
from __future__ import annotations

from pathlib import Path

from pipeline import classify_message
from pipeline.core import parse_email, process_bytes
from pipeline.dsn import engine
from pipeline.dsn.dialects import Dialect
from pipeline.mime.view import MailView
from schemas.models import NotParsed

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bounces"


def test_a_raising_dialect_is_skipped(monkeypatch):
    def boom(mail):
        raise RuntimeError("dialect bug")

    monkeypatch.setattr(engine, "dialects", lambda: [Dialect("lhost-broken", 1, boom)])
    mail = MailView(parse_email((FIXTURES / "rfc3464_delayed_expired.eml").read_bytes()))
    report = engine.read_bounce(mail)
    assert report is not None and report.dialect == "rfc3464"


def test_a_raising_dialect_on_a_non_bounce_is_a_parse_error(monkeypatch):
    def boom(mail):
        raise RuntimeError("dialect bug")

    monkeypatch.setattr(engine, "dialects", lambda: [Dialect("lhost-broken", 1, boom)])
    out = process_bytes((FIXTURES / "not_a_bounce_plain_mail.eml").read_bytes())
    assert not out.events
    assert "lhost-broken: RuntimeError: dialect bug" in out.dead_letters[0].reason


def test_delayed_dsn_is_expired_soft_bounce():
    (ev,) = classify_message((FIXTURES / "rfc3464_delayed_expired.eml").read_bytes())
    assert (ev.category, ev.reason, ev.status, ev.action) == (
        "soft_bounce", "expired", "4.4.7", "delayed")


def test_receiving_provider_override_decides():
    (ev,) = classify_message((FIXTURES / "rhost_gmail_userunknown.eml").read_bytes())
    assert (ev.category, ev.reason, ev.rule, ev.provider) == (
        "hard_bounce", "userunknown", "rhost.google.userunknown", "google")


def test_arf_abuse_gives_one_complaint_per_original_rcpt_to():
    events = classify_message((FIXTURES / "arf_abuse_two_recipients.eml").read_bytes())
    assert [e.recipient for e in events] == ["grace@isp.example", "heidi@isp.example"]
    for ev in events:
        assert (ev.category, ev.reason, ev.feedback_type, ev.source_kind) == (
            "complaint", "feedback", "abuse", "arf")
        assert ev.rule == "arf.feedback-type.abuse" and ev.message_id == "offer-9@sender.example"
        assert ev.tags["arf.source-ip"] == "192.0.2.10"
        assert ev.occurred_at.isoformat().startswith("2026-11-04T11:00")


def test_arf_auth_failure_is_an_auth_failure_event():
    events = classify_message((FIXTURES / "arf_auth_failure.eml").read_bytes())
    assert [(e.recipient, e.category, e.feedback_type) for e in events] == [
        ("ivan@receiver.example", "auth_failure", "auth-failure")]


def test_auto_reply_is_vacation_not_a_failure():
    (ev,) = classify_message((FIXTURES / "autoreply_out_of_office.eml").read_bytes())
    assert (ev.recipient, ev.category, ev.reason, ev.source_kind) == (
        "judy@client.example", "other", "vacation", "autoreply")


def test_plain_mail_is_dead_lettered_not_supported():
    result = classify_message((FIXTURES / "not_a_bounce_plain_mail.eml").read_bytes())
    assert isinstance(result, NotParsed)
    assert result.error_type == "NotSupported" and "not supported" in result.reason


def test_cr_only_mbox_message_keeps_its_headers():
    raw = (FIXTURES / "rfc3464_delayed_expired.eml").read_bytes()
    mbox_cr = b"From MAILER-DAEMON Mon Nov  2 10:00:00 2026\r" + raw.replace(b"\n", b"\r")
    (ev,) = classify_message(mbox_cr)
    assert (ev.recipient, ev.reason) == ("erin@slow.example", "expired")


def test_too_many_mime_parts_is_a_limit_dead_letter():
    parts = b"".join(b"--p\nContent-Type: text/plain\n\nx\n" for _ in range(600))
    raw = (b"From: MAILER-DAEMON@x.example\nSubject: fail\nMIME-Version: 1.0\n"
           b"Content-Type: multipart/mixed; boundary=p\n\n" + parts + b"--p--\n")
    out = process_bytes(raw)
    assert not out.events
    assert out.dead_letters[0].error_type == "LimitExceeded"
    assert "max_mime_parts" in out.dead_letters[0].reason


def test_every_receiving_provider_module_is_registered():
    from pipeline.classify.rhosts import rhosts

    names = {r.name for r in rhosts()}
    assert {"google", "microsoft", "outlook", "aol", "yahooinc", "cox", "franceptt", "gsuite",
            "nttdocomo", "messagelabs", "apple", "tencent", "facebook", "godaddy", "kddi",
            "mimecast", "spectrum", "iua"} <= names


def test_a_dsn_without_any_address_is_a_parse_error():
    raw = (b"From: MAILER-DAEMON@x.example\nSubject: Undelivered\nMIME-Version: 1.0\n"
           b"Content-Type: multipart/report; report-type=delivery-status; boundary=z\n\n"
           b"--z\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; x.example\n\n"
           b"Final-Recipient: rfc822; not-an-address\nAction: failed\nStatus: 5.1.1\n--z--\n")
    out = process_bytes(raw)
    assert not out.events
    assert out.dead_letters[0].error_type in ("ParseError", "NotSupported")


def test_classify_messages_answers_each_payload_as_classify_message_does():
    from datetime import datetime, timezone

    from pipeline import classify_messages

    when = datetime(2026, 1, 1, tzinfo=timezone.utc)
    payloads = [p.read_bytes() for p in sorted(FIXTURES.glob("*.eml"))] + [b"", b"junk"]
    one_by_one = [classify_message(p, received_at=when) for p in payloads]
    together = list(classify_messages(iter(payloads), received_at=when))
    assert together == one_by_one
    assert sum(isinstance(r, list) and len(r) > 0 for r in together) >= 10
    assert [type(r).__name__ for r in together[-2:]] == ["NotParsed", "NotParsed"]
