"""Mailgun: webhook bodies `{"signature": {...}, "event-data": {...}}` and bare event objects
(Events API items, or `event-data` posted alone).

Sources: https://documentation.mailgun.com/docs/mailgun/user-manual/events/ (event and
severity vocabulary; archived text github.com/mailgun/documentation@32f4121).
"""
from __future__ import annotations

from typing import Any

import orjson

from schemas.models import MailEvent

from .common import (EventBuilder, codes, flat_tags, int_or_none, list_field, obj_field, status_reason,
                     str_or_none, to_utc, values_field)
from .contract import SignatureScheme, SignedRequest, Verified

NAME = "mailgun"
ALIASES = ()
DELAY_KINDS: frozenset[str] = frozenset()  # `failed` is both: severity passes action=


def _check_signature(req: SignedRequest) -> Verified:
    from . import signatures  # cryptography: loaded by the receiver only, not the classifier

    try:
        parsed = orjson.loads(req.body)
    except orjson.JSONDecodeError:
        parsed = None
    stamp, token, sig = signatures.mailgun_signature_fields(req.body, parsed)
    signatures.verify_mailgun(req.secret or "", stamp, token, sig, now=req.now,
                              tolerance=req.tolerance, replay_cache=req.state.replay)
    return Verified(NAME, "signature", delivery_id=token)


SIGNATURE = SignatureScheme("HMAC-SHA256 over timestamp + token", _check_signature,
                            secret="the HTTP webhook signing key")

EVENTS: dict[str, tuple[str, str | None]] = {
    "accepted": ("other", "sent"),
    "delivered": ("delivered", "delivered"),
    "opened": ("engagement", "open"),
    "clicked": ("engagement", "click"),
    "unsubscribed": ("unsubscribe", "unsubscribe"),
    "complained": ("complaint", "feedback"),
    "rejected": ("other", None),
    "stored": ("other", None),
    "list_member_uploaded": ("other", None),
}
# `reason` of a failed event -> Sisimai reason (suppress-* = dropped by an existing suppression).
FAILED_REASONS = {"suppress-bounce": "suppressed", "suppress-unsubscribe": "unsubscribe",
                  "suppress-complaint": "feedback", "old": "expired"}
# Pre-send drops take the category of the suppression that caused them (policy 6).
SUPPRESS_CATEGORY = {"suppress-unsubscribe": "unsubscribe", "suppress-complaint": "complaint",
                     "espblock": "other"}  # espblock: Mailgun refused to send; no verdict
_MARKERS = ("log-level", "recipient-domain", "delivery-status", "user-variables", "envelope")


# Legacy webhooks (Mailgun's only hooks before 2018, still sent by old accounts): flat
# form-POST fields, one hook per event, `code`/`error`/`notification` on bounces and
# `reason`/`code`/`description` on drops (fields as django-anymail's legacy tests carry them,
# tests/fixtures/webhooks/documented/README.md). A field repeated in the form (a user variable
# named like an event field) arrives as a list; Mailgun's own value comes first.
LEGACY_EVENTS = frozenset({"delivered", "dropped", "bounced", "complained", "unsubscribed",
                           "clicked", "opened"})
_LEGACY_MARKERS = ("message-headers", "Message-Id", "X-Mailgun-Sid", "token", "signature",
                   "code", "error", "notification", "description", "domain")
# dropped, reason=hardfail: the description / Mailgun code names the existing suppression.
LEGACY_DROPS: tuple[tuple[str, str, str, str], ...] = (
    ("605", "previously bounced", "hard_bounce", "suppressed"),
    ("606", "unsubscribed", "unsubscribe", "unsubscribe"),
    ("607", "spam", "complaint", "feedback"),
)


def _first(value: Any) -> Any:
    """A form field's value: the first when the field was repeated."""
    return value[0] if isinstance(value, list) and value else value


def _is_legacy(obj: dict[str, Any]) -> bool:
    return _first(obj.get("event")) in LEGACY_EVENTS and isinstance(
        _first(obj.get("recipient")), str) and any(k in obj for k in _LEGACY_MARKERS) \
        and not any(k in obj for k in _MARKERS)  # current events carry delivery-status ...


def detect(obj: dict[str, Any]) -> bool:
    if isinstance(obj.get("event-data"), dict):
        return True
    if "event-data" not in obj and _is_legacy(obj):
        return True
    return isinstance(obj.get("event"), str) and any(k in obj for k in _MARKERS)


def form_object(fields: dict[str, list[str]]) -> dict[str, Any] | None:
    """A legacy form-POST hook (`event=bounced&recipient=...`) as the object `normalize`
    reads: single values unwrapped, repeated fields kept as lists."""
    obj = {k: v[0] if len(v) == 1 else v for k, v in fields.items()}
    return obj if _is_legacy(obj) else None


def unwrap(obj: dict[str, Any]) -> list[Any] | None:
    """An Events API page (https://documentation.mailgun.com/docs/mailgun/api-reference/
    openapi-final/tag/Events/): `{"items": [events], "paging": {...}}`."""
    items = obj.get("items")
    if not isinstance(items, list) or not isinstance(obj.get("paging"), dict):
        return None
    first = next((i for i in items if isinstance(i, dict)), None)
    return items if first is None or detect(first) else None


