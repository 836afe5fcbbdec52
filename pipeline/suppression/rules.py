"""The policy as pure functions: (state, event, policy) -> (new state, decisions).

No clock, no I/O: every time comes from the event, so a replay decides exactly the same.
`suppression_id` hashes (key, action, evidence event ids): the same evidence gives the same id
on every run, in batch and in streaming.

Arrival order does not matter (property-tested in tests/unit/test_suppression_properties.py):
the streaming worker sees an address's events in arrival order (they come from several raw
partitions), batch `ingest` in time order, and both must end in the same state. So: earlier
evidence replaces a later decision of the same strength; on equal times the stronger rule, then
the smaller id wins; hard bounces and complaints upgrade a soft escalation (which would lapse);
soft escalations are recomputed in time order over the window (a late delivery can retract
one: action "unsuppress", rule "soft_bounce.retracted"). Limits: events later than
`soft_bounce.allowed_lateness_days`, and a manual unsuppress (wall-clock time), are applied as
they come.
"""
from __future__ import annotations

from collections import Counter, deque
from dataclasses import replace
from datetime import datetime, timedelta

from schemas.ids import stable_id
from schemas.models import MailEvent, SuppressionEvent

from .policy import SuppressionPolicy
from .state import RECENT_IDS, AddressState, ScopeState, UnsuppressRequest


def _domain(address: str) -> str:
    return address.rpartition("@")[2]


def make_decision(key: str, address: str, action: str, scope: str, scope_value: str | None,
                  evidence: list[str] | tuple[str, ...], *, rule: str, at: datetime,
                  reason: str | None = None, category: str | None = None,
                  expires_at: datetime | None = None, tenant: str | None = None,
                  note: str | None = None) -> SuppressionEvent:
    return SuppressionEvent(
        suppression_id=stable_id("suppression", key, action, *evidence),
        key=key, address=address, address_domain=_domain(address), action=action, scope=scope,
        scope_value=scope_value, reason=reason, category=category, policy_rule=rule,
        decided_at=at, expires_at=expires_at, evidence_event_ids=list(evidence), tenant=tenant,
        note=note)


def record(state: AddressState, decision: SuppressionEvent) -> AddressState:
    """The state after `decision` (used for decisions made elsewhere, e.g. blast holds)."""
    scopes = dict(state.scopes)
    scopes[decision.key] = ScopeState(decision.action, decision.suppression_id,
                                      decision.decided_at, decision.expires_at,
                                      decision.policy_rule)
    return replace(state, scopes=scopes)


# Equal decision times: the stronger evidence wins (then the smaller id), whatever came first.
RULE_RANK = {"hard_bounce.immediate": 0, "complaint.immediate": 1, "soft_bounce.escalated": 2}


def _rank(rule: str, suppression_id: str) -> tuple[int, str]:
    return RULE_RANK.get(rule, 3), suppression_id


def _class(rule: str) -> int:
    """0: evidence that never heals (hard bounce, complaint); 1: a soft escalation (expires).
    A hard bounce or complaint upgrades an active soft suppression (it would otherwise lapse
    with the soft expiry); a soft escalation never replaces one of them."""
    return 1 if rule == "soft_bounce.escalated" else 0


def _suppress(state: AddressState, event: MailEvent, scope: str, scope_value: str | None,
              evidence: list[str] | tuple[str, ...], rule: str, expires_at: datetime | None,
              at: datetime | None = None) -> tuple[AddressState, list[SuppressionEvent]]:
    key = SuppressionEvent.make_key(scope, scope_value, state.address)
    at = at or event.occurred_at
    current = state.scopes.get(key)
    decision = make_decision(
        key, state.address, "suppress", scope, scope_value, evidence, rule=rule,
        at=at, reason=event.reason, category=event.category,
        expires_at=expires_at, tenant=event.tenant)
    if current is not None and current.active_at(at):
        weaker = _class(rule) - _class(current.rule)
        if weaker > 0 or (weaker == 0 and (at > current.decided_at or (
                at == current.decided_at and _rank(rule, decision.suppression_id)
                >= _rank(current.rule, current.suppression_id)))):
            return state, []   # already suppressed as strongly: nothing new for the CRMs
    if (current is not None and current.action != "suppress" and current.rule != RETRACT_RULE
            and at < current.decided_at):
        return state, []   # a late event must not undo a later hold / manual unsuppress
    # Otherwise decide. This includes an event that arrives AFTER a suppression it precedes in
    # time (events of one address come from several raw partitions): the earlier evidence
    # replaces the decision (equal times: the stronger rule, then the smaller id), so the topic
    # converges to what time order gives.
    return record(state, decision), [decision]


