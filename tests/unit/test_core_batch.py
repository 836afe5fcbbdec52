"""`process_batch` / `process_stream` give every input exactly the Outcome `process` gives it
alone, whatever it is batched with, and a bad input only dead-letters itself."""
from __future__ import annotations

import random
from datetime import datetime, timezone
from pathlib import Path

import pytest

from pipeline import core, registry
from pipeline.core import process, process_batch, process_stream
from pipeline.dsn import engine
from pipeline.dsn.dialects import Dialect, dialects
from pipeline.settings import Limits, Settings
from schemas.models import RawMessage, RawSource

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
WHEN = datetime(2026, 1, 1, tzinfo=timezone.utc)
DSN = (b"From: MAILER-DAEMON@mx.example.org\nTo: s@example.com\n"
       b"Subject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\n"
       b"Content-Type: multipart/report; report-type=delivery-status; boundary=B\n\n"
       b"--B\nContent-Type: text/plain\n\nThe mail system\n\n"
       b"--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n\n"
       b"Final-Recipient: rfc822; gone@example.net\nAction: failed\nStatus: 5.1.1\n"
       b"Diagnostic-Code: smtp; 550 5.1.1 user unknown\n\n--B--\n")


def raw(payload: bytes, name: str = "memory") -> RawMessage:
    return RawMessage.from_bytes(payload, RawSource(transport="file", path=name),
                                 received_at=WHEN)


def key(outcome) -> tuple:
    """Everything an Outcome says, lazy rows consumed."""
    rows = {table: [r if isinstance(r, dict) else r.model_dump(mode="json") for r in rows]
            for table, rows in outcome.rows.items()}
    return ([e.model_dump_json() for e in outcome.events], repr(sorted(rows.items())),
            [(d.error_type, d.reason, d.parser) for d in outcome.dead_letters],
            outcome.parser, outcome.final)


def mixed_inputs() -> list[RawMessage]:
    """Every fixture (bounces, ARF, auto-replies, DMARC XML and email, webhooks...) and the
    inputs that must dead-letter: empty, unknown, broken JSON, a bounce with no address."""
    files = sorted(p for p in FIXTURES.rglob("*") if p.is_file())
    inputs = [raw(p.read_bytes(), str(p)) for p in files]
    inputs += [raw(b""), raw(b"\x00\x01 not anything"), raw(b"{not json"), raw(DSN),
               raw(DSN.replace(b"gone@example.net", b"")),
               raw(b"From: a@example.org\nSubject: hello\n\njust a note\n")]
    assert len(inputs) > 50
    return inputs


def test_a_batch_gives_each_input_its_own_outcome_in_any_order_and_any_batch_size():
    inputs = mixed_inputs()
    alone = {id(r): key(process(r)) for r in inputs}
    assert sum(bool(k[0]) for k in alone.values()) > 30     # events from many inputs
    assert sum(bool(k[2]) for k in alone.values()) >= 5     # and dead letters
    rnd = random.Random(3)
    for size in (1, 2, 7, 64, 500):
        shuffled = inputs[:]
        rnd.shuffle(shuffled)
        got = [(r, key(o)) for r, o in process_stream(shuffled, batch_size=size)]
        assert [r for r, _ in got] == shuffled                 # order kept
        assert all(k == alone[id(r)] for r, k in got), size


def test_process_batch_answers_in_input_order_with_one_outcome_each():
    a, b = raw(DSN), raw(b"")
    out = process_batch([a, b, a])
    assert [len(o.events) for o in out] == [1, 0, 1]
    assert out[1].dead_letters[0].error_type == "NotSupported"
    assert out[0].events[0].category == "hard_bounce" and out[0].events[0].reason == "userunknown"


