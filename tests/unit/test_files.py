"""File sources: how files, mbox, maildir and JSON Lines become raw inputs."""
from __future__ import annotations

from connectors.sources.files import iter_raw_messages
from pipeline.sniff import sniff

MSG = b"From: a@example.org\nSubject: %d\n\nbody %d\n"


def test_mbox_is_split_per_message_and_unquotes_from_lines(tmp_path):
    mbox = tmp_path / "reports.mbox"
    mbox.write_bytes(
        b"From MAILER-DAEMON Tue Nov 17 09:00:00 2026\n" + MSG % (1, 1)
        + b">From the desk of\n\n"
        + b"From MAILER-DAEMON Tue Nov 17 09:01:00 2026\n" + MSG % (2, 2))
    raws = list(iter_raw_messages([mbox]))
    assert [r.source.label for r in raws] == [f"{mbox}#1", f"{mbox}#2"]
    assert raws[0].payload.endswith(b"body 1\nFrom the desk of\n")
    assert raws[1].payload.startswith(b"From: a@example.org\nSubject: 2")


def test_single_message_with_a_from_line_is_one_input(tmp_path):
    eml = tmp_path / "one.eml"
    eml.write_bytes(b"From someone Tue Nov 17 09:00:00 2026\n" + MSG % (1, 1))
    (raw,) = list(iter_raw_messages([eml]))
    assert raw.source.label == str(eml) and sniff(raw.payload) == "email"


def test_maildir_and_directories_are_walked_recursively_in_order(tmp_path):
    for sub in ("cur", "new", "tmp"):
        (tmp_path / "Maildir" / sub).mkdir(parents=True)
    (tmp_path / "Maildir" / "new" / "2.host").write_bytes(MSG % (2, 2))
    (tmp_path / "Maildir" / "cur" / "1.host:2,S").write_bytes(MSG % (1, 1))
    (tmp_path / "Maildir" / "cur" / ".hidden").write_bytes(b"x")
    raws = list(iter_raw_messages([tmp_path / "Maildir"]))
    assert [r.source.path.rsplit("/", 2)[-2:] for r in raws] == [["cur", "1.host:2,S"],
                                                                 ["new", "2.host"]]


def test_jsonl_is_split_per_line_and_received_at_is_stable(tmp_path):
    log = tmp_path / "kumo.jsonl"
    log.write_bytes(b'{"type":"Delivery"}\n\n{"type":"Bounce"}\n')
    first = list(iter_raw_messages([log]))
    again = list(iter_raw_messages([log]))
    assert [r.source.member for r in first] == ["line 1", "line 3"]
    assert [r.received_at for r in first] == [r.received_at for r in again]


def test_sniff_families():
    assert sniff(b"\x1f\x8b\x08\x00") == "archive"
    assert sniff(b"PK\x03\x04rest") == "archive"
    assert sniff(b"\xef\xbb\xbf<?xml version='1.0'?><feedback/>") == "xml"
    assert sniff(b"  [{\"event\": \"open\"}]") == "json"
    assert sniff(b"Received: from x\nFrom: y\n\nbody") == "email"
    assert sniff(b"   \n\t") == "empty"
    assert sniff(b"just some words") == "unknown"


def test_cr_only_and_crlf_mbox_files_are_split_too(tmp_path):
    for nl in (b"\r", b"\r\n"):
        mbox = tmp_path / f"old-{len(nl)}.mbox"
        one = (MSG % (1, 1)).replace(b"\n", nl)
        two = (MSG % (2, 2)).replace(b"\n", nl)
        mbox.write_bytes(b"From a Tue Nov 17 09:00:00 2026" + nl + one + nl +
                         b">From quoted" + nl + b"From b Tue Nov 17 09:01:00 2026" + nl + two)
        raws = list(iter_raw_messages([mbox]))
        assert [r.source.member for r in raws] == ["1", "2"]
        assert raws[0].payload == one + nl + b"From quoted"
        assert raws[1].payload == two


def test_sources_and_publishers_keep_their_contracts(tmp_path):
    """Each registered pull source and each publisher satisfies the connectors/sources
    contract (a new one that drops a method fails here)."""
    import importlib

    from connectors.sources import SOURCES, PullSource, RawPublisher
    from connectors.sources.kafka_publisher import KafkaPublisher
    from connectors.sources.spool_publisher import SpoolPublisher
    from pipeline.settings import Settings

    (tmp_path / "a.eml").write_bytes(b"Subject: hi\n\nbody\n")
    for name, target in SOURCES.items():
        module, _, cls = target.partition(":")
        source = getattr(importlib.import_module(module), cls)([tmp_path])
        assert isinstance(source, PullSource) and source.name == name
        [raw] = list(source.read())
        assert raw.payload == b"Subject: hi\n\nbody\n"
        source.ack(raw)
    assert isinstance(SpoolPublisher(tmp_path / "spool"), RawPublisher)
    assert isinstance(KafkaPublisher(Settings().kafka), RawPublisher)


def test_sniff_header_line_test_on_the_head_is_the_first_lines():
    """sniff() tests the header-line expression on the whole 4 KiB head, not on its first
    line cut off: the same answer, since the expression takes no line end."""
    import random
    import re

    from pipeline import sniff as sniffing

    first_line_test = re.compile(rb"^[!-9;-~]+:[ \t]?", re.M)
    rnd = random.Random(3)
    alphabet = b"ab:\n\r \t-;9~\x00\xff"
    matched = 0
    for _ in range(50_000):
        head = bytes(rnd.choice(alphabet) for _ in range(rnd.randrange(12)))
        want = bool(first_line_test.match(head.split(b"\n", 1)[0]))
        assert bool(sniffing._HEADER_LINE.match(head)) is want, head
        matched += want
    assert matched > 1000


def test_line_files_by_suffix_as_splitext_says():
    import os
    from pathlib import Path

    from connectors.sources.files import _line_file

    names = ["a.jsonl", "A.NDJSON", ".jsonl", "dir.jsonl/x", "x.jsonl.gz", "x.json", "jsonl",
             "d/.ndjson", "d/a.b.ndjson", "a.jSoNl", b"a.jsonl", b"a.eml"]
    for name in names + [Path(n) for n in names if isinstance(n, str)]:
        want = os.path.splitext(name)[1].lower() in (".jsonl", ".ndjson")   # the definition
        assert _line_file(name) is want, name
