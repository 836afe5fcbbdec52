"""ARF feedback reports (pipeline/arf): RFC 5965 and the Yahoo CFL / Microsoft JMRP / Apple
unsubscribe variants, on hand-written fixtures."""
from __future__ import annotations

from pathlib import Path

from pipeline import classify_message
from pipeline.arf.parse import inquire, is_feedback
from pipeline.mime.parse import parse_email
from pipeline.mime.view import MailView

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bounces"


def events(name: str):
    result = classify_message((FIXTURES / name).read_bytes())
    assert isinstance(result, list), result
    return result


def test_microsoft_jmrp_without_feedback_type_is_abuse_for_the_original_recipient():
    (ev,) = events("arf_microsoft_jmrp_no_feedback_type.eml")
    assert (ev.recipient, ev.category, ev.reason, ev.feedback_type, ev.parser) == (
        "mallory@hotmail.example", "complaint", "feedback", "abuse", "arf.jmrp")
    assert ev.message_id == "deal-1@sender.example"


def test_yahoo_cfl_opt_out_uses_removal_recipient_and_received_date():
    (ev,) = events("arf_yahoo_cfl_opt_out_removal_recipient.eml")
    assert (ev.recipient, ev.category, ev.feedback_type) == (
        "niaj@yahoo.example", "complaint", "opt-out")
    assert ev.campaign == "weekly-45"
    assert ev.tags["arf.user-agent"] == "Yahoo!-Mail-Feedback/1.0"
    assert ev.occurred_at.isoformat().startswith("2026-11-05T07:00")


def test_apple_unsubscribe_is_an_opt_out_from_the_sender_of_the_mail():
    (ev,) = events("arf_apple_unsubscribe.eml")
    assert (ev.recipient, ev.category, ev.feedback_type, ev.parser) == (
        "olivia@icloud.example", "complaint", "opt-out", "arf.apple-unsubscribe")


def test_not_spam_is_not_a_failure():
    (ev,) = events("arf_not_spam.eml")
    assert (ev.recipient, ev.category, ev.reason, ev.feedback_type) == (
        "peggy@isp.example", "other", "feedback", "not-spam")


def test_a_dsn_is_not_feedback():
    mail = MailView(parse_email((FIXTURES / "rfc3464_delayed_expired.eml").read_bytes()))
    assert not is_feedback(mail) and inquire(mail) is None


# --- the cheap "not mine" checks of the email handlers (ARF, DMARC report/failure) ------------
# They run on every email, so they take shortcuts; each must answer exactly as its plain
# definition does (exceptions included: the stdlib's RFC 2231 parse can raise TypeError).

def _mail(ctype: str, parts: list[tuple[str, str]] = (), top_extra: str = "") -> bytes:
    head = f"From: a@example.com\nTo: b@example.com\nSubject: hi\n{top_extra}"
    if not parts:
        return f"{head}Content-Type: {ctype}\n\nbody\n".encode()
    chunks = [f"{head}MIME-Version: 1.0\nContent-Type: {ctype}; boundary=\"B\"\n\n"]
    for headers, body in parts:
        chunks.append(f"--B\n{headers}\n\n{body}\n")
    chunks.append("--B--\n")
    return "".join(chunks).encode()


_DSN = 'multipart/report; report-type=delivery-status'
_STATUS = ("Content-Type: message/delivery-status",
           "Reporting-MTA: dns; mx.example\n\nFinal-Recipient: rfc822; b@example.com\n"
           "Action: failed\nStatus: 5.1.1")
_TEXT = ("Content-Type: text/plain", "mail failed")
_BAD_2231 = "Content-Disposition: attachment; filename*=a.zip; filename*0=b.zip"

REPORT_CHECK_CASES = {
    "plain dsn": (_mail(_DSN, [_TEXT, _STATUS]), False),
    "dsn returning a zip": (_mail(_DSN, [_TEXT, _STATUS, (
        "Content-Type: application/zip\nContent-Disposition: attachment; filename=x.zip",
        "UEsDBA==")]), False),
    "dsn with an unparseable file name": (_mail(_DSN, [_TEXT, _STATUS, (
        f"Content-Type: application/octet-stream\n{_BAD_2231}", "AAAA")]), False),
    # the stdlib reads no RFC 2231 form of a hyphenated name: "report-type*" is another one
    "dsn named by an RFC 2231 report-type": (_mail(
        "multipart/report; report-type*=us-ascii''delivery-status", [_TEXT, _STATUS, (
            "Content-Type: application/zip", "UEsDBA==")]), True),
    "report-type with an RFC 2231 neighbour": (_mail(
        "multipart/report; report-type=delivery-status; title*=us-ascii'en'x", [
            _TEXT, _STATUS, ("Content-Type: application/zip", "UEsDBA==")]), False),
    "rua by media type": (_mail("multipart/mixed", [_TEXT, (
        "Content-Type: application/gzip", "H4sI")]), True),
    "rua by file name": (_mail("multipart/mixed", [_TEXT, (
        "Content-Type: application/x-whatever\nContent-Disposition: attachment; "
        'filename="example.com!report.xml.gz"', "H4sI")]), True),
    "rua by Content-Type name": (_mail("multipart/mixed", [_TEXT, (
        'Content-Type: application/x-whatever; NAME="report.XML"', "PD94")]), True),
    "mdn with an xml file": (_mail(
        "multipart/report; report-type=disposition-notification", [_TEXT, (
            'Content-Type: text/plain; name="r.xml"', "x")]), False),
    "single part json": (_mail("application/json"), True),
    "single part text": (_mail("text/plain"), False),
    "unparseable file name": (_mail("multipart/mixed", [_TEXT, (
        f"Content-Type: text/plain\n{_BAD_2231}", "x")]), TypeError),
}


