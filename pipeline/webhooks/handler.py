"""Registers the webhook / MTA-log handlers with the core registry.

One json-family handler (order 50: after TLS-RPT at 10) detects the provider and dispatches;
a "form" family handler reads `<FORM_FIELD>=<JSON>` form bodies of the providers that declare a
FORM_FIELD (Mandrill's `mandrill_events=`; sniff.py says "form" for them) and flat form bodies
of the providers that declare `form_object` (Mailgun's legacy `event=bounced&...` hooks). Unknown JSON shapes return None so the core dead-letters them "not supported".
"""
from __future__ import annotations

from types import ModuleType
from typing import Any

import orjson

from schemas.models import RawMessage

from pipeline.errors import ParseError
from pipeline.outcome import Outcome
from pipeline.registry import register

from . import registry
from .contract import flat_form_object, form_events, parser_name


def _is_json_container(raw: RawMessage, view: Any) -> bool:
    return isinstance(view, (dict, list))


@register("webhook", "json", 50, _is_json_container)
def handle_json(raw: RawMessage, view: Any, settings: Any) -> Outcome | None:
    return registry.normalize(raw, view, settings)


def _form_provider(raw: RawMessage) -> ModuleType | None:
    hinted = registry.provider_for(raw.provider_hint)
    head = raw.payload.lstrip()[:64]
    for module in registry.form_providers():
        if module is hinted or head.startswith(f"{module.FORM_FIELD}=".encode()):
            return module
    return None


def _flat_form(raw: RawMessage) -> tuple[ModuleType, dict[str, Any]] | None:
    """(provider, its event object) for a flat form hook, or None."""
    hinted = registry.provider_for(raw.provider_hint)
    for module in registry.flat_form_providers():
        if hinted is not None and module is not hinted:
            continue
        obj = flat_form_object(module, raw.payload)
        if obj is not None:
            return module, obj
    return None


def _is_form_body(raw: RawMessage, view: Any) -> bool:
    return _form_provider(raw) is not None or _flat_form(raw) is not None


@register("webhook.form", "form", 50, _is_form_body)
def handle_form(raw: RawMessage, view: Any, settings: Any) -> Outcome | None:
    module = _form_provider(raw)
    if module is None:
        flat = _flat_form(raw)
        if flat is None:
            return None
        module, obj = flat
        if raw.provider_hint is None:
            raw = raw.model_copy(update={"provider_hint": module.NAME})
        return registry.normalize(raw, obj, settings)
    parser = parser_name(module)
    text = form_events(module, raw.payload.strip())
    if text is None:
        raise ParseError(f"form body without a {module.FORM_FIELD} field",
                         raw_sha256=raw.sha256, parser=parser)
    try:
        events = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise ParseError(f"{module.FORM_FIELD} is not valid JSON: {exc}", raw_sha256=raw.sha256,
                         parser=parser) from exc
    if not isinstance(events, list):
        raise ParseError(f"{module.FORM_FIELD} is not a JSON array", raw_sha256=raw.sha256,
                         parser=parser)
    if raw.provider_hint is None:
        raw = raw.model_copy(update={"provider_hint": module.NAME})
    return registry.normalize(raw, events, settings)
