"""Real bounces from public projects other than Sisimai (tests/fixtures/bounces/<source>/,
each with a README giving provenance and licence, and expected.json with the labels)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.core import process_bytes

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bounces"
FLUFL = FIXTURES / "flufl_bounce"
FLUFL_EXPECTED = json.loads((FLUFL / "expected.json").read_text())


@pytest.mark.parametrize("name", sorted(FLUFL_EXPECTED))
def test_flufl_bounce_samples(name):
    want = FLUFL_EXPECTED[name]
    out = process_bytes((FLUFL / name).read_bytes())
    got = {e.recipient: e.category for e in out.events}
    assert set(want["recipients"]) <= set(got), (sorted(got), out.dead_letters)
    allowed = {"soft_bounce"} if want["kind"] == "delay warning" else {"hard_bounce",
                                                                       "soft_bounce"}
    assert {got[r] for r in want["recipients"]} <= allowed


def test_the_flufl_set_is_all_there():
    assert len(FLUFL_EXPECTED) == 93
    assert sorted(p.name for p in FLUFL.glob("*.eml")) == sorted(FLUFL_EXPECTED)


VENDOR = FIXTURES / "vendor_formats"
VENDOR_EXPECTED = json.loads((VENDOR / "expected.json").read_text())


@pytest.mark.parametrize("name", sorted(VENDOR_EXPECTED))
def test_vendor_format_layouts(name):
    want = VENDOR_EXPECTED[name]
    out = process_bytes((VENDOR / name).read_bytes())
    assert [[e.recipient, e.category, e.reason] for e in out.events] == want["events"]
    assert {e.parser for e in out.events} == {want["parser"]}
    if "statuses" in want:   # each recipient its own status, never a neighbour's
        assert [e.status for e in out.events] == want["statuses"]


PHP_BH = FIXTURES / "php_bounce_handler"
PHP_BH_EXPECTED = json.loads((PHP_BH / "expected.json").read_text())


@pytest.mark.parametrize("name", sorted(PHP_BH_EXPECTED))
def test_php_bounce_handler_samples(name):
    out = process_bytes((PHP_BH / name).read_bytes())
    assert [[e.recipient, e.category, e.reason] for e in out.events] == PHP_BH_EXPECTED[name]
