"""Registers the webhook / MTA-log handlers with the core registry.

One json-family handler (order 50: after TLS-RPT at 10) detects the provider and dispatches;
a "form" family handler reads Mandrill's `mandrill_events=<JSON>` form bodies (sniff.py says
"form" for them). Unknown JSON shapes return None so the core dead-letters them "not supported".
"""
from __future__ import annotations

from typing import Any

import orjson

from schemas.models import RawMessage

from pipeline.errors import ParseError
from pipeline.outcome import Outcome
from pipeline.registry import register

from . import mandrill, registry


def _is_json_container(raw: RawMessage, view: Any) -> bool:
    return isinstance(view, (dict, list))


@register("webhook", "json", 50, _is_json_container)
def handle_json(raw: RawMessage, view: Any, settings: Any) -> Outcome | None:
    return registry.normalize(raw, view, settings)


def _is_mandrill_form(raw: RawMessage, view: Any) -> bool:
    return raw.payload.lstrip()[:16] == b"mandrill_events="


@register("webhook.mandrill_form", "form", 50, _is_mandrill_form)
def handle_form(raw: RawMessage, view: Any, settings: Any) -> Outcome | None:
    text = mandrill.events_from_form(raw.payload.strip())
    if text is None:
        raise ParseError("form body without a mandrill_events field", raw_sha256=raw.sha256,
                         parser="webhook.mandrill")
    try:
        events = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise ParseError(f"mandrill_events is not valid JSON: {exc}", raw_sha256=raw.sha256,
                         parser="webhook.mandrill") from exc
    if not isinstance(events, list):
        raise ParseError("mandrill_events is not a JSON array", raw_sha256=raw.sha256,
                         parser="webhook.mandrill")
    if raw.provider_hint is None:
        raw = raw.model_copy(update={"provider_hint": mandrill.NAME})
    return registry.normalize(raw, events, settings)
