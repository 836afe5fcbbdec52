"""The fast mail helpers (pipeline/mime: headers, dates, addresses, returned) give exactly
the answers of the slower code they replaced: the stdlib feed parser for header blocks,
email.utils for dates, a line-by-line loop for field blocks, one header scan per field for
the returned message, strip-the-type-then-search for addresses.

Each test compares against the reference on hand-picked edge cases and on seeded random
mutations of the bounce fixtures (newline conventions, folding, stray colons, odd blanks).
"""
from __future__ import annotations

import email.message
import email.utils
import random
import re
from datetime import timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.mime import addresses, dates, returned, transfer
from pipeline.mime import headers as mime_headers
from pipeline.mime.headers import decode_header_value
from pipeline.mime.returned import OriginalMessage
from pipeline.mime.transfer import unsurrogate

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bounces"
_PIECES = ["\n", "\r", "\r\n", " ", "\t", ":", "From ", "X: y\n", " cont\n", "\n\n", ":x\n",
           "From x\n", "\x0c", "\x85", "\u2028", "\u3000", "Status: 5.1.1\n", "\t\n", "a-b :c",
           "Subject: =?utf-8?q?h=C3=A9?=\n", "Date: Mon, 1 Jan 2024 10:00:00 +0100\n"]


def _texts() -> list[str]:
    return [p.read_bytes().decode("utf-8", "surrogateescape")
            for p in sorted(FIXTURES.glob("*.eml"))]


def _mutants(count: int, seed: int) -> list[str]:
    rnd = random.Random(seed)
    texts = _texts()
    out = []
    for _ in range(count):
        chars = list(rnd.choice(texts)[:800])
        for _ in range(rnd.randint(1, 8)):
            chars.insert(rnd.randrange(len(chars) + 1), rnd.choice(_PIECES))
        out.append("".join(chars))
    return out


# --- header blocks: the stdlib feed parser is the reference ---------------------------------

HEADER_EDGES = ["", "a", "From x", " x: y\nA: b", "A:b\r", "A: b\r\r\n c", ":x\n y\nB: c",
                "From MAILER-DAEMON Mon\nSubject: s\n", "Subject: s\nFrom oops\n cont\nTo: t\n",
                "A: 1\n\tfolded\n  twice\nA: 2\n\nBody: no\n", "Bad Name: x\nA: b\n",
                "A:\n\n", "A: \x85 x\x0c\n", "X-\u00e9: v\n", "A: b\rB: c\rC: d"]


@pytest.mark.parametrize("text", HEADER_EDGES)
def test_header_pairs_match_the_stdlib_on_edge_cases(text):
    assert mime_headers.header_pairs(text) == mime_headers.parse_headers(text)._headers


def test_header_pairs_match_the_stdlib_on_mutated_fixtures():
    for text in _texts() + _mutants(400, seed=1):
        assert mime_headers.header_pairs(text) == mime_headers.parse_headers(text)._headers, repr(text[:200])


# --- dates: email.utils.parsedate_to_datetime (then UTC) is the reference --------------------

def _reference_date(value):
    if not value:
        return None
    try:
        dt = email.utils.parsedate_to_datetime(mime_headers.fold(value))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    try:
        return dt.astimezone(timezone.utc)
    except (OverflowError, ValueError):
        return None


DATE_EDGES = ["Wed, 16 Oct 2013 14:15:35 +0900", "16 oct 2013 14:15:35 -0000",
              "Mon, 1 Jan 0099 10:00:00 +0000", "1 Jan 2020 24:00:00 +0000",
              "1 Jan 2020 10:00:60 +0000", "31 Feb 2020 10:00:00 +0000",
              "1 Jan 2020 10:00:00 +2359", "1 Jan 2020 10:00:00 +2360", "1 Jan 2020 10:00:00 -2360",
              "1 Jan 2020 10:00:00 +0575 (X)", "1 Jan 2020 10:00:00 +0100(CET)",
              "31 Dec 9999 23:59:59 -0100", "1 Jan 1000 00:00:00 +0100",
              "Wed, 26 Feb 2014 20:05:45 +0900\n", " Wed, 26 Feb 2014 20:05:45 +0900",
              "Wed,  26 Feb 2014\n\t20:05:45 +0900 (JST)", "Wed, 26 Feb 2014 20:05:45 GMT",
              "Wed, 26 Feb 2014 20:05 +0900", "2014-02-26 20:05:45", "", "garbage"]


