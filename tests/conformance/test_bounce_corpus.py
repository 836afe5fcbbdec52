"""Bounce corpus conformance: every labelled recipient of the Sisimai-derived corpus, through
the Python API, against its label (see bounce_corpus.py for what is compared and how).

A disagreement must be listed in bounce_known_differences.json ("<file>|<index>|<field>":
why); a listed case that now agrees fails too, so the list only shrinks. Regenerate
candidates with `python -m tests.conformance.bounce_report --known`.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

try:
    from tests.conformance import bounce_corpus as bc
except ImportError:  # pytest's rootdir-less import mode: this directory is on sys.path
    import bounce_corpus as bc  # type: ignore[no-redef]

pytestmark = pytest.mark.corpus

if bc.corpus_root() is None:
    pytest.skip("bounce corpus absent (set BOUNCEPIPE_CORPUS)", allow_module_level=True)

LABELS = bc.labels()
KNOWN = bc.known_differences()


def test_corpus_is_complete():
    """A missing sample is a failure, not a silent pass (DESIGN.md example 3)."""
    root = bc.corpus_root()
    missing = [lab["file"] for lab in LABELS if not (root / "emails" / lab["file"]).is_file()]
    assert not missing
    assert len(LABELS) >= 400


@pytest.mark.parametrize("label", LABELS, ids=[f"{x['file']}#{x['recipient_index']}"
                                               for x in LABELS])
def test_labelled_recipient(label):
    result = bc.result_for(label["file"])
    cmp = bc.compare(label, result)
    problems = []
    for field, diff in cmp.items():
        k = bc.key(label, field)
        if diff is None and k in KNOWN:
            problems.append(f"{k} now agrees: remove it from bounce_known_differences.json")
        elif diff is not None and k not in KNOWN:
            problems.append(f"{field}: expected {diff[0]!r}, got {diff[1]!r}")
    assert not problems, problems


def test_known_differences_are_real_keys():
    keys = {bc.key(lab, f) for lab in LABELS for f in bc.FIELDS}
    stale = sorted(set(KNOWN) - keys)
    assert not stale, stale


def test_every_file_gives_events_or_a_reasoned_dead_letter():
    """Every corpus file (maildir/not and the dos/mac variants included): no exceptions."""
    files = bc.all_files()
    assert len(files) >= 390
    for path in files:
        res = bc.classify_file(path)
        assert res.events or res.dead_letter, path
        if res.dead_letter:
            assert not res.dead_letter.startswith("unexpected"), (path, res.dead_letter)


def test_not_a_bounce_file_is_dead_lettered():
    nots = [lab for lab in LABELS if lab["source_module"] == "not-bounce"]
    assert nots
    for lab in nots:
        res = bc.result_for(lab["file"])
        assert not res.events and "not supported" in (res.dead_letter or "")


def test_cli_jsonl_equals_api():
    """`bouncepipe classify --format jsonl` gives the same classification as the Python API."""
    root = bc.corpus_root()
    files = sorted({lab["file"] for lab in LABELS if lab["source_module"] in
                    ("rfc3464", "arf", "rfc3834", "lhost-postfix", "rhost-google")})[:8]
    paths = [str(root / "emails" / f) for f in files]
    exe = Path(sys.executable).with_name("bouncepipe")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "connectors.cli"]
    proc = subprocess.run([*cmd, "classify", "--format", "jsonl", *paths],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(x) for x in proc.stdout.splitlines() if x.strip()]
    lines = [ln for ln in lines if ln.get("category") is not None]  # not row/summary lines
    got = [(ln["recipient"], ln["category"], ln["reason"], ln["status"], ln["feedback_type"])
           for ln in lines]
    want = []
    for p in paths:
        for ev in bc.classify_file(Path(p)).events:
            want.append((ev["recipient"], ev["category"], ev["reason"], ev["status"],
                         ev["feedback_type"]))
    assert got == want
    assert len(got) >= len(files)
