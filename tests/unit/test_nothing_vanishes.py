"""Nothing vanishes: every input ends as events, rows or a dead letter, whatever a handler
returns (pipeline.core.accounted), one input at a time and in batches; and the wall-time
budget of the streaming worker (pipeline/timebudget.py) turns a slow input into a
stage=limits dead letter without touching the others."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline import core, registry
from pipeline.errors import BouncepipeError
from pipeline.outcome import Outcome
from pipeline.settings import Limits, Settings
from pipeline.timebudget import budgeted_stream
from schemas.models import RawMessage, RawSource
from tests.fuzz import harness
from tests.unit.test_hostile_inputs import report
from tests.unit.test_hostile_regressions import TWO_RECIPIENTS

# What a (buggy or odd) handler may hand back for an input.
SHAPES = ["nothing", "empty rows", "empty lazy rows", "lazy rows", "rows", "ignored"]


def outcome_of(shape: str) -> Outcome:
    if shape == "nothing":
        return Outcome(parser="fake")
    if shape == "empty rows":
        return Outcome(rows={"tls_reports": []}, parser="fake")
    if shape == "empty lazy rows":
        return Outcome(rows={"dmarc_aggregate": iter(())}, parser="fake")
    if shape == "lazy rows":
        return Outcome(rows={"dmarc_aggregate": iter([{"n": 1}])}, parser="fake")
    if shape == "rows":
        return Outcome(rows={"tls_reports": [{"n": 1}]}, parser="fake")
    return Outcome(parser="fake", empty_reason="a test ping")


def rows_or_error(outcome: Outcome) -> tuple[int, str | None]:
    count = 0
    try:
        for rows in outcome.rows.values():
            count += sum(1 for _ in rows)
    except BouncepipeError as exc:
        return 0, exc.reason
    return count, None


@settings(max_examples=60, derandomize=True, deadline=None, database=None)
@given(st.lists(st.sampled_from(SHAPES), min_size=1, max_size=8), st.booleans())
def test_every_input_ends_as_output_or_a_dead_letter(monkeypatch_shapes, batch) -> None:
    shapes = monkeypatch_shapes
    fake = registry.Handler(name="fake", family="json", order=1,
                            detect=lambda raw, view: True,
                            handle=lambda raw, view, s: outcome_of(view["shape"]))
    raws = [RawMessage.from_bytes(b'{"shape": "%s", "i": %d}' % (shape.encode(), i),
                                  RawSource(transport="memory")) for i, shape in
            enumerate(shapes)]
    original = registry.handlers
    registry.handlers = lambda family: (fake,) if family == "json" else original(family)
    try:
        outcomes = core.process_batch(raws) if batch else [core.process(r) for r in raws]
    finally:
        registry.handlers = original
    for shape, outcome in zip(shapes, outcomes):
        rows, error = rows_or_error(outcome)
        if shape in ("nothing", "empty rows"):
            assert len(outcome.dead_letters) == 1 and rows == 0
            assert "produced no event, row or dead letter" in outcome.dead_letters[0].reason
        elif shape == "empty lazy rows":
            assert rows == 0 and "held no row" in error
        elif shape == "ignored":
            assert outcome.empty_reason == "a test ping"
        else:
            assert (rows, error, outcome.dead_letters) == (1, None, [])


def test_the_fuzz_harness_reports_a_silent_outcome(monkeypatch) -> None:
    monkeypatch.setattr(harness, "process", lambda raw, settings=None: Outcome(parser="x"))
    assert harness.check(b"anything").problems == [
        "silent: no event, row or dead letter (parser x)"]


def test_the_fuzz_harness_reports_unexpected_reasons_and_exceptions(monkeypatch) -> None:
    assert harness.check(b"\x00").problems == []

    def boom(raw, settings=None):
        raise KeyError("k")

    monkeypatch.setattr(harness, "process", boom)
    assert harness.check(b"x").problems[0].startswith("exception: process() raised KeyError")


# -- the wall-time budget ----------------------------------------------------------------
def raws_of(*payloads: bytes) -> list[RawMessage]:
    return [RawMessage.from_bytes(p, RawSource(transport="memory")) for p in payloads]


def test_budgeted_stream_equals_process_stream_within_budget() -> None:
    inputs = raws_of(TWO_RECIPIENTS, b"not an input \x00", report(3))
    expected = [(o.events, len(o.dead_letters)) for _, o in core.process_stream(inputs)]
    got = [(o.events, len(o.dead_letters)) for _, o in budgeted_stream(inputs)]
    assert [(len(e), d) for e, d in got] == [(2, 0), (0, 1), (0, 0)]
    assert [[x.event_id for x in e] for e, _ in got] == [[x.event_id for x in e]
                                                         for e, _ in expected]


def test_an_input_over_its_budget_is_a_limits_dead_letter() -> None:
    no_time = Settings(limits=Limits(max_seconds_per_input=0.0))
    outcomes = [o for _, o in budgeted_stream(raws_of(TWO_RECIPIENTS, TWO_RECIPIENTS),
                                              no_time)]
    assert [len(o.dead_letters) for o in outcomes] == [1, 1]
    letter = outcomes[0].dead_letters[0]
    assert (letter.error_type, letter.stage) == ("TimeBudgetExceeded", "limits")
    assert "limits.max_seconds_per_input" in letter.reason


def test_lazy_rows_carry_their_inputs_budget(monkeypatch) -> None:
    import pipeline.deadline as timebudget

    _, outcome = next(budgeted_stream(raws_of(report(3000))))
    clock = iter(range(0, 10_000_000, 1000))   # every look at the clock: 1,000 s later
    monkeypatch.setattr(timebudget.time, "monotonic", lambda: next(clock))
    with pytest.raises(timebudget.TimeBudgetExceeded):
        list(outcome.rows["dmarc_aggregate"])
