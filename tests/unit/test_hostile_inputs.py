"""Hostile report inputs are refused within the caps, with a reason, in bounded memory.

Each case goes through the core (`process`), which must return a dead letter, never raise.
Bombs are built small: a gzip of 1 GiB of whitespace is 1,024 concatenated 1 MiB members
(about 1 MB on disk), never 1 GiB in memory.
"""
from __future__ import annotations

import gzip
import io
import resource
import tracemalloc
import zipfile

import pytest

from pipeline.core import process
from pipeline.dmarc import parse_report
from pipeline.errors import LimitExceeded, UnsafeInput
from pipeline.settings import Limits, Settings
from schemas.models import RawMessage, RawSource

REPORT_HEAD = (b'<?xml version="1.0"?><feedback><report_metadata><org_name>x.example</org_name>'
               b'<email>r@x.example</email><report_id>h-1</report_id><date_range>'
               b'<begin>1600000000</begin><end>1600086399</end></date_range></report_metadata>'
               b'<policy_published><domain>example.com</domain><p>none</p></policy_published>')
RECORD = (b'<record><row><source_ip>192.0.2.1</source_ip><count>1</count><policy_evaluated>'
          b'<disposition>none</disposition><dkim>pass</dkim><spf>pass</spf></policy_evaluated>'
          b'</row><identifiers><header_from>example.com</header_from></identifiers>'
          b'<auth_results/></record>')


def report(records: int = 1) -> bytes:
    return REPORT_HEAD + RECORD * records + b"</feedback>"


def dead_letter_of(payload: bytes, settings: Settings | None = None):
    raw = RawMessage.from_bytes(payload, RawSource(transport="memory"))
    out = process(raw, settings)
    for rows in out.rows.values():  # lazy rows: consuming them must not raise either way
        list(rows)
    assert len(out.dead_letters) == 1, out
    letter = out.dead_letters[0]
    assert letter.raw_sha256 == raw.sha256
    return letter


