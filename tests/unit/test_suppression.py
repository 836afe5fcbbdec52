"""The suppression policy: pure decisions, state round trips, the engine, policy files."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from pipeline.suppression import (
    SuppressionEngine, SuppressionPolicy, UnsuppressRequest, decide, unsuppress)
from pipeline.suppression.state import AddressState, DomainWindow
from schemas.models import MailEvent

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)   # a Monday
_n = 0


def ev(category: str, recipient: str = "a@example.org", at: datetime = T0, *, reason=None,
       action=None, stream=None, list_id=None, tenant=None, event_id=None, sender_domain=None):
    global _n
    _n += 1
    return MailEvent(
        event_id=event_id or f"e{_n:06d}", raw_sha256="0" * 64, occurred_at=at, received_at=at,
        source_kind="dsn", parser="test", category=category, reason=reason,
        recipient=recipient, recipient_domain=recipient.rpartition("@")[2], action=action,
        stream=stream, list_id=list_id, tenant=tenant, sender_domain=sender_domain,
        classifier_version="test", rule="test")


POLICY = SuppressionPolicy()


def run(events, policy=POLICY):
    engine = SuppressionEngine(policy)
    return engine, [d for e in events for d in engine.feed(e)]


# -- immediate rules -------------------------------------------------------------------------
@pytest.mark.parametrize("category, rule", [("hard_bounce", "hard_bounce.immediate"),
                                            ("complaint", "complaint.immediate")])
def test_hard_bounce_and_complaint_suppress_globally_at_once(category, rule):
    e = ev(category, reason="userunknown" if category == "hard_bounce" else "feedback")
    state, decisions = decide(None, e, POLICY)
    assert len(decisions) == 1
    d = decisions[0]
    assert (d.action, d.scope, d.key, d.policy_rule) == ("suppress", "global", "global::a@example.org", rule)
    assert d.evidence_event_ids == [e.event_id] and d.expires_at is None
    assert d.decided_at == T0 and d.address_domain == "example.org"
    assert state.scopes["global::a@example.org"].action == "suppress"


def test_decide_is_pure_and_deterministic():
    before = AddressState("a@example.org")
    e = ev("hard_bounce", reason="userunknown")
    s1, d1 = decide(before, e, POLICY)
    s2, d2 = decide(before, e, POLICY)
    assert before == AddressState("a@example.org")      # input untouched
    assert s1 == s2 and d1 == d2
    assert d1[0].suppression_id == d2[0].suppression_id


def test_second_hard_bounce_while_suppressed_says_nothing():
    _, decisions = run([ev("hard_bounce"), ev("hard_bounce", at=T0 + timedelta(days=1))])
    assert len(decisions) == 1


def test_duplicate_event_is_ignored():
    e = ev("soft_bounce", reason="mailboxfull")
    engine, _ = run([e, e, e])
    assert len(engine.state["a@example.org"].soft) == 1


def test_no_recipient_no_decision():
    e = ev("hard_bounce").model_copy(update={"recipient": None})
    assert decide(None, e, POLICY) == (None, [])


@pytest.mark.parametrize("category", ["delivered", "engagement", "other"])
def test_other_categories_never_suppress(category):
    assert run([ev(category)])[1] == []


def test_complaint_scope_tenant_when_configured():
    policy = SuppressionPolicy(complaint_scope="tenant")
    d = run([ev("complaint", tenant="acme")], policy)[1][0]
    assert (d.scope, d.scope_value, d.key) == ("tenant", "acme", "tenant:acme:a@example.org")


def test_hard_bounce_expiry_when_configured():
    d = run([ev("hard_bounce")], SuppressionPolicy(hard_bounce_expiry_days=365))[1][0]
    assert d.expires_at == T0 + timedelta(days=365)


# -- soft bounces ----------------------------------------------------------------------------
def soft(at, **kw):
    return ev("soft_bounce", at=at, reason=kw.pop("reason", "mailboxfull"), **kw)


def test_three_soft_bounces_on_two_days_suppress_with_expiry():
    events = [soft(T0), soft(T0 + timedelta(hours=2)), soft(T0 + timedelta(days=1))]
    engine, decisions = run(events)
    assert len(decisions) == 1
    d = decisions[0]
    assert d.policy_rule == "soft_bounce.escalated" and d.scope == "global"
    assert d.evidence_event_ids == [e.event_id for e in events]
    assert d.expires_at == events[-1].occurred_at + timedelta(days=30)
    assert len(engine.state["a@example.org"].soft) == 3   # kept: the window recomputes


def test_three_soft_bounces_on_one_day_do_not_suppress():
    assert run([soft(T0 + timedelta(hours=h)) for h in (0, 1, 2, 3)])[1] == []


def test_two_soft_bounces_do_not_suppress():
    assert run([soft(T0), soft(T0 + timedelta(days=1))])[1] == []


def test_soft_bounces_outside_the_window_do_not_count():
    events = [soft(T0), soft(T0 + timedelta(days=8)), soft(T0 + timedelta(days=9))]
    engine, decisions = run(events)
    assert decisions == []
    assert len(engine.state["a@example.org"].soft) == 3   # kept for lateness, not counted
    engine.feed(soft(T0 + timedelta(days=30)))
    assert len(engine.state["a@example.org"].soft) == 1   # beyond window + lateness: dropped


def test_delivery_resets_the_soft_count():
    events = [soft(T0), soft(T0 + timedelta(days=1)), ev("delivered", at=T0 + timedelta(days=2)),
              soft(T0 + timedelta(days=3))]
    engine, decisions = run(events)
    assert decisions == []
    # counting restarted at the delivery: two more soft bounces (3 since it, 2 days) escalate
    more = [soft(T0 + timedelta(days=3, hours=5)), soft(T0 + timedelta(days=4))]
    decisions = [d for e in more for d in engine.feed(e)]
    assert [d.evidence_event_ids for d in decisions] == [[events[3].event_id] + [e.event_id for e in more]]


def test_delivery_reset_can_be_turned_off():
    events = [soft(T0), soft(T0 + timedelta(days=1)), ev("delivered", at=T0 + timedelta(days=2)),
              soft(T0 + timedelta(days=3))]
    assert len(run(events, SuppressionPolicy(delivery_resets_soft=False))[1]) == 1


def test_delayed_dsns_do_not_count():
    events = [soft(T0 + timedelta(days=i), action="delayed") for i in range(4)]
    assert run(events)[1] == []


@pytest.mark.parametrize("reason", ["blocked", "spamdetected", "ratelimited", "policyviolation"])
def test_sender_side_soft_reasons_never_escalate(reason):
    assert run([soft(T0 + timedelta(days=i), reason=reason) for i in range(5)])[1] == []


def test_expired_soft_suppression_can_be_decided_again():
    first = [soft(T0), soft(T0 + timedelta(hours=1)), soft(T0 + timedelta(days=1))]
    later = T0 + timedelta(days=40)
    second = [soft(later), soft(later + timedelta(hours=1)), soft(later + timedelta(days=1))]
    decisions = run(first + second)[1]
    assert len(decisions) == 2 and decisions[0].suppression_id != decisions[1].suppression_id


def test_hard_bounce_or_complaint_upgrade_a_soft_suppression_to_permanent():
    events = [soft(T0), soft(T0 + timedelta(hours=1)), soft(T0 + timedelta(days=1)),
              ev("hard_bounce", at=T0 + timedelta(days=2))]
    decisions = run(events)[1]
    # the soft suppression would lapse after 30 days; the hard bounce makes it permanent
    assert [d.policy_rule for d in decisions] == ["soft_bounce.escalated", "hard_bounce.immediate"]
    assert decisions[-1].expires_at is None
    # ... and a soft escalation never downgrades a hard bounce, whatever the arrival order
    engine, late = run([events[-1], *events[:-1]])
    assert [d.policy_rule for d in late] == ["hard_bounce.immediate"]


# -- unsubscribes, auth failures ---------------------------------------------------------------
def test_unsubscribe_is_scoped_to_its_list():
    d = run([ev("unsubscribe", list_id="news.example.com", stream="marketing")])[1][0]
    assert (d.scope, d.scope_value, d.policy_rule) == ("stream", "news.example.com", "unsubscribe.stream")


def test_unsubscribe_stream_then_tenant_fallback():
    d = run([ev("unsubscribe", stream="marketing")])[1][0]
    assert (d.scope, d.scope_value) == ("stream", "marketing")
    d = run([ev("unsubscribe", tenant="acme")])[1][0]
    assert (d.scope, d.scope_value, d.policy_rule) == ("tenant", "acme", "unsubscribe.tenant")


def test_unsubscribe_from_two_lists_gives_two_suppressions():
    decisions = run([ev("unsubscribe", stream="a"), ev("unsubscribe", stream="b")])[1]
    assert [d.key for d in decisions] == ["stream:a:a@example.org", "stream:b:a@example.org"]


def test_auth_failures_never_suppress_but_alert():
    events = [ev("auth_failure", sender_domain="news.example.com") for _ in range(100)]
    engine, decisions = run(events)
    assert decisions == []
    assert engine.state["a@example.org"].auth_failures == 100
    assert [a.count for a in engine.alerts] == [1, 100]
    assert {a.kind for a in engine.alerts} == {"auth_failure"}


# -- manual unsuppress ------------------------------------------------------------------------
def test_unsuppress_lifts_and_a_new_hard_bounce_suppresses_again():
    engine, first = run([ev("hard_bounce")])
    lifted = engine.unsuppress(UnsuppressRequest(address="A@example.org",
                                                 requested_at=T0 + timedelta(days=1), note="fixed"))
    assert [(d.action, d.key, d.policy_rule, d.note) for d in lifted] == [
        ("unsuppress", "global::a@example.org", "manual.unsuppress", "fixed")]
    again = engine.feed(ev("hard_bounce", at=T0 + timedelta(days=2)))
    assert [d.action for d in again] == ["suppress"]
    assert engine.active() == {"global::a@example.org": "suppress"}


def test_unsuppress_is_pure_and_scoped():
    state, _ = decide(None, ev("unsubscribe", stream="news"), POLICY)
    req = UnsuppressRequest(address="a@example.org", scope="stream", scope_value="news",
                            requested_at=T0)
    new, decisions = unsuppress(state, req, POLICY)
    assert state.scopes["stream:news:a@example.org"].action == "suppress"
    assert new.scopes["stream:news:a@example.org"].action == "unsuppress"
    assert decisions[0].suppression_id == unsuppress(state, req, POLICY)[1][0].suppression_id


# -- blast radius -----------------------------------------------------------------------------
BLAST = SuppressionPolicy.model_validate(
    {"blast_radius": {"min_hard_bounces": 5, "min_share": 0.5, "window_minutes": 10}})


def test_blast_radius_holds_a_domain_wide_block():
    events = [ev("delivered", f"ok{i}@big.example", T0) for i in range(3)]
    events += [ev("hard_bounce", f"u{i}@big.example", T0 + timedelta(seconds=10 * i),
                  reason="userunknown") for i in range(8)]
    engine, decisions = run(events, BLAST)
    # 4 suppress first; the 5th trips the guard (5 of 8 events): all 5 held; 6-8 held
    assert [d.action for d in decisions[:4]] == ["suppress"] * 4
    holds = [d for d in decisions if d.action == "hold"]
    assert {d.address for d in holds} == {f"u{i}@big.example" for i in range(8)}
    assert all(d.policy_rule == "blast_radius.hold" for d in holds)
    assert [a.kind for a in engine.alerts] == ["blast_radius"]
    assert engine.alerts[0].count == 5 and engine.alerts[0].total == 8
    assert set(engine.active().values()) == {"hold"}
    # after the window a hard bounce suppresses normally again
    late = engine.feed(ev("hard_bounce", "u0@big.example", T0 + timedelta(hours=1)))
    assert [d.action for d in late] == ["suppress"]


def test_scattered_hard_bounces_are_not_a_block():
    events = []
    for i in range(10):
        events += [ev("delivered", f"ok{i}-{j}@big.example", T0 + timedelta(minutes=i))
                   for j in range(2)]
        events.append(ev("hard_bounce", f"u{i}@big.example", T0 + timedelta(minutes=i)))
    engine, decisions = run(events, BLAST)
    assert [d.action for d in decisions] == ["suppress"] * 10 and engine.alerts == []


def test_blast_radius_can_be_disabled():
    events = [ev("hard_bounce", f"u{i}@big.example", T0) for i in range(30)]
    policy = SuppressionPolicy.model_validate({"blast_radius": {"enabled": False}})
    assert {d.action for d in run(events, policy)[1]} == {"suppress"}


# -- state round trip (the streaming changelog) -------------------------------------------------
def test_engine_state_round_trips_through_json():
    events = [soft(T0), ev("hard_bounce", "b@x.example"), ev("unsubscribe", stream="s"),
              ev("auth_failure")]
    engine, _ = run(events, BLAST)
    dumped = engine.take_dirty()
    assert engine.take_dirty() == {}
    restored = SuppressionEngine(BLAST)
    for key, data in dumped.items():
        restored.load(key, data)
    assert restored.state == engine.state and restored.domains == engine.domains
    # both continue identically
    nxt = [soft(T0 + timedelta(days=1)), soft(T0 + timedelta(days=2))]
    assert [engine.feed(e) for e in nxt] == [restored.feed(e) for e in nxt]


def test_domain_window_json():
    w = DomainWindow("x.example", ((1, 2, 1),), (), T0)
    assert DomainWindow.from_json(w.to_json()) == w


# -- policy files -----------------------------------------------------------------------------
def test_policy_from_yaml_and_json(tmp_path):
    y = tmp_path / "p.yaml"
    y.write_text("soft_bounce:\n  count: 5\n  window_days: 14\nblast_radius:\n  enabled: false\n")
    p = SuppressionPolicy.from_file(y)
    assert (p.soft_bounce.count, p.soft_bounce.window_days, p.blast_radius.enabled) == (5, 14, False)
    assert p.soft_bounce.min_distinct_days == 2          # default kept
    j = tmp_path / "p.json"
    j.write_text('{"complaint_scope": "tenant"}')
    assert SuppressionPolicy.from_file(j).complaint_scope == "tenant"


def test_policy_file_typo_is_an_error(tmp_path):
    y = tmp_path / "p.yaml"
    y.write_text("soft_bounce:\n  cuont: 5\n")
    with pytest.raises(ValueError):
        SuppressionPolicy.from_file(y)


def test_soft_and_delivery_decisions_do_not_depend_on_arrival_order():
    import itertools
    events = [soft(T0), soft(T0 + timedelta(days=1)), ev("delivered", at=T0 + timedelta(days=2)),
              soft(T0 + timedelta(days=3)), soft(T0 + timedelta(days=3, hours=5)),
              soft(T0 + timedelta(days=4))]
    expected = run(events)[1]
    assert [d.policy_rule for d in expected] == ["soft_bounce.escalated"]
    assert expected[0].evidence_event_ids == [e.event_id for e in events[3:]]
    # Soft bounces in any order around a delivery that arrived first (a delivery arriving only
    # after the escalation it would have prevented cannot undo it: documented limitation).
    for order in itertools.permutations(events[:2] + events[3:]):
        engine, decisions = run([events[2], *order])
        assert decisions == expected, order


def _final(engine):
    return {k: (s.action, s.suppression_id) for st in engine.state.values()
            for k, s in st.scopes.items() if s.action != "unsuppress"}


def test_final_state_does_not_depend_on_arrival_order_even_with_late_deliveries():
    import itertools
    events = [soft(T0), soft(T0 + timedelta(hours=3)), soft(T0 + timedelta(days=1)),
              ev("delivered", at=T0 + timedelta(days=1, hours=1)),
              soft(T0 + timedelta(days=1, hours=2)), soft(T0 + timedelta(days=2))]
    expected = _final(run(events)[0])
    assert list(expected.values())[0][0] == "suppress"
    for order in itertools.permutations(events):
        assert _final(run(order)[0]) == expected, order


def test_soft_escalation_after_expiry_in_one_window_replay():
    # escalation at day 1 expires after 2 days; three more soft bounces after it escalate again
    policy = SuppressionPolicy.model_validate({"soft_bounce": {"expiry_days": 2}})
    first = [soft(T0), soft(T0 + timedelta(hours=1)), soft(T0 + timedelta(days=1))]
    during = [soft(T0 + timedelta(days=2))]                      # suppressed then: not counted
    after = [soft(T0 + timedelta(days=3, hours=h)) for h in (1, 2)] + [soft(T0 + timedelta(days=4))]
    in_order = run(first + during + after, policy)[1]
    assert [d.evidence_event_ids for d in in_order] == [[e.event_id for e in first],
                                                        [e.event_id for e in after]]
    engine, _ = run(list(reversed(first + during + after)), policy)
    assert _final(engine) == {"global::a@example.org": ("suppress", in_order[-1].suppression_id)}


def test_late_delivery_retracts_a_premature_escalation():
    events = [soft(T0), soft(T0 + timedelta(hours=3)), soft(T0 + timedelta(days=1, hours=2))]
    engine, decisions = run(events)
    assert [d.action for d in decisions] == ["suppress"]
    late = engine.feed(ev("delivered", at=T0 + timedelta(days=1)))
    assert [(d.action, d.policy_rule) for d in late] == [("unsuppress", "soft_bounce.retracted")]
    assert _final(engine) == {}


def test_late_earlier_evidence_replaces_the_decision():
    hard = ev("hard_bounce", at=T0 + timedelta(days=2))
    complaint = ev("complaint", at=T0 + timedelta(days=1))
    in_order = run([complaint, hard])[1]
    engine, late = run([hard, complaint])
    assert [d.policy_rule for d in late] == ["hard_bounce.immediate", "complaint.immediate"]
    assert late[-1] == in_order[-1]
    assert engine.state["a@example.org"].scopes["global::a@example.org"].suppression_id == \
        in_order[-1].suppression_id


def test_late_event_does_not_undo_a_manual_unsuppress():
    engine, _ = run([ev("hard_bounce", at=T0)])
    engine.unsuppress(UnsuppressRequest(address="a@example.org", requested_at=T0 + timedelta(days=5)))
    assert engine.feed(ev("hard_bounce", at=T0 + timedelta(days=1))) == []
    assert engine.active() == {"global::a@example.org": "unsuppress"}
