"""RFC 3464 parser (pipeline/dsn/rfc3464.py) and DSN field helpers, on hand-written fixtures."""
from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.core import parse_email, process_bytes
from pipeline.dsn import fields, rfc3464
from pipeline.mime import addresses, codes
from pipeline.mime.view import MailView

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bounces"


def view(name: str) -> MailView:
    return MailView(parse_email((FIXTURES / name).read_bytes()))


def test_crlf_two_recipients_and_returned_headers():
    report = rfc3464.inquire(view("rfc3464_crlf_two_recipients.eml"))
    assert report is not None and report.dialect == "rfc3464"
    alice, bob = report.recipients
    assert alice.recipient == "Alice@Example.ORG"
    assert alice.status == "5.1.1" and alice.reply_code == 550 and alice.action == "failed"
    # continuation line folded, "smtp;" stripped
    assert alice.diagnostic == ("550 5.1.1 <alice@example.org>: Recipient address rejected: "
                                "User unknown in local recipient table")
    assert alice.diagnostic_type == "SMTP"
    assert alice.remote_mta == "mx.example.org" and alice.reporting_mta == "mx.sender.example"
    assert bob.status == "5.2.2" and bob.extra["x-custom-field"] == "kept"
    original = report.original
    assert original.message_id == "msg-0001@sender.example"
    assert original.sender == "news@sender.example"
    assert original.list_id == "news.sender.example"
    assert original.feedback_id == "42:campaign-7:newsletter:sender"
    assert original.tags == {"x-campaign": "campaign-7", "x-stream": "newsletter",
                             "x-tenant": "tenant-a"}


def test_base64_encoded_delivery_status_part():
    report = rfc3464.inquire(view("rfc3464_base64_delivery_status.eml"))
    assert report is not None
    (rep,) = report.recipients
    assert rep.recipient == "carol@example.com" and rep.status == "5.7.1"


def test_missing_blank_line_and_recipient_field_last():
    report = rfc3464.inquire(view("rfc3464_no_blank_line_recipient_last.eml"))
    assert report is not None
    (rep,) = report.recipients
    assert rep.recipient == "dave@example.com"
    assert rep.status == "5.7.1" and rep.action == "failed"
    assert "Relay access denied" in rep.diagnostic


def test_cr_only_newlines_parse_like_lf():
    raw = (FIXTURES / "rfc3464_crlf_two_recipients.eml").read_bytes()
    cr = raw.replace(b"\r\n", b"\r")
    a = rfc3464.inquire(MailView(parse_email(raw)))
    b = rfc3464.inquire(MailView(parse_email(cr)))
    assert [r.recipient for r in a.recipients] == [r.recipient for r in b.recipients]
    assert [r.status for r in a.recipients] == [r.status for r in b.recipients]


def test_split_blocks_original_after_final_is_one_recipient():
    message, reports = rfc3464.parse_dsn_text(
        "Reporting-MTA: dns; a.example\n\nFinal-Recipient: rfc822; x@y.example\n"
        "Original-Recipient: rfc822; x@y.example\nAction: failed\nStatus: 5.4.4\n")
    assert message["reporting-mta"] == "dns; a.example"
    assert [r.recipient for r in reports] == ["x@y.example"]


def test_split_blocks_recipients_without_blank_line():
    _, reports = rfc3464.parse_dsn_text(
        "Final-Recipient: rfc822; a@x.example\nStatus: 5.1.1\n"
        "Final-Recipient: rfc822; b@x.example\nStatus: 4.2.2\n")
    assert [(r.recipient, r.status) for r in reports] == [("a@x.example", "5.1.1"),
                                                           ("b@x.example", "4.2.2")]


def test_not_a_dsn_returns_none():
    assert rfc3464.inquire(view("not_a_bounce_plain_mail.eml")) is None


@pytest.mark.parametrize("text,status,reply", [
    ("550 5.1.1 <a@b> User unknown", "5.1.1", 550),
    ("said: 421-4.7.0 try later", "4.7.0", 421),
    ("Mailbox full", None, None),
    ("error 12550 at 10.5.1.1", None, None),
])
def test_status_and_reply_code_in_text(text, status, reply):
    assert codes.status_in(text) == status
    assert codes.reply_code_in(text) == reply


def test_address_helpers():
    assert addresses.address("rfc822; <Foo@Example.COM>") == "Foo@Example.COM"
    assert addresses.normalise_address("rfc822; <Foo@Example.COM>") == "foo@example.com"
    assert addresses.address("undisclosed") is None
    assert fields.strip_type("smtp; 550 nope") == "550 nope"