def test_a_dialect_that_raises_only_affects_the_inputs_it_raises_on(monkeypatch):
    real = dialects()

    def picky(mail):
        if "explode" in mail.subject:
            raise RuntimeError("boom")
        return None

    monkeypatch.setattr(engine, "dialects", lambda: [Dialect("test-picky", 1, picky), *real])
    note = raw(b"From: a@example.org\nSubject: explode\n\nnot a bounce\n")
    inputs = [raw(DSN), note, raw(DSN.replace(b"gone@", b"other@"))]
    alone = [key(process(r)) for r in inputs]
    assert [key(o) for o in process_batch(inputs)] == alone
    assert alone[1][2] == [("ParseError", "bounce dialect failed: test-picky: RuntimeError: boom",
                            "dsn")]
    assert alone[0][0] and alone[2][0]


def test_a_failing_batch_form_falls_back_to_one_by_one(monkeypatch, caplog):
    inputs = mixed_inputs()
    alone = [key(process(r)) for r in inputs]

    def raising(items, settings):
        raise RuntimeError("bug in the batch form")

    def short(items, settings):
        return [None] * (len(items) - 1)   # one answer missing

    handlers = registry.handlers("email")
    for broken in (raising, short):
        patched = tuple(h if h.name != "dsn" else registry.Handler(
            h.name, h.family, h.order, h.detect, h.handle, broken) for h in handlers)
        monkeypatch.setitem(registry._BY_FAMILY, "email", patched)
        caplog.clear()
        assert [key(o) for o in process_batch(inputs)] == alone
        assert "batch form failed" in caplog.text


def _batch_sizes(monkeypatch, inputs, **kwargs) -> list[int]:
    seen: list[int] = []
    real = core._process_read   # what process_stream runs each batch through

    def spy(batch, settings, *said_no):
        seen.append(len(batch))
        return real(batch, settings, *said_no)

    monkeypatch.setattr(core, "_process_read", spy)
    out = list(process_stream(inputs, **kwargs))
    assert [r for r, _ in out] == inputs
    return seen


def test_stream_batches_are_capped_by_count_and_bytes(monkeypatch):
    small, big = raw(DSN), raw(DSN + b"x" * 5000)
    assert _batch_sizes(monkeypatch, [small] * 20, batch_size=6) == [6, 6, 6, 2]
    assert _batch_sizes(monkeypatch, [small] * 5 + [big] + [small] * 2,
                        batch_size=8, batch_bytes=4000) == [5, 1, 2]


def test_streamed_report_rows_keep_reports_about_one_at_a_time(monkeypatch):
    # a DMARC report's rows are a primed lazy iterator: a batch of them would hold them all
    report = raw((FIXTURES / "dmarc" / "draft_identities.xml").read_bytes())
    assert not isinstance(next(iter(process(report).rows.values())), list)
    small = raw(DSN)
    alone = []
    real_process = core.process
    monkeypatch.setattr(core, "process", lambda r, s=None: alone.append(r) or real_process(r, s))
    inputs = [small] * 7 + [report] * 3 + [small] * 3
    sizes = _batch_sizes(monkeypatch, inputs, batch_size=8)
    assert sizes == [7, 3]                # the bounces in batches
    assert alone == [report] * 3          # each report alone, when its turn comes


def test_lazy_rows_from_an_unflagged_handler_shrink_the_next_batches(monkeypatch):
    # a handler that streams rows without saying so: the stream falls back to small batches
    handlers = tuple(registry.Handler(h.name, h.family, h.order, h.detect, h.handle, h.many,
                                      False) for h in registry.handlers("xml"))
    monkeypatch.setitem(registry._BY_FAMILY, "xml", handlers)
    report = raw((FIXTURES / "dmarc" / "draft_identities.xml").read_bytes())
    small = raw(DSN)
    sizes = _batch_sizes(monkeypatch, [report] + [small] * 10, batch_size=4)
    assert sizes == [4, 1, 2, 4]


