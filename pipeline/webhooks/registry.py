"""The one provider registry: detection order, names/aliases, and batch dispatch.

Adding a provider = one module declaring the contract (contract.py; the package docstring has
an example) plus its name in PROVIDER_MODULES; every module here is checked against the contract at
import. Detection runs in PROVIDERS order, most specific shape first:
generic `{"event": ..., "email": ...}` shapes (SendGrid, Mailjet, Brevo) are told apart by
their provider-only keys, so they come after the providers with unique top-level keys.
"""
from __future__ import annotations

from importlib import import_module
from types import ModuleType
from typing import Any

from schemas.models import RawMessage

from pipeline.errors import LimitExceeded, ParseError, dead_letter
from pipeline.outcome import Outcome

from .common import EventBuilder, item_error
from .contract import check_contract, parser_name, source_kind

# The one table: provider modules in detection order (relative names are in this package).
PROVIDER_MODULES = (
    ".ses", "pipeline.mta_log.kumomta", ".postmark", ".sparkpost", ".mailersend", ".resend",
    ".mailgun", ".mandrill", ".mailjet", ".sendgrid", ".brevo", ".postal",
)
PROVIDERS: tuple[ModuleType, ...] = tuple(import_module(name, __package__)
                                          for name in PROVIDER_MODULES)
BY_NAME: dict[str, ModuleType] = {}
for _module in PROVIDERS:
    check_contract(_module)
    for _name in (_module.NAME, *_module.ALIASES):
        BY_NAME[_name] = _module


# Providers whose API response pages hold events (optional `unwrap` of the contract).
_UNWRAPPERS = tuple((m, m.unwrap) for m in PROVIDERS if callable(getattr(m, "unwrap", None)))


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
        except (TypeError, AttributeError, RecursionError):  # e.g. a list where a name belongs
            continue
    return None


def form_providers() -> list[ModuleType]:
    """Providers that may POST `<FORM_FIELD>=<JSON>` form bodies."""
    return [m for m in PROVIDERS if getattr(m, "FORM_FIELD", None)]


def flat_form_providers() -> list[ModuleType]:
    """Providers whose hooks may be flat form bodies (`form_object`: Mailgun's legacy)."""
    return [m for m in PROVIDERS if callable(getattr(m, "form_object", None))]


def kept_headers() -> frozenset[str]:
    """Request headers some provider wants kept with its raw body (never credentials)."""
    return frozenset(h for m in PROVIDERS for h in getattr(m, "KEPT_HEADERS", ()))


def _builder(raw: RawMessage, module: ModuleType) -> EventBuilder:
    return EventBuilder(raw, module.NAME, parser=parser_name(module),
                        source_kind=source_kind(module), delay_kinds=module.DELAY_KINDS)


def _unwrap(view: Any, hinted: ModuleType | None) -> tuple[ModuleType, list[Any]] | None:
    """An API response page that holds events (`{"results": [...]}`, `{"Bounces": [...]}`)
    -> (its provider, the events), asking the providers that declare `unwrap`."""
    if not isinstance(view, dict):
        return None
    for module, unwrap in _UNWRAPPERS:
        if hinted is not None and module is not hinted:
            continue
        try:
            items = unwrap(view)
        except (TypeError, AttributeError, RecursionError):
            items = None
        if items is not None:
            return module, items
    return None


def normalize(raw: RawMessage, view: Any, settings: Any) -> Outcome | None:
    """Decoded JSON -> Outcome, or None when no provider recognises the shape. Each item is
    normalised on its own: a broken item becomes one dead letter, never its batch's."""
    hinted = provider_for(raw.provider_hint)
    page = _unwrap(view, hinted)
    if page is not None:
        hinted, view = page
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
                    f"({'unrecognised fields' if isinstance(item, dict) else type(item).__name__})")
            out.events.extend(module.normalize(builder, item, index))
        except Exception as exc:  # noqa: BLE001 - one item's failure never takes its batch
            out.dead_letters.append(dead_letter(raw, item_error(exc, module.NAME, index),
                                                parser=builder.parser, raw_index=index))
    return out
