"""Registers the bounce (DSN) handler: email family, order 50 (after ARF 30, auto-reply 40)."""
from __future__ import annotations

from ..errors import ParseError
from ..mime.view import checked_view
from ..outcome import Outcome
from ..registry import register
from .engine import parse_bounce


def _always(raw, msg) -> bool:  # dialects decide; there is no cheap negative test for them all
    return True


@register("dsn", family="email", order=50, detect=_always)
def handle(raw, msg, settings) -> Outcome | None:
    events = parse_bounce(raw, checked_view(raw, msg, settings))
    if events is None:
        return None
    if not events:
        raise ParseError("a bounce was recognised but names no usable recipient address",
                         raw_sha256=raw.sha256, parser="dsn")
    return Outcome(events=events, parser=events[0].parser)
