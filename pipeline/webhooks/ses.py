"""Amazon SES: classic notifications (`notificationType`), event publishing (`eventType`),
both bare or inside an SNS HTTP envelope whose `Message` is the SES JSON document as a string.

Sources: https://docs.aws.amazon.com/ses/latest/dg/notification-contents.html (bounce and
complaint types: corpus tables/ses_bounce_types.csv, ses_complaint_feedback_types.csv);
https://docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-contents.html;
https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html (envelope).
"""
from __future__ import annotations

from typing import Any

import orjson

from schemas.models import MailEvent

from pipeline.errors import SignatureError

from .common import (EventBuilder, SchemaError, address, codes, json_type, list_field, obj_field,
                     status_reason, str_or_none, to_utc)
from .contract import SignatureScheme, SignedRequest, Verified

NAME = "amazon_ses"
ALIASES = ("ses", "sns", "amazon-ses", "aws_ses")
DELAY_KINDS = frozenset({"DeliveryDelay"})
KEPT_HEADERS = ("x-amz-sns-message-type", "x-amz-sns-message-id", "x-amz-sns-topic-arn")


def _sns_verifier(verifier: Any) -> Any:
    from .sns import SnsVerifier, fetch_cert_https  # cryptography: the receiver's, not ours

    return SnsVerifier(verifier.sns_fetch or fetch_cert_https,
                       frozenset(verifier.settings.sns_topic_arns) or None)


def _check_sns(req: SignedRequest) -> Verified | None:
    """SNS-signed notifications; None for a bare SES event (Basic/bearer then decide)."""
    try:
        message = orjson.loads(req.body)
    except orjson.JSONDecodeError as exc:
        raise SignatureError("SNS body is not JSON", parser="webhook.amazon_ses") from exc
    if not (isinstance(message, dict) and "SigningCertURL" in message):
        return None
    req.state.shared("sns", _sns_verifier).verify(message)
    return Verified(NAME, "sns", sns_type=message.get("Type"),
                    delivery_id=message.get("MessageId"))


SIGNATURE = SignatureScheme("SNS", _check_sns, blocking=True)  # fetches the certificate

# (bounceType, bounceSubType) -> (category, reason). Corpus tables/ses_bounce_types.csv;
# policy: Undetermined -> soft (never suppress), MailboxFull -> soft.
BOUNCE_TYPES: dict[tuple[str, str], tuple[str, str | None]] = {
    ("Undetermined", "Undetermined"): ("soft_bounce", "undefined"),
    ("Permanent", "General"): ("hard_bounce", None),
    ("Permanent", "NoEmail"): ("hard_bounce", "userunknown"),
    ("Permanent", "Suppressed"): ("hard_bounce", "suppressed"),
    ("Permanent", "OnAccountSuppressionList"): ("hard_bounce", "suppressed"),
    ("Transient", "General"): ("soft_bounce", None),
    ("Transient", "MailboxFull"): ("soft_bounce", "mailboxfull"),
    ("Transient", "MessageTooLarge"): ("soft_bounce", "emailtoolarge"),
    ("Transient", "ContentRejected"): ("soft_bounce", "contenterror"),
    ("Transient", "AttachmentRejected"): ("soft_bounce", "contenterror"),
}
BOUNCE_TYPE_DEFAULT = {"Permanent": "hard_bounce", "Transient": "soft_bounce",
                       "Undetermined": "soft_bounce"}
# complaintFeedbackType (IANA MARF registry) -> category; absent -> complaint.
COMPLAINT_TYPES = {"abuse": "complaint", "auth-failure": "auth_failure", "fraud": "complaint",
                   "not-spam": "other", "other": "complaint", "virus": "complaint"}
# Event types without a recipient verdict of their own.
PLAIN_EVENTS: dict[str, tuple[str, str | None]] = {
    "Send": ("other", "sent"), "Reject": ("other", None), "Open": ("engagement", "open"),
    "Click": ("engagement", "click"), "Rendering Failure": ("other", None),
}
# DeliveryDelay delayType -> reason when no status code says more.
DELAY_REASONS = {"MailboxFull": "mailboxfull", "SpamDetected": "spamdetected",
                 "TransientCommunicationFailure": "networkerror", "IPFailure": "blocked",
                 "InternalFailure": "systemerror", "Undetermined": "undefined"}
