"""Suppression policy (first cut: hard bounces and complaints suppress globally at once).

The streaming work replaces the internals (soft-bounce escalation, expiry, unsubscribe scopes,
blast-radius guard) keeping this API: `decide` is pure; `SuppressionEngine` keeps state in a
dict for `ingest` (the worker keeps the same state in a faust table).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict

from schemas.ids import stable_id
from schemas.models import MailEvent, SuppressionEvent


class SuppressionPolicy(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


@dataclass
class AddressState:
    suppressed: bool = False
    evidence: list[str] = field(default_factory=list)


def decide(state: AddressState | None, event: MailEvent, policy: SuppressionPolicy
           ) -> tuple[AddressState | None, list[SuppressionEvent]]:
    if not event.recipient or event.category not in ("hard_bounce", "complaint"):
        return state, []
    state = state or AddressState()
    if state.suppressed:
        return state, []
    state.suppressed = True
    state.evidence.append(event.event_id)
    key = SuppressionEvent.make_key("global", None, event.recipient)
    decision = SuppressionEvent(
        suppression_id=stable_id("suppression", key, "suppress", event.event_id),
        key=key,
        address=event.recipient,
        address_domain=event.recipient_domain or event.recipient.rpartition("@")[2],
        action="suppress",
        scope="global",
        reason=event.reason,
        category=event.category,
        policy_rule=f"{event.category}.immediate",
        decided_at=event.occurred_at,
        evidence_event_ids=[event.event_id],
        tenant=event.tenant,
    )
    return state, [decision]


class SuppressionEngine:
    """Batch driver: feed events in time order, collect decisions."""

    def __init__(self, policy: SuppressionPolicy | None = None):
        self.policy = policy or SuppressionPolicy()
        self.state: dict[str, AddressState] = {}

    def feed(self, event: MailEvent) -> list[SuppressionEvent]:
        if not event.recipient:
            return []
        new_state, decisions = decide(self.state.get(event.recipient), event, self.policy)
        if new_state is not None:
            self.state[event.recipient] = new_state
        return decisions
