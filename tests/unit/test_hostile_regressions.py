"""Regression tests for the findings of the hostile-input campaign (issue #21) and of
bench/fuzz.py: each is refused with a typed reason, or simply parses. Speed and memory of
the refusals are measured in bench/bench_bombs.py and bench/bench_linear.py, not here.
"""
from __future__ import annotations

import email.header
import gzip
import io
import struct
import zipfile
from pathlib import Path

import pytest

from pipeline.core import process, process_bytes
from pipeline.dmarc import parse_report
from pipeline.dmarc import reference, unwrap
from pipeline.dmarc.failure import parse_date as failure_date
from pipeline.mime.transfer import decode_transfer
from pipeline.errors import DEAD_LETTER_PAYLOAD_CAP, LimitExceeded, ParseError, dead_letter
from pipeline.mime.fastparse import parse_bytes
from pipeline.mime.charsets import decode_charset
from pipeline.mime.headers import decode_header_value
from pipeline.mime.parse import parse_email
from pipeline.mime.view import MailView, part_text
from pipeline.settings import Limits, Settings
from schemas.models import RawMessage, RawSource
from tests.fuzz.mutators import bomb, deep_mime, deep_rfc822, many_parts

from tests.unit.test_hostile_inputs import RECORD, REPORT_HEAD, dead_letter_of, report

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
TWO_RECIPIENTS = (FIXTURES / "bounces" / "rfc3464_crlf_two_recipients.eml").read_bytes()


def raw_of(payload: bytes) -> RawMessage:
    return RawMessage.from_bytes(payload, RawSource(transport="memory"))


def zip_of(payload: bytes, method: int, name: str = "report.xml") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as archive:
        archive.writestr(name, payload)
    return buf.getvalue()


# -- containers ----------------------------------------------------------------------
@pytest.mark.parametrize("method", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA, zipfile.ZIP_DEFLATED])
def test_zip_member_bomb_with_lying_sizes_is_refused_by_the_ratio_cap(method: int) -> None:
    letter = dead_letter_of(bomb("zip", method, lying=True, mib_count=16))
    assert (letter.error_type, letter.stage) == ("LimitExceeded", "limits")
    assert "limits.max_compression_ratio" in letter.reason


