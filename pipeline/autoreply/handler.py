"""Registers the auto-reply handler: email family, order 40 (after ARF, before bounces)."""
from __future__ import annotations

from schemas.vocab import SourceKind

from ..dsn.engine import events_for
from ..mime.view import checked_view
from ..outcome import Outcome
from ..registry import register
from .parse import inquire


def _detect(raw, msg) -> bool:
    return True  # is_autoreply() looks at a few headers only


@register("autoreply", family="email", order=40, detect=_detect)
def handle(raw, msg, settings) -> Outcome | None:
    report = inquire(checked_view(raw, msg, settings))
    if report is None:
        return None
    events = events_for(raw, report, source_kind=SourceKind.AUTOREPLY)
    return Outcome(events=events, parser=events[0].parser)
