"""Postmark webhooks: one object per POST, keyed by `RecordType`.

Sources: https://postmarkapp.com/developer/webhooks/webhooks-overview ; bounce types
https://postmarkapp.com/developer/api/bounce-api#bounce-types (corpus
tables/postmark_bounce_types.csv). Classify on `Type`, not `TypeCode`: Postmark's own
spam-complaint example carries TypeCode 512, which its type table assigns to SpamNotification.
"""
from __future__ import annotations

from typing import Any

from schemas.models import MailEvent

from .common import (EventBuilder, codes, flat_tags, int_or_none, status_reason, str_or_none,
                     text_field, to_utc)
from .contract import SignatureScheme

NAME = "postmark"
ALIASES = ()
SIGNATURE = SignatureScheme.none()
DELAY_KINDS: frozenset[str] = frozenset()

# Bounce `Type` -> (category, reason). Corpus tables/postmark_bounce_types.csv.
BOUNCE_TYPES: dict[str, tuple[str, str | None]] = {
    "HardBounce": ("hard_bounce", "userunknown"),
    "Transient": ("soft_bounce", "expired"),
    "Unsubscribe": ("unsubscribe", "unsubscribe"),
    "Subscribe": ("other", None),
    "AutoResponder": ("other", "vacation"),
    "AddressChange": ("other", "hasmoved"),
    "DnsError": ("soft_bounce", "networkerror"),
    "SpamNotification": ("soft_bounce", "spamdetected"),
    "OpenRelayTest": ("other", None),
    "Unknown": ("soft_bounce", "undefined"),
    "SoftBounce": ("soft_bounce", None),
    "VirusNotification": ("other", "virusdetected"),
    "ChallengeVerification": ("other", None),
    "BadEmailAddress": ("hard_bounce", "userunknown"),
    "SpamComplaint": ("complaint", "feedback"),
    "ManuallyDeactivated": ("other", None),
    "Unconfirmed": ("other", None),
    "Blocked": ("soft_bounce", "blocked"),
    "SMTPApiError": ("other", None),
    "InboundError": ("other", None),
    "DMARCPolicy": ("auth_failure", "authfailure"),
    "TemplateRenderingFailed": ("other", None),
}
# TypeCode -> Type (same table), for a bounce object that gives only the code.
TYPE_CODES = {1: "HardBounce", 2: "Transient", 16: "Unsubscribe", 32: "Subscribe",
              64: "AutoResponder", 128: "AddressChange", 256: "DnsError",
              512: "SpamNotification", 1024: "OpenRelayTest", 2048: "Unknown",
              4096: "SoftBounce", 8192: "VirusNotification", 16384: "ChallengeVerification",
              100000: "BadEmailAddress", 100001: "SpamComplaint", 100002: "ManuallyDeactivated",
              100003: "Unconfirmed", 100006: "Blocked", 100007: "SMTPApiError",
              100008: "InboundError", 100009: "DMARCPolicy", 100010: "TemplateRenderingFailed"}
RECORDS: dict[str, tuple[str, str | None]] = {
    "Delivery": ("delivered", "delivered"),
    "Open": ("engagement", "open"),
    "Click": ("engagement", "click"),
    "SpamComplaint": ("complaint", "feedback"),
}
# SubscriptionChange with SuppressSending=true: SuppressionReason -> category (policy 6).
SUPPRESSION_REASONS = {"HardBounce": ("hard_bounce", "suppressed"),
                       "SpamComplaint": ("complaint", "feedback"),
                       "ManualSuppression": ("unsubscribe", "unsubscribe")}


# Hooks of Postmark's legacy (per-server) webhooks and the objects of its Bounces / Messages
# APIs carry no RecordType: the field only that record type has tells which it is
# (https://postmarkapp.com/email-webhooks, https://postmarkapp.com/developer/api/bounce-api).
LEGACY_MARKERS = (("BouncedAt", "Bounce"), ("DeliveredAt", "Delivery"), ("FirstOpen", "Open"),
                  ("ClickLocation", "Click"), ("OriginalLink", "Click"),
                  ("SuppressSending", "SubscriptionChange"), ("FromFull", "Inbound"))
# API response pages: {"TotalCount": n, "Bounces": [...]}; the events are the items.
PAGE_KEYS = ("Bounces", "Deliveries", "Opens", "Clicks")


def _record_type(obj: dict[str, Any]) -> str | None:
    record = obj.get("RecordType")
    if isinstance(record, str):
        return record
    if "MessageID" not in obj:
        return None
    for key, kind in LEGACY_MARKERS:
        if key in obj:
            if kind == "Bounce" and obj.get("Type") == "SpamComplaint":
                return "SpamComplaint"
            return kind
    return None


def detect(obj: dict[str, Any]) -> bool:
    return _record_type(obj) is not None


def unwrap(obj: dict[str, Any]) -> list[Any] | None:
    if not isinstance(obj.get("TotalCount"), int):
        return None
    for key in PAGE_KEYS:
        if isinstance(obj.get(key), list):
            return obj[key]
    return None


def normalize(b: EventBuilder, obj: dict[str, Any], index: int) -> list[MailEvent]:
    record = _record_type(obj) or "unknown"
    when = obj.get("BouncedAt") or obj.get("DeliveredAt") or obj.get("ReceivedAt") \
        or obj.get("ChangedAt")
    details = str_or_none(obj.get("Details"))
    reply, status = codes(details)
    action = None
    if record in ("Bounce", "SpamComplaint"):
        btype = text_field(obj, "Type", "") or TYPE_CODES.get(int_or_none(obj.get("TypeCode"))
                                                              or -1) or record
        category, reason = BOUNCE_TYPES.get(btype, ("soft_bounce", "undefined"))
        reason = reason or status_reason(status)
        rule = f"postmark.{record}.{btype}"
        action = "delayed" if btype == "Transient" else None  # "Message delayed": still retrying
    elif record == "SubscriptionChange":
        if obj.get("SuppressSending"):
            category, reason = SUPPRESSION_REASONS.get(text_field(obj, "SuppressionReason", ""),
                                                       ("unsubscribe", "unsubscribe"))
        else:
            category, reason = "other", None  # reactivation (policy 9)
        rule = f"postmark.SubscriptionChange.{obj.get('SuppressionReason')}"
    else:
        category, reason = RECORDS.get(record, ("other", None))
        rule = f"postmark.{record}"
    metadata = obj.get("Metadata")
    tags = flat_tags(metadata if isinstance(metadata, dict) else {})
    if obj.get("Tag"):
        tags["tag"] = str(obj["Tag"])
    recipient = obj.get("Email") or obj.get("Recipient")
    if record == "Inbound":  # a message received by Postmark's inbound stream (policy 7)
        recipient = obj.get("OriginalRecipient") or obj.get("To")
    return [b.emit(
        raw_index=index, recipient=recipient,
        category=category, reason=reason, rule=rule, kind=record,
        provider_event_id=obj.get("ID"), occurred_at=to_utc(when, b.received_at),
        provider_message_id=str_or_none(obj.get("MessageID")), sender=obj.get("From"),
        subject=str_or_none(obj.get("Subject")), diagnostic=details or
        str_or_none(obj.get("Description")), status=status, reply_code=reply,
        stream=str_or_none(obj.get("MessageStream")), campaign=str_or_none(obj.get("Tag")),
        action=action,
        tenant=str_or_none(tags.get("tenant")), tags=tags)]
