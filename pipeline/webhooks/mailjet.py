"""Mailjet Event API: one object, or an array when grouping is on (policy: `hard_bounce` wins).

Source: https://dev.mailjet.com/email/guides/webhooks/ (event fields; errors table in corpus
tables/mailjet_bounce_errors.csv).
"""
from __future__ import annotations

from typing import Any

from schemas.models import MailEvent

from .common import EventBuilder, codes, str_or_none, to_utc
from .contract import SignatureScheme

NAME = "mailjet"
ALIASES = ()
SIGNATURE = SignatureScheme.none()
DELAY_KINDS: frozenset[str] = frozenset()

# (error_related_to, error) -> (category, reason): the blocked / pre-send verdicts.
ERRORS: dict[tuple[str, str], tuple[str, str | None]] = {
    ("recipient", "user unknown"): ("hard_bounce", "userunknown"),
    ("recipient", "mailbox inactive"): ("hard_bounce", "suspend"),
    ("recipient", "quota exceeded"): ("soft_bounce", "mailboxfull"),
    ("recipient", "blacklisted"): ("other", "suppressed"),
    ("recipient", "spam reporter"): ("complaint", "feedback"),
    ("domain", "invalid domain"): ("hard_bounce", "hostunknown"),
    ("domain", "no mail host"): ("soft_bounce", "hostunknown"),
    ("domain", "relay/access denied"): ("soft_bounce", "norelaying"),
    ("domain", "greylisted"): ("soft_bounce", "blocked"),
    ("domain", "typofix"): ("hard_bounce", "hostunknown"),
    ("content", "bad or empty template"): ("other", None),
    ("content", "error in template language"): ("other", None),
    ("spam", "sender blocked"): ("soft_bounce", "blocked"),
    ("spam", "content blocked"): ("soft_bounce", "spamdetected"),
    ("spam", "policy issue"): ("soft_bounce", "policyviolation"),
    ("system", "system issue"): ("soft_bounce", "systemerror"),
    ("system", "protocol issue"): ("soft_bounce", "systemerror"),
    ("system", "connection issue"): ("soft_bounce", "networkerror"),
    ("mailjet", "preblocked"): ("hard_bounce", "suppressed"),
    ("mailjet", "duplicate in campaign"): ("other", None),
}
EVENTS: dict[str, tuple[str, str | None]] = {
    "sent": ("delivered", "delivered"),  # Mailjet "sent" = accepted by the receiving MTA
    "open": ("engagement", "open"), "click": ("engagement", "click"),
    "spam": ("complaint", "feedback"), "unsub": ("unsubscribe", "unsubscribe"),
}


def detect(obj: dict[str, Any]) -> bool:
    return isinstance(obj.get("event"), str) and "time" in obj and (
        "MessageID" in obj or "mj_campaign_id" in obj or "mj_contact_id" in obj)


def normalize(b: EventBuilder, obj: dict[str, Any], index: int) -> list[MailEvent]:
    event = obj["event"]
    error = (str(obj.get("error_related_to") or ""), str(obj.get("error") or ""))
    diag = str_or_none(obj.get("smtp_reply") or obj.get("comment"))
    reply, status = codes(diag)
    if event == "bounce":
        flag = obj.get("hard_bounce")
        hard = flag.strip().lower() in ("true", "1") if isinstance(flag, str) else bool(flag)
        category = "hard_bounce" if hard else "soft_bounce"
        reason = ERRORS.get(error, (category, None))[1]
        rule = f"mailjet.bounce.{'hard' if hard else 'soft'}"
    elif event == "blocked":
        category, reason = ERRORS.get(error, ("other", None))
        rule = f"mailjet.blocked.{error[0]}.{error[1]}"
    else:
        category, reason = EVENTS.get(event, ("other", None))
        rule = f"mailjet.{event}"
    tags = {k: str(obj[k]) for k in ("CustomID", "Payload", "customcampaign") if obj.get(k)}
    return [b.emit(
        raw_index=index, recipient=obj.get("email"), category=category, reason=reason,
        rule=rule, kind=event, occurred_at=to_utc(obj.get("time"), b.received_at),
        provider_message_id=str_or_none(obj.get("MessageID")),
        message_id=str_or_none(obj.get("Message_GUID")), diagnostic=diag, status=status,
        reply_code=reply, campaign=str_or_none(obj.get("customcampaign") or
                                               (obj.get("mj_campaign_id") or None)),
        list_id=str_or_none(obj.get("mj_list_id")), tags=tags)]
