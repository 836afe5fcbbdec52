"""Registers the ARF handler: email family, order 30 (after the DMARC report handlers)."""
from __future__ import annotations

from schemas.vocab import SourceKind

from ..dsn.engine import events_for
from ..mime.view import checked_view
from ..outcome import Outcome
from ..registry import register
from .parse import inquire


def _detect(raw, msg) -> bool:
    return True  # inquire() checks the report type / FBL senders cheaply


@register("arf", family="email", order=30, detect=_detect)
def handle(raw, msg, settings) -> Outcome | None:
    report = inquire(checked_view(raw, msg, settings))
    if report is None:
        return None
    events = events_for(raw, report, source_kind=SourceKind.ARF)
    return Outcome(events=events, parser=events[0].parser if events else "arf")
