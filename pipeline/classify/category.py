"""Reason -> Category, per the corpus README "Category rules" (Sisimai's hardbounce rule).

Hard: userunknown, hostunknown, hasmoved always; notaccept unless the code is temporary
(4xx / 4.x.x, go-sisimai `smtp/failure.IsHardBounce`). auth: authfailure. Not a failure:
delivered (Category.DELIVERED), vacation (Category.OTHER). feedback: by Feedback-Type.
Every other reason is a soft bounce (onhold and undefined included).
"""
from __future__ import annotations

import re

from schemas.vocab import Category

from ..mime.codes import ENHANCED_STATUS, reply_code_in

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
        code = _stated_code(status, diagnostic, reply_code)
        return code.startswith("5") or not is_temporary(code or None, None, diagnostic)
    return False


def _stated_code(status: str | None, diagnostic: str | None, reply_code: int | None) -> str:
    """The code go-sisimai's smtp/failure.IsHardBounce reads from "<status> <diagnostic>"
    (smtp/status.Find): the first specific enhanced status code; a class-only one (x.0.0) or
    4.4.7 only when there is no other; else the reply code in the text, else the stated one.
    So a "4.0.0" status with a "not accept" text and no other code is temporary, but a
    specific 5.x.x code in the text makes it permanent."""
    text = f"{status or ''} {diagnostic or ''}"
    weak = ""
    for m in ENHANCED_STATUS.finditer(text):
        code = f"{m.group(1)}.{int(m.group(2))}.{int(m.group(3))}"
        if code.endswith(".0.0") or code == "4.4.7":
            weak = weak or code
            continue
        return code
    if weak:
        return weak
    found = reply_code_in(text) or reply_code
    return str(found) if found else ""


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