@pytest.mark.parametrize("method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED,
                                    zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_every_zip_method_reads_a_report(method: int) -> None:
    rows = list(parse_report(zip_of(report(3), method)).aggregate)
    assert len(rows) == 3


def test_corrupt_zip_member_is_a_typed_parse_error() -> None:
    packed = bytearray(zip_of(report(3), zipfile.ZIP_STORED))
    at = packed.find(b"<record>")
    packed[at + 1] = ord("R")   # stored data changed: the CRC no longer matches
    letter = dead_letter_of(bytes(packed))
    assert letter.error_type == "ParseError"
    assert "zip member 'report.xml' is corrupt (CRC-32" in letter.reason


def test_truncated_deflate_member_says_so() -> None:
    packed = bytearray(zip_of(report(50), zipfile.ZIP_DEFLATED))
    start = 30 + len("report.xml")
    end = packed.find(b"PK\x01\x02")
    del packed[start + (end - start) // 2:end]   # half the compressed data gone
    # the central directory moved: rebuild its offset in the end record
    eocd = packed.rfind(b"PK\x05\x06")
    struct.pack_into("<I", packed, eocd + 16, packed.find(b"PK\x01\x02"))
    letter = dead_letter_of(bytes(packed))
    assert letter.error_type == "ParseError"
    assert "zip member 'report.xml'" in letter.reason
    assert not letter.reason.startswith("unexpected")


@pytest.mark.parametrize(("method", "flag", "expected"), [
    (9, 0, "compression method 9 (deflate64), which is not supported"),
    (8, 1, "is encrypted"),
])
def test_unsupported_and_encrypted_members_are_named(method: int, flag: int,
                                                      expected: str) -> None:
    packed = bytearray(zip_of(report(1), zipfile.ZIP_DEFLATED))
    central = packed.find(b"PK\x01\x02")
    struct.pack_into("<HH", packed, central + 8, flag, method)
    letter = dead_letter_of(bytes(packed))
    assert letter.error_type == "ParseError" and expected in letter.reason


def test_zip_of_an_unknown_version_is_a_parse_error() -> None:
    packed = bytearray(zip_of(report(1), zipfile.ZIP_DEFLATED))   # fuzz finding
    struct.pack_into("<H", packed, packed.find(b"PK\x01\x02") + 6, 237)   # needs 23.7
    letter = dead_letter_of(bytes(packed))
    assert letter.error_type == "ParseError"
    assert letter.reason.startswith("not a readable zip archive: NotImplementedError")


def test_zip_inside_gzip_is_buffered_only_up_to_its_cap() -> None:
    inner = zip_of(report(200), zipfile.ZIP_STORED)
    settings = Settings(limits=Limits(max_nested_archive_bytes=len(inner) - 1))
    letter = dead_letter_of(gzip.compress(inner), settings)
    assert letter.error_type == "LimitExceeded"
    assert "limits.max_nested_archive_bytes" in letter.reason
    ok = Settings(limits=Limits(max_nested_archive_bytes=len(inner)))
    assert len(list(parse_report(gzip.compress(inner), settings=ok).aggregate)) == 200


# -- the parsedmarc fallback -----------------------------------------------------------
BROKEN_HEAD = REPORT_HEAD.replace(b"<org_name>x.example</org_name>",
                                  b"<org_name>x & y</org_name>")   # unescaped: not XML


def test_fallback_that_recovers_fewer_records_than_the_xml_holds_dead_letters(
        monkeypatch) -> None:
    original = reference.rows_from_parsedmarc

    def drops_one(parsed, context):
        return original(parsed, context)[1:]

    monkeypatch.setattr(reference, "rows_from_parsedmarc", drops_one)
    payload = BROKEN_HEAD + report(2)[len(REPORT_HEAD):]
    letter = dead_letter_of(payload)
    assert letter.error_type == "ParseError"
    assert "read 1 of its 2 <record> elements" in letter.reason


def test_fallback_that_recovers_every_record_lands_them() -> None:
    payload = BROKEN_HEAD + report(2)[len(REPORT_HEAD):]
    assert len(list(parse_report(payload).aggregate)) == 2


def test_fallback_input_is_capped_before_parsedmarc_reads_it() -> None:
    records = unwrap.FALLBACK_MAX_BYTES // len(RECORD) + 10
    payload = BROKEN_HEAD + report(records)[len(REPORT_HEAD):]
    letter = dead_letter_of(payload)
    assert letter.error_type == "LimitExceeded"
    assert "recovering parser is larger than" in letter.reason


# -- dead letters, recipients ----------------------------------------------------------
def test_dead_letters_of_one_large_input_share_one_payload_copy() -> None:
    raw = raw_of(b"x" * (DEAD_LETTER_PAYLOAD_CAP + 10))
    first, second = dead_letter(raw, ParseError("a")), dead_letter(raw, ValueError("b"))
    assert first.payload is second.payload
    assert (len(first.payload), first.payload_truncated) == (DEAD_LETTER_PAYLOAD_CAP, True)
    small = raw_of(b"abc")
    assert dead_letter(small, ParseError("c")).payload is small.payload


def failed_bounce(failed: str) -> bytes:
    """An Exim bounce whose X-Failed-Recipients header is `failed` as given."""
    return (f"From: Mail Delivery System <Mailer-Daemon@mx.example.net>\nTo: a@example.org\n"
            f"Subject: Mail delivery failed: returning message to sender\n"
            f"X-Failed-Recipients: {failed}\nAuto-Submitted: auto-replied\n\n"
            "This message was created automatically by mail delivery software.\n\n"
            "A message that you sent could not be delivered to one or more of its\n"
            "recipients. This is a permanent error. The following address(es) failed:\n\n"
            "    SMTP error from remote mail server after RCPT TO:\n"
            "    550 5.1.1 User unknown\n").encode()


def exim_bounce(recipients: int) -> bytes:
    return failed_bounce(", ".join(f"user{i}@example.com" for i in range(recipients)))


def test_recipients_over_the_cap_dead_letter_the_bounce_whole() -> None:
    settings = Settings(limits=Limits(max_recipients_per_input=3))
    assert len(process(raw_of(exim_bounce(3)), settings).events) == 3
    letter = dead_letter_of(exim_bounce(4), settings)   # refused before the dialects run
    assert (letter.error_type, letter.stage) == ("LimitExceeded", "limits")
    assert letter.reason == ("X-Failed-Recipients names 4 addresses, over the 3 recipient "
                             "cap (limits.max_recipients_per_input)")
    one = Settings(limits=Limits(max_recipients_per_input=1))   # two DSN blocks
    letter = dead_letter_of(TWO_RECIPIENTS, one)
    assert letter.stage == "limits"
    assert "bounce names 2 recipients, over the 1 recipient cap" in letter.reason


# -- MIME: caps while parsing, linear paths ---------------------------------------------
def test_parts_are_counted_while_parsing() -> None:
    with pytest.raises(LimitExceeded, match="more than 10 MIME parts"):
        parse_bytes(many_parts(_Rng(0), b""), max_parts=10)
    letter = dead_letter_of(many_parts(_Rng(1), b""))
    assert "limits.max_mime_parts" in letter.reason and letter.stage == "limits"


@pytest.mark.parametrize("build", [deep_mime, deep_rfc822])
def test_nesting_depth_is_capped_while_parsing(build) -> None:
    letter = dead_letter_of(build(_Rng(2), TWO_RECIPIENTS))   # 1,000 levels
    assert (letter.error_type, letter.stage) == ("LimitExceeded", "limits")
    assert "deeper than 64 levels (limits.max_mime_depth)" in letter.reason


def test_deep_tree_on_the_stdlib_fallback_is_a_limit_not_a_recursion_error() -> None:
    # "From " inside a header block sends fastparse to the stdlib parser
    payload = b"Subject: x\nFrom nobody\n" + deep_rfc822(_Rng(2), b"")
    with pytest.raises(LimitExceeded):
        parse_bytes(payload, max_parts=500, max_depth=64)


def test_recursion_error_dead_letter_is_typed() -> None:
    letter = dead_letter(raw_of(b"x"), RecursionError("maximum recursion depth exceeded"))
    assert letter.stage == "limits" and not letter.reason.startswith("unexpected")


def test_cr_only_mail_parses_like_the_stdlib() -> None:
    payload = TWO_RECIPIENTS.replace(b"\r\n", b"\n").replace(b"\n", b"\r")
    assert [(e.recipient, e.category) for e in process_bytes(payload).events] == [
        ("alice@example.org", "hard_bounce"), ("bob@example.net", "soft_bounce")]


def test_x1_raw_read_never_calls_the_quadratic_as_string(monkeypatch) -> None:
    from pipeline.dsn.dialects.kit.software import raw_text

    msg = parse_email(TWO_RECIPIENTS)

    def refuse(*args, **kwargs):
        raise AssertionError("as_string() is quadratic in a header's length")

    monkeypatch.setattr(type(msg), "as_string", refuse)
    text = raw_text(MailView(msg))
    assert "Final-Recipient: rfc822; bob@example.net" in text
    assert "Subject: Undelivered Mail Returned to Sender" in text
    assert text.count("--BOUNDARY") == 4


# -- TLS reports ---------------------------------------------------------------------
TLS = (b'{"organization-name":"o","date-range":{"start-datetime":"2026-01-01T00:00:00Z",'
       b'"end-datetime":"2026-01-02T00:00:00Z"},"report-id":"r1","policies":%s}')


@pytest.mark.parametrize(("policies", "expected"), [
    (b"[]", "policies is an empty list"),
    (b'"x"', "policies is str 'x', not a list"),
    (b'[{"policy":"p"}]', "policies[0].policy is str 'p', not an object"),
    (b'[{"policy":{},"failure-details":"abc"}]',
     "policies[0].failure-details is str 'abc', not a list"),
    (b'[{"policy":{},"failure-details":[7]}]',
     "policies[0].failure-details[0] is int 7, not an object"),
    (b'[{"policy":{"policy-domain":{"a":1}}}]',
     "policies[0].policy.policy-domain is dict"),
    (b'[{"policy":{},"summary":{"total-failure-session-count":1e300}}]',
     "is not a session count"),
])
def test_tls_report_of_wrong_shape_names_the_field(policies: bytes, expected: str) -> None:
    letter = dead_letter_of(TLS % policies)
    assert letter.error_type == "ParseError" and expected in letter.reason


def test_tls_failure_details_list_gives_one_row_per_detail() -> None:
    payload = TLS % (b'[{"policy":{"policy-domain":"example.com"},"failure-details":'
                     b'[{"result-type":"starttls-not-supported","failed-session-count":2}]}]')
    rows = process(raw_of(payload)).rows["tls_reports"]
    assert [(r.result_type, r.failed_session_count) if hasattr(r, "result_type") else
            (r["result_type"], r["failed_session_count"]) for r in rows] == [
        ("starttls-not-supported", 2)]


# -- charsets, NULs, Header values, dates --------------------------------------------
@pytest.mark.parametrize("charset", ["idna", "punycode", "utf-8\0", '"utf-8"', "zlib",
                                     "x-unknown", "\xff"])
def test_odd_charset_names_over_readable_text_read(charset: str) -> None:
    assert decode_charset(b"Mailbox full", charset) == "Mailbox full"


def test_part_with_an_idna_charset_reads() -> None:
    msg = parse_email(b"Content-Type: text/plain; charset=idna\n\nUser unknown\n")
    assert part_text(msg) == "User unknown\n"


def test_encoded_word_in_an_odd_charset_reads() -> None:
    assert decode_header_value("=?idna?q?abc?=") == "abc"


def test_nul_in_a_header_still_classifies() -> None:
    payload = TWO_RECIPIENTS.replace(b"Subject: Undelivered", b"Subject: Und\0elivered")
    assert [e.category for e in process_bytes(payload).events] == ["hard_bounce",
                                                                   "soft_bounce"]


def test_header_objects_and_out_of_range_dates() -> None:
    assert failure_date("Mon, 1 Jan 99999 00:00:00 +9999") is None
    header = email.header.Header("Mon, 02 Nov 2026 10:00:00 +0000")
    assert failure_date(header).isoformat() == "2026-11-02T10:00:00+00:00"
    assert decode_transfer("aGk=", email.header.Header("base64")) == "hi"


class _Rng:
    """A random.Random stand-in that picks the middle option (deterministic builders)."""

    def __init__(self, pick: int):
        self.pick = pick

    def choice(self, options):
        return options[min(self.pick, len(options) - 1)]


@pytest.mark.parametrize("charset", [b'"utf-8\0"', b"punycode", b"idna"])
def test_8bit_field_part_under_an_undecodable_charset_name_still_classifies(
        charset: bytes) -> None:
    # fuzz findings: the stdlib's get_payload() raised ValueError / UnicodeDecodeError here
    payload = TWO_RECIPIENTS.replace(
        b"Content-Type: message/delivery-status",
        b"Content-Type: message/delivery-status; charset=" + charset).replace(
        b"Two recipients failed.", b"Two recipients failed \x8f.").replace(
        b"X-Custom-Field: kept", b"X-Custom-Field: k\xc3\xa9pt \x8f")
    assert [e.category for e in process_bytes(payload).events] == ["hard_bounce",
                                                                   "soft_bounce"]


def scanned_by_fastparse(monkeypatch, payload: bytes) -> int:
    """Characters fastparse's forward searches scan for `payload` (work, not time)."""
    from pipeline.mime import fastparse

    scanned = [0]
    original = fastparse._Parser._find

    def counting(self, pattern, q):
        before = self.found.get(pattern)
        at = original(self, pattern, q)
        if self.found.get(pattern) is not before:   # a real search ran
            scanned[0] += (at if at >= 0 else len(self.s)) - q
        return at

    monkeypatch.setattr(fastparse._Parser, "_find", counting)
    fastparse.parse_bytes(payload)
    return scanned[0]


@pytest.mark.parametrize("newline", [b"\r", b"\n", b"\r\n"])
def test_fastparse_scans_linearly_in_delivery_status_blocks(monkeypatch,
                                                            newline: bytes) -> None:
    """Doubling the blocks at most doubles the characters searched (CR-only mail rescanned
    the rest of the message per block: 4 MB took 14 s). Timing: bench/bench_linear.py."""
    def dsn(blocks: int) -> bytes:
        head = (b"Content-Type: multipart/report; boundary=B||--B|"
                b"Content-Type: message/delivery-status||Reporting-MTA: dns; x||")
        block = b"Final-Recipient: rfc822; u@example.com|Action: failed|Status: 5.1.1||"
        return (head + block * blocks + b"--B--|").replace(b"|", newline)

    small, large = (scanned_by_fastparse(monkeypatch, dsn(n)) for n in (1000, 4000))
    assert large <= 4.4 * small, (small, large)


def test_zip_member_with_an_empty_name_reads() -> None:
    buf = io.BytesIO()   # fuzz finding: ZipInfo.is_dir() raised IndexError on it
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo(""), report(2))
    assert len(list(parse_report(buf.getvalue()).aggregate)) == 2


def test_deep_xml_is_refused_as_too_deep() -> None:
    depth = 10_000
    payload = (b'<?xml version="1.0"?><feedback><report_metadata>' + b"<a>" * depth
               + b"</a>" * depth + b"</report_metadata></feedback>")
    letter = dead_letter_of(payload)
    assert letter.error_type == "LimitExceeded"
    assert letter.reason.startswith("XML nests elements deeper than libxml2's 256-level limit")


def test_fallback_reads_only_the_start_of_a_huge_subject(monkeypatch) -> None:
    """Fuzz finding after the generic fallback landed: its ~100-way subject pattern ran over
    a 1.3 MB Subject (0.3-3 s). The sign patterns read the first _SIGN_CHARS characters."""
    from pipeline.dsn import fallback

    seen: list[int] = []
    pattern = fallback._BOUNCE_SUBJECT

    class Recording:
        def search(self, text):
            seen.append(len(text))
            return pattern.search(text)

    monkeypatch.setattr(fallback, "_BOUNCE_SUBJECT", Recording())
    subject = ", ".join(f"u{i}@example.com" for i in range(80_000))
    payload = (f"From: MAILER-DAEMON@mx.example\nSubject: {subject}\n\nhello\n").encode()
    process_bytes(payload)
    assert seen and max(seen) <= fallback._SIGN_CHARS


def test_a_recipient_diagnostic_is_capped_before_it_is_read():
    """Fuzz finding (duplicated lines): a dialect that takes "the text after the address" as the
    diagnostic handed every one of 501 recipients the rest of a 138 KB bounce, and reading the
    SMTP command out of each made the input quadratic (4 s). A diagnostic is an SMTP reply and
    a sentence around it: past MAX_DIAGNOSTIC_CHARS it is cut before it is read."""
    from pipeline.dsn.dialects.kit.software import MAX_DIAGNOSTIC_CHARS, finish
    from pipeline.dsn.model import RecipientReport

    reply = "550 5.1.1 <a@example.org>: Recipient address rejected: User unknown"
    report = finish(RecipientReport(recipient="a@example.org",
                                    diagnostic=reply + " RCPT TO:<x@y> " * 20_000))
    assert len(report.diagnostic) <= MAX_DIAGNOSTIC_CHARS
    assert report.diagnostic.startswith(reply)
    assert (report.status, report.reply_code, report.command) == ("5.1.1", 550, "RCPT")
