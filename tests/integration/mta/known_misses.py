"""Replies the classifier gets wrong today, per MTA: (mta, reply row id) -> the precise miss.

The real-MTA tests (live and offline on the saved fixtures) mark these cases
xfail(strict=True): the day the engine classifies one right, its test fails until the entry is
removed here. The engine lives in pipeline/ and is fixed there, never by editing this table to
match a wrong answer. "want" is the reply's documented meaning (category/reason names).
"""
from __future__ import annotations

CLASSIFIER_MISSES: dict[tuple[str, str], str] = {
}
