"""SuppressionEngine: the stateful driver around the pure policy functions.

Batch `ingest` feeds it every event in time order; the streaming worker keeps one engine per
events partition and writes the keys it changed (`take_dirty()`) to a compacted state topic,
restoring them with `load()` after a restart or rebalance.
"""
from __future__ import annotations

from collections import Counter

from schemas.ids import stable_id
from schemas.models import MailEvent, SuppressionEvent

from .guard import guard, observe
from .policy import SuppressionPolicy
from .rules import decide, record, unsuppress
from .state import AddressState, DomainWindow, SuppressionAlert, UnsuppressRequest

DOMAIN_PREFIX = "@"   # state keys: "address" or "@domain"

# Every MailEvent field the policy reads (engine, rules, guard). A replay of a lake's events
# (`connectors/replay.py`) sorts and reads only these columns: a time-ordered sort of whole
# events ran out of its memory cap on a lake of 100,000 events. An event built from them alone
# (`MailEvent.model_construct`) has no other attribute, so a rule that starts reading another
# field fails loudly until it is added here (tests/unit/test_suppression_replay.py).
POLICY_FIELDS = ("event_id", "occurred_at", "category", "reason", "action", "recipient",
                 "recipient_domain", "sender_domain", "tenant", "stream", "list_id",
                 "unverified")


class SuppressionEngine:
    def __init__(self, policy: SuppressionPolicy | None = None):
        self.policy = policy or SuppressionPolicy()
        self.state: dict[str, AddressState] = {}
        self.domains: dict[str, DomainWindow] = {}
        self.alerts: list[SuppressionAlert] = []
        self.auth_failures: Counter[str] = Counter()   # by sender domain
        self._dirty: set[str] = set()

    def feed(self, event: MailEvent, *, observe_domain: bool = True) -> list[SuppressionEvent]:
        """Apply one event; return the decisions to publish (possibly none).

        `observe_domain=False`: the domain window already counted this event (a replay after a
        crash restored it), so only its decisions are re-derived."""
        address = event.recipient
        if not address or event.unverified:
            return []   # unverified: the return path did not vouch for it (pipeline/envelope.py)
        before = self.state.get(address)
        new_state, decisions = decide(before, event, self.policy)
        if new_state is before:
            return []   # a duplicate: no state change, nothing counted twice
        self.state[address] = new_state
        self._dirty.add(address)
        domain = event.recipient_domain or address.rpartition("@")[2]
        if self.policy.blast_radius.enabled:
            window = self.domains.get(domain) or DomainWindow(domain)
            if observe_domain:
                window = observe(window, event, self.policy)
            window, decisions, alerts = guard(window, event, decisions, self.policy)
            self.domains[domain] = window
            self._dirty.add(DOMAIN_PREFIX + domain)
            self.alerts.extend(alerts)
            for decision in decisions:
                if decision.action == "hold":
                    self.record_decision(decision)
        if event.category == "auth_failure":
            self._count_auth_failure(event)
        return decisions

    def _count_auth_failure(self, event: MailEvent) -> None:
        domain = event.sender_domain or "(unknown)"
        self.auth_failures[domain] += 1
        n = self.auth_failures[domain]
        every = self.policy.auth_failure_alert_every
        if n == 1 or (every and n % every == 0):
            self.alerts.append(SuppressionAlert(
                alert_id=stable_id("alert", "auth_failure", domain, n), kind="auth_failure",
                domain=domain, at=event.occurred_at, count=n,
                note=f"{n} authentication failure(s) for mail from {domain}: fix SPF/DKIM/DMARC "
                     "alignment (no recipient was suppressed)"))

    def unsuppress(self, request: UnsuppressRequest) -> list[SuppressionEvent]:
        address = request.address.strip().lower()
        new_state, decisions = unsuppress(self.state.get(address), request, self.policy)
        self.state[address] = new_state
        self._dirty.add(address)
        return decisions

    def record_decision(self, decision: SuppressionEvent) -> None:
        """Take a decision made outside the address's own rules (a blast-radius hold, a
        reclassify run's correction) into the state, so later events are decided against
        it; nothing new is decided."""
        held = self.state.get(decision.address) or AddressState(decision.address)
        self.state[decision.address] = record(held, decision)
        self._dirty.add(decision.address)

    def active(self) -> dict[str, str]:
        """The current decision per suppression key (what a compacted topic converges to)."""
        return {key: scope.action for st in self.state.values() for key, scope in st.scopes.items()}

    # -- changelog support (streaming worker) ---------------------------------------------
    def take_dirty(self) -> dict[str, dict]:
        """State keys changed since the last call, with their JSON form."""
        out = {}
        for key in sorted(self._dirty):
            if key.startswith(DOMAIN_PREFIX):
                out[key] = self.domains[key[len(DOMAIN_PREFIX):]].to_json()
            else:
                out[key] = self.state[key].to_json()
        self._dirty.clear()
        return out

    def load(self, key: str, data: dict) -> None:
        if key.startswith(DOMAIN_PREFIX):
            self.domains[key[len(DOMAIN_PREFIX):]] = DomainWindow.from_json(data)
        else:
            self.state[key] = AddressState.from_json(data)
