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

from .common import EventBuilder, codes, status_reason, str_or_none, to_utc
from .contract import SignatureScheme, SignedRequest, Verified
from .sns import SnsVerifier, fetch_cert_https

NAME = "amazon_ses"
ALIASES = ("ses", "sns", "amazon-ses", "aws_ses")
DELAY_KINDS = frozenset({"DeliveryDelay"})
KEPT_HEADERS = ("x-amz-sns-message-type", "x-amz-sns-message-id", "x-amz-sns-topic-arn")


def _sns_verifier(verifier: Any) -> SnsVerifier:
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


def detect(obj: dict[str, Any]) -> bool:
    if "mail" in obj and ("notificationType" in obj or "eventType" in obj):
        return True
    if obj.get("notificationType") == "AmazonSnsSubscriptionSucceeded":
        return True  # SES's own "your topic works" message: no mail object
    return obj.get("Type") in SNS_TYPES and "TopicArn" in obj and "MessageId" in obj


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
    kind = obj.get("eventType") or obj.get("notificationType")
    mail = obj.get("mail") or {}
    if kind == "AmazonSnsSubscriptionSucceeded":
        return [b.emit(raw_index=index, category="other", rule="ses.subscription_succeeded",
                       kind=kind, provider_event_id=sns_id)]
    if kind == "Subscription":
        return _subscription(b, obj.get("subscription") or {}, mail, index, sns_id)
    common = _mail_fields(mail)
    if kind == "Bounce":
        return _bounce(b, obj.get("bounce") or {}, common, index, sns_id)
    if kind == "Complaint":
        return _complaint(b, obj.get("complaint") or {}, common, index, sns_id)
    if kind == "Delivery":
        d = obj.get("delivery") or {}
        reply, status = codes(d.get("smtpResponse"))
        return [b.emit(raw_index=index, recipient_index=i, recipient=r, category="delivered",
                       reason="delivered", rule="ses.delivery", kind=kind,
                       provider_event_id=_eid(sns_id, i),
                       occurred_at=to_utc(d.get("timestamp"), b.received_at),
                       diagnostic=d.get("smtpResponse"), reply_code=reply, status=status,
                       reporting_mta=d.get("reportingMTA"), action="delivered", **common)
                for i, r in enumerate(d.get("recipients") or mail.get("destination") or [None])]
    if kind == "DeliveryDelay":
        d = obj.get("deliveryDelay") or {}
        out = []
        for i, r in enumerate(d.get("delayedRecipients") or [{}]):
            reply, status = codes(r.get("diagnosticCode"))
            out.append(b.emit(
                raw_index=index, recipient_index=i, recipient=r.get("emailAddress"),
                category="soft_bounce", reason=status_reason(r.get("status") or status)
                or DELAY_REASONS.get(d.get("delayType"), "expired"),
                rule=f"ses.delivery_delay.{d.get('delayType')}", kind=kind,
                provider_event_id=_eid(sns_id, i),
                occurred_at=to_utc(d.get("timestamp"), b.received_at),
                status=r.get("status") or status, reply_code=reply, action="delayed",
                diagnostic=r.get("diagnosticCode"), **common))
        return out
    category, reason = PLAIN_EVENTS.get(kind, ("other", None))
    detail = obj.get(str(kind).lower()) if isinstance(kind, str) else None
    when = detail.get("timestamp") if isinstance(detail, dict) else None
    dest = mail.get("destination") or [None]
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


def _eid(sns_id: str | None, i: int) -> str | None:
    return f"{sns_id}:{i}" if sns_id else None


def _mail_fields(mail: dict[str, Any]) -> dict[str, Any]:
    headers = mail.get("commonHeaders") or {}
    tags: dict[str, str] = {}
    for key, values in (mail.get("tags") or {}).items():
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
    btype, subtype = bounce.get("bounceType"), bounce.get("bounceSubType")
    category, reason = BOUNCE_TYPES.get(
        (btype, subtype), (BOUNCE_TYPE_DEFAULT.get(btype, "soft_bounce"), None))
    when = to_utc(bounce.get("timestamp"), b.received_at)
    out = []
    for i, r in enumerate(bounce.get("bouncedRecipients") or [{}]):
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
    ftype = complaint.get("complaintFeedbackType")
    category = COMPLAINT_TYPES.get(ftype, "complaint") if ftype else "complaint"
    reason = "authfailure" if category == "auth_failure" else "feedback"
    when = to_utc(complaint.get("timestamp"), b.received_at)
    return [b.emit(raw_index=index, recipient_index=i, recipient=r.get("emailAddress"),
                   category=category, reason=reason, rule=f"ses.complaint.{ftype or 'none'}",
                   kind="Complaint", feedback_type=ftype,
                   provider_event_id=complaint.get("feedbackId") or _eid(sns_id, i),
                   occurred_at=when, **common)
            for i, r in enumerate(complaint.get("complainedRecipients") or [{}])]


def _subscription(b: EventBuilder, sub: dict[str, Any], mail: dict[str, Any], index: int,
                  sns_id: str | None) -> list[MailEvent]:
    """SES list-management event: an opt-out (all topics or one) is an unsubscribe scoped to
    the contact list / topic (policy 9); an opt-in is a re-subscribe (other)."""
    new = sub.get("newTopicPreferences") or {}
    opted_out = [t.get("topicName") for t in new.get("topicSubscriptionStatus") or []
                 if isinstance(t, dict) and t.get("subscriptionStatus") == "OptOut"]
    unsubscribed = bool(new.get("unsubscribeAll")) or bool(opted_out)
    common = _mail_fields(mail)
    if opted_out and not new.get("unsubscribeAll"):
        common["stream"] = ",".join(str(t) for t in opted_out)
    dest = mail.get("destination") or [None]
    return [b.emit(raw_index=index, recipient_index=i, recipient=rcpt,
                   category="unsubscribe" if unsubscribed else "other",
                   reason="unsubscribe" if unsubscribed else None,
                   rule=f"ses.subscription.{'optout' if unsubscribed else 'optin'}",
                   kind="Subscription", provider_event_id=_eid(sns_id, i),
                   occurred_at=to_utc(sub.get("timestamp"), b.received_at),
                   list_id=sub.get("contactList"), **common)
            for i, rcpt in enumerate(dest)]
