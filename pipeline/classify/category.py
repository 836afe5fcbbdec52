"""Reason -> Category, per the corpus README "Category rules" (Sisimai's hardbounce rule).

Hard: userunknown, hostunknown, hasmoved always; notaccept unless the code is temporary
(4xx / 4.x.x, go-sisimai `smtp/failure.IsHardBounce`). auth: authfailure. Not a failure:
delivered (Category.DELIVERED), vacation (Category.OTHER). feedback: by Feedback-Type.
Every other reason is a soft bounce (onhold and undefined included).
"""
from __future__ import annotations

import re

from schemas.vocab import Category

ALWAYS_HARD = frozenset({"userunknown", "hostunknown", "hasmoved"})
_TEMPORARY_WORDS = re.compile(r" temporar| persistent", re.I)

# RFC 5965 / RFC 6591 Feedback-Type -> category (corpus README rule 2).
FEEDBACK_CATEGORY: dict[str, Category] = {
    "abuse": Category.COMPLAINT,
    "fraud": Category.COMPLAINT,
    "virus": Category.COMPLAINT,
    "opt-out": Category.COMPLAINT,
    "optout": Category.COMPLAINT,
    "other": Category.COMPLAINT,
    "auth-failure": Category.AUTH_FAILURE,
    "dmarc": Category.AUTH_FAILURE,
    "not-spam": Category.OTHER,
}


def is_temporary(status: str | None, reply_code: int | None, diagnostic: str | None) -> bool:
    code = status or (str(reply_code) if reply_code else "")
    if code:
        return code.startswith("4")
    return bool(diagnostic and _TEMPORARY_WORDS.search(f" {diagnostic}"))


def is_hard(reason: str, status: str | None, reply_code: int | None,
            diagnostic: str | None) -> bool:
    if reason in ALWAYS_HARD:
        return True
    if reason == "notaccept":
        return not is_temporary(status, reply_code, diagnostic)
    return False


def category_for(reason: str, *, status: str | None = None, reply_code: int | None = None,
                 diagnostic: str | None = None, feedback_type: str | None = None) -> Category:
    if reason == "delivered":
        return Category.DELIVERED
    if reason == "vacation":
        return Category.OTHER
    if reason == "feedback":
        return FEEDBACK_CATEGORY.get((feedback_type or "").lower(), Category.COMPLAINT)
    if reason in ("authfailure", "dmarcfailure"):
        return Category.AUTH_FAILURE
    if is_hard(reason, status, reply_code, diagnostic):
        return Category.HARD_BOUNCE
    return Category.SOFT_BOUNCE
