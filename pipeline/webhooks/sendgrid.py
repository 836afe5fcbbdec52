"""SendGrid Event Webhook: a JSON array of events (one bare object is accepted too).

Sources: https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/event
(corpus tables/sendgrid_event_types.csv) and bounce/block classifications
https://www.twilio.com/docs/sendgrid/ui/analytics-and-reporting/bounce-and-block-classifications
(corpus tables/sendgrid_bounce_classifications.csv).
"""
from __future__ import annotations

from typing import Any

from schemas.models import MailEvent

from .common import EventBuilder, codes, flat_tags, status_reason, str_or_none, to_utc
from .contract import SignatureScheme, SignedRequest, Verified

NAME = "sendgrid"
ALIASES = ("twilio_sendgrid",)
DELAY_KINDS = frozenset({"deferred"})


def _check_signature(req: SignedRequest) -> Verified:
    from . import signatures  # cryptography: loaded by the receiver only, not the classifier

    key = req.cached_key(signatures.load_ec_public_key)
    signatures.verify_sendgrid(
        key, req.body, req.headers.get("x-twilio-email-event-webhook-signature"),
        req.headers.get("x-twilio-email-event-webhook-timestamp"), now=req.now,
        tolerance=req.tolerance)
    return Verified(NAME, "signature")


SIGNATURE = SignatureScheme("ECDSA P-256/SHA-256 over timestamp + body", _check_signature,
                            secret="the Event Webhook verification public key")

EVENTS: dict[str, tuple[str, str | None]] = {
    "processed": ("other", "sent"),
    "deferred": ("soft_bounce", None),
    "delivered": ("delivered", "delivered"),
    "open": ("engagement", "open"),
    "click": ("engagement", "click"),
    "spamreport": ("complaint", "feedback"),
    "unsubscribe": ("unsubscribe", "unsubscribe"),
    "group_unsubscribe": ("unsubscribe", "unsubscribe"),
    "group_resubscribe": ("other", None),
    "account_status_change": ("other", None),
}
# dropped: the reason names the existing suppression (policy 6); other reasons (Invalid SMTPAPI
# header, Spam Content, Recipient List over Package Quota, ...) -> other. Matched by prefix,
# lower case, first match wins ("invalid smtpapi" before "invalid").
DROPPED_REASONS: tuple[tuple[str, str, str | None], ...] = (
    ("bounced address", "hard_bounce", "suppressed"),
    ("invalid smtpapi", "other", None),
    ("invalid", "hard_bounce", "userunknown"),
    ("spam reporting address", "complaint", "feedback"),
    ("unsubscribed address", "unsubscribe", "unsubscribe"),
)
# bounce_classification (docs label and API enum) -> reason; blocks never mean the address is bad
# except "Invalid Address" (table: hard for both type=bounce and type=blocked).
CLASSIFICATIONS: dict[str, tuple[str | None, str]] = {
    "invalid address": ("hard_bounce", "userunknown"),
    "technical": ("soft_bounce", "networkerror"),
    "technical failure": ("soft_bounce", "networkerror"),
    "content": ("soft_bounce", "contenterror"),
    "reputation": ("soft_bounce", "badreputation"),
    "frequency/volume": ("soft_bounce", "ratelimited"),
    "frequency or volume too high": ("soft_bounce", "ratelimited"),
    "mailbox unavailable": ("soft_bounce", "mailboxfull"),
    "unclassified": (None, "undefined"),
}
_MARKERS = ("sg_event_id", "sg_message_id", "smtp-id", "newsletter", "asm_group_id",
            "marketing_campaign_id", "sg_user_id", "category")


def detect(obj: dict[str, Any]) -> bool:
    event = obj.get("event")
    if not isinstance(event, str):
        return False
    if any(k in obj for k in _MARKERS):
        return True
    # An older event with custom args only (docs' 2013 batch: open/click/unsubscribe rows
    # without sg_* ids): SendGrid's own event names, `email` and an epoch `timestamp`.
    return (event in EVENTS or event in ("bounce", "dropped")) and "email" in obj \
        and isinstance(obj.get("timestamp"), int) and not isinstance(obj.get("timestamp"), bool)


def normalize(b: EventBuilder, obj: dict[str, Any], index: int) -> list[MailEvent]:
    event = obj.get("event")
    response = obj.get("reason") or obj.get("response")
    reply, status = codes(response)
    status = str_or_none(obj.get("status")) or status
    reason: str | None
    if event == "bounce":
        btype = obj.get("type") or "bounce"
        cls = CLASSIFICATIONS.get(str(obj.get("bounce_classification", "")).lower())
        if btype == "blocked":  # policy 1: `type` wins; a block never proves the address bad
            category = "soft_bounce"
            reason = cls[1] if cls and cls[0] == "soft_bounce" else "blocked"
        else:
            category = (cls[0] if cls else None) or "hard_bounce"
            reason = cls[1] if cls and cls[1] != "undefined" else None
        if status_reason(status) == "mailboxfull":  # policy 3: a full mailbox is never hard
            category, reason = "soft_bounce", "mailboxfull"
        reason = reason or status_reason(status)
        rule = f"sendgrid.bounce.{btype}"
    elif event == "dropped":
        why = str(obj.get("reason", "")).strip().lower()
        category, reason = next(((cat, r) for prefix, cat, r in DROPPED_REASONS
                                 if why.startswith(prefix)), ("other", None))
        rule = "sendgrid.dropped"
    elif event in EVENTS:
        category, reason = EVENTS[event]
        if event == "deferred":
            reason = status_reason(status) or "expired"
        rule = f"sendgrid.{event}"
    else:
        category, reason, rule = "other", None, "sendgrid.unknown_event"
    categories = obj.get("category")
    if isinstance(categories, list):
        categories = ",".join(str(c) for c in categories) or None
    tags = flat_tags({k: v for k, v in obj.items() if k not in _STANDARD})
    if categories:
        tags["category"] = categories
    message_id = obj.get("sg_message_id")
    return [b.emit(
        raw_index=index, recipient=obj.get("email"), category=category, reason=reason, rule=rule,
        kind=str(event), provider_event_id=obj.get("sg_event_id"),
        occurred_at=to_utc(obj.get("timestamp"), b.received_at),
        # (emit() turns non-text payload values into text and "" into None)
        provider_message_id=message_id.strip() if isinstance(message_id, str) else message_id,
        message_id=obj.get("smtp-id"), status=status, reply_code=reply, diagnostic=response,
        sender=obj.get("from"), stream=categories if isinstance(categories, str) else None,
        campaign=obj.get("marketing_campaign_name") or obj.get("singlesend_name")
        or obj.get("marketing_campaign_id"),
        list_id=obj.get("asm_group_id"), tenant=obj.get("tenant"), tags=tags)]


# Keys SendGrid defines itself; every other key is a custom arg (unique_args) -> tags.
_STANDARD = frozenset({
    "email", "timestamp", "smtp-id", "event", "category", "sg_event_id", "sg_message_id",
    "reason", "status", "response", "attempt", "useragent", "ip", "url", "url_offset", "type",
    "tls", "cert_err", "asm_group_id", "bounce_classification", "pool", "send_at", "domain",
    "from", "newsletter", "marketing_campaign_id", "marketing_campaign_name", "post_type",
    "sg_user_id", "mc_stats", "phase_id", "sg_content_type", "sg_template_id",
    "sg_template_name", "singlesend_id", "singlesend_name", "template_hash", "template_id",
    "template_version_id", "sg_machine_open",
})
