"""The suppression policy: every knob of the escalation rules, with defaults and why.

Loaded from YAML or JSON (`settings.suppression.policy_file`) with `SuppressionPolicy.from_file`;
unknown keys are an error (a typo must not silently fall back to a default).

Defaults, and where they come from:
- Hard bounces and complaints suppress at once, globally, without expiry: a 5.1.1 user-unknown
  does not heal, and every ESP (SES account-level suppression list, SendGrid, Postmark) treats a
  complaint as a global unsubscribe.
- Soft bounces escalate after 3 within 7 days seen on >= 2 distinct UTC days, and that
  suppression expires after 30 days. One message retried by the MTA yields several DSNs on the
  same day (greylisting, throttling), so a count alone would suppress live mailboxes; a mailbox
  full on two different days of one week is abandoned in practice (SES retries for ~14 h only,
  Postmark deactivates after repeated soft bounces). `delayed` DSNs are warnings from an MTA
  that is still retrying, so they do not count by default. Events of one address reach the
  worker from several raw partitions, out of time order: the escalation is recomputed in time
  order over the window, and events up to `allowed_lateness_days` late still correct it
  (replace it, or retract it when a late delivery shows it should not have happened).
- Soft-bounce reasons that describe the SENDER's problem (blocks, reputation, content, rate
  limits, TLS) never escalate: suppressing the recipient would not fix them (Sisimai reason
  descriptions, schemas/vocab.py).
- A later delivery to the address resets the soft count (the mailbox works).
- Unsubscribes suppress only their list/stream (event.list_id, else event.stream), else the
  tenant (RFC 8058 one-click unsubscribe is per list).
- Auth failures (DMARC/SPF/DKIM) never suppress: the sender is misconfigured. They are counted
  and raise an alert every `auth_failure_alert_every` events per sender domain.
- Blast radius: when >= 20 hard bounces AND >= 50 % of the events to one receiving domain within
  15 minutes are hard bounces, the domain is blocking us (a misclassified block, a broken MX),
  not full of dead mailboxes: its hard-bounce suppressions in that window become `hold` and an
  alert is raised. In the streaming worker the window is kept per events partition (events are
  keyed by recipient, so each partition sees a hash sample of the domain's traffic).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

# Sisimai reasons that mean "the sender has a problem here", not "this mailbox is bad".
SENDER_SIDE_REASONS = frozenset({
    "authfailure", "badreputation", "blocked", "contenterror", "failedstarttls", "mesgtoobig",
    "emailtoolarge", "networkerror", "norelaying", "notcompliantrfc", "policyviolation",
    "ratelimited", "requireptr", "securityerror", "spamdetected", "speeding", "syntaxerror",
    "toomanyconn", "virusdetected",
})


class _Rule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SoftBounceRule(_Rule):
    count: int = 3
    window_days: float = 7
    min_distinct_days: int = 2
    expiry_days: float | None = 30
    count_delayed: bool = False
    allowed_lateness_days: float = 7   # events this late still correct an escalation
    ignore_reasons: frozenset[str] = SENDER_SIDE_REASONS


class BlastRadiusRule(_Rule):
    enabled: bool = True
    window_minutes: float = 15
    min_hard_bounces: int = 20
    min_share: float = 0.5
    max_tracked: int = 2000   # hard bounces remembered per domain window (for retroactive holds)


class SuppressionPolicy(_Rule):
    hard_bounce_expiry_days: float | None = None
    complaint_scope: Literal["global", "tenant"] = "global"
    delivery_resets_soft: bool = True
    soft_bounce: SoftBounceRule = SoftBounceRule()
    blast_radius: BlastRadiusRule = BlastRadiusRule()
    auth_failure_alert_every: int = 100

    @classmethod
    def from_file(cls, path: str | Path) -> "SuppressionPolicy":
        """Read a policy from YAML (.yaml/.yml) or JSON; missing keys keep their defaults."""
        path = Path(path)
        text = path.read_text(encoding="utf-8")
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml
            data = yaml.safe_load(text) or {}
        else:
            data = json.loads(text or "{}")
        if not isinstance(data, dict):
            raise ValueError(f"{path}: a suppression policy must be a mapping, got {type(data).__name__}")
        return cls.model_validate(data)


def load_policy(settings=None) -> SuppressionPolicy:
    """The policy the settings name, or the built-in defaults."""
    from pipeline.settings import default_settings

    settings = settings or default_settings()
    path = settings.suppression.policy_file
    return SuppressionPolicy.from_file(path) if path else SuppressionPolicy()
