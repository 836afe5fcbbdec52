"""`mime.fastparse` must build exactly the tree the stdlib's compat32 feed parser builds:
same headers, payloads, preambles, epilogues, default types, unix-from lines and defects,
part by part. Checked on hand-written quirks, on Hypothesis-generated MIME-ish line soups
and on every corpus email (when the corpus is present)."""
from __future__ import annotations

import email
import email.policy
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.mime.parse import parse_email
from pipeline.mime import fastparse
from pipeline.mime.message import CachedMessage


def tree(msg) -> tuple:
    payload = msg._payload
    return (tuple(msg._headers), msg.get_content_type(), msg._unixfrom, msg.preamble, msg.epilogue,
            msg._default_type,
            tuple(type(d).__name__ for d in msg.defects),
            tuple(tree(p) for p in payload) if isinstance(payload, list) else payload)


def stdlib(text: str):
    return email.message_from_string(text, _class=CachedMessage, policy=email.policy.compat32)


def assert_same_tree(text: str) -> None:
    try:
        fast = fastparse.parse_text(text)
    except fastparse._Unsupported:
        fast = None  # parse_bytes hands these to the stdlib
    if fast is not None:
        assert tree(fast) == tree(stdlib(text))
    both = fastparse.parse_bytes(text.encode("ascii", "surrogateescape"))
    assert tree(both) == tree(stdlib(text))


DSN = """From: MAILER-DAEMON@mx.example
To: bounces@sender.example
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="B:1"

This is a MIME-encapsulated message.

--B:1
Content-Type: text/plain; charset=us-ascii

The mail system
--not a boundary
--B:1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example


Final-Recipient: rfc822; a@example.org
Action: failed
Status: 5.1.1
not a field line
Diagnostic-Code: smtp; 550 5.1.1 user unknown

--B:1
Content-Type: message/rfc822

From: a@sender.example
Subject: hi
Content-Type: multipart/alternative; boundary=inner

--inner
Content-Type: text/plain

hello
--inner--
epilogue of inner

--B:1--
trailing epilogue
"""

QUIRKS = {
    "dsn": DSN,
    "dsn-crlf": DSN.replace("\n", "\r\n"),
    "dsn-bare-cr": DSN.replace("\n", "\r"),
    "mixed-newlines": DSN.replace("\n", "\r\n", 5).replace("Action", "\rAction"),
    "unixfrom": "From MAILER-DAEMON Mon Nov 23 10:00:00 2026\nSubject: x\n\nbody\n",
    "from-line-inside-headers": "Subject: x\nFrom someone\nTo: y\n\nbody\n",
    "from-line-last-header": "Subject: x\nFrom someone\n\nbody\n",
    "first-line-continuation": " folded\nSubject: x\n\nbody",
    "missing-header-name": "Subject: x\n: nothing\n\tmore\n\nbody\n",
    "no-separator": "Subject: x\nthis is body text\nmore\n",
    "headers-only-no-newline": "Subject: x",
    "empty": "",
    "only-newlines": "\n\n\n",
    "multipart-no-boundary": "Content-Type: multipart/mixed\n\n--x\nbody\n",
    "start-boundary-missing": "Content-Type: multipart/mixed; boundary=b\n\nno parts here\n--b--\nafter\n",
    "close-boundary-missing": "Content-Type: multipart/mixed; boundary=b\n\n--b\n\npart one\n",
    "duplicate-separators": "Content-Type: multipart/mixed; boundary=b\n\n--b\n--b\n--b--\n\nx\n--b--\n",
    "boundary-whitespace": "Content-Type: multipart/mixed; boundary=b\n\n--b \t\nA: 1\n\nx\n--b--  \nepi",
    "close-without-newline": "Content-Type: multipart/mixed; boundary=b\n\n--b\n\nx\n--b--",
    "nested-same-boundary": ("Content-Type: multipart/mixed; boundary=b\n\n--b\n"
                             "Content-Type: multipart/alternative; boundary=b\n\n--b\n\nx\n--b--\n--b--\n"),
    "digest": ("Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: inner\n\nbody\n"
               "--d\nContent-Type: text/plain\n\nplain\n--d--\n"),
    "bad-cte-on-multipart": ("Content-Type: multipart/mixed; boundary=b\nContent-Transfer-Encoding: "
                             "base64\n\n--b\n\nx\n--b--\n"),
    "delivery-status-at-eof": "Content-Type: message/delivery-status\n\n",
    "delivery-status-trailing-blanks": "Content-Type: message/delivery-status\n\nA: 1\n\n\n\nB: 2\n\n",
    "rfc822-empty": "Content-Type: message/rfc822\n",
    "eight-bit": "Subject: caf\udcc3\udca9\nContent-Type: text/plain\n\n\udcff body\n",
    "folded-boundary": "Content-Type: multipart/mixed; boundary=b\n folded\n\n--b\n folded\n",
    # a child parsed in the window between two of its parent's boundary lines
    "inner-cut-by-outer-boundary": ("Content-Type: multipart/mixed; boundary=o\n\n--o\n"
                                    "Content-Type: multipart/alternative; boundary=i\n\n--i\n\n"
                                    "inner\n--o\n\nsecond\n--i--\n--o--\nepi\n"),
    "part-headers-run-into-boundary": ("Content-Type: multipart/mixed; boundary=\"a:b\"\n\n--a:b\n"
                                       "Content-Type: text/plain\n--a:b\nX: 1\n--a:b--\n"),
    "dash-lines-in-bodies": ("Content-Type: multipart/mixed; boundary=b\n\n-- preamble\n--b\n\n"
                             "----- The following addresses had errors -----\n--bx\n--b-\n"
                             "--b--x\n-- \n--b \n\nlast\n--b--\n--b\n-- epilogue\n"),
    "colon-in-boundary-line": ("Content-Type: multipart/mixed; boundary=\"x:y\"\n\n--x:y\nA: 1\n\nx\n"
                               "--x:y\n--x:y--\n"),
}