def _legacy(b: EventBuilder, obj: dict[str, Any], index: int) -> list[MailEvent]:
    event = str(_first(obj["event"]))
    code = str_or_none(_first(obj.get("code")))
    diag = str_or_none(_first(obj.get("error"))) or str_or_none(_first(obj.get("notification"))) \
        or str_or_none(_first(obj.get("description")))
    reply, status = codes(diag)
    if code and "." in code:
        status = status or code  # Mailgun sometimes gives the enhanced code here (x.y.z)
    elif code and reply is None and 200 <= (int_or_none(code) or 0) < 600:
        reply = int(code)
    why = str_or_none(_first(obj.get("reason")))
    reason: str | None = None
    if event == "bounced":
        category, rule = "hard_bounce", "mailgun.legacy.bounced"
    elif event == "dropped":
        low = (diag or "").lower()
        if why in ("old", "maxfails"):
            category, reason = "soft_bounce", "expired"  # gave up retrying: no verdict
        else:
            category, reason = next(((cat, r) for num, text, cat, r in LEGACY_DROPS
                                     if code == num or text in low),
                                    ("hard_bounce" if why == "hardfail" else "other", None))
        rule = f"mailgun.legacy.dropped.{why}"
    else:
        category, reason = EVENTS.get(event, ("other", None))
        rule = f"mailgun.legacy.{event}"
    tags_list = obj.get("tag") or obj.get("X-Mailgun-Tag") or []
    tags_list = tags_list if isinstance(tags_list, list) else [tags_list]
    tags = {"tags": ",".join(str(t) for t in tags_list)} if tags_list else {}
    token = str_or_none(_first(obj.get("token")))
    return [b.emit(
        raw_index=index, recipient=_first(obj.get("recipient")), category=category,
        reason=reason, rule=rule, kind=event, provider_event_id=token,
        occurred_at=to_utc(_first(obj.get("timestamp")), b.received_at),
        message_id=str_or_none(_first(obj.get("Message-Id") or obj.get("message-id"))),
        status=status, reply_code=reply, diagnostic=diag,
        stream=str(tags_list[0]) if tags_list else None, tags=tags)]


def normalize(b: EventBuilder, obj: dict[str, Any], index: int) -> list[MailEvent]:
    if "event-data" not in obj and _is_legacy(obj):
        return _legacy(b, obj, index)
    data = obj.get("event-data") if isinstance(obj.get("event-data"), dict) else obj
    event = str(data.get("event"))
    status_block = obj_field(data, "delivery-status", "")
    diag = status_block.get("message") or status_block.get("description") or None
    reply = int_or_none(status_block.get("code"))
    found_reply, found_status = codes(diag)
    status = str_or_none(status_block.get("enhanced-code")) or found_status
    if reply is not None and not 200 <= reply < 600:
        reply = found_reply  # Mailgun's own 6xx codes (605 = suppressed) are not SMTP replies
    reason: str | None
    action = None
    if event == "failed":
        severity = str_or_none(data.get("severity"))
        why = str_or_none(data.get("reason"))
        category = "hard_bounce" if severity == "permanent" else "soft_bounce"
        category = SUPPRESS_CATEGORY.get(why, category)
        reason = FAILED_REASONS.get(why) or status_reason(status)
        if category == "hard_bounce" and reason == "mailboxfull":
            category = "soft_bounce"  # policy 3
        rule = f"mailgun.failed.{severity}.{why}"
        action = "failed" if severity == "permanent" else "delayed"  # temporary: Mailgun retries
    elif event in EVENTS:
        category, reason = EVENTS[event]
        rule = f"mailgun.{event}"
        if event == "rejected":
            diag = obj_field(data, "reject", "").get("reason") or diag
    else:
        category, reason, rule = "other", None, "mailgun.unknown_event"
    headers = obj_field(obj_field(data, "message", ""), "headers", "message.")
    tags_list = values_field(data, "tags", "")
    user_vars = data.get("user-variables")
    tags = flat_tags(user_vars if isinstance(user_vars, dict) else {}, "v:")
    if tags_list:
        tags["tags"] = ",".join(str(t) for t in tags_list)
    campaigns = list_field(data, "campaigns", "")
    campaign = None
    if campaigns and isinstance(campaigns[0], dict):
        campaign = str_or_none(campaigns[0].get("name") or campaigns[0].get("id"))
    envelope = data.get("envelope") or {}
    return [b.emit(
        raw_index=index, recipient=data.get("recipient"), category=category, reason=reason,
        rule=rule, kind=event, provider_event_id=data.get("id"),
        occurred_at=to_utc(data.get("timestamp"), b.received_at),
        sender=envelope.get("sender") if isinstance(envelope, dict) else None,
        message_id=str_or_none(headers.get("message-id")),
        subject=str_or_none(headers.get("subject")), status=status, reply_code=reply,
        diagnostic=str_or_none(diag), remote_mta=str_or_none(status_block.get("mx-host")),
        action=action,
        stream=str(tags_list[0]) if tags_list else None, campaign=campaign,
        tenant=str_or_none((user_vars or {}).get("tenant")) if isinstance(user_vars, dict)
        else None, tags=tags)]
