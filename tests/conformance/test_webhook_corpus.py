"""Webhook / KumoMTA corpus conformance: every line of corpus/webhooks/expected.jsonl must come
out of the core with the expected category and recipient, keyed by file + index + recipient.

Also checked: no unexpected events (the explicit KNOWN_EXTRA list names the ones expected.jsonl
does not list), and the corpus's non-payload files (signature vectors, the JSON-with-comments
docs block) are dead-lettered, not turned into events. One subprocess test runs the same check
through `bouncepipe classify --format jsonl`.
"""
from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from connectors.sources.files import iter_raw_messages
from pipeline.core import process
from tests.conftest import REPO, corpus_root
from tests.webhook_keys import event_key

pytestmark = pytest.mark.corpus

ROOT = (corpus_root() / "webhooks") if corpus_root() else None
EXPECTED = [json.loads(line) for line in (ROOT / "expected.jsonl").read_text().splitlines()
            if line.strip()] if ROOT else []
# Events the normalizers emit that expected.jsonl does not list, with why.
KNOWN_EXTRA = {
    # email.sent names two recipients; expected.jsonl lists the event once (first recipient).
    ("resend/anymail_email_sent.json", 0, "to2@example.org"),
}
# Files that are not payloads: they must become dead letters (never events).
NOT_PAYLOADS = {
    "kumomta/docs_log_record_reference.jsonc", "mailgun/signature_vectors_symfony.json",
    "mandrill/signature_vectors_symfony.json", "resend/standard_webhooks_vector.json",
    "sendgrid/signed_vector_multi.json", "sendgrid/signed_vector_single.json",
}


@pytest.fixture(scope="module")
def results():
    if ROOT is None:
        pytest.skip("shared corpus not found (set BOUNCEPIPE_CORPUS)")
    events: dict[tuple, list[str]] = defaultdict(list)
    dead: dict[str, list[str]] = defaultdict(list)
    for provider_dir in sorted(p for p in ROOT.iterdir() if p.is_dir() and p.name != "tables"):
        for raw in iter_raw_messages([provider_dir]):
            rel = Path(raw.source.path).relative_to(ROOT).as_posix()
            outcome = process(raw)
            for e in outcome.events:
                events[event_key(rel, e.raw_index, e.recipient_index, e.recipient)].append(e.category)
            for d in outcome.dead_letters:
                dead[rel].append(d.reason)
    return events, dead


def test_corpus_has_expected_lines():
    if ROOT is None:
        pytest.skip("shared corpus not found")
    assert len(EXPECTED) >= 136
    missing = [x["file"] for x in EXPECTED if not (ROOT / x["file"]).exists()]
    assert missing == [], "expected.jsonl names files that are not in the corpus"


@pytest.mark.parametrize("expected", EXPECTED,
                         ids=[f"{x['file']}#{x['index']}:{x['recipient']}" for x in EXPECTED])
def test_expected_category(results, expected):
    events, dead = results
    key = event_key(expected["file"], expected["index"], expected["recipient_index"],
               expected["recipient"])
    assert events.get(key) == [expected["expected_category"]], (
        f"{key}: got {events.get(key)}; dead letters: {dead.get(expected['file'])}")


def test_no_unexpected_events_and_non_payloads_dead_lettered(results):
    events, dead = results
    expected_keys = {event_key(x["file"], x["index"], x["recipient_index"], x["recipient"]): x
                     for x in EXPECTED}
    by_event = {(x["file"], x["index"]): x["expected_category"] for x in EXPECTED}
    extra = {k: cats for k, cats in events.items() if k not in expected_keys}
    # An event expected.jsonl does not list may only be another recipient of a listed event
    # (it lists multi-recipient events once), and must share that event's category.
    for (file, index, _, recipient), cats in extra.items():
        assert (file, index) in by_event, f"unexpected event from {file}#{index}: {cats}"
        assert cats == [by_event[(file, index)]], (file, index, recipient, cats)
    assert KNOWN_EXTRA <= {(k[0], k[1], k[3]) for k in extra}
    # Files without expectations (signature vectors, the JSON-with-comments docs block) are
    # dead letters, never events; files with expectations have no dead letters.
    files_with_expectations = {x["file"] for x in EXPECTED}
    assert NOT_PAYLOADS <= set(dead)
    assert not ({k[0] for k in events} - files_with_expectations)
    assert not (set(dead) & files_with_expectations), {f: dead[f] for f in dead
                                                       if f in files_with_expectations}


def test_classify_cli_over_the_corpus():
    if ROOT is None:
        pytest.skip("shared corpus not found")
    proc = subprocess.run(
        [sys.executable, "-m", "connectors.cli", "classify", "--format", "jsonl", str(ROOT)],
        capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    got: dict[tuple, list] = defaultdict(list)
    for line in proc.stdout.splitlines():
        row = json.loads(line)
        if row.get("category") is None:
            continue
        rel = Path(row["source"]).relative_to(ROOT).as_posix()
        got[event_key(rel, row["index"], row.get("recipient_index"), row["recipient"])].append(
            row["category"])
    wrong = [(x["file"], x["index"], x["recipient"], x["expected_category"],
              got.get(event_key(x["file"], x["index"], x["recipient_index"], x["recipient"])))
             for x in EXPECTED
             if got.get(event_key(x["file"], x["index"], x["recipient_index"], x["recipient"]))
             != [x["expected_category"]]]
    assert wrong == []