# Events about the whole message: one event per destination address.
PER_DESTINATION = frozenset({"Send", "Reject", "Rendering Failure"})
SNS_TYPES = ("Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation")


# Detail objects users store without their notification (the `bounce` of a Bounce
# notification, say): key in the notification -> (kind, the field that marks the bare object).
DETAILS = {"bounce": ("Bounce", "bouncedRecipients"),
           "complaint": ("Complaint", "complainedRecipients"),
           "deliveryDelay": ("DeliveryDelay", "delayedRecipients"),
           "delivery": ("Delivery", "smtpResponse")}


def _bare(obj: dict[str, Any]) -> tuple[str, str] | None:
    """(kind, detail key) of a bare SES detail: the inner object itself, or `{"bounce": {...}}`
    without `mail` / `notificationType`."""
    for key, (kind, marker) in DETAILS.items():
        if marker in obj and (key != "delivery" or "recipients" in obj):
            return kind, key
        inner = obj.get(key)
        if isinstance(inner, dict) and marker in inner:
            return kind, key
    return None


def _eventbridge(obj: dict[str, Any]) -> bool:
    """An Amazon EventBridge event from SES (https://docs.aws.amazon.com/ses/latest/dg/
    monitoring-eventbridge.html): `{"version", "id", "detail-type": "Email Bounced",
    "source": "aws.ses", "time", "region", "resources", "detail": {<event-publishing record>}}`;
    Virtual Deliverability Manager and sending-status events carry other details."""
    return obj.get("source") == "aws.ses" and isinstance(obj.get("detail"), dict) \
        and isinstance(obj.get("detail-type"), str)


def detect(obj: dict[str, Any]) -> bool:
    if _eventbridge(obj):
        return True
    if "mail" in obj and ("notificationType" in obj or "eventType" in obj):
        return True
    if obj.get("notificationType") == "AmazonSnsSubscriptionSucceeded":
        return True  # SES's own "your topic works" message: no mail object
    if obj.get("Type") in SNS_TYPES and "TopicArn" in obj and "MessageId" in obj:
        return True
    return _bare(obj) is not None