@pytest.mark.parametrize("name", sorted(QUIRKS))
def test_quirk_parses_to_the_stdlib_tree(name):
    assert_same_tree(QUIRKS[name])


def test_the_dsn_tree_has_the_expected_shape():
    msg = parse_email(DSN.encode())
    types = [p.get_content_type() for p in msg.walk()]
    # three field blocks: the double blank line makes an empty one (a stdlib quirk, kept)
    assert types == ["multipart/report", "text/plain", "message/delivery-status", "text/plain",
                     "text/plain", "text/plain", "message/rfc822", "multipart/alternative",
                     "text/plain"]
    blocks = msg.get_payload()[1].get_payload()
    assert [b.get("Final-Recipient") for b in blocks] == [None, None, "rfc822; a@example.org"]
    # a line that is not a field ends the block's fields; the rest is its payload, whose
    # last newline belongs to the part's boundary
    assert blocks[2].get_payload() == "not a field line\nDiagnostic-Code: smtp; 550 5.1.1 user unknown"
    assert msg.epilogue == "trailing epilogue\n"


LINES = ["Content-Type: multipart/mixed; boundary=b", "Content-Type: multipart/report; boundary=c",
         "Content-Type: message/delivery-status", "Content-Type: message/rfc822",
         "Content-Type: multipart/digest; boundary=b", "Content-Type: text/plain", "--b", "--b--",
         "--c", "--c--", "--b  ", "--c--\t", "", "", "", "Subject: x", " folded", "\tfolded",
         "From x", ":bad", "body text", "Final-Recipient: rfc822; a@b.example", "Status: 5.1.1",
         "Content-Transfer-Encoding: base64", "--", "x: y", "caf\udcc3\udca9"]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(LINES), max_size=40),
       st.lists(st.sampled_from(["\n", "\r\n", "\r"]), min_size=1, max_size=3),
       st.booleans())
def test_generated_mime_soup_parses_to_the_stdlib_tree(lines, newlines, final_newline):
    text = "".join(line + newlines[i % len(newlines)] for i, line in enumerate(lines))
    if not final_newline:
        text = text.rstrip("\r\n")
    assert_same_tree(text)


