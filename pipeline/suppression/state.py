"""Suppression state: per address (all its scopes) and per receiving domain (blast window).

Immutable values (frozen dataclasses of tuples) so the policy functions stay pure: they return
new states and never touch their inputs. `to_json`/`from_json` give the changelog form the
streaming worker writes to its compacted state topic.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from schemas.ids import stable_id

RECENT_IDS = 8    # event ids remembered per address: replayed duplicates are ignored (the
                  # rules are idempotent anyway; this only keeps counters exact)


def _ts(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass(frozen=True)
class ScopeState:
    """The last decision for one (address, scope): suppress, hold or unsuppress."""

    action: str
    suppression_id: str
    decided_at: datetime
    expires_at: datetime | None = None
    rule: str = ""

    def active_at(self, when: datetime) -> bool:
        return self.action == "suppress" and (self.expires_at is None or when < self.expires_at)


@dataclass(frozen=True)
class AddressState:
    address: str
    scopes: dict[str, ScopeState] = field(default_factory=dict)   # key: SuppressionEvent.key
    soft: tuple[tuple[datetime, str], ...] = ()                   # (occurred_at, event_id)
    recent_ids: tuple[str, ...] = ()
    auth_failures: int = 0
    delivered_at: datetime | None = None                          # latest delivery seen
    deliveries: tuple[datetime, ...] = ()                         # within the soft window

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "scopes": {k: [s.action, s.suppression_id, _ts(s.decided_at), _ts(s.expires_at), s.rule]
                       for k, s in self.scopes.items()},
            "soft": [[_ts(t), i] for t, i in self.soft],
            "recent_ids": list(self.recent_ids),
            "auth_failures": self.auth_failures,
            "delivered_at": _ts(self.delivered_at),
            "deliveries": [_ts(t) for t in self.deliveries],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "AddressState":
        return cls(
            address=data["address"],
            scopes={k: ScopeState(a, sid, _dt(d), _dt(e), r) for k, (a, sid, d, e, r) in data["scopes"].items()},
            soft=tuple((_dt(t), i) for t, i in data["soft"]),
            recent_ids=tuple(data["recent_ids"]),
            auth_failures=data["auth_failures"],
            delivered_at=_dt(data.get("delivered_at")),
            deliveries=tuple(_dt(t) for t in data.get("deliveries", ())),
        )


@dataclass(frozen=True)
class HardBounceSeen:
    """A hard-bounce suppression inside the blast window (may be turned into a hold)."""

    at: datetime
    key: str
    address: str
    evidence: tuple[str, ...]
    tenant: str | None
    reason: str | None


@dataclass(frozen=True)
class DomainWindow:
    domain: str
    buckets: tuple[tuple[int, int, int], ...] = ()   # (minute since epoch, events, hard bounces)
    hard: tuple[HardBounceSeen, ...] = ()
    blocked_until: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "buckets": [list(b) for b in self.buckets],
            "hard": [[_ts(h.at), h.key, h.address, list(h.evidence), h.tenant, h.reason]
                     for h in self.hard],
            "blocked_until": _ts(self.blocked_until),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "DomainWindow":
        return cls(
            domain=data["domain"],
            buckets=tuple(tuple(b) for b in data["buckets"]),
            hard=tuple(HardBounceSeen(_dt(a), k, ad, tuple(ev), t, r)
                       for a, k, ad, ev, t, r in data["hard"]),
            blocked_until=_dt(data["blocked_until"]),
        )


class UnsuppressRequest(BaseModel):
    """An operator's `bouncepipe unsuppress`: lift one (address, scope)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    address: str
    scope: str = "global"
    scope_value: str | None = None
    requested_at: datetime
    note: str | None = None
    request_id: str = Field(default="")

    def model_post_init(self, _context: Any) -> None:
        if not self.request_id:
            object.__setattr__(self, "request_id", stable_id(
                "unsuppress", self.address, self.scope, self.scope_value, self.requested_at.isoformat()))


class SuppressionAlert(BaseModel):
    """Something an operator should look at; never a suppression by itself."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    alert_id: str
    kind: str                 # "blast_radius" | "auth_failure"
    domain: str
    at: datetime
    count: int
    total: int = 0
    note: str
    held_addresses: list[str] = Field(default_factory=list)
