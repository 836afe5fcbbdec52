"""The short fuzz run of the test suite: every mutator over the seeds, derandomized (the
same inputs on every run), through the core. An input fails when process() or its rows
raise, when it ends with no event, row or dead letter, or when a dead letter's reason is an
"unexpected" Python exception (tests/fuzz/harness.py). The long run is bench/fuzz.py.
"""
from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz.harness import check
from tests.fuzz.mutators import MUTATORS, STACKABLE, bomb, seeds

SEEDS = seeds()
FAST = sorted(name for name in MUTATORS if name != "bombs")   # bombs: one test each below


@settings(max_examples=400, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(seed=st.integers(0, len(SEEDS) - 1), mutator=st.sampled_from(FAST),
       then=st.sampled_from((None, *STACKABLE)), rng_seed=st.integers(0, 2**32 - 1))
def test_mutated_inputs_end_as_events_rows_or_typed_dead_letters(seed, mutator, then,
                                                                 rng_seed) -> None:
    rng = random.Random(rng_seed)
    data = MUTATORS[mutator](rng, SEEDS[seed])
    if then is not None:
        data = MUTATORS[then](rng, data)
    result = check(data)
    assert result.problems == [], (mutator, then, result.problems)


@pytest.mark.parametrize(("kind", "method", "lying"), [
    ("gzip", 8, False), ("records", 8, False), ("members", 0, False),
    ("zip-of-gzip", 0, False), ("zip", 0, True), ("zip", 8, True), ("zip", 12, True),
    ("zip", 14, True),
    ("gzip-of-zip", 8, True), ("gzip-of-zip", 12, True), ("gzip-of-zip", 14, True),
])
def test_every_bomb_is_one_limits_dead_letter(kind: str, method: int, lying: bool) -> None:
    # 16 MiB per zip member here (cheaper to build; still thousands of times the input),
    # 256 MiB in bench/fuzz.py
    result = check(bomb(kind, method, lying, mib_count=16))
    assert result.problems == []
    assert (result.events, result.rows, result.dead_letters) == (0, 0, 1)
    reason = result.reasons[0]
    assert any(cap in reason for cap in (
        "limits.max_compression_ratio", "limits.max_decompressed_bytes",
        "limits.max_zip_members", "without a tag")), reason