def normalize(b: EventBuilder, obj: dict[str, Any], index: int) -> list[MailEvent]:
    sns_id = None
    if obj.get("Type") in SNS_TYPES:
        sns_id = obj.get("MessageId")
        if obj["Type"] != "Notification":
            return [b.emit(raw_index=index, category="other", rule="ses.sns_control",
                           kind=obj["Type"], provider_event_id=sns_id,
                           occurred_at=to_utc(obj.get("Timestamp"), b.received_at),
                           tags={"sns_type": obj["Type"], "topic_arn": str(obj.get("TopicArn"))})]
        envelope, message = obj, obj.get("Message")
        try:
            obj = orjson.loads(message) if isinstance(message, str) else message
        except orjson.JSONDecodeError:
            obj = None
        if not isinstance(obj, dict) or not detect(obj):
            # A message on the topic that SES did not write (SNS test message, another
            # publisher): keep it as an "other" record rather than losing it (policy 7).
            return [b.emit(raw_index=index, category="other", rule="ses.sns_not_ses",
                           kind="Notification", provider_event_id=sns_id,
                           occurred_at=to_utc(envelope.get("Timestamp"), b.received_at),
                           subject=str_or_none(envelope.get("Subject")),
                           tags={"sns_type": "Notification",
                                 "topic_arn": str(envelope.get("TopicArn"))})]
    if _eventbridge(obj):
        detail = obj["detail"]
        if not detect(detail):
            # An account-level event (advisor recommendation, sending status): other (policy 7).
            return [b.emit(raw_index=index, category="other",
                           rule=f"ses.eventbridge.{obj['detail-type']}", kind=obj["detail-type"],
                           provider_event_id=obj.get("id"),
                           occurred_at=to_utc(obj.get("time"), b.received_at),
                           tags={"detail_type": obj["detail-type"]})]
        sns_id, obj = str_or_none(obj.get("id")), detail
    kind = obj.get("eventType") or obj.get("notificationType")
    if kind is None and (bare := _bare(obj)) is not None:
        kind, key = bare
        if not isinstance(obj.get(key), dict):
            obj = {key: obj}  # the detail object itself
    if not isinstance(kind, str):
        raise SchemaError(f"{'eventType' if 'eventType' in obj else 'notificationType'} is "
                          f"{json_type(kind)}, expected a string")
    mail = obj_field(obj, "mail", "")
    if kind == "AmazonSnsSubscriptionSucceeded":
        return [b.emit(raw_index=index, category="other", rule="ses.subscription_succeeded",
                       kind=kind, provider_event_id=sns_id)]
    if kind == "Subscription":
        return _subscription(b, obj_field(obj, "subscription", ""), mail, index, sns_id)
    common = _mail_fields(mail)
    if kind == "Bounce":
        return _bounce(b, obj_field(obj, "bounce", ""), common, index, sns_id)
    if kind == "Complaint":
        return _complaint(b, obj_field(obj, "complaint", ""), common, index, sns_id)
    destination = list_field(mail, "destination", "mail.")
    if kind == "Delivery":
        d = obj_field(obj, "delivery", "")
        reply, status = codes(d.get("smtpResponse"))
        return [b.emit(raw_index=index, recipient_index=i, recipient=r, category="delivered",
                       reason="delivered", rule="ses.delivery", kind=kind,
                       provider_event_id=_eid(sns_id, i),
                       occurred_at=to_utc(d.get("timestamp"), b.received_at),
                       diagnostic=d.get("smtpResponse"), reply_code=reply, status=status,
                       reporting_mta=d.get("reportingMTA"), action="delivered", **common)
                for i, r in enumerate(list_field(d, "recipients", "delivery.") or destination
                                      or [None])]
    if kind == "DeliveryDelay":
        d = obj_field(obj, "deliveryDelay", "")
        out = []
        for i, r in enumerate(_entries(d, "delayedRecipients", "deliveryDelay.") or [{}]):
            reply, status = codes(r.get("diagnosticCode"))
            out.append(b.emit(
                raw_index=index, recipient_index=i, recipient=r.get("emailAddress"),
                category="soft_bounce", reason=status_reason(r.get("status") or status)
                or DELAY_REASONS.get(str_or_none(d.get("delayType")), "expired"),
                rule=f"ses.delivery_delay.{d.get('delayType')}", kind=kind,
                provider_event_id=_eid(sns_id, i),
                occurred_at=to_utc(d.get("timestamp"), b.received_at),
                status=r.get("status") or status, reply_code=reply, action="delayed",
                diagnostic=r.get("diagnosticCode"), **common))
        return out
    category, reason = PLAIN_EVENTS.get(kind, ("other", None))
    detail = obj.get(str(kind).lower()) if isinstance(kind, str) else None
    when = detail.get("timestamp") if isinstance(detail, dict) else None
    dest = destination or [None]
    if kind not in PER_DESTINATION:
        # An open/click names no recipient: only a single-recipient message says who it was.
        dest = dest if len(dest) == 1 else [None]
    diag = detail.get("reason") if isinstance(detail, dict) else None
    return [b.emit(raw_index=index, recipient_index=i, recipient=rcpt, category=category,
                   reason=reason, rule=f"ses.event.{kind}", kind=str(kind),
                   provider_event_id=_eid(sns_id, i),
                   occurred_at=to_utc(when or mail.get("timestamp"), b.received_at),
                   diagnostic=diag if isinstance(diag, str) else None, **common)
            for i, rcpt in enumerate(dest)]


def _entries(detail: dict[str, Any], key: str, where: str) -> list[dict[str, Any]]:
    """A per-recipient array whose items must be objects (`bouncedRecipients` ...)."""
    entries = list_field(detail, key, where)
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise SchemaError(f"{where}{key}[{i}] is {json_type(entry)}, expected an object")
    return entries


def _eid(sns_id: str | None, i: int) -> str | None:
    return f"{sns_id}:{i}" if sns_id else None


def _mail_fields(mail: dict[str, Any]) -> dict[str, Any]:
    headers = obj_field(mail, "commonHeaders", "mail.")
    tags: dict[str, str] = {}
    for key, values in obj_field(mail, "tags", "mail.").items():
        if isinstance(values, list):
            tags[key] = ",".join(str(v) for v in values)
    stream = tags.get("ses:configuration-set")
    return {
        "sender": mail.get("source"),
        "provider_message_id": mail.get("messageId"),
        "message_id": headers.get("messageId"),
        "subject": headers.get("subject"),
        "stream": stream,
        "campaign": tags.get("campaign"),
        "tags": tags,
    }


