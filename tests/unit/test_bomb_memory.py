"""Regression tests for the last two bomb classes of issue #21 over the memory target, and
their neighbours: malformed XML that libxml2 buffered whole (waiting for the ";" of a bare
"&"), and a huge X-Failed-Recipients header copied several times while it was parsed, split
and iterated. Outcomes only (reasons, event counts, bytes read, copies held); time and RSS
are measured by bench/bench_bombs.py.
"""
from __future__ import annotations

import base64
import io
import random
import tracemalloc

import pytest
from lxml import etree

from pipeline.dmarc import aggregate, unwrap
from pipeline.dmarc.xmlguard import MAX_UNPARSED_BYTES
from pipeline.mime.addresses import list_items
from pipeline.mime.fastparse import _FIELDS, _NEXT_HEADER, parse_bytes
from pipeline.mime.headers import FOLD_WINDOW, decode_header_value, fold
from pipeline.core import process
from pipeline.settings import Limits, Settings
from schemas.models import RawMessage, RawSource
from tests.unit.test_hostile_inputs import RECORD, REPORT_HEAD, dead_letter_of
from tests.unit.test_hostile_regressions import failed_bounce

# "AT&T" unescaped, and no ";" anywhere after it: libxml2 waits for the end of the reference.
BARE_AMPERSAND_HEAD = REPORT_HEAD.replace(b"<org_name>x.example</org_name>",
                                          b"<org_name>AT&T</org_name>")
BUFFER = 64 * 1024  # what the guarded stream's BufferedReader reads at a time


class CountingStream(io.RawIOBase):
    def __init__(self, data: bytes):
        self._data = io.BytesIO(data)
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        self.read_bytes += len(chunk)
        return len(chunk)


def with_peak(function, argument):
    """function(argument) and the peak of Python memory allocated while it ran."""
    tracemalloc.start()
    try:
        result = function(argument)
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# -- malformed XML --------------------------------------------------------------------
def test_malformed_xml_is_not_fed_to_libxml2_past_the_unparsed_cap() -> None:
    data = BARE_AMPERSAND_HEAD + RECORD * 20_000 + b"</feedback>"   # 5.5 MB
    stream = CountingStream(data)
    with pytest.raises(etree.XMLSyntaxError, match="EntityRef: expecting ';'"):
        list(aggregate.iter_aggregate_rows(stream, {}, 10**6))
    assert stream.read_bytes <= MAX_UNPARSED_BYTES + 2 * BUFFER < len(data)


def test_a_well_formed_report_larger_than_the_unparsed_cap_reads_whole() -> None:
    data = REPORT_HEAD + RECORD * 20_000 + b"</feedback>"
    assert len(data) > 4 * MAX_UNPARSED_BYTES
    rows = list(aggregate.iter_aggregate_rows(io.BytesIO(data), {}, 10**6))
    assert len(rows) == 20_000 and rows[-1]["record_index"] == 19_999


def test_malformed_xml_over_the_fallback_cap_is_refused_unread(monkeypatch) -> None:
    reads = []
    monkeypatch.setattr(unwrap, "read_capped", lambda *args: reads.append(args))
    letter = dead_letter_of(BARE_AMPERSAND_HEAD + RECORD * 20_000 + b"</feedback>")
    assert (letter.error_type, letter.stage, letter.parser) == ("LimitExceeded", "limits",
                                                                "dmarc")
    assert letter.reason == (
        "malformed XML (EntityRef: expecting ';', line 1, column 63 (<string>, line 1)) "
        f"for the recovering parser is larger than {unwrap.FALLBACK_MAX_BYTES} bytes")
    assert reads == []   # its size was known: the recovering parser's cap needs no read


def test_malformed_xml_under_the_fallback_cap_still_lands_every_record() -> None:
    data = BARE_AMPERSAND_HEAD + RECORD * 4_500 + b"</feedback>"
    assert MAX_UNPARSED_BYTES < len(data) < unwrap.FALLBACK_MAX_BYTES
    out = process(RawMessage.from_bytes(data, RawSource(transport="memory")))
    rows = list(out.rows["dmarc_aggregate"])
    assert out.dead_letters == []
    assert len(rows) == 4_500
    assert {row["parser"] for row in rows} == {"dmarc.aggregate.parsedmarc"}


