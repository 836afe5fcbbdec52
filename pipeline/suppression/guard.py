"""Blast-radius guard (pure): a receiving domain that hard-bounces a large share of our mail in a
short window is blocking us, so its hard-bounce suppressions are held instead of applied.

observe(window, event) counts every event to the domain in one-minute buckets; guard(window,
event, decisions) passes decisions through, or turns hard-bounce suppressions into holds (the
current ones and, when the guard trips, the earlier ones in the window) and raises an alert.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from schemas.ids import stable_id
from schemas.models import MailEvent, SuppressionEvent

from .policy import SuppressionPolicy
from .rules import make_decision
from .state import DomainWindow, HardBounceSeen, SuppressionAlert


def _minute(event: MailEvent) -> int:
    return int(event.occurred_at.timestamp() // 60)


def observe(window: DomainWindow, event: MailEvent, policy: SuppressionPolicy) -> DomainWindow:
    rule = policy.blast_radius
    minute = _minute(event)
    oldest = minute - int(rule.window_minutes) + 1
    hard = 1 if event.category == "hard_bounce" else 0
    buckets = [b for b in window.buckets if b[0] >= oldest]
    for i, (m, n, h) in enumerate(buckets):
        if m == minute:
            buckets[i] = (m, n + 1, h + hard)
            break
    else:
        buckets.append((minute, 1, hard))
        buckets.sort()
    return replace(window, buckets=tuple(buckets))


def _hold(seen: HardBounceSeen, at, note: str) -> SuppressionEvent:
    return make_decision(seen.key, seen.address, "hold", "global", None, seen.evidence,
                         rule="blast_radius.hold", at=at, reason=seen.reason,
                         category="hard_bounce", tenant=seen.tenant, note=note)


def guard(window: DomainWindow, event: MailEvent, decisions: list[SuppressionEvent],
          policy: SuppressionPolicy
          ) -> tuple[DomainWindow, list[SuppressionEvent], list[SuppressionAlert]]:
    rule = policy.blast_radius
    hard_now = [d for d in decisions if d.action == "suppress" and d.category == "hard_bounce"]
    if not rule.enabled or not hard_now:
        return window, decisions, []
    at = event.occurred_at
    others = [d for d in decisions if d not in hard_now]
    seen_now = [HardBounceSeen(at, d.key, d.address, tuple(d.evidence_event_ids), d.tenant,
                               d.reason) for d in hard_now]
    note = f"receiving domain {window.domain} is hard-bouncing most of our mail: likely a block"
    if window.blocked_until is not None and at < window.blocked_until:
        return window, others + [_hold(s, at, note) for s in seen_now], []
    since = at - timedelta(minutes=rule.window_minutes)
    hard = tuple(h for h in window.hard if h.at > since) + tuple(seen_now)
    hard = hard[-rule.max_tracked:]
    events = sum(n for _, n, _ in window.buckets)
    hard_count = sum(h for _, _, h in window.buckets)
    if hard_count >= rule.min_hard_bounces and events and hard_count / events >= rule.min_share:
        until = at + timedelta(minutes=rule.window_minutes)
        holds = [_hold(s, at, note) for s in hard]
        alert = SuppressionAlert(
            alert_id=stable_id("alert", "blast_radius", window.domain, at.isoformat()),
            kind="blast_radius", domain=window.domain, at=at, count=hard_count, total=events,
            note=f"{hard_count} of {events} events to {window.domain} hard-bounced within "
                 f"{rule.window_minutes:g} min: suppressions held until {until.isoformat()}",
            held_addresses=sorted({s.address for s in hard}))
        return replace(window, hard=(), blocked_until=until), others + holds, [alert]
    return replace(window, hard=hard, blocked_until=None), decisions, []