def _answer(check, *args):
    try:
        return check(*args)
    except Exception as exc:  # noqa: BLE001 - the exception is part of the answer
        return type(exc)


def test_report_attachment_check_answers_as_its_definition():
    from pipeline.dmarc.handlers import _has_report_attachment, _has_report_attachment_walk
    for name, (data, want) in REPORT_CHECK_CASES.items():
        assert _answer(_has_report_attachment_walk, parse_email(data)) == want, name
        assert _answer(_has_report_attachment, None, parse_email(data)) == want, name


def test_report_checks_agree_with_their_definitions_on_every_fixture():
    from pipeline.dmarc.failure import feedback_part
    from pipeline.dmarc.handlers import (
        _has_feedback_part,
        _has_report_attachment,
        _has_report_attachment_walk,
    )
    import os
    corpus = Path(os.environ.get("BOUNCEPIPE_CORPUS")
                  or Path(__file__).resolve().parents[3] / "shared" / "corpus")
    files = sorted(FIXTURES.parent.rglob("*.eml")) + sorted(corpus.rglob("*.eml"))
    assert len(files) > 40
    reports = 0
    for path in files:
        data = path.read_bytes()
        want = _answer(_has_report_attachment_walk, parse_email(data))
        assert _answer(_has_report_attachment, None, parse_email(data)) == want, path
        reports += want is True
        msg = parse_email(data)
        assert _has_feedback_part(None, msg) is (feedback_part(msg) is not None), path
    assert reports > 0 or not corpus.is_dir()  # the DMARC corpus has report emails


def test_is_feedback_shortcuts():
    apple = _mail("text/plain", top_extra="X-Apple-Unsubscribe:  TRUE \n")
    assert is_feedback(MailView.of(parse_email(apple)))
    not_apple = _mail("text/plain", top_extra="X-Apple-Unsubscribe: =?utf-8?q?true?=\n")
    assert not is_feedback(MailView.of(parse_email(not_apple)))  # raw value, as before
    jmrp = _mail("text/plain").replace(b"From: a@example.com", b"From: Staff <STAFF@hotmail.com>")
    assert is_feedback(MailView.of(parse_email(jmrp)))
    lookalike = _mail("text/plain").replace(b"From: a@example.com",
                                            b"From: xstaff@hotmail.com")
    assert not is_feedback(MailView.of(parse_email(lookalike)))
    assert not is_feedback(MailView.of(parse_email(REPORT_CHECK_CASES["plain dsn"][0])))


def test_report_type_reads_as_the_stdlib_does():
    """CachedMessage reads simple parameters itself (the DMARC check asks every DSN's
    report-type): its answer must be the stdlib's on every form."""
    import email.message

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from pipeline.mime.message import CachedMessage

    tokens = ["multipart/report", ";", " ", "\n\t", '"', "=", "report-type", "Report-Type",
              "report-typex", "delivery-status", "Feedback-Report", "boundary", "B=1", "x",
              "<", ">", "*", "\\", "é", "'"]

    def both(value):
        cached, plain = CachedMessage(), email.message.Message()
        cached["Content-Type"] = value
        plain["Content-Type"] = value
        return _answer(cached.get_param, "report-type"), _answer(plain.get_param, "report-type")

    @settings(max_examples=1500, deadline=None)
    @given(st.lists(st.sampled_from(tokens), max_size=12))
    def check(pieces):
        cached, plain = both("".join(pieces))
        assert cached == plain, "".join(pieces)

    check()
    for value, want in [
            ('multipart/report; Report-Type="Delivery-Status"; boundary="=_a b"', "Delivery-Status"),
            ("multipart/report; boundary=x; report-type", ""),
            ("multipart/report; report-type*=x", None),
            ('multipart/report; boundary="a;b"', None)]:  # quoted ";"
        assert both(value) == (want, want), value


def test_report_type_pre_test_is_implied_by_the_expression():
    """is_feedback tests `"feedback-report" in ctype.lower()` before the report-type
    expression (re.I): every character the expression's letters match case-insensitively
    must lower-case to that letter, or the pre-test would hide a match."""
    import re
    import sys

    every_char = "".join(map(chr, range(sys.maxunicode + 1)))
    for letter in set("feedback-report"):
        matched = re.findall(re.escape(letter), every_char, re.I)
        assert letter in matched
        for char in matched:
            assert char.lower() == letter, (letter, hex(ord(char)))
    # what the pre-test would get wrong for "i" (so the subject test has none)
    assert {c for c in re.findall("i", every_char, re.I) if c.lower() != "i"} == {"\u0130",
                                                                                  "\u0131"}