@pytest.mark.parametrize("value", DATE_EDGES)
def test_parse_date_matches_email_utils_on_edge_cases(value):
    got, want = dates.parse_date(value), _reference_date(value)
    assert got == want
    assert got is None or got.tzinfo is timezone.utc


def test_parse_date_matches_email_utils_on_mutated_dates():
    rnd = random.Random(2)
    bits = ["0", "9", " ", "-", "+", ",", "\n ", "x", "Mon, ", "Jan", "00", "24:", "60", "99"]
    for _ in range(3000):
        chars = list(rnd.choice(DATE_EDGES[:14]))
        for _ in range(rnd.randint(0, 3)):
            chars.insert(rnd.randrange(len(chars) + 1), rnd.choice(bits))
        value = "".join(chars)
        assert dates.parse_date(value) == _reference_date(value), value


# --- DSN field lines: the former line-by-line loop is the reference --------------------------

_FIELD = re.compile(r"^([A-Za-z][A-Za-z0-9-]*)[ \t]*:[ \t]*(.*)$")


def _reference_fields(text):
    out = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not line.strip():
            out.append(("", ""))
            continue
        if line[0] in " \t" and out and out[-1][0]:
            name, value = out[-1]
            out[-1] = (name, f"{value} {line.strip()}")
            continue
        m = _FIELD.match(line)
        if m:
            out.append((m.group(1).lower(), m.group(2).strip()))
    return out


def test_parse_fields_matches_the_line_loop():
    edges = ["", "\n", "a", "A: b", "\n A: b", " x", "A:b\n c\n\nd: e\n \x85\n", "A: b\n\u3000\n c"]
    for text in edges + _texts() + _mutants(400, seed=3):
        assert mime_headers.parse_fields(text) == _reference_fields(text), repr(text[:200])


def test_fold_matches_the_whitespace_regex():
    for text in ["", " a \t b\n", "\u3000x\x85y\x1c", "a  b", "\u00a0"]:
        assert mime_headers.fold(text) == re.sub(r"\s+", " ", text).strip()


# --- the returned message: one scan per field (raw_header) is the reference -----------------

def _raw_header(msg: email.message.Message, name: str) -> str | None:
    """First `name` header as raw text (8-bit UTF-8 kept): the one-field-per-scan reference
    original_from_pairs() replaced."""
    key = name.lower()
    for k, v in getattr(msg, "_headers", None) or msg.items():
        if k.lower() == key:
            return unsurrogate(v) if isinstance(v, str) else str(v)
    return None


def _reference_original(headers):
    tags = {}
    for name, value in headers._headers:
        key = name.lower()
        if key in returned.TAG_HEADERS or (key.startswith("x-") and any(
                w in key for w in ("campaign", "stream", "tenant"))):
            tags[key] = decode_header_value(value)
    raw = _raw_header
    msgid = mime_headers.fold(str(raw(headers, "Message-ID") or "")) or None
    return OriginalMessage(
        message_id=msgid.strip("<>") if msgid else None,
        sender=addresses.address(decode_header_value(raw(headers, "From")))
        or addresses.address(str(raw(headers, "Return-Path") or "")),
        subject=decode_header_value(raw(headers, "Subject")) or None,
        to=addresses.address(decode_header_value(raw(headers, "To"))),
        list_id=returned._list_id(decode_header_value(raw(headers, "List-Id"))),
        feedback_id=mime_headers.fold(str(raw(headers, "Feedback-ID") or "")) or None,
        tags=tags)


