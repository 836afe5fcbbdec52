"""Every provider's documented payload shapes and event types classify as documented.

Table-driven over tests/fixtures/webhooks/documented/ (its README names each payload's source
and licence; expected.jsonl holds one row per event with the category our corpus policy gives
it, and the reason where the payload decides one). The payloads are read as a user's files are
(`bouncepipe classify` over a directory): no provider hint, detection alone picks the provider.
"""
from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from connectors.sources.files import iter_raw_messages
from pipeline.core import process
from tests.webhook_keys import event_key

ROOT = Path(__file__).resolve().parents[1] / "fixtures" / "webhooks" / "documented"
EXPECTED = [json.loads(line) for line in (ROOT / "expected.jsonl").read_text().splitlines()
            if line.strip()]
PROVIDERS = sorted(p.name for p in ROOT.iterdir() if p.is_dir())


@pytest.fixture(scope="module")
def outcomes():
    events: dict[tuple, list[tuple]] = defaultdict(list)
    dead: dict[str, list[str]] = defaultdict(list)
    for provider in PROVIDERS:
        for raw in iter_raw_messages([ROOT / provider]):
            rel = Path(raw.source.path).relative_to(ROOT).as_posix()
            outcome = process(raw)
            for e in outcome.events:
                events[event_key(rel, e.raw_index, e.recipient_index, e.recipient)].append(
                    (e.provider, e.category, e.reason, e.rule))
            for d in outcome.dead_letters:
                dead[rel].append(d.reason)
    return events, dead


@pytest.mark.parametrize("row", EXPECTED, ids=[f"{r['file']}#{r['index']}.{r['recipient_index']}"
                                                for r in EXPECTED])
def test_documented_payload_classifies_as_documented(outcomes, row):
    events, dead = outcomes
    got = events.get(event_key(row["file"], row["index"], row["recipient_index"], row["recipient"]))
    assert got is not None and len(got) == 1, (got, dead.get(row["file"]))
    provider, category, reason, rule = got[0]
    assert provider == row["file"].split("/")[0], rule
    assert category == row["category"], rule
    if row["reason"] is not None:
        assert reason == row["reason"], rule


def test_no_dead_letters_and_no_unlisted_events(outcomes):
    events, dead = outcomes
    assert dict(dead) == {}
    listed = {event_key(r["file"], r["index"], r["recipient_index"], r["recipient"]) for r in EXPECTED}
    assert set(events) - listed == set()


def test_every_fixture_has_rows_and_a_source_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    files = sorted(p.relative_to(ROOT).as_posix() for p in ROOT.glob("*/*") if p.is_file())
    assert {r["file"] for r in EXPECTED} == set(files)
    assert [f for f in files if f"`{f}`" not in readme] == []


def test_every_provider_is_covered():
    from pipeline.webhooks.registry import provider_names
    assert set(provider_names()) <= set(PROVIDERS)
