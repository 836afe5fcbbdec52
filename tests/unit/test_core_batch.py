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


def test_stream_batches_are_bounded_by_count_and_bytes(monkeypatch):
    seen: list[int] = []
    real = core.process_batch

    def spy(batch, settings=None):
        seen.append(len(batch))
        return real(batch, settings)

    monkeypatch.setattr(core, "process_batch", spy)
    small, big = raw(DSN), raw(DSN + b"x" * 5000)
    out = list(process_stream([small] * 5 + [big] + [small] * 2, batch_size=3,
                              batch_bytes=4000))
    assert len(out) == 8 and all(o.events for _, o in out)
    assert seen == [3, 2, 1, 2]   # count cap, then the big input alone, then the rest


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

    def broken(batch, settings=None):
        raise RuntimeError("driver bug")

    monkeypatch.setattr(core, "process_batch", broken)
    assert [key(o) for _, o in process_stream(inputs)] == alone
    assert "processing its 3 inputs one by one" in caplog.text