def test_original_from_pairs_matches_the_per_field_scan():
    rnd = random.Random(4)
    values = ["", " ", "<a@b.example>", "=?utf-8?q?x=C3=A9?=", "x\udce9y <c@d.example>",
              "Mon, 1 Jan 2020 10:00:00 +0000", "<list.id>", "\n ", "a@b, c@d", "rfc822; e@f"]
    names = ["From", "from", "Return-Path", "Subject", "To", "Date", "List-Id", "Feedback-ID",
             "Message-ID", "X-Campaign", "X-Stream-x", "X-Mailgun-Tag", "X-Foo", "Received"]
    for _ in range(2000):
        msg = email.message.Message()
        for _ in range(rnd.randint(0, 7)):
            msg._headers.append((rnd.choice(names), rnd.choice(values) + rnd.choice(values)))
        assert returned.original_from_headers(msg) == _reference_original(msg), msg._headers


def test_original_from_text_reads_the_returned_header_block():
    text = ("Received: from a\r\n\tby b\r\nFrom: =?utf-8?q?Kiji=C3=A9?= <kiji@example.org>\r\n"
            "Subject: hi\r\n there\r\nMessage-ID: <m1@example.org>\r\nX-Campaign-Id: c7\r\n"
            "Date: Wed, 16 Oct 2013 14:15:35 +0900\r\n\r\nTo: not-a-header@example.org\r\n")
    original = returned.original_from_text(text)
    assert original == _reference_original(mime_headers.parse_headers(text))
    assert (original.sender, original.subject, original.message_id, original.to) == (
        "kiji@example.org", "hi there", "m1@example.org", None)
    assert original.tags == {"x-campaign-id": "c7"}


def test_message_text_is_memoised_per_part():
    part = email.message_from_string("Content-Type: message/delivery-status\n\n"
                                     "Reporting-MTA: dns; a\n\nFinal-Recipient: rfc822; b@c\n")
    first = transfer.message_text(part)
    assert "Final-Recipient: rfc822; b@c" in first
    assert transfer.message_text(part) is first
    assert unsurrogate(first) == first


# --- the charset CachedMessage reads directly: the stdlib's get_content_charset() is the reference

def test_content_charset_matches_the_stdlib():
    from pipeline.mime.message import CachedMessage

    rnd = random.Random(5)
    values = ["text/plain", "text/plain; charset=us-ascii", 'text/plain; charset="UTF-8"',
              "Text/Plain;charset=ISO-2022-JP", "text/plain ; charset = utf-8 ",
              "text/plain; charset*=utf-8''x", "text/plain; format=flowed; charset=utf-8",
              'text/plain; charset="utf-8', "text/plain; charset=\udce9", "text/plain;\n charset=x",
              'text/plain; name="a;charset=b"', "text/plain; CHARSET=Shift_JIS", "", ";"]
    bits = ['"', ";", " ", "\t", "\n ", "=", "charset", "*", "\\", "utf-8", "/", "(c)"]
    for _ in range(3000):
        chars = list(rnd.choice(values))
        for _ in range(rnd.randint(0, 3)):
            chars.insert(rnd.randrange(len(chars) + 1), rnd.choice(bits))
        values.append("".join(chars))
    for value in values:
        part, reference = CachedMessage(), email.message.Message()
        part._headers.append(("Content-Type", value))
        reference._headers.append(("Content-Type", value))
        assert part.get_content_charset() == reference.get_content_charset(), value
    assert CachedMessage().get_content_charset() is None


