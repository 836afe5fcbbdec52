"""Resend webhooks (delivered by Svix): `{"type": "email.<event>", "created_at", "data": {...}}`.

Source: https://resend.com/docs/webhooks/event-types ; older (2023) payloads via django-anymail.
"""
from __future__ import annotations

from typing import Any

from schemas.models import MailEvent

from .common import EventBuilder, codes, flat_tags, obj_field, str_or_none, to_utc
from .contract import SignatureScheme, SignedRequest, Verified

NAME = "resend"
ALIASES = ("svix",)
DELAY_KINDS = frozenset({"email.delivery_delayed"})
KEPT_HEADERS = ("svix-id", "svix-timestamp", "webhook-id")


def _check_signature(req: SignedRequest) -> Verified:
    from . import signatures  # cryptography: loaded by the receiver only, not the classifier

    signatures.verify_svix(req.secret or "", req.headers, req.body, now=req.now,
                           tolerance=req.tolerance)
    return Verified(NAME, "signature",
                    delivery_id=req.headers.get("svix-id") or req.headers.get("webhook-id"))


SIGNATURE = SignatureScheme("Svix / Standard Webhooks HMAC-SHA256", _check_signature,
                            secret="the whsec_... signing secret")

EVENTS: dict[str, tuple[str, str | None]] = {
    "email.sent": ("other", "sent"), "email.delivered": ("delivered", "delivered"),
    "email.delivery_delayed": ("soft_bounce", "expired"),
    "email.complained": ("complaint", "feedback"), "email.opened": ("engagement", "open"),
    "email.clicked": ("engagement", "click"), "email.failed": ("other", None),
    "email.scheduled": ("other", None), "email.received": ("other", None),
}
# data.bounce.type (SES vocabulary, Resend sends through SES) -> category; policy 1.
BOUNCE_TYPES = {"Permanent": "hard_bounce", "Transient": "soft_bounce",
                "Undetermined": "soft_bounce"}


# Resend's event families (https://resend.com/docs/dashboard/webhooks/event-types); other
# providers' "<family>.<event>" types (MailerSend's activity.*) are not Resend's.
FAMILIES = ("email.", "contact.", "domain.")


def detect(obj: dict[str, Any]) -> bool:
    kind = obj.get("type")
    return isinstance(kind, str) and kind.startswith(FAMILIES) \
        and isinstance(obj.get("data"), dict) and "created_at" in obj


def normalize(b: EventBuilder, obj: dict[str, Any], index: int) -> list[MailEvent]:
    kind = obj["type"]
    data = obj["data"]
    bounce = data.get("bounce") if isinstance(data.get("bounce"), dict) else {}
    diag = str_or_none(bounce.get("message")) or str_or_none(obj_field(data, "failed", "data.")
                                                              .get("reason"))
    reply, status = codes(diag)
    if kind == "email.bounced":
        btype = bounce.get("type")
        category = BOUNCE_TYPES.get(btype, "hard_bounce")
        sub = str(bounce.get("subType") or "")
        low = (diag or "").lower()
        reason = "suppressed" if "suppress" in low or sub.endswith("Suppressed") or \
            sub == "OnAccountSuppressionList" else "mailboxfull" if sub == "MailboxFull" \
            else "userunknown" if sub == "NoEmail" else None
        if reason == "mailboxfull":
            category = "soft_bounce"
        rule = f"resend.bounced.{btype}"
    elif kind.startswith("email."):
        category, reason = EVENTS.get(kind, ("other", None))
        rule = f"resend.{kind[6:]}"
    else:  # contact.*, domain.*: account-level events
        category, reason, rule = "other", None, f"resend.{kind}"
    tags = flat_tags(data.get("tags") if isinstance(data.get("tags"), dict) else {})
    svix_id = b.raw.headers.get("svix-id") or b.raw.headers.get("webhook-id")
    recipients = data.get("to") if isinstance(data.get("to"), list) else [data.get("to")]
    return [b.emit(
        raw_index=index, recipient_index=i, recipient=rcpt, category=category, reason=reason,
        rule=rule, kind=kind, provider_event_id=svix_id,
        occurred_at=to_utc(obj.get("created_at"), b.received_at),
        provider_message_id=str_or_none(data.get("email_id")), sender=data.get("from"),
        subject=str_or_none(data.get("subject")), diagnostic=diag, status=status,
        reply_code=reply, campaign=str_or_none(data.get("broadcast_id")),
        stream=str_or_none(tags.get("category")), tags=tags)
        for i, rcpt in enumerate(recipients or [None])]
