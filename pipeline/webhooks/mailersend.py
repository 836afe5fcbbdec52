"""MailerSend activity webhooks: one JSON object per POST, `{"type": "activity.<kind>",
"data": {"type": "<kind>", "email": {"recipient": {...}, "message": {...}}, "morph": {...}}}`.

Sources: https://developers.mailersend.com/api/v1/webhooks.html (event list, payload, and
#security: the `Signature` header is the hex HMAC-SHA256 of the raw body under the webhook's
signing secret); payloads from django-anymail's tests (tests/fixtures/webhooks/mailersend).
MailerSend gives no SMTP reply in its events: the bounce reason comes from `morph.reason`.
"""
from __future__ import annotations

import hashlib
import hmac
from typing import Any

from schemas.models import MailEvent

from pipeline.errors import SignatureError

from .common import EventBuilder, str_or_none, to_utc
from .contract import SignatureScheme, SignedRequest, Verified

NAME = "mailersend"
ALIASES = ("mailer_send",)
DELAY_KINDS: frozenset[str] = frozenset()  # soft_bounced is MailerSend's final verdict


def _check_signature(req: SignedRequest) -> Verified:
    given = req.headers.get("signature")
    if not given:
        raise SignatureError("missing MailerSend Signature header", parser=f"webhook.{NAME}")
    expected = hmac.new((req.secret or "").encode(), req.body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, given.strip().lower()):
        raise SignatureError("MailerSend HMAC-SHA256 signature does not match the body",
                             parser=f"webhook.{NAME}")
    return Verified(NAME, "signature")


SIGNATURE = SignatureScheme("HMAC-SHA256 over the body", _check_signature,
                            secret="the webhook signing secret")

# data.type -> (category, reason). A hard bounce's reason comes from morph.reason's text.
ACTIVITIES: dict[str, tuple[str, str | None]] = {
    "sent": ("other", "sent"), "delivered": ("delivered", "delivered"),
    "soft_bounced": ("soft_bounce", None), "hard_bounced": ("hard_bounce", None),
    "opened": ("engagement", "open"), "opened_unique": ("engagement", "open"),
    "clicked": ("engagement", "click"), "clicked_unique": ("engagement", "click"),
    "unsubscribed": ("unsubscribe", "unsubscribe"),
    "spam_complaint": ("complaint", "feedback"),
    "survey_opened": ("engagement", None), "survey_submitted": ("engagement", None),
}


def detect(obj: dict[str, Any]) -> bool:
    kind, data = obj.get("type"), obj.get("data")
    if not (isinstance(kind, str) and isinstance(data, dict)):
        return False
    if kind.startswith("activity."):
        return isinstance(data.get("email"), dict)
    # Account-level events (sender_identity.verified, maintenance.*, inbound_forward.failed,
    # bulk_email.completed, ...) share the envelope: `webhook_id` + `domain_id` mark it.
    return "webhook_id" in obj and "domain_id" in obj


def normalize(b: EventBuilder, obj: dict[str, Any], index: int) -> list[MailEvent]:
    data = obj["data"]
    if not obj["type"].startswith("activity."):
        return [b.emit(raw_index=index, category="other", rule=f"mailersend.{obj['type']}",
                       kind=obj["type"], provider_event_id=data.get("id"),
                       occurred_at=to_utc(obj.get("created_at"), b.received_at))]
    email = data["email"]
    kind = str_or_none(data.get("type")) or obj["type"].removeprefix("activity.")
    category, reason = ACTIVITIES.get(kind, ("other", None))
    morph = data.get("morph") if isinstance(data.get("morph"), dict) else {}
    recipient = email.get("recipient") if isinstance(email.get("recipient"), dict) else {}
    message = email.get("message") if isinstance(email.get("message"), dict) else {}
    tags = email.get("tags")
    return [b.emit(
        raw_index=index, recipient=recipient.get("email"), category=category, reason=reason,
        rule=f"mailersend.{kind}", kind=f"activity.{kind}",
        provider_event_id=data.get("id"),
        occurred_at=to_utc(data.get("created_at") or obj.get("created_at"), b.received_at),
        provider_message_id=str_or_none(message.get("id")), sender=email.get("from"),
        subject=str_or_none(email.get("subject")),
        diagnostic=str_or_none(morph.get("readable_reason") or morph.get("reason"))
        if category in ("hard_bounce", "soft_bounce", "unsubscribe") else None,
        tags={"tags": ",".join(str(t) for t in tags)} if isinstance(tags, list) and tags
        else None)]