def test_dialect_header_lookups_match_the_stdlib():
    from pipeline.mime.parse import parse_email
    from pipeline.dsn.dialects.kit.views import (
        has_header_prefix,
        received_lines,
        received_text,
    )
    from pipeline.mime.view import MailView

    names = ["From", "subject", "X-SES-Outgoing", "Content-Type", "Received", "X-Mailer",
             "Return-Path", "Content-Language", "X-Nothing"]
    raw = (b"Received: a\nReceived: b\nX-Barracuda-Id: 1\nFrom: \xc3\xa9 <a@b>\n"
           b"Subject: s\nX-Mailer:\n\nbody\n")
    # an 8-bit hop: the view's raw Received values are not what get_all() gives (a Header)
    raw8 = b"Received: from \xc3\xa9x by y\nreceived: (qmail 1)\n" + raw
    for data in [raw, raw8] + [p.read_bytes() for p in sorted(FIXTURES.glob("*.eml"))]:
        msg = parse_email(data)
        mail = MailView(msg)
        for name in names:
            got, want = mail.get(name), msg.get(name)
            assert str(got) == str(want) and type(got) is type(want)
        assert received_lines(mail) == [str(v) for v in msg.get_all("Received") or []]
        for phrase in ("(qmail ", ".au.com (", "by ", "from a", "zz"):
            assert (phrase in received_text(mail)) == (
                any(phrase in r for r in received_lines(mail)))
        for prefix in ("x-barracuda", "x-ms-", "received"):
            assert has_header_prefix(mail, prefix) == any(
                k.lower().startswith(prefix) for k in msg.keys())


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet="245.1039 a", max_size=16))
def test_status_and_reply_code_regexes_match_their_plain_forms(text):
    from pipeline.mime.codes import ENHANCED_STATUS, REPLY_CODE

    plain = {ENHANCED_STATUS: re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?!\.?\d)"),
             REPLY_CODE: re.compile(r"(?<![\d.])([245]\d\d)(?![\d.])")}
    for fast, reference in plain.items():
        a, b = fast.search(text), reference.search(text)
        assert (a and (a.span(), a.groups())) == (b and (b.span(), b.groups()))


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet=' <>"(),;:@ab.\t\n', max_size=16))
def test_address_regex_matches_its_plain_form(text):
    # the token-boundary look-behind and the greedy domain run change no match or group
    plain = re.compile(r"<?([^\s<>\"(),;:]+@[^\s<>\"(),;:]+?)>?(?=[\s>,;:)\"]|$)")
    a, b = addresses._ADDRESS.search(text), plain.search(text)
    assert (a and (a.span(), a.groups())) == (b and (b.span(), b.groups()))


def test_original_from_text_matches_all_header_pairs():
    # original_from_text() builds only the pairs original_from_pairs() reads
    for text in _texts() + _mutants(400, seed=6):
        for start in (0, text.find("\n\n") + 2):
            block = text[start:]
            want = returned.original_from_pairs(mime_headers.header_pairs(block))
            got = returned.original_from_text(block)
            assert got == want and list(got.tags.items()) == list(want.tags.items())


# --- dialect text shortcuts (dialects/kit/views.py): the decoded text is the reference ------------

_LEAF_VARIANTS = [  # (Content-Type, Content-Transfer-Encoding or None, body bytes)
    ("text/plain", None, b"This is an automatically generated message from SendGrid.\n"),
    ("text/plain; charset=us-ascii", "7bit", b"plain\r\nFinal-Recipient: rfc822; a@b\r\n"),
    ("text/plain; charset=utf-8", "8bit", "h\u00e9 SendGrid.\n".encode()),
    ("text/plain; charset=iso-2022-jp", None, b"\x1b$B$3\x1b(B Final-Recipient:\n"),
    ("text/plain; charset=utf-16", None, "Final-Recipient:".encode("utf-16")),
    ("text/plain; charset=shift_jis", None, b"\x83\x40Final-Recipient: x\n"),
    ("text/plain", "quoted-printable", b"Final-Rec=\nipient: =41\n"),
    ("text/plain", "base64", b"RmluYWwtUmVjaXBpZW50OiBh\n"),
    ("text/html; charset=windows-1252", None, b"<p>Final-Recipient: \x93q\x94</p>\n"),
    ("text/plain; charset=x-unknown", None, b"Final-Recipient: a\n"),
    ("text/plain; charset=latin-1", " 7BIT ", b"Final-Recipient: \xe9\n"),
]


