"""SparkPost webhooks: a JSON array of `{"msys": {"<kind>_event": {...}}}` items.

Sources: https://developers.sparkpost.com/api/webhooks/ (event types); bounce classes
https://support.sparkpost.com/docs/deliverability/bounce-classification-codes (corpus
tables/sparkpost_bounce_classes.csv). An item with an empty `msys` is the validation ping.
"""
from __future__ import annotations

from typing import Any

from schemas.models import MailEvent

from .common import (EventBuilder, codes, flat_tags, int_or_none, obj_field,
                     status_reason, str_or_none, text_field, to_utc, values_field)
from .contract import SignatureScheme

NAME = "sparkpost"
ALIASES = ()
SIGNATURE = SignatureScheme.none()
DELAY_KINDS = frozenset({"delay"})
KEPT_HEADERS = ("x-messagesystems-batch-id",)

# bounce_class -> (category, reason). Policy: Undetermined (1) soft; blocks soft; 22 (mailbox
# full) soft; auto-reply/subscribe/challenge other; 90 unsubscribe.
BOUNCE_CLASSES: dict[int, tuple[str, str | None]] = {
    1: ("soft_bounce", "undefined"), 10: ("hard_bounce", "userunknown"),
    20: ("soft_bounce", None), 21: ("soft_bounce", "hostunknown"),
    22: ("soft_bounce", "mailboxfull"), 23: ("soft_bounce", "emailtoolarge"),
    24: ("soft_bounce", "expired"), 25: ("other", "systemerror"),
    30: ("hard_bounce", "notaccept"), 40: ("soft_bounce", None),
    50: ("soft_bounce", "blocked"), 51: ("soft_bounce", "blocked"),
    52: ("soft_bounce", "spamdetected"), 53: ("soft_bounce", "contenterror"),
    54: ("soft_bounce", "norelaying"), 60: ("other", "vacation"),
    70: ("soft_bounce", None), 80: ("other", None), 90: ("unsubscribe", "unsubscribe"),
    100: ("other", None),
}
EVENTS: dict[str, tuple[str, str | None]] = {
    "injection": ("other", "sent"), "delivery": ("delivered", "delivered"),
    "policy_rejection": ("other", None), "generation_failure": ("other", None),
    "generation_rejection": ("other", None), "spam_complaint": ("complaint", "feedback"),
    "out_of_band": ("hard_bounce", None), "sms_status": ("other", None),
    "open": ("engagement", "open"), "initial_open": ("engagement", "open"),
    "amp_open": ("engagement", "open"), "amp_initial_open": ("engagement", "open"),
    "click": ("engagement", "click"), "amp_click": ("engagement", "click"),
    "list_unsubscribe": ("unsubscribe", "unsubscribe"),
    "link_unsubscribe": ("unsubscribe", "unsubscribe"),
    "relay_injection": ("other", None), "relay_rejection": ("other", None),
    "relay_delivery": ("other", None), "relay_tempfail": ("other", None),
    "relay_permfail": ("other", None), "ab_test_completed": ("other", None),
    "ab_test_cancelled": ("other", None), "success": ("other", None),
}


# Momentum (on-premise) names of the same events, as the Events Ingest API takes them
# (https://developers.sparkpost.com/api/events-ingest/, content/api/events-ingest.apib samples:
# `inband` with bounce_class and raw_reason, `reception`).
MOMENTUM_TYPES = {"inband": "bounce", "outofband": "out_of_band", "tempfail": "delay",
                  "reception": "injection", "rejection": "policy_rejection"}


# Fields every SparkPost event object has besides `type` (webhook `msys` payloads and the
# flat objects of the Events API, https://developers.sparkpost.com/api/events/).
_EVENT_KEYS = ("event_id", "message_id", "transmission_id")


def _is_event(obj: dict[str, Any]) -> bool:
    """A bare event object, as the Events API lists them (no `msys` wrapper)."""
    # Any type: SparkPost adds event types (an unknown one is `other`, never a dead letter).
    return isinstance(obj.get("type"), str) and any(k in obj for k in _EVENT_KEYS) \
        and ("rcpt_to" in obj or "raw_rcpt_to" in obj)


def detect(obj: dict[str, Any]) -> bool:
    return isinstance(obj.get("msys"), dict) or _is_event(obj)


def unwrap(obj: dict[str, Any]) -> list[Any] | None:
    """Events API / Message Events API pages: `{"results": [events], "links": ...,
    "total_count": n}`; the events are the items."""
    results = obj.get("results")
    if not isinstance(results, list) or not set(obj) <= {"results", "links", "total_count"}:
        return None
    first = next((r for r in results if isinstance(r, dict)), None)
    return results if first is None or detect(first) else None


def normalize(b: EventBuilder, obj: dict[str, Any], index: int) -> list[MailEvent]:
    event: dict[str, Any] = {}
    wrapper = "ping"
    if "msys" in obj:
        for key, value in obj_field(obj, "msys", "").items():
            if isinstance(value, dict):
                event, wrapper = value, key
                break
    else:
        event = obj
    # An event names its type; a relay webhook's `relay_message` (an inbound message SparkPost
    # relays, https://developers.sparkpost.com/api/relay-webhooks/) has none: its wrapper says.
    etype = str(event.get("type") or wrapper)
    etype = MOMENTUM_TYPES.get(etype, etype)
    diag = str_or_none(event.get("raw_reason") or event.get("reason"))
    reply, status = codes(diag)
    reply = int_or_none(event.get("error_code")) or reply
    if etype in ("bounce", "delay", "out_of_band"):
        bclass = int_or_none(event.get("bounce_class"))
        default = ("soft_bounce", None) if etype == "delay" else ("soft_bounce", "undefined")
        category, reason = BOUNCE_CLASSES.get(bclass, default)  # type: ignore[arg-type]
        if etype == "delay" and category == "hard_bounce":
            category = "soft_bounce"  # a delay is retried: never permanent (policy 4)
        reason = reason or status_reason(status) or ("expired" if etype == "delay" else None)
        rule = f"sparkpost.{etype}.class{bclass}"
    elif etype == "spam_complaint":
        ftype = text_field(event, "fbtype", "")
        category = "auth_failure" if ftype == "auth-failure" else "complaint"
        reason = "authfailure" if ftype == "auth-failure" else "feedback"
        rule = f"sparkpost.spam_complaint.{ftype}"
    else:
        category, reason = EVENTS.get(etype, ("other", None))
        rule = "sparkpost.ping" if etype == "ping" else f"sparkpost.{etype}"
    meta = event.get("rcpt_meta")
    tags = flat_tags(meta if isinstance(meta, dict) else {})
    rcpt_tags = values_field(event, "rcpt_tags", "")
    if rcpt_tags:
        tags["rcpt_tags"] = ",".join(str(t) for t in rcpt_tags)
    return [b.emit(
        raw_index=index, recipient=event.get("rcpt_to") or event.get("raw_rcpt_to"),
        category=category, reason=reason, rule=rule, kind=etype,
        provider_event_id=event.get("event_id"),
        occurred_at=to_utc(event.get("timestamp"), b.received_at),
        provider_message_id=str_or_none(event.get("message_id")),
        sender=event.get("friendly_from") or event.get("msg_from"),
        subject=str_or_none(event.get("subject")), status=status, reply_code=reply,
        diagnostic=diag, feedback_type=str_or_none(event.get("fbtype")),
        campaign=str_or_none(event.get("campaign_id")),
        stream=str_or_none(event.get("subaccount_id")),
        tenant=str_or_none(tags.get("tenant")), tags=tags)]
