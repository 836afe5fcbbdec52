"""Property: for one address, the final suppression state does not depend on the order the
events arrive in (they reach the worker from several raw partitions), as long as they are no
later than the policy's allowed lateness. Batch `ingest` (time order) and the streaming worker
(arrival order) therefore agree."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.suppression import SuppressionEngine, SuppressionPolicy
from schemas.models import MailEvent

T0 = datetime(2026, 11, 2, 0, 0, tzinfo=timezone.utc)
POLICY = SuppressionPolicy.model_validate({"blast_radius": {"enabled": False}})
KINDS = {"soft": ("soft_bounce", "mailboxfull"), "hard": ("hard_bounce", "userunknown"),
         "complaint": ("complaint", "feedback"), "delivered": ("delivered", "delivered"),
         "unsub": ("unsubscribe", "unsubscribe")}


def event(n: int, kind: str, minutes: int) -> MailEvent:
    category, reason = KINDS[kind]
    at = T0 + timedelta(minutes=minutes)
    return MailEvent(event_id=f"e{n:04d}", raw_sha256="0" * 64, occurred_at=at, received_at=at,
                     source_kind="webhook", parser="test", category=category, reason=reason,
                     recipient="a@example.org", recipient_domain="example.org",
                     stream="news" if kind == "unsub" else None, classifier_version="t", rule="t")


def final(events) -> dict:
    engine = SuppressionEngine(POLICY)
    for e in events:
        engine.feed(e)
    return {k: (s.action, s.suppression_id) for st_ in engine.state.values()
            for k, s in st_.scopes.items() if s.rule != "soft_bounce.retracted"}


# within 5 days (< the 7 days of allowed lateness); equal times are frequent on purpose
minutes = st.one_of(st.integers(0, 5 * 24 * 60), st.sampled_from([0, 60, 24 * 60, 36 * 60]))
timeline = st.lists(st.tuples(st.sampled_from(sorted(KINDS)), minutes), min_size=1, max_size=12)


@settings(max_examples=300, deadline=None)
@given(timeline, st.randoms(use_true_random=False))
def test_final_state_is_independent_of_arrival_order(items, rnd):
    events = [event(i, kind, minute) for i, (kind, minute) in enumerate(items)]
    in_time_order = final(sorted(events, key=lambda e: (e.occurred_at, e.event_id)))
    shuffled = list(events)
    rnd.shuffle(shuffled)
    assert final(shuffled) == in_time_order


@settings(max_examples=200, deadline=None)
@given(timeline)
def test_replaying_any_prefix_changes_nothing(items):
    events = sorted((event(i, k, m) for i, (k, m) in enumerate(items)), key=lambda e: e.occurred_at)
    cut = len(events) // 2
    assert final(events[:cut] + events + events[cut:]) == final(events)