def whitespace_gzip(gib: float = 1.0) -> bytes:
    member = gzip.compress(b" " * (1 << 20), 9)
    return member * int(1024 * gib)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<feedback><report_metadata><org_name>&lol9;</org_name></report_metadata></feedback>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE feedback [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<feedback><report_metadata><org_name>&xxe;</org_name></report_metadata></feedback>"""


def test_billion_laughs_is_refused_as_unsafe() -> None:
    letter = dead_letter_of(BILLION_LAUGHS)
    assert (letter.error_type, letter.stage) == ("UnsafeInput", "limits")
    assert "DTD" in letter.reason


def test_external_entity_is_refused_and_never_resolved() -> None:
    letter = dead_letter_of(EXTERNAL_ENTITY)
    assert letter.error_type == "UnsafeInput"
    assert b"root:" not in (letter.payload or b"")


def test_dtd_after_a_long_prolog_is_still_refused() -> None:
    payload = b'<?xml version="1.0"?>\n<!--' + b"x" * 20_000 + b"-->\n" + EXTERNAL_ENTITY[22:]
    with pytest.raises(UnsafeInput):
        list(parse_report(payload).aggregate)


def test_dtd_inside_gzip_is_refused() -> None:
    assert dead_letter_of(gzip.compress(BILLION_LAUGHS)).error_type == "UnsafeInput"


def test_gzip_of_one_gib_whitespace_is_refused_in_bounded_memory() -> None:
    bomb = gzip.compress(b'<?xml version="1.0"?>') + whitespace_gzip(1.0)
    assert len(bomb) < 2 * 1024 * 1024
    tracemalloc.start()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    letter = dead_letter_of(bomb)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_growth_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
    assert letter.error_type == "LimitExceeded"
    assert "prolog" in letter.reason or "inflates" in letter.reason
    assert peak < 64 * 1024 * 1024
    assert rss_growth_mib < 150


def test_gzip_of_bare_whitespace_is_not_a_report() -> None:
    letter = dead_letter_of(whitespace_gzip(1.0))
    assert letter.error_type == "ParseError" and "not a DMARC/TLS report" in letter.reason


def test_whitespace_inside_the_report_stops_before_libxml2_buffers_it() -> None:
    assert "max_compression_ratio" in dead_letter_of(
        gzip.compress(REPORT_HEAD) + whitespace_gzip(1.0)).reason
    # without the ratio cap, the run of whitespace itself is refused (never 10 MB buffered)
    lax = Settings(limits=Limits(max_compression_ratio=1_000_000))
    letter = dead_letter_of(gzip.compress(REPORT_HEAD) + whitespace_gzip(1.0), lax)
    assert letter.error_type == "LimitExceeded"
    assert "run of more than 1048576 bytes without a tag" in letter.reason


def test_ratio_cap_stops_a_gzip_bomb_of_valid_records() -> None:
    record_member = gzip.compress(RECORD * 4000, 9)  # ~1.5 MB of records in ~10 KB
    ratio = len(RECORD) * 4000 / len(record_member)
    assert ratio > 200
    bomb = gzip.compress(REPORT_HEAD) + record_member * 8
    seen = 0
    with pytest.raises(LimitExceeded, match="max_compression_ratio"):
        for _ in parse_report(bomb).aggregate:  # past the held rows: raised mid-iteration
            seen += 1
    assert seen < 4000 * 8


def test_zip_bomb_stops_at_the_ratio_cap() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("report.xml", "w") as member:
            member.write(REPORT_HEAD)
            chunk = RECORD * 4000
            for _ in range(12):
                member.write(chunk)
    with pytest.raises(LimitExceeded, match="max_compression_ratio"):
        list(parse_report(buf.getvalue()).aggregate)


def test_zip_declaring_more_than_the_cap_is_refused_before_inflating() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("report.xml", report(50))
    settings = Settings(limits=Limits(max_decompressed_bytes=1000))
    letter = dead_letter_of(buf.getvalue(), settings)
    assert letter.error_type == "LimitExceeded"
    assert "max_decompressed_bytes" in letter.reason


def test_ten_thousand_member_zip_is_refused() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as archive:
        for i in range(10_000):
            archive.writestr(f"m{i}.xml", b"<a/>")
    letter = dead_letter_of(buf.getvalue())
    assert letter.error_type == "LimitExceeded"
    assert "10000 members" in letter.reason and "max_zip_members" in letter.reason


def test_record_count_cap() -> None:
    settings = Settings(limits=Limits(max_report_records=3))
    letter = dead_letter_of(report(4), settings)
    assert letter.error_type == "LimitExceeded"
    assert "more than 3 records" in letter.reason
    raw = RawMessage.from_bytes(report(3), RawSource(transport="memory"))
    assert len(list(process(raw, settings).rows["dmarc_aggregate"])) == 3


def test_record_cap_hit_while_streaming_raises_during_iteration() -> None:
    """Past the held rows the error arrives mid-iteration: the consumer discards the input.
    Records are read a chunk at a time: the rows of the chunks read before the cap is hit."""
    from pipeline.dmarc import aggregate, unwrap

    assert unwrap.HOLD_ROWS % aggregate.CHUNK_RECORDS == 0

    settings = Settings(limits=Limits(max_report_records=unwrap.HOLD_ROWS + 10))
    rows = parse_report(report(unwrap.HOLD_ROWS + 11), settings=settings).aggregate
    seen = 0
    with pytest.raises(LimitExceeded):
        for _ in rows:
            seen += 1
    assert seen == unwrap.HOLD_ROWS


def test_nested_gzip_layers_are_capped() -> None:
    payload = report(1)
    for _ in range(6):
        payload = gzip.compress(payload)
    letter = dead_letter_of(payload)
    assert letter.error_type == "LimitExceeded" and "nested" in letter.reason


def test_truncated_gzip_is_a_parse_error() -> None:
    letter = dead_letter_of(gzip.compress(report(2))[:40])
    assert letter.error_type in ("ParseError", "NotSupported")


def test_payload_over_the_cap_is_refused() -> None:
    settings = Settings(limits=Limits(max_payload_bytes=100))
    assert dead_letter_of(report(3), settings).error_type == "LimitExceeded"
