"""Mandrill (Mailchimp Transactional): a JSON array of events, POSTed form-encoded as
`mandrill_events=<JSON>`. Both the form body and the decoded array are accepted.

Source: https://mailchimp.com/developer/transactional/docs/webhooks/ (event names); payloads via
Symfony's Mailchimp bridge and django-anymail fixtures (corpus README).
"""
from __future__ import annotations

from typing import Any

from schemas.models import MailEvent

from .common import (EventBuilder, codes, flat_tags, status_reason, str_or_none, to_utc,
                     values_field)
from .contract import SignatureScheme, SignedRequest, Verified

NAME = "mandrill"
ALIASES = ("mailchimp", "mailchimp_transactional")
DELAY_KINDS = frozenset({"deferral"})

def _check_signature(req: SignedRequest) -> Verified:
    from . import signatures  # cryptography: loaded by the receiver only, not the classifier

    signatures.verify_mandrill(req.secret or "", req.public_url, req.body,
                               req.headers.get("x-mandrill-signature"))
    return Verified(NAME, "signature")


SIGNATURE = SignatureScheme("HMAC-SHA1 over URL + sorted form fields", _check_signature,
                            secret="the webhook key")
FORM_FIELD = "mandrill_events"

EVENTS: dict[str, tuple[str, str | None]] = {
    "send": ("other", "sent"), "delivered": ("delivered", "delivered"),
    "deferral": ("soft_bounce", "expired"), "hard_bounce": ("hard_bounce", None),
    "soft_bounce": ("soft_bounce", None), "spam": ("complaint", "feedback"),
    "unsub": ("unsubscribe", "unsubscribe"), "reject": ("other", "suppressed"),
    "open": ("engagement", "open"), "click": ("engagement", "click"),
    "inbound": ("other", None),
}
# msg.bounce_description -> reason (Mandrill's bounce "bgtools" descriptions).
BOUNCE_DESCRIPTIONS = {
    "bad_mailbox": "userunknown", "invalid_domain": "hostunknown", "mailbox_full": "mailboxfull",
    "spam_related": "spamdetected", "virus_related": "virusdetected",
    "invalid_message": "contenterror", "too_large": "emailtoolarge",
    "policy_related": "policyviolation", "general": None,
}


# Sync events ({"type": "blacklist", "action": "add", "reject": {...}}): Mandrill adding an
# address to its rejection list takes the category of the reason (policy 6, like Postmark's
# SubscriptionChange); removals and whitelist changes are other (policy 9).
DENYLIST_REASONS: dict[str, tuple[str, str]] = {
    "hard-bounce": ("hard_bounce", "suppressed"), "spam": ("complaint", "feedback"),
    "unsub": ("unsubscribe", "unsubscribe"),
}


def detect(obj: dict[str, Any]) -> bool:
    if obj.get("type") in ("blacklist", "whitelist") and "action" in obj:
        return True
    return isinstance(obj.get("event"), str) and isinstance(obj.get("msg"), dict)


def _sync_event(b: EventBuilder, obj: dict[str, Any], index: int) -> list[MailEvent]:
    entry = obj.get("reject") or obj.get("entry") or {}
    if not isinstance(entry, dict):
        entry = {}
    kind, action = f"{obj['type']}.{obj.get('action')}", obj.get("action")
    category, reason = "other", None
    if obj["type"] == "blacklist" and action == "add":
        category, reason = DENYLIST_REASONS.get(str(entry.get("reason")), ("other", None))
    return [b.emit(raw_index=index, recipient=entry.get("email"), category=category,
                   reason=reason, rule=f"mandrill.sync.{kind}.{entry.get('reason')}", kind=kind,
                   occurred_at=to_utc(obj.get("ts"), b.received_at),
                   diagnostic=str_or_none(entry.get("detail")),
                   tenant=str_or_none(entry.get("subaccount")))]


def normalize(b: EventBuilder, obj: dict[str, Any], index: int) -> list[MailEvent]:
    if "event" not in obj:
        return _sync_event(b, obj, index)
    event = obj["event"]
    msg = obj.get("msg") if isinstance(obj.get("msg"), dict) else {}
    diag = str_or_none(msg.get("diag"))
    reply, status = codes(diag)
    category, reason = EVENTS.get(event, ("other", None))
    if event in ("hard_bounce", "soft_bounce"):
        reason = BOUNCE_DESCRIPTIONS.get(str(msg.get("bounce_description"))) \
            or status_reason(status)
        if event == "hard_bounce" and reason == "mailboxfull":
            category = "soft_bounce"  # policy 3
    metadata = msg.get("metadata")
    tags = flat_tags(metadata if isinstance(metadata, dict) else {})
    tags_list = values_field(msg, "tags", "msg.")
    if tags_list:
        tags["tags"] = ",".join(str(t) for t in tags_list)
    msg_id = str_or_none(obj.get("_id") or msg.get("_id"))
    return [b.emit(
        raw_index=index, recipient=msg.get("email"),
        category=category, reason=reason, rule=f"mandrill.{event}", kind=event,
        provider_event_id=f"{msg_id}:{obj.get('ts')}" if msg_id else None,
        occurred_at=to_utc(obj.get("ts") or msg.get("ts"), b.received_at),
        provider_message_id=msg_id, sender=msg.get("sender"),
        subject=str_or_none(msg.get("subject")), diagnostic=diag, status=status,
        reply_code=reply, stream=str(tags_list[0]) if tags_list else None,
        tenant=str_or_none(msg.get("subaccount")), campaign=str_or_none(msg.get("template")),
        tags=tags)]