def test_a_failing_input_reader_still_answers_the_inputs_read_before(monkeypatch):
    def reader():
        yield raw(DSN)
        yield raw(DSN.replace(b"gone@", b"other@"))
        raise OSError("unreadable file")

    got = []
    with pytest.raises(OSError, match="unreadable file"):
        for item in process_stream(reader(), batch_size=100):
            got.append(item)
    assert [o.events[0].recipient for _, o in got] == ["gone@example.net", "other@example.net"]


@pytest.mark.parametrize("limit", [1, 2])
def test_limits_apply_per_input_in_a_batch(limit):
    settings = Settings(limits=Limits(max_mime_parts=limit))
    inputs = [raw(DSN), raw(b"From: a@example.org\nSubject: hello\n\njust a note\n")]
    alone = [key(process(r, settings)) for r in inputs]
    assert [key(o) for o in process_batch(inputs, settings)] == alone
    assert alone[0][2][0][0] == "LimitExceeded"


def test_processed_emails_are_freed_without_the_cycle_collector():
    # A parsed email and its shared MailView refer to each other, and a kept exception's
    # traceback holds the frame that kept it; the core breaks both, so a batch's trees go
    # at once instead of piling up for the cyclic collector (before: ~70 objects an email,
    # and collections that grew with the batch)
    import gc

    from pipeline.mime.message import CachedMessage
    from pipeline.mime.view import MailView

    inputs = mixed_inputs()
    process_batch(inputs)   # first use: imports, compiled patterns, registries
    gc.collect()
    gc.disable()
    try:
        for run in (lambda: [process(r) for r in inputs], lambda: process_batch(inputs)):
            run()
            gc.set_debug(gc.DEBUG_SAVEALL)
            gc.collect()
            ours = [o for o in gc.garbage if isinstance(o, (CachedMessage, MailView, core._Open))]
            gc.set_debug(0)
            gc.garbage.clear()
            assert ours == []
    finally:
        gc.set_debug(0)
        gc.enable()


def test_a_stream_survives_a_bug_in_the_batch_driver(monkeypatch, caplog):
    inputs = [raw(DSN), raw(b""), raw(DSN.replace(b"gone@", b"other@"))]
    alone = [key(process(r)) for r in inputs]

    def broken(batch, settings, *said_no):
        raise RuntimeError("driver bug")

    monkeypatch.setattr(core, "_process_read", broken)
    assert [key(o) for _, o in process_stream(inputs)] == alone
    assert caplog.text.count("processing it one by one") == 1


def test_a_merge_that_fails_dead_letters_only_its_input(monkeypatch):
    # merging two handlers' rows of one table reads a lazy iterator: its error belongs to
    # that input alone, as in process()
    from pipeline.errors import ParseError
    from pipeline.outcome import Outcome

    def truncated():
        raise ParseError("truncated report")
        yield

    def first(r, v, s):
        rows = truncated() if b"bad" in r.payload else [{"a": 1}]
        return Outcome(rows={"dmarc_failure": rows}, final=False)

    def second(r, v, s):
        return Outcome(rows={"dmarc_failure": [{"b": 2}]})

    monkeypatch.setitem(registry._BY_FAMILY, "email", (
        registry.Handler("first", "email", 1, lambda r, v: True, first),
        registry.Handler("second", "email", 2, lambda r, v: True, second)))
    good, bad = raw(b"From: a@b\nSubject: ok\n\nx\n"), raw(b"From: a@b\nSubject: bad\n\nx\n")
    alone = [key(process(r)) for r in (good, bad)]
    assert [key(o) for o in process_batch([good, bad])] == alone
    assert alone[1][2] == [("ParseError", "truncated report", None)]
    assert "'a': 1" in alone[0][1] and "'b': 2" in alone[0][1]


