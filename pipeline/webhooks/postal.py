"""Postal webhooks: `{"event": "<Name>", "timestamp", "payload": {...}, "uuid"}`; the bare
`payload` documents of Postal's docs are accepted too and classified by their shape.

Source: https://docs.postalserver.io/developer/webhooks (github.com/postalserver/docs@f90d195);
app/services/webhook_delivery_service.rb in github.com/postalserver/postal@8ef8960.
"""
from __future__ import annotations

from typing import Any

from schemas.models import MailEvent

from .common import EventBuilder, codes, str_or_none, to_utc
from .contract import SignatureScheme, SignedRequest, Verified

NAME = "postal"
ALIASES = ()
DELAY_KINDS = frozenset({"MessageDelayed"})
KEPT_HEADERS = ("x-postal-signature-kid",)


def _check_signature(req: SignedRequest) -> Verified:
    from . import signatures  # cryptography: loaded by the receiver only, not the classifier

    signatures.verify_postal(req.cached_key(signatures.load_rsa_public_key), req.body,
                             req.headers)
    return Verified(NAME, "signature")


SIGNATURE = SignatureScheme("RSA PKCS#1 v1.5 over the body", _check_signature,
                            secret="the server's public key")

# payload.status of MessageSent/Delayed/DeliveryFailed/Held -> (category, reason); policy 1.
STATUSES: dict[str, tuple[str, str | None]] = {
    "Sent": ("delivered", "delivered"), "SoftFail": ("soft_bounce", "expired"),
    "HardFail": ("hard_bounce", None), "Held": ("other", "onhold"),
    "Bounced": ("hard_bounce", None),
}
EVENTS: dict[str, tuple[str, str | None]] = {
    "MessageLinkClicked": ("engagement", "click"), "MessageLoaded": ("engagement", "open"),
    "DomainDNSError": ("other", None), "SendLimitApproaching": ("other", None),
    "SendLimitExceeded": ("other", None), "MessageBounced": ("hard_bounce", None),
}


def _is_message(value: Any) -> bool:
    return isinstance(value, dict) and "token" in value and "direction" in value


def detect(obj: dict[str, Any]) -> bool:
    if isinstance(obj.get("event"), str) and isinstance(obj.get("payload"), dict):
        return True
    return _payload_kind(obj) is not None


def _payload_kind(p: dict[str, Any]) -> str | None:
    """Which Postal event a bare payload is (by shape)."""
    if _is_message(p.get("original_message")) and isinstance(p.get("bounce"), dict):
        return "MessageBounced"
    if _is_message(p.get("message")):
        if "status" in p:
            return "MessageStatus"
        if "url" in p:
            return "MessageLinkClicked"
        if "user_agent" in p or "ip_address" in p:
            return "MessageLoaded"
    if "dns_checked_at" in p and "domain" in p:
        return "DomainDNSError"
    return None


def normalize(b: EventBuilder, obj: dict[str, Any], index: int) -> list[MailEvent]:
    if isinstance(obj.get("payload"), dict):
        payload, event, uuid = obj["payload"], obj.get("event"), obj.get("uuid")
    else:
        payload, event, uuid = obj, None, None
    shape = _payload_kind(payload)
    if shape == "MessageBounced":
        # The bounce shape decides, whatever the event label says (anymail labels it Delayed).
        message, kind = payload["original_message"], "MessageBounced"
        category, reason = EVENTS["MessageBounced"]
    elif shape == "MessageStatus" or "status" in payload:
        message, kind = payload.get("message") or {}, event or f"Message{payload.get('status')}"
        category, reason = STATUSES.get(str(payload.get("status")), ("other", None))
    else:
        message, kind = payload.get("message") or {}, event or shape or "unknown"
        category, reason = EVENTS.get(kind, ("other", None))
    if not isinstance(message, dict):
        message = {}
    if message.get("direction") == "incoming":
        category, reason = "other", None  # inbound-side events (policy 7)
    output = str_or_none(payload.get("output"))
    reply, status = codes(output)
    tag = str_or_none(message.get("tag"))
    return [b.emit(
        raw_index=index, recipient=message.get("to"), category=category, reason=reason,
        rule=f"postal.{kind}", kind=str(kind), provider_event_id=uuid,
        occurred_at=to_utc(payload.get("timestamp") or obj.get("timestamp")
                           or message.get("timestamp"), b.received_at),
        provider_message_id=str_or_none(message.get("id")),
        message_id=str_or_none(message.get("message_id")), sender=message.get("from"),
        subject=str_or_none(message.get("subject")), reply_code=reply, status=status,
        diagnostic=str_or_none(payload.get("details")) or output, stream=tag, campaign=tag,
        tags={"tag": tag} if tag else {})]
