"""The one provider registry: detection order, names/aliases, and batch dispatch.

Adding a provider = one module (NAME, ALIASES, detect(obj), normalize(builder, obj, index))
plus one line in PROVIDERS. Detection runs in PROVIDERS order, most specific shape first:
generic `{"event": ..., "email": ...}` shapes (SendGrid, Mailjet, Brevo) are told apart by
their provider-only keys, so they come after the providers with unique top-level keys.
"""
from __future__ import annotations

from types import ModuleType
from typing import Any

from schemas.models import RawMessage

from pipeline.errors import LimitExceeded, ParseError, dead_letter
from pipeline.mta_log import kumomta
from pipeline.outcome import Outcome

from . import brevo, mailgun, mailjet, mandrill, postal, postmark, resend, sendgrid, ses, sparkpost
from .common import EventBuilder

PROVIDERS: tuple[ModuleType, ...] = (
    ses, kumomta, postmark, sparkpost, resend, mailgun, mandrill, mailjet, sendgrid, brevo, postal,
)
BY_NAME: dict[str, ModuleType] = {}
for _module in PROVIDERS:
    for _name in (_module.NAME, *_module.ALIASES):
        BY_NAME[_name] = _module


def provider_names() -> list[str]:
    return [m.NAME for m in PROVIDERS]


def provider_for(name: str | None) -> ModuleType | None:
    """The provider module for a name or alias (case-insensitive), or None."""
    if not name:
        return None
    return BY_NAME.get(name.strip().lower().replace("-", "_")) or BY_NAME.get(name.strip().lower())


def detect(obj: Any) -> ModuleType | None:
    if not isinstance(obj, dict):
        return None
    for module in PROVIDERS:
        try:
            if module.detect(obj):
                return module
        except (TypeError, AttributeError):  # e.g. an unhashable list where a name belongs
            continue
    return None


def _builder(raw: RawMessage, module: ModuleType) -> EventBuilder:
    if module is kumomta:
        return EventBuilder(raw, kumomta.NAME, parser=kumomta.PARSER, source_kind="mta_log")
    return EventBuilder(raw, module.NAME)


def normalize(raw: RawMessage, view: Any, settings: Any) -> Outcome | None:
    """Decoded JSON -> Outcome, or None when no provider recognises the shape."""
    hinted = provider_for(raw.provider_hint)
    items = view if isinstance(view, list) else [view]
    if isinstance(view, list) and len(view) > settings.limits.max_json_events:
        raise LimitExceeded(
            f"webhook batch has {len(view)} events, over limits.max_json_events="
            f"{settings.limits.max_json_events}", raw_sha256=raw.sha256, parser="webhook")
    first = next((item for item in items if isinstance(item, dict)), None)
    module = hinted or detect(first)
    if module is None:
        return None
    if isinstance(view, list) and not view:
        return Outcome(parser=_builder(raw, module).parser,   # e.g. Mandrill's `[]` test ping
                       empty_reason="an empty batch (a provider's test ping): no event")
    builder = _builder(raw, module)
    out = Outcome(parser=builder.parser)
    for index, item in enumerate(items):
        try:
            if not isinstance(item, dict) or not module.detect(item):
                raise ParseError(
                    f"item {index} is not a {module.NAME} event "
                    f"({'unrecognised fields' if isinstance(item, dict) else type(item).__name__})",
                    raw_sha256=raw.sha256, parser=builder.parser, raw_index=index)
            out.events.extend(module.normalize(builder, item, index))
        except ParseError as exc:
            out.dead_letters.append(dead_letter(raw, exc))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            out.dead_letters.append(dead_letter(raw, ParseError(
                f"{module.NAME} event {index} is malformed: {type(exc).__name__}: {exc}",
                raw_sha256=raw.sha256, parser=builder.parser, raw_index=index)))
    return out