def test_a_streams_detect_that_raises_is_asked_again_in_the_batch(monkeypatch):
    handlers = registry.handlers("email")
    asked = []

    def fussy(r, v):
        asked.append(r.sha256)
        if b"explode" in r.payload:
            raise RuntimeError("detect bug")
        return False

    patched = tuple(registry.Handler(h.name, h.family, h.order, fussy, h.handle, h.many, True)
                    if h.name == "dmarc.report_email" else h for h in handlers)
    monkeypatch.setitem(registry._BY_FAMILY, "email", patched)
    note = raw(b"From: a@example.org\nSubject: explode\n\nnot a bounce\n")
    inputs = [raw(DSN), note]
    alone = [key(process(r)) for r in inputs]
    asked.clear()
    assert [key(o) for _, o in process_stream(inputs)] == alone
    assert alone[1][2][0][:2] == ("RuntimeError", "unexpected RuntimeError: detect bug")
    # the bounce's "no" was not asked twice; the input whose detect raised was
    assert asked.count(inputs[0].sha256) == 1 and asked.count(note.sha256) == 2


def test_a_streams_handler_after_another_handler_is_not_asked_early(monkeypatch):
    # only the streams handlers that open a family's order are asked at read time: a later
    # one sees the view after the earlier handlers, as in process()
    from pipeline.outcome import Outcome

    def tag(r, v, s):
        v["X-Tagged"] = "1"
        return Outcome(rows={"dmarc_failure": [{"a": 1}]}, final=False)

    def tagged(r, v, s):
        return Outcome(rows={"dmarc_failure": [{"b": 2}]})

    monkeypatch.setitem(registry._BY_FAMILY, "email", (
        registry.Handler("a", "email", 1, lambda r, v: True, tag),
        registry.Handler("b", "email", 2, lambda r, v: v["X-Tagged"] == "1", tagged, None,
                         True)))
    inputs = [raw(b"From: a@b\nSubject: s\n\nbody\n"), raw(b"From: c@d\nSubject: t\n\nx\n")]
    alone = [key(process(r)) for r in inputs]
    assert alone[0][3] == "a,b"
    assert [key(o) for _, o in process_stream(inputs)] == alone


def test_a_batch_frees_its_parsed_emails_before_the_first_answer(monkeypatch):
    import weakref

    trees = []
    real_read = core._read_input

    def read(r, settings):
        got = real_read(r, settings)
        trees.append(weakref.ref(got[2]) if got[1] == "email" else None)
        return got

    monkeypatch.setattr(core, "_read_input", read)
    report = raw((FIXTURES / "dmarc" / "draft_identities.xml").read_bytes())
    inputs = [raw(DSN)] * 5 + [report, report_email()] + [raw(DSN)] * 5
    stream = process_stream(inputs)
    first = next(stream)   # no gc.collect(): the trees must go by reference counting
    assert first[1].events and len(trees) == len(inputs)
    # every batched tree is gone, and the set-aside report email's too (read again later)
    assert [t() for t in trees[:5] + trees[6:]] == [None] * 11
    rest = list(stream)
    assert len(rest) == len(inputs) - 1
    assert "dmarc_aggregate" in rest[5][1].rows and rest[5][1].parser == "dmarc.report_email"


def report_email() -> RawMessage:
    """A DMARC aggregate report as rua mail brings it: gzipped XML, base64, attached."""
    import base64
    import gzip

    xml = (FIXTURES / "dmarc" / "draft_identities.xml").read_bytes()
    attachment = base64.encodebytes(gzip.compress(xml))
    return raw(b"From: noreply-dmarc@reporter.example\nTo: rua@example.com\n"
               b"Subject: Report Domain: example.com Submitter: reporter.example\n"
               b"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=R\n\n"
               b"--R\nContent-Type: text/plain\n\nA DMARC report.\n--R\n"
               b"Content-Type: application/gzip; name=report.xml.gz\n"
               b"Content-Transfer-Encoding: base64\n"
               b"Content-Disposition: attachment; filename=report.xml.gz\n\n"
               + attachment + b"--R--\n")
