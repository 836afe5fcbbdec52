"""One quirk per provider that the corpus does not pin down (inline payloads)."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from pipeline.core import process
from schemas.models import RawMessage, RawSource

WHEN = datetime(2026, 11, 23, tzinfo=timezone.utc)


def events(payload):
    raw = RawMessage.from_bytes(json.dumps(payload).encode(), RawSource(transport="memory"), WHEN)
    out = process(raw)
    assert not out.dead_letters, out.dead_letters[0].reason
    return [(e.provider, e.recipient, e.category, e.reason) for e in out.events]


PM = {"RecordType": "Bounce", "Email": "r@x.com", "BouncedAt": "2026-01-01T00:00:00Z"}


@pytest.mark.parametrize("payload,expected", [
    # Postmark: Type wins over TypeCode (the docs' complaint example carries 512)
    ({**PM, "Type": "SpamComplaint", "TypeCode": 512}, ("postmark", "r@x.com", "complaint",
                                                        "feedback")),
    ({**PM, "Type": "SpamNotification", "TypeCode": 100001}, ("postmark", "r@x.com",
                                                              "soft_bounce", "spamdetected")),
    ({**PM, "Type": "SomethingNew"}, ("postmark", "r@x.com", "soft_bounce", "undefined")),
    # Mailjet: hard_bounce=false is soft whatever the error says; blocked quota -> soft
    ({"event": "bounce", "time": 1, "MessageID": 1, "email": "r@x.com", "hard_bounce": False,
      "error_related_to": "recipient", "error": "user unknown"},
     ("mailjet", "r@x.com", "soft_bounce", "userunknown")),
    ({"event": "blocked", "time": 1, "MessageID": 1, "email": "r@x.com",
      "error_related_to": "recipient", "error": "quota exceeded"},
     ("mailjet", "r@x.com", "soft_bounce", "mailboxfull")),
    ({"event": "blocked", "time": 1, "MessageID": 1, "email": "r@x.com",
      "error_related_to": "mailjet", "error": "duplicate in campaign"},
     ("mailjet", "r@x.com", "other", None)),
    # Brevo: a block names the list state that caused it
    ({"event": "blocked", "email": "r@x.com", "ts_event": 1, "reason": "blocked : hard bounce"},
     ("brevo", "r@x.com", "hard_bounce", "suppressed")),
    ({"event": "blocked", "email": "r@x.com", "ts_event": 1, "reason": "no reason given"},
     ("brevo", "r@x.com", "other", "suppressed")),
    # Resend: bounce.type (SES vocabulary) decides; mailbox full is soft
    ({"type": "email.bounced", "created_at": "2026-01-01T00:00:00Z", "data": {
        "to": ["r@x.com"], "bounce": {"type": "Transient", "subType": "General"}}},
     ("resend", "r@x.com", "soft_bounce", None)),
    ({"type": "email.bounced", "created_at": "2026-01-01T00:00:00Z", "data": {
        "to": ["r@x.com"], "bounce": {"type": "Permanent", "subType": "MailboxFull"}}},
     ("resend", "r@x.com", "soft_bounce", "mailboxfull")),
    ({"type": "email.delivery_delayed", "created_at": "2026-01-01T00:00:00Z",
      "data": {"to": ["r@x.com"]}}, ("resend", "r@x.com", "soft_bounce", "expired")),
    ({"type": "contact.created", "created_at": "2026-01-01T00:00:00Z", "data": {"id": "c"}},
     ("resend", None, "other", None)),
    # Postal: incoming messages are inbound-side (other) whatever the status
    ({"event": "MessageDeliveryFailed", "payload": {"status": "HardFail", "message": {
        "token": "t", "direction": "incoming", "to": "r@x.com"}}, "uuid": "u"},
     ("postal", "r@x.com", "other", None)),
    ({"status": "Held", "message": {"token": "t", "direction": "outgoing", "to": "r@x.com"}},
     ("postal", "r@x.com", "other", "onhold")),
    # SparkPost: a delay is never hard, even with class 10; complaints keep their fbtype
    ([{"msys": {"message_event": {"type": "delay", "bounce_class": "10", "rcpt_to": "r@x.com"}}}],
     ("sparkpost", "r@x.com", "soft_bounce", "userunknown")),
    ([{"msys": {"message_event": {"type": "spam_complaint", "fbtype": "auth-failure",
                                  "rcpt_to": "r@x.com"}}}],
     ("sparkpost", "r@x.com", "auth_failure", "authfailure")),
    ([{"msys": {"message_event": {"type": "bounce", "bounce_class": "90", "rcpt_to": "r@x.com"}}}],
     ("sparkpost", "r@x.com", "unsubscribe", "unsubscribe")),
    # Mailgun: temporary failure stays soft even with a 5xx; suppress-complaint is a complaint
    ({"event": "failed", "severity": "temporary", "reason": "generic", "recipient": "r@x.com",
      "log-level": "warn", "delivery-status": {"code": 550, "message": "550 5.1.1 no"}},
     ("mailgun", "r@x.com", "soft_bounce", "userunknown")),
    ({"event": "failed", "severity": "permanent", "reason": "suppress-complaint",
      "recipient": "r@x.com", "log-level": "error"},
     ("mailgun", "r@x.com", "complaint", "feedback")),
    # Mandrill: reject (pre-send drop) and a hard bounce for a full mailbox (policy 3)
    ([{"event": "reject", "msg": {"email": "r@x.com"}}], ("mandrill", "r@x.com", "other",
                                                          "suppressed")),
    ([{"event": "hard_bounce", "msg": {"email": "r@x.com", "bounce_description": "mailbox_full"}}],
     ("mandrill", "r@x.com", "soft_bounce", "mailboxfull")),
    # SendGrid: type=blocked is soft even with "Invalid Address"; Unclassified bounce stays hard
    ([{"event": "bounce", "type": "blocked", "bounce_classification": "Invalid Address",
       "email": "r@x.com", "sg_event_id": "1"}], ("sendgrid", "r@x.com", "soft_bounce", "blocked")),
    ([{"event": "bounce", "type": "bounce", "bounce_classification": "Unclassified",
       "email": "r@x.com", "sg_event_id": "1"}], ("sendgrid", "r@x.com", "hard_bounce", None)),
    ([{"event": "bounce", "type": "bounce", "bounce_classification": "Reputation",
       "email": "r@x.com", "sg_event_id": "1"}],
     ("sendgrid", "r@x.com", "soft_bounce", "badreputation")),
])
def test_provider_quirk(payload, expected):
    assert events(payload) == [expected]


def test_ses_send_is_one_event_per_destination_click_only_when_unambiguous():
    mail = {"messageId": "m", "destination": ["a@x.com", "b@x.com"]}
    assert events({"eventType": "Send", "mail": mail, "send": {}}) == [
        ("amazon_ses", "a@x.com", "other", "sent"), ("amazon_ses", "b@x.com", "other", "sent")]
    assert events({"eventType": "Click", "mail": mail, "click": {}}) == [
        ("amazon_ses", None, "engagement", "click")]


def test_resend_event_per_recipient_with_svix_id_from_headers():
    payload = {"type": "email.delivered", "created_at": "2026-01-01T00:00:00Z",
               "data": {"to": ["A <a@x.com>", "b@x.com"], "email_id": "e1"}}
    raw = RawMessage.from_bytes(json.dumps(payload).encode(), RawSource(transport="memory"), WHEN,
                                headers={"svix-id": "msg_1"})
    out = process(raw)
    assert [(e.recipient_index, e.recipient, e.provider_event_id) for e in out.events] == [
        (0, "a@x.com", "msg_1"), (1, "b@x.com", "msg_1")]
    assert len({e.event_id for e in out.events}) == 2


@pytest.mark.parametrize("payload,action", [
    ([{"event": "deferred", "email": "r@x.com", "sg_event_id": "1"}], "delayed"),
    ([{"event": "bounce", "type": "bounce", "email": "r@x.com", "sg_event_id": "1"}], "failed"),
    ({"event": "failed", "severity": "temporary", "recipient": "r@x.com", "log-level": "warn"},
     "delayed"),
    ({"event": "failed", "severity": "permanent", "recipient": "r@x.com", "log-level": "error"},
     "failed"),
    ({**PM, "Type": "Transient"}, "delayed"),
    ({**PM, "Type": "HardBounce"}, "failed"),
    ({"type": "TransientFailure", "id": "i", "recipient": "r@x.com", "queue": "x.com",
      "response": {"code": 421}}, "delayed"),
    ({"type": "Expiration", "id": "i", "recipient": "r@x.com", "queue": "x.com",
      "response": {"code": 551}}, "failed"),
    ({"RecordType": "Delivery", "Recipient": "r@x.com"}, "delivered"),
    ({"RecordType": "Open", "Recipient": "r@x.com"}, None),
])
def test_action_tells_the_suppression_policy_whether_the_mta_still_retries(payload, action):
    raw = RawMessage.from_bytes(json.dumps(payload).encode(), RawSource(transport="memory"), WHEN)
    assert [e.action for e in process(raw).events] == [action]


SES_MAIL = {"messageId": "m", "destination": ["r@x.com"]}


@pytest.mark.parametrize("payload,expected", [
    # SES list management: opt-out of a topic is an unsubscribe, opt-in is other (policy 9)
    ({"eventType": "Subscription", "mail": SES_MAIL, "subscription": {
        "contactList": "news", "newTopicPreferences": {"unsubscribeAll": False,
        "topicSubscriptionStatus": [{"topicName": "weekly", "subscriptionStatus": "OptOut"}]}}},
     ("amazon_ses", "r@x.com", "unsubscribe", "unsubscribe")),
    ({"eventType": "Subscription", "mail": SES_MAIL, "subscription": {
        "contactList": "news", "newTopicPreferences": {"unsubscribeAll": False,
        "topicSubscriptionStatus": [{"topicName": "weekly", "subscriptionStatus": "OptIn"}]}}},
     ("amazon_ses", "r@x.com", "other", None)),
    ({"notificationType": "AmazonSnsSubscriptionSucceeded", "message": "ok"},
     ("amazon_ses", None, "other", None)),
    # SendGrid dropped reasons match by prefix
    ([{"event": "dropped", "reason": "Invalid SMTPAPI header", "email": "r@x.com",
       "sg_event_id": "1"}], ("sendgrid", "r@x.com", "other", None)),
    ([{"event": "dropped", "reason": "Unsubscribed Address", "email": "r@x.com",
       "sg_event_id": "1"}], ("sendgrid", "r@x.com", "unsubscribe", "unsubscribe")),
    # policy 3 from the text alone: a full mailbox is never hard
    ([{"event": "bounce", "type": "bounce", "email": "r@x.com", "sg_event_id": "1",
       "reason": "550 Mailbox full: user is over quota"}],
     ("sendgrid", "r@x.com", "soft_bounce", "mailboxfull")),
    # Mandrill sync events: denylist additions take their reason's category
    ([{"type": "blacklist", "action": "add", "reject": {"email": "r@x.com",
                                                         "reason": "hard-bounce"}}],
     ("mandrill", "r@x.com", "hard_bounce", "suppressed")),
    ([{"type": "blacklist", "action": "remove", "reject": {"email": "r@x.com",
                                                            "reason": "hard-bounce"}}],
     ("mandrill", "r@x.com", "other", None)),
    ([{"type": "whitelist", "action": "add", "entry": {"email": "r@x.com"}}],
     ("mandrill", "r@x.com", "other", None)),
    # KumoMTA OOB: the remote reply embedded in the content is classified (552 5.2.2 -> quota)
    ({"type": "OOB", "id": "i", "recipient": "r@x.com", "queue": "x.com",
      "bounce_classification": "Uncategorized", "response": {
          "code": 550, "enhanced_code": {"class": 5, "subject": 0, "detail": 0},
          "content": "host mx.x.com says: 552 5.2.2 mailbox is stuffed"}},
     ("kumomta", "r@x.com", "soft_bounce", "mailboxfull")),
])
def test_more_provider_shapes(payload, expected):
    assert events(payload) == [expected]