def test_events_are_normalised_and_deterministic():
    raw = (FIXTURES / "rfc3464_crlf_two_recipients.eml").read_bytes()
    first = process_bytes(raw).events
    again = process_bytes(raw).events
    assert [e.event_id for e in first] == [e.event_id for e in again]
    assert len({e.event_id for e in first}) == 2
    alice = first[0]
    assert alice.recipient == "alice@example.org" and alice.recipient_domain == "example.org"
    assert alice.category == "hard_bounce" and alice.reason == "userunknown"
    assert alice.sender == "news@sender.example" and alice.sender_domain == "sender.example"
    assert alice.message_id == "msg-0001@sender.example" and alice.subject == "November news"
    assert (alice.campaign, alice.stream, alice.tenant) == ("campaign-7", "newsletter", "tenant-a")
    assert alice.source_kind == "dsn" and alice.parser.startswith("dsn.")
    assert alice.occurred_at.isoformat().startswith("2026-11-02T09:59")
    bob = first[1]
    assert (bob.category, bob.reason, bob.status, bob.reply_code) == (
        "soft_bounce", "mailboxfull", "5.2.2", 552)


def test_status_comment_action_comment_and_multiline_reply():
    _, (rep,) = rfc3464.parse_dsn_text(
        "Reporting-MTA: dns; mx.a.example\n\n"
        "Final-Recipient: rfc822; Zed@B.example\n"
        "Action: failed (permanent)\n"
        "Status: 5.7.1 (delivery not authorized)\n"
        "Diagnostic-Code: smtp; 550-5.7.1 [192.0.2.1] Our system has detected that this\n"
        "    550-5.7.1 message is likely unsolicited mail. To reduce the amount of spam\n"
        "    550 5.7.1 sent to Gmail, this message has been blocked.\n")
    assert (rep.action, rep.status, rep.reply_code) == ("failed", "5.7.1", 550)
    assert rep.diagnostic.startswith("550-5.7.1 [192.0.2.1] Our system")
    from pipeline.dsn.events import clean_diagnostic
    cleaned = clean_diagnostic(rep.diagnostic, 550, "5.7.1")
    assert cleaned.startswith("550 5.7.1 [192.0.2.1] Our system") and "550-" not in cleaned


def test_global_delivery_status_with_utf8_address():
    raw = ("From: MAILER-DAEMON@x.example\nSubject: failure\nMIME-Version: 1.0\n"
           "Content-Type: multipart/report; report-type=global-delivery-status; boundary=g\n\n"
           "--g\nContent-Type: message/global-delivery-status\n\n"
           "Reporting-MTA: dns; x.example\n\n"
           "Final-Recipient: utf-8; rené@exämple.example\nAction: failed\nStatus: 5.1.1\n"
           "--g--\n").encode("utf-8")
    report = rfc3464.inquire(MailView(parse_email(raw)))
    assert report is not None
    assert report.recipients[0].status == "5.1.1"
    assert report.recipients[0].recipient == "rené@exämple.example"  # 8-bit UTF-8 kept


def test_8bit_utf8_headers_of_the_returned_message_survive():
    raw = ("From: MAILER-DAEMON@x.example\nSubject: failure\nMIME-Version: 1.0\n"
           "Content-Type: multipart/report; report-type=delivery-status; boundary=g\n\n"
           "--g\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; x.example\n\n"
           "Final-Recipient: rfc822; a@b.example\nAction: failed\nStatus: 5.1.1\n\n"
           "--g\nContent-Type: text/rfc822-headers\n\n"
           "From: Zoë <z@s.example>\nSubject: Ünïcode sübject\nTo: a@b.example\n\n--g--\n"
           ).encode("utf-8")
    (ev,) = process_bytes(raw).events
    assert (ev.subject, ev.sender) == ("Ünïcode sübject", "z@s.example")


@pytest.mark.parametrize("stated,diag,want", [
    ("RCPT TO", None, "RCPT"), ("END", None, "DATA"), ("end of DATA", None, "DATA"),
    (None, "550 nope (in reply to RCPT TO command)", "RCPT"),
    (None, "550 nope (in reply to end of DATA command)", "DATA"),
    (None, "in reply to the message you sent", None), (None, None, None),
])
def test_smtp_command_normalisation(stated, diag, want):
    from pipeline.dsn.events import smtp_command
    assert smtp_command(stated, diag) == want