def _soft_bounce(state: AddressState, event: MailEvent, policy: SuppressionPolicy
                 ) -> tuple[AddressState, list[SuppressionEvent]]:
    rule = policy.soft_bounce
    if event.action == "delayed" and not rule.count_delayed:
        return state, []
    if event.reason in rule.ignore_reasons:
        return state, []
    # Order-insensitive on purpose: events of one address reach its partition from several raw
    # partitions, so they can arrive out of time order. The window's soft bounces and
    # deliveries are kept and the escalation is recomputed as time order would have made it
    # (_first_trigger); a late event that changes it replaces (or retracts) the decision.
    entries = sorted({*state.soft, (event.occurred_at, event.event_id)})
    state = _windowed(replace(state, soft=tuple(entries)), rule)
    return _escalate(state, event, policy)


MAX_SOFT = 64   # soft bounces kept per address (a week of them; bounds the recomputation)
MAX_DELIVERIES = 8
RETRACT_RULE = "soft_bounce.retracted"
ESCALATED_RULE = "soft_bounce.escalated"


def _windowed(state: AddressState, rule) -> AddressState:
    """Keep what can still matter: soft bounces and deliveries of the last window plus the
    allowed lateness (an event that late can still change the escalation)."""
    latest = max([*(t for t, _ in state.soft[-1:]), *state.deliveries[-1:]], default=None)
    if latest is None:
        return state
    since = latest - timedelta(days=rule.window_days + rule.allowed_lateness_days)
    soft = tuple(e for e in state.soft if e[0] > since)[-MAX_SOFT:]
    deliveries = tuple(t for t in state.deliveries if t > since)[-MAX_DELIVERIES:]
    return replace(state, soft=soft, deliveries=deliveries)


def _escalations(soft, deliveries, rule, resets: bool
                 ) -> list[tuple[datetime, list[str], datetime | None]]:
    """Replay the window in time order: every escalation (time, evidence, expiry) it makes."""
    window = timedelta(days=rule.window_days)
    timeline = sorted([*((t, 1, i) for t, i in soft), *((t, 0, "") for t in deliveries)])
    out: list[tuple[datetime, list[str], datetime | None]] = []
    # The soft bounces inside the window, oldest first, and how many fall on each day: the
    # window slides forward only (timeline order), so each entry is added and dropped once
    # (linear in the history, which every event of an address replays).
    inside: deque[tuple[datetime, str]] = deque()
    days: Counter = Counter()
    for t, is_soft, event_id in timeline:
        if not is_soft:
            if resets:
                inside.clear()   # a delivery proves the mailbox works: start counting afresh
                days.clear()
            continue
        if out and (out[-1][2] is None or t < out[-1][2]):
            continue          # suppressed at that time: nothing to count
        while inside and inside[0][0] <= t - window:
            day = inside.popleft()[0].date()
            days[day] -= 1
            if not days[day]:
                del days[day]
        inside.append((t, event_id))
        days[t.date()] += 1
        if len(inside) >= rule.count and len(days) >= rule.min_distinct_days:
            expires = t + timedelta(days=rule.expiry_days) if rule.expiry_days else None
            out.append((t, [i for _, i in inside], expires))
            inside.clear()
            days.clear()
    return out


