"""Classification: one RecipientReport -> (category, Sisimai reason, the rule that decided).

Order (mirrors go-sisimai `fact/rise.go` REASON block and `reason/find.go`):
  1. delivered (2.x.x status or Action: delivered);
  2. the dialect's own reason unless it is one Sisimai re-checks (`RETRIED`);
  3. a local delivery agent's own error text (`lda.py`: procmail, maildrop, dovecot, ...),
     then the receiving provider's override (`classify/rhosts/` modules, keyed by host / domain);
  4. probes per reason over status code + diagnostic phrases (`reasons.find`);
  5. the dialect's re-checkable reason, else onhold (diagnostic present) / undefined.
"""
from __future__ import annotations

from typing import NamedTuple

from schemas.vocab import Category

from .category import category_for
from .lda import lda_reason
from .reasons import Facts, find_reason
from .rhost import rhost_reason

# go-sisimai reason/lib.go GetRetried: reasons a dialect may state that are checked again.
RETRIED = frozenset({"undefined", "onhold", "systemerror", "securityerror", "expired",
                     "networkerror", "hostunknown", "userunknown"})


class Verdict(NamedTuple):  # immutable; a tuple builds ~4x faster than a frozen dataclass
    category: Category
    reason: str
    rule: str
    provider: str | None = None   # receiving provider named by an rhost override


def classify(facts: Facts) -> Verdict:
    reason, rule, provider = decide_reason(facts)
    category = category_for(reason, status=facts.status, reply_code=facts.reply_code,
                            diagnostic=facts.diagnostic, feedback_type=facts.feedback_type)
    return Verdict(category, reason, rule, provider)


_OWN_RULE_PREFIXES = ("dialect.", "arf.", "rfc3834.", "rhost.")


def dialect_rule(f: Facts) -> str:
    """The rule name for a reason the parser stated: "dialect.<its rule>" (e.g.
    "dialect.exim.expired"), or "dialect.<dialect>.<reason>" when it named no rule."""
    if f.given_rule:
        return f.given_rule if f.given_rule.startswith(_OWN_RULE_PREFIXES) else \
            f"dialect.{f.given_rule}"
    return f"dialect.{f.dialect or 'unknown'}.{f.given_reason}"


def decide_reason(f: Facts) -> tuple[str, str, str | None]:
    given = f.given_reason
    if given in ("feedback", "vacation"):
        return given, dialect_rule(f), None
    if (f.status or "").startswith("2.") or f.action == "delivered":
        return "delivered", "status.delivered", None
    if given and given not in RETRIED:
        return given, dialect_rule(f), None
    local = lda_reason(f)
    if local:
        return local[0], local[1], None
    found = rhost_reason(f)
    if found:
        name, reason, rule = found
        return reason, rule, name
    reason, rule = find_reason(f)
    if reason and reason not in ("onhold", "undefined"):
        return reason, rule, None
    if given and given not in ("onhold", "undefined"):
        return given, dialect_rule(f), None
    if f.diagnostic:
        return "onhold", "fallback.onhold", None
    return "undefined", "fallback.undefined", None


__all__ = ["Facts", "Verdict", "classify", "RETRIED"]
