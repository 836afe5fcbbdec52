"""The parse speed-ups keep the stdlib's answers: the memoised content type follows header
changes, and the headers-only re-parse reads the same header block as a full parse."""
from __future__ import annotations

import email

from pipeline.core import parse_email
from pipeline.dsn.fields import original_from_headers, parse_headers
from pipeline.mime.message import CachedMessage

RETURNED = ("From: Sender <a@sender.example>\nTo: b@example.org\nSubject: hi\n"
            "Message-ID: <m1@sender.example>\nMIME-Version: 1.0\n"
            "Content-Type: multipart/mixed; boundary=\"X\"\n\n--X\nContent-Type: text/plain\n\n"
            "Subject: not a header\n--X--\n")


def test_parsed_parts_are_cached_messages_with_the_stdlib_content_type():
    msg = parse_email(b"From MAILER-DAEMON Mon Nov 23 10:00:00 2026\r"
                      b"Content-Type: multipart/report; boundary=\"B\"\r\r--B\r"
                      b"Content-Type: text/plain\r\rx\r--B--\r")
    types = [p.get_content_type() for p in msg.walk()]
    assert types == ["multipart/report", "text/plain"]
    assert all(isinstance(p, CachedMessage) for p in msg.walk())


def test_content_type_memo_follows_every_header_change():
    msg = email.message_from_string("Subject: x\n\nbody\n", _class=CachedMessage)
    assert msg.get_content_type() == "text/plain"
    msg["Content-Type"] = "text/html"
    assert msg.get_content_type() == "text/html"
    msg.replace_header("Content-Type", "message/rfc822")
    assert msg.get_content_type() == "message/rfc822"
    msg.set_type("application/json")
    assert msg.get_content_type() == "application/json"
    del msg["Content-Type"]
    msg.set_default_type("message/rfc822")
    assert msg.get_content_type() == "message/rfc822"
    msg.set_raw("Content-Type", "text/csv")
    assert msg.get_content_type() == "text/csv"


def test_headers_only_parse_reads_the_same_headers_under_every_newline_convention():
    for nl in ("\n", "\r\n", "\r"):
        text = RETURNED.replace("\n", nl)
        full = email.message_from_string(text)
        head = parse_headers(text)
        assert head.items() == full.items()
        original = original_from_headers(head)
        assert (original.message_id, original.sender, original.subject, original.to) == (
            "m1@sender.example", "a@sender.example", "hi", "b@example.org")
