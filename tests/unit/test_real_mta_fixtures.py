"""The DSNs real Postfix, Exim and OpenSMTPD returned for the reply table (saved by
`python -m tests.integration.mta.record`), classified offline: no MTA needed, so this keeps the
real-MTA check meaningful where the MTAs cannot run. Known classifier misses are
xfail(strict=True), shared with the live test (tests/integration/mta/known_misses.py)."""
from __future__ import annotations

import json
from collections import Counter
from functools import lru_cache
from pathlib import Path

import pytest

from pipeline.core import process_bytes
from tests.integration.mta.expect import MTA_NAMES
from tests.integration.mta.known_misses import CLASSIFIER_MISSES
from tests.integration.mta.replies import BY_ID, MULTI_RECIPIENT, REPLIES

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bounces" / "real_mta"
TABLE = json.loads((FIXTURES / "expected.json").read_text())


@lru_cache(maxsize=None)
def events_of(name: str):
    outcome = process_bytes((FIXTURES / name).read_bytes(), source=name)
    assert outcome.dead_letters == []
    return {e.recipient: e for e in outcome.events}


def _cases():
    for name, recipients in TABLE["files"].items():
        mta = name.split("/")[0]
        for recipient, want in recipients.items():
            miss = CLASSIFIER_MISSES.get((mta, want["row"]))
            marks = [pytest.mark.xfail(strict=True, reason=f"classifier: {miss}")] if miss else []
            yield pytest.param(name, recipient, want, id=f"{name}:{recipient.split('@')[0]}", marks=marks)


@pytest.mark.parametrize("name,recipient,want", list(_cases()))
def test_saved_dsn_recipient_classifies_to_the_documented_meaning(name, recipient, want):
    event = events_of(name).get(recipient)
    assert event is not None, f"{name}: no event for {recipient}"
    assert event.category == want["category"], f"{want['reply']!r}: rule {event.rule}"
    if want["reasons"]:
        assert event.reason in want["reasons"], f"{want['reply']!r}: rule {event.rule}"
    if want["status"]:
        assert event.status == want["status"], "a recipient must keep its own status code"


@pytest.mark.parametrize("name", sorted(TABLE["files"]))
def test_saved_dsn_names_exactly_its_refused_recipients(name):
    assert set(events_of(name)) == set(TABLE["files"][name])


@pytest.mark.parametrize("mta", MTA_NAMES)
def test_fixtures_cover_every_reply_and_message(mta):
    """Every reply row came back from every MTA, alone and inside its multi-recipient messages;
    and the saved expectations still describe the current reply table."""
    rows: Counter = Counter()
    for name, recipients in TABLE["files"].items():
        if name.startswith(f"{mta}/"):
            for want in recipients.values():
                rows[want["row"]] += 1
                assert want["reply"] == BY_ID[want["row"]].text, f"{name}: re-record after changing the table"
    in_multi = Counter(m for members in MULTI_RECIPIENT for m in members if m in BY_ID)
    assert rows == Counter({row.id: 1 + in_multi[row.id] for row in REPLIES})