def _bounce(b: EventBuilder, bounce: dict[str, Any], common: dict[str, Any], index: int,
            sns_id: str | None) -> list[MailEvent]:
    btype, subtype = str_or_none(bounce.get("bounceType")), str_or_none(bounce.get("bounceSubType"))
    category, reason = BOUNCE_TYPES.get(
        (btype, subtype), (BOUNCE_TYPE_DEFAULT.get(btype, "soft_bounce"), None))
    when = to_utc(bounce.get("timestamp"), b.received_at)
    entries = _entries(bounce, "bouncedRecipients", "bounce.")
    if not any(address(r.get("emailAddress")) for r in entries):
        # As the DSN path: a bounce that names nobody cannot suppress anyone; keep the bytes.
        raise SchemaError("bounce.bouncedRecipients names no recipient (no emailAddress)"
                          if entries else "bounce.bouncedRecipients is missing or empty")
    out = []
    for i, r in enumerate(entries):
        if not address(r.get("emailAddress")):
            continue  # an entry without an address (its neighbours are kept)
        diag = r.get("diagnosticCode")
        reply, status = codes(diag)
        status = r.get("status") or status
        out.append(b.emit(
            raw_index=index, recipient_index=i, recipient=r.get("emailAddress"),
            category=category, reason=reason or status_reason(status),
            rule=f"ses.bounce.{btype}.{subtype}", kind="Bounce",
            provider_event_id=bounce.get("feedbackId") or _eid(sns_id, i), occurred_at=when,
            status=status, reply_code=reply, action=r.get("action"), diagnostic=diag,
            reporting_mta=bounce.get("reportingMTA"), remote_mta=bounce.get("remoteMtaIp"),
            **common))
    return out


def _complaint(b: EventBuilder, complaint: dict[str, Any], common: dict[str, Any],
               index: int, sns_id: str | None) -> list[MailEvent]:
    ftype = str_or_none(complaint.get("complaintFeedbackType"))
    category = COMPLAINT_TYPES.get(ftype, "complaint") if ftype else "complaint"
    reason = "authfailure" if category == "auth_failure" else "feedback"
    when = to_utc(complaint.get("timestamp"), b.received_at)
    return [b.emit(raw_index=index, recipient_index=i, recipient=r.get("emailAddress"),
                   category=category, reason=reason, rule=f"ses.complaint.{ftype or 'none'}",
                   kind="Complaint", feedback_type=ftype,
                   provider_event_id=complaint.get("feedbackId") or _eid(sns_id, i),
                   occurred_at=when, **common)
            for i, r in enumerate(_entries(complaint, "complainedRecipients", "complaint.")
                                  or [{}])]


def _subscription(b: EventBuilder, sub: dict[str, Any], mail: dict[str, Any], index: int,
                  sns_id: str | None) -> list[MailEvent]:
    """SES list-management event: an opt-out (all topics or one) is an unsubscribe scoped to
    the contact list / topic (policy 9); an opt-in is a re-subscribe (other)."""
    new = obj_field(sub, "newTopicPreferences", "subscription.")
    opted_out = [t.get("topicName") for t in list_field(new, "topicSubscriptionStatus",
                                                        "subscription.newTopicPreferences.")
                 if isinstance(t, dict) and t.get("subscriptionStatus") == "OptOut"]
    unsubscribed = bool(new.get("unsubscribeAll")) or bool(opted_out)
    common = _mail_fields(mail)
    if opted_out and not new.get("unsubscribeAll"):
        common["stream"] = ",".join(str(t) for t in opted_out)
    dest = list_field(mail, "destination", "mail.") or [None]
    return [b.emit(raw_index=index, recipient_index=i, recipient=rcpt,
                   category="unsubscribe" if unsubscribed else "other",
                   reason="unsubscribe" if unsubscribed else None,
                   rule=f"ses.subscription.{'optout' if unsubscribed else 'optin'}",
                   kind="Subscription", provider_event_id=_eid(sns_id, i),
                   occurred_at=to_utc(sub.get("timestamp"), b.received_at),
                   list_id=sub.get("contactList"), **common)
            for i, rcpt in enumerate(dest)]
