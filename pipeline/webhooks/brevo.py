"""Brevo (ex-Sendinblue) transactional webhooks: one object per POST.

Source: https://developers.brevo.com/docs/transactional-webhooks (event names; payload
samples via Symfony's Brevo bridge and django-anymail fixtures, see corpus README).
"""
from __future__ import annotations

from typing import Any

from schemas.models import MailEvent

from .common import EventBuilder, codes, str_or_none, to_utc
from .contract import SignatureScheme

NAME = "brevo"
ALIASES = ("sendinblue",)
SIGNATURE = SignatureScheme.none()
DELAY_KINDS: frozenset[str] = frozenset({"deferred"})

EVENTS: dict[str, tuple[str, str | None]] = {
    "request": ("other", "sent"), "sent": ("other", "sent"),
    "delivered": ("delivered", "delivered"),
    "hard_bounce": ("hard_bounce", None), "hardBounce": ("hard_bounce", None),
    "soft_bounce": ("soft_bounce", None), "softBounce": ("soft_bounce", None),
    "deferred": ("soft_bounce", "expired"), "invalid_email": ("hard_bounce", "userunknown"),
    "invalid": ("hard_bounce", "userunknown"),
    "spam": ("complaint", "feedback"), "complaint": ("complaint", "feedback"),
    "unsubscribed": ("unsubscribe", "unsubscribe"), "unsubscribe": ("unsubscribe", "unsubscribe"),
    "opened": ("engagement", "open"), "unique_opened": ("engagement", "open"),
    "uniqueOpened": ("engagement", "open"), "proxy_open": ("engagement", "open"),
    "unique_proxy_open": ("engagement", "open"), "click": ("engagement", "click"),
    "error": ("other", None),
    # Marketing webhooks (https://developers.brevo.com/docs/marketing-webhooks): the same
    # names as transactional ones plus contact / list events (no recipient verdict, policy 7).
    "hardBounce": ("hard_bounce", None), "softBounce": ("soft_bounce", None),
    "proxyOpen": ("engagement", "open"), "listAddition": ("other", None),
    "list_addition": ("other", None), "contact_updated": ("other", None),
    "contactUpdated": ("other", None), "contact_deleted": ("other", None),
    "contactDeleted": ("other", None), "unique_coupon_sent": ("other", None),
    "reply": ("other", None), "inboundEmailProcessed": ("other", None),
}
# `blocked` = not sent because of an existing list state; the reason text names it (policy 6).
BLOCKED_REASONS: tuple[tuple[str, str, str | None], ...] = (
    ("unsubscribed", "unsubscribe", "unsubscribe"),
    ("hard bounce", "hard_bounce", "suppressed"), ("hardbounce", "hard_bounce", "suppressed"),
    ("invalid", "hard_bounce", "userunknown"),
    ("spam", "complaint", "feedback"), ("complaint", "complaint", "feedback"),
)


# Keys only Brevo's transactional / marketing webhooks carry next to event + email.
_MARKERS = ("ts_event", "ts_epoch", "ts", "message-id", "date_event", "camp_id", "date_sent",
            "X-Mailin-custom", "sending_ip")  # not template_id: SendGrid sends one too


def detect(obj: dict[str, Any]) -> bool:
    event = obj.get("event")
    if not isinstance(event, str) or "email" not in obj:
        return False
    # Marketing contact events carry only id / email / date (+ key, content, list_id).
    return any(k in obj for k in _MARKERS) or (
        event in EVENTS and ("date" in obj or "list_id" in obj) and "id" in obj)


def normalize(b: EventBuilder, obj: dict[str, Any], index: int) -> list[MailEvent]:
    event = obj["event"]
    text = str_or_none(obj.get("reason"))
    reply, status = codes(text)
    if event == "blocked":
        low = (text or "").lower()
        category, reason = "other", "suppressed"
        for needle, cat, why in BLOCKED_REASONS:
            if needle in low:
                category, reason = cat, why
                break
        rule = "brevo.blocked"
    else:
        category, reason = EVENTS.get(event, ("other", None))
        rule = f"brevo.{event}"
    tags_list = obj.get("tags") if isinstance(obj.get("tags"), list) else []
    if not tags_list and obj.get("tag"):
        # marketing events: one campaign tag (a string); some transactional ones: a list
        tag = obj["tag"]
        tags_list = [t for t in tag if t] if isinstance(tag, list) else [tag]
    tags = {"tags": ",".join(str(t) for t in tags_list)} if tags_list else {}
    custom = obj.get("X-Mailin-custom")
    if isinstance(custom, str) and custom:
        tags["X-Mailin-custom"] = custom
    return [b.emit(
        raw_index=index, recipient=obj.get("email"), category=category, reason=reason,
        rule=rule, kind=event,
        occurred_at=to_utc(obj.get("ts_epoch") or obj.get("ts_event") or obj.get("ts")
                           or obj.get("date_event") or obj.get("date"), b.received_at),
        message_id=str_or_none(obj.get("message-id")), subject=str_or_none(obj.get("subject")),
        diagnostic=text, status=status, reply_code=reply,
        campaign=str_or_none(obj.get("campaign name") or obj.get("camp_id")
                             or obj.get("template_id")),
        stream=str(tags_list[0]) if tags_list else None, tags=tags)]
