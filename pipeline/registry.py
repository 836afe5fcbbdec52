"""The one registry of input handlers. Adding an input dialect = one module + one import line.

A handler belongs to a family, which decides what it is shown:
  "email"   -> the parsed `email.message.Message` (stdlib, compat32 policy: ~3x faster than flanker)
  "json"    -> the decoded JSON value (dict or list)
  "xml"     -> the raw bytes (streamed by its parser; never parsed twice)
  "archive" -> the raw bytes of a gzip or zip file
  "form"    -> the raw bytes of an x-www-form-urlencoded webhook body (Mandrill)

Handlers of a family are tried in `order`. `detect` is a cheap test; `handle` returns an
Outcome, or None to pass. An Outcome with final=False lets later handlers add to it.
Modules register with the decorator and are imported in pipeline/handlers.py, which
`pipeline.core` imports (the registry itself imports no handler: they depend on it).

`many` (optional) handles several inputs in one call, for `core.process_batch`: a list of
(raw, view) in, a list of what `handle` would return for each out, with the exception it
would raise in place of a result. It must give exactly `handle`'s answers; it exists when
working through many inputs at once is faster (the bounce engine runs each dialect over the
whole batch).

`streams=True` marks a handler whose Outcome rows may be a lazy iterator that already holds
a parser's read-ahead (DMARC aggregate reports): `core.process_stream` gives an input such a
handler detects a batch of its own, so reports never pile up in memory together.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from schemas.models import RawMessage

from .outcome import Outcome

Family = Literal["email", "json", "xml", "archive", "form"]
Detect = Callable[[RawMessage, Any], bool]
Handle = Callable[[RawMessage, Any, Any], "Outcome | None"]
HandleMany = Callable[[list[tuple[RawMessage, Any]], Any], "list[Outcome | None | Exception]"]


@dataclass(frozen=True)
class Handler:
    name: str          # e.g. "dsn", "arf", "dmarc.aggregate", "webhook"
    family: Family
    order: int         # lower runs first
    detect: Detect
    handle: Handle     # (raw, view, settings) -> Outcome | None
    many: HandleMany | None = None   # ([(raw, view)], settings) -> [Outcome | None | Exception]
    streams: bool = False            # its rows may be a primed lazy iterator: batched alone


_HANDLERS: list[Handler] = []
# family -> its handlers in order, built on first ask (process() asks on every input);
# register() clears it
_BY_FAMILY: dict[str, tuple[Handler, ...]] = {}


def register(name: str, family: Family, order: int, detect: Detect, *,
             many: HandleMany | None = None, streams: bool = False
             ) -> Callable[[Handle], Handle]:
    def decorator(handle: Handle) -> Handle:
        if any(h.name == name and h.family == family for h in _HANDLERS):
            raise ValueError(f"handler {family}/{name} registered twice")
        _HANDLERS.append(Handler(name, family, order, detect, handle, many, streams))
        _HANDLERS.sort(key=lambda h: (h.family, h.order, h.name))
        _BY_FAMILY.clear()
        return handle

    return decorator


def handlers(family: Family) -> tuple[Handler, ...]:
    found = _BY_FAMILY.get(family)
    if found is None:
        found = _BY_FAMILY[family] = tuple(h for h in _HANDLERS if h.family == family)
    return found