def _escalate(state: AddressState, event: MailEvent, policy: SuppressionPolicy
              ) -> tuple[AddressState, list[SuppressionEvent]]:
    rule = policy.soft_bounce
    escalations = _escalations(state.soft, state.deliveries, rule, policy.delivery_resets_soft)
    last = escalations[-1] if escalations else None
    key = SuppressionEvent.make_key("global", None, state.address)
    current = state.scopes.get(key)
    latest = max([*(t for t, _ in state.soft[-1:]), *state.deliveries[-1:]], default=event.occurred_at)
    recomputable = (current is not None and current.rule == ESCALATED_RULE
                    and current.decided_at > latest - timedelta(days=rule.allowed_lateness_days))
    if recomputable:
        if last is None:
            # A late delivery shows the escalation should not have happened: take it back.
            decision = make_decision(key, state.address, "unsuppress", "global", None,
                                     [current.suppression_id], rule=RETRACT_RULE,
                                     at=current.decided_at, reason=event.reason,
                                     category="soft_bounce")
            return record(state, decision), [decision]
        at, evidence, expires = last
        decision = make_decision(key, state.address, "suppress", "global", None, evidence,
                                 rule=ESCALATED_RULE, at=at, reason=event.reason,
                                 category="soft_bounce", expires_at=expires, tenant=event.tenant)
        if decision.suppression_id == current.suppression_id:
            return state, []
        return record(state, decision), [decision]   # late evidence moved the escalation
    if last is None:
        return state, []
    at, evidence, expires = last
    return _suppress(state, event, "global", None, evidence, ESCALATED_RULE, expires, at)


def decide(state: AddressState | None, event: MailEvent, policy: SuppressionPolicy
           ) -> tuple[AddressState | None, list[SuppressionEvent]]:
    """Apply one event to its recipient's state. Pure: `state` is never modified."""
    if not event.recipient:
        return state, []
    state = state or AddressState(address=event.recipient)
    if event.event_id in state.recent_ids:
        return state, []   # a replayed duplicate (at-least-once delivery upstream)
    state = replace(state, recent_ids=(*state.recent_ids, event.event_id)[-RECENT_IDS:])
    category = event.category
    if category == "hard_bounce":
        expires = (event.occurred_at + timedelta(days=policy.hard_bounce_expiry_days)
                   if policy.hard_bounce_expiry_days else None)
        return _suppress(state, event, "global", None, [event.event_id],
                         "hard_bounce.immediate", expires)
    if category == "complaint":
        scope = policy.complaint_scope
        value = event.tenant if scope == "tenant" else None
        return _suppress(state, event, scope, value, [event.event_id], "complaint.immediate", None)
    if category == "soft_bounce":
        return _soft_bounce(state, event, policy)
    if category == "delivered":
        when = event.occurred_at
        state = replace(state, delivered_at=max(when, state.delivered_at or when))
        if not policy.delivery_resets_soft:
            return state, []
        state = _windowed(replace(state, deliveries=tuple(sorted({*state.deliveries, when}))),
                          policy.soft_bounce)
        return _escalate(state, event, policy) if state.soft else (state, [])
    if category == "unsubscribe":
        stream = event.list_id or event.stream
        if stream:
            return _suppress(state, event, "stream", stream, [event.event_id],
                             "unsubscribe.stream", None)
        return _suppress(state, event, "tenant", event.tenant, [event.event_id],
                         "unsubscribe.tenant", None)
    if category == "auth_failure":
        return replace(state, auth_failures=state.auth_failures + 1), []
    return state, []


def unsuppress(state: AddressState | None, request: UnsuppressRequest, policy: SuppressionPolicy
               ) -> tuple[AddressState, list[SuppressionEvent]]:
    """An operator lifts a suppression. Always published (CRMs re-enable the address)."""
    address = request.address.strip().lower()
    state = state or AddressState(address=address)
    key = SuppressionEvent.make_key(request.scope, request.scope_value, address)
    decision = make_decision(
        key, address, "unsuppress", request.scope, request.scope_value, [],
        rule="manual.unsuppress", at=request.requested_at, note=request.note)
    decision = decision.model_copy(update={"suppression_id": stable_id(
        "suppression", key, "unsuppress", request.request_id)})
    new = record(state, decision)
    if request.scope == "global":
        new = replace(new, soft=())   # start counting afresh
    return new, [decision]