def _variant_messages() -> list[bytes]:
    out = []
    for ctype, cte, body in _LEAF_VARIANTS:
        head = f"Content-Type: {ctype}\n" + (f"Content-Transfer-Encoding: {cte}\n" if cte else "")
        out.append(b"From: a@b\nSubject: s\n" + head.encode() + b"\n" + body)
        out.append(b"From: a@b\nSubject: s\nMIME-Version: 1.0\n"
                   b"Content-Type: multipart/report; boundary=\"B\"\n\n--B\n" + head.encode()
                   + b"\n" + body + b"\n--B\nContent-Type: message/delivery-status\n\n"
                   b"Reporting-MTA: dns; x\n\nFinal-Recipient: rfc822; a@b\nStatus: 5.1.1\n"
                   b"\n--B\nContent-Type: message/rfc822\n\nSubject: r\n\n" + body + b"\n--B--\n")
    return out


def test_full_text_has_matches_the_full_text():
    from pipeline.mime.parse import parse_email
    from pipeline.dsn.dialects.kit.views import full_text_has
    from pipeline.mime.view import MailView

    phrases = ["This is an automatically generated message from SendGrid.", "Final-Recipient:",
               "Final-Recipient: rfc822; a@b", "Status: 5.1.1", "SendGrid.", "q", "absent!"]
    datas = _variant_messages() + [p.read_bytes() for p in sorted(FIXTURES.glob("*.eml"))]
    fast = 0
    for data in datas:
        for phrase in phrases:
            mail = MailView.of(parse_email(data))
            got = full_text_has(mail, phrase)
            fast += "full_text" not in mail.__dict__
            assert got == (phrase in MailView(parse_email(data)).full_text), (data[:300], phrase)
    assert fast  # the shortcut is taken somewhere, not only the fallback


def test_plain_ascii_text_matches_decoded_text():
    from pipeline.mime.parse import parse_email
    from pipeline.dsn.dialects.kit.views import plain_ascii_text
    from pipeline.dsn.dialects.kit.providers import _CHARSET_ALIASES, _FALLBACK_CHARSETS
    from pipeline.mime.view import MailView, decoded_text

    datas = _variant_messages() + [p.read_bytes() for p in sorted(FIXTURES.glob("*.eml"))]
    taken = 0
    for data in datas:
        for part in MailView(parse_email(data)).parts:
            if part.is_multipart():
                continue
            for aliases, fallbacks in ((None, ("utf-8", "latin-1")),
                                       (_CHARSET_ALIASES, _FALLBACK_CHARSETS)):
                got = plain_ascii_text(part, aliases)
                if got is not None:
                    taken += 1
                    assert got == decoded_text(part, fallbacks=fallbacks, aliases=aliases)
    assert taken


def test_phrase_tables_are_read_lowered_once_with_the_same_answers():
    from pipeline.dsn.dialects import lhost_exim, lhost_qmail, lhost_yahoo
    from pipeline.dsn.dialects.kit import first_phrase, lowered_table

    def reference(text, table):
        low = text.lower()
        for reason, phrases in table.items():
            if any(p.lower() in low for p in phrases):
                return reason
        return None

    tables = [lhost_exim.MESSAGES_OF, lhost_qmail.MESSAGES_OF, lhost_yahoo.MESSAGES_OF,
              {"b": ("MiXeD Case",), "a": ("mixed",)}]
    rnd = random.Random(7)
    for table in tables:
        assert lowered_table(table) is lowered_table(table)
        phrases = [p for ps in table.values() for p in ps]
        for _ in range(300):
            text = " ".join(rnd.choice(phrases + ["x", "550", "MIXED case"])
                            for _ in range(rnd.randint(0, 3)))
            text = text.upper() if rnd.random() < 0.3 else text
            assert first_phrase(text, table) == reference(text, table)


@given(st.text(alphabet="ab@.;: <>\t\n\"(),rfc822smtpx-unixdns", max_size=24),
       st.sampled_from(["", "rfc822; ", "smtp;", " x-foo ; ", "dns;", "RFC822;"]))
@settings(max_examples=400, deadline=None)
def test_address_needs_no_type_strip(text, prefix):
    """address() searches the value as given: a DSN type prefix (no "@", ends at the ";"
    delimiter) never changes the first address found."""
    from pipeline.dsn.fields import strip_type

    value = prefix + text
    found = addresses._ADDRESS.search(strip_type(value)) if value else None
    assert addresses.address(value) == (found.group(1).strip(".") if found else None)
