"""Property test: mutated bounces (truncation, bad charsets, broken MIME boundaries, garbage
headers, random byte flips) never crash `process()`: every input gives events or a dead
letter with a reason. Runs on the hand-written fixtures, plus a few corpus files when present."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.core import process
from schemas.models import RawMessage, RawSource

FIXTURES = sorted((Path(__file__).resolve().parents[1] / "fixtures" / "bounces").glob("*.eml"))


def _corpus_samples() -> list[Path]:
    base = Path(os.environ.get("BOUNCEPIPE_CORPUS") or
                Path(__file__).resolve().parents[3] / "shared" / "corpus")
    emails = base / "bounces" / "emails" / "maildir"
    names = ("bsd/lhost-postfix-01.eml", "bsd/arf-01.eml", "bsd/rfc3464-01.eml",
             "bsd/lhost-exim-01.eml", "bsd/rhost-google-01.eml", "dos/lhost-sendmail-01.eml")
    return [emails / n for n in names if (emails / n).is_file()]


SAMPLES = [p.read_bytes() for p in FIXTURES + _corpus_samples()]
assert SAMPLES, "no fixtures found"


def _truncate(data: bytes, at: int) -> bytes:
    return data[: at % (len(data) + 1)]


def _flip(data: bytes, pos: int, byte: int) -> bytes:
    if not data:
        return data
    i = pos % len(data)
    return data[:i] + bytes([byte]) + data[i + 1:]


def _bad_charset(data: bytes, _pos: int) -> bytes:
    return data.replace(b"charset=", b"charset=x-no-such-charset-", 1).replace(
        b"Content-Type: text/plain", b"Content-Type: text/plain; charset=\xff\xfe", 1)


def _break_boundary(data: bytes, pos: int) -> bytes:
    marker = data.find(b"boundary=")
    if marker < 0:
        return data
    return data[:marker] + b"boundary=\"" + str(pos).encode() + data[marker + 9:]


def _garbage_header(data: bytes, pos: int) -> bytes:
    junk = [b"X-\x00\xff: \xfe\xfe\r\n", b"Content-Type: multipart/report; boundary=\r\n",
            b": no name\n", b"Final-Recipient: rfc822; <<<@@@>>>\n",
            b"Content-Transfer-Encoding: base64\n", b"=?utf-8?q?=ZZ?=: x\n"][pos % 6]
    return junk + data


def _drop_lines(data: bytes, pos: int) -> bytes:
    lines = data.splitlines(keepends=True)
    if len(lines) < 3:
        return data
    i = pos % len(lines)
    return b"".join(lines[:i] + lines[i + 2:])


def _eight_bit(data: bytes, pos: int) -> bytes:
    """Raw 8-bit bytes (valid UTF-8 and not) inside a line: headers, DSN fields, bodies."""
    i = data.find(b"\n", pos % (len(data) + 1))
    if i < 0:
        return data
    return data[:i + 1] + b"Subject: caf\xc3\xa9 \xff\xfe " + data[i + 1:]


MUTATIONS = [_bad_charset, _break_boundary, _garbage_header, _drop_lines, _eight_bit]


@st.composite
def mutated(draw) -> bytes:
    data = draw(st.sampled_from(SAMPLES))
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.integers(0, len(MUTATIONS) + 1))
        pos = draw(st.integers(0, 1 << 20))
        if kind == len(MUTATIONS):
            data = _truncate(data, pos)
        elif kind == len(MUTATIONS) + 1:
            data = _flip(data, pos, draw(st.integers(0, 255)))
        else:
            data = MUTATIONS[kind](data, pos)
    return data


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_bounces_never_crash(payload):
    raw = RawMessage.from_bytes(payload, RawSource(transport="memory", path="mutation"))
    out = process(raw)
    assert out.events or out.dead_letters
    for dl in out.dead_letters:
        assert dl.reason and not dl.reason.startswith("unexpected"), dl.reason
    for ev in out.events:
        assert ev.category and ev.rule and ev.raw_sha256 == raw.sha256
        # no lone surrogates from raw 8-bit bytes: JSON and Arrow sinks must encode every field
        ev.model_dump_json().encode("utf-8")
        for value in ev.model_dump().values():
            if isinstance(value, str):
                value.encode("utf-8")


def test_recursion_heavy_nesting_is_a_dead_letter_or_events():
    nested = b"Content-Type: multipart/mixed; boundary=a\n\n--a\n" * 2000
    out = process(RawMessage.from_bytes(nested, RawSource(transport="memory")))
    assert out.events or out.dead_letters
    assert sys.getrecursionlimit() >= 1000