def _corpus_emails() -> list[Path]:
    base = Path(os.environ.get("BOUNCEPIPE_CORPUS")
                or Path(__file__).resolve().parents[2].parent / "shared" / "corpus")
    return sorted(p for p in base.rglob("*") if p.suffix in (".eml", ".msg", ".txt")
                  and p.stat().st_size < 5_000_000) if base.is_dir() else []


def test_every_corpus_email_parses_to_the_stdlib_tree():
    files = _corpus_emails()
    if not files:
        pytest.skip("corpus not found (BOUNCEPIPE_CORPUS or ../shared/corpus)")
    for path in files:
        text = path.read_bytes().decode("ascii", "surrogateescape")
        fast = fastparse.parse_text(text)
        assert tree(fast) == tree(stdlib(text)), path.name


def test_every_corpus_part_payload_is_the_stdlibs():
    """CachedMessage.get_payload() answers a plain read without the stdlib's header scan:
    the same payload for every part of every corpus email (8-bit and encoded parts too)."""
    files = _corpus_emails()
    if not files:
        pytest.skip("corpus not found (BOUNCEPIPE_CORPUS or ../shared/corpus)")
    fast_reads = 0
    for path in files:
        for part in fastparse.parse_bytes(path.read_bytes()).walk():
            expected = email.message.Message.get_payload(part)
            assert part.get_payload() == expected, path.name
            assert part.get_payload(decode=True) == email.message.Message.get_payload(
                part, decode=True), path.name
            fast_reads += isinstance(expected, str) and expected.isascii() and \
                part._head() is not None
    assert fast_reads > len(files)   # the direct read is the common case


def _answers(msg) -> list:
    """What the dialects ask of every part, with each defect's line: the memos the parser
    seeded must agree with the headers the tree holds."""
    out = []
    for part in msg.walk():
        out.append((part.get_content_type(), part.get_boundary(), part.get_content_charset(),
                    part.get_filename(), str(part.get("content-transfer-encoding", "")),
                    part.transfer_encoding("") if isinstance(part, CachedMessage) else
                    str(part.get("content-transfer-encoding", "")),
                    part.get_param("report-type"),
                    [(type(d).__name__, getattr(d, "line", None), d.args) for d in part.defects]))
    return out


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(LINES + ["Content-Type: multipart/mixed;\n boundary=b",
                                         "Content-Type: text/plain;\n\tcharset=utf-8",
                                         "Content-Transfer-Encoding: 7bit\n (folded)",
                                         " first-line continuation"]), max_size=40),
       st.booleans())
def test_cr_only_text_is_read_as_lf_text_with_its_crs_put_back(lines, final_newline):
    # every line ending (folded values included) a bare CR: fastparse parses the LF copy
    text = "\r".join(line.replace("\n", "\r") for line in lines) + ("\r" if final_newline else "")
    if "\r" not in text:
        return
    try:
        fast = fastparse.parse_text(text)
    except fastparse._Unsupported:
        return   # parse_bytes hands these to the stdlib
    _CR_ONLY_FAST[0] += 1
    plain = stdlib(text)
    assert tree(fast) == tree(plain)
    assert _answers(fast) == _answers(plain)
    assert all("\n" not in value for part in fast.walk() for _, value in part._headers)


_CR_ONLY_FAST = [0]


def test_cr_only_texts_took_the_lf_parse_often():
    # the property test above runs first (file order): most of its texts were parsed fast
    assert _CR_ONLY_FAST[0] > 150


def test_the_time_budget_is_checked_on_the_first_part_and_every_eighth(monkeypatch):
    import time

    from pipeline import deadline

    # an expired budget stops the parse at its first part
    with deadline.Active(time.monotonic() - 1, 1.0, False):
        with pytest.raises(deadline.TimeBudgetExceeded):
            fastparse.parse_bytes(DSN.encode())
    # one check per 8 parts (the root is the first): 1 + 16 parts -> parts 1, 9 and 17
    checks = []
    monkeypatch.setattr(fastparse, "check_time", lambda: checks.append(1))
    many = ("Content-Type: multipart/mixed; boundary=b\n\n"
            + "".join(f"--b\n\npart {i}\n" for i in range(16)) + "--b--\n")
    assert len(fastparse.parse_text(many).get_payload()) == 16
    assert len(checks) == 3