# -- one huge header ------------------------------------------------------------------
# Blocks of the fast header path: no bare CR, every header starts with a name and a colon.
@pytest.mark.parametrize("block", [
    "A: b\n", "A: b\r\nB:  c \r\n", "A: \t\r\n", "A: x\n y\nB: z", "A:b\n\tc\r\n",
    "A:   \n", "A: \r\n \r\n", "A: x\r\n \t y\r\n\tz\r\nB:\r\n", "A:b:c\nB: \n \n",
])
def test_header_fields_are_the_split_definition(block: str) -> None:
    def definition(text: str) -> list[tuple[str, str]]:
        out = []
        for chunk in _NEXT_HEADER.split(text):
            if chunk:
                name, _, value = chunk.partition(":")
                out.append((name, value.lstrip(" \t").rstrip("\r\n")))
        return out

    text = f"From x\n{block}\n--tail"
    start = len("From x\n")
    assert _FIELDS.findall(text, start, start + len(block)) == definition(block)


def test_a_huge_header_is_held_once_while_parsing() -> None:
    value = ", ".join(f"user{i}@example.com" for i in range(100_000))
    payload = f"X-Failed-Recipients: {value}\nSubject: x\n\nbody\n".encode()
    msg, peak = with_peak(parse_bytes, payload)
    assert msg["X-Failed-Recipients"] == value
    # the decoded text and the header's value: not the block, the chunk and each strip too
    assert peak < 2.5 * len(payload)


@pytest.mark.parametrize("seed", range(4))
def test_folding_a_long_text_by_windows_is_the_split_definition(seed: int) -> None:
    rng = random.Random(seed)
    spaces = [" ", "  ", "\t", "\n ", "\r\n\t", "\xa0", "\u3000", "\x1c", "\u2028"]
    pieces = []
    while sum(map(len, pieces)) < 3 * FOLD_WINDOW:
        # words of every length, one longer than a window: a window must never cut a word
        word = "w" * rng.choice([1, 5, 300, FOLD_WINDOW + 7]) if rng.random() < 0.01 else (
            "x" * rng.randint(1, 12))
        pieces += [word, rng.choice(spaces)]
    text = rng.choice(["", " ", "\t"]) + "".join(pieces)
    assert fold(text) == " ".join(text.split())
    assert decode_header_value(text) == " ".join(text.split())


def test_folding_a_text_of_many_words_holds_no_list_of_them() -> None:
    text = " ".join(f"w{i}" for i in range(500_000))   # 3.9 MB
    folded, peak = with_peak(fold, text)
    assert folded == text
    # the folded windows and their join, not 500,000 word strings (~9x the text)
    assert peak < 2.5 * len(text)


# -- X-Failed-Recipients --------------------------------------------------------------
CAP_3 = Settings(limits=Limits(max_recipients_per_input=3))


@pytest.mark.parametrize("value", ["", "a", " , ,a@b.example ,,\t c d , ", ",,,", "a,b\n c"])
def test_list_items_are_the_split_definition(value: str) -> None:
    assert list(list_items(value)) == [a.strip() for a in value.split(",") if a.strip()]


def test_entries_over_the_cap_are_refused_before_the_dialects_run() -> None:
    # one address, then entries without one: the Exim dialect made a recipient of each
    letter = dead_letter_of(failed_bounce("user0@example.com, x, x, x"), CAP_3)
    assert (letter.error_type, letter.stage) == ("LimitExceeded", "limits")
    assert letter.reason == ("X-Failed-Recipients names more than 3 entries, over the 3 "
                             "recipient cap (limits.max_recipients_per_input)")


def test_entries_at_the_cap_parse() -> None:
    out = process(RawMessage.from_bytes(failed_bounce("user0@example.com, x, x"),
                                        RawSource(transport="memory")), CAP_3)
    assert out.dead_letters == []
    assert [e.recipient for e in out.events] == ["user0@example.com"]


def test_a_header_of_commas_is_one_recipient() -> None:
    out = process(RawMessage.from_bytes(failed_bounce("user0@example.com" + "," * 200_000),
                                        RawSource(transport="memory")), CAP_3)
    assert out.dead_letters == []
    assert [e.recipient for e in out.events] == ["user0@example.com"]


def test_addresses_inside_encoded_words_are_counted() -> None:
    addresses = ", ".join(f"user{i}@example.com" for i in range(4))
    encoded = f"=?utf-8?b?{base64.b64encode(addresses.encode()).decode()}?="
    letter = dead_letter_of(failed_bounce(encoded), CAP_3)
    assert letter.reason == ("X-Failed-Recipients names 4 addresses, over the 3 recipient "
                             "cap (limits.max_recipients_per_input)")
