"""Webhook normalizers through the core: shapes, quirks, ids, tags and dead letters.
Fixtures: tests/fixtures/webhooks/ (ours) and small inline payloads."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from pipeline.core import process
from pipeline.sniff import sniff
from pipeline.webhooks import registry
from schemas.models import RawMessage, RawSource

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "webhooks"
WHEN = datetime(2026, 11, 23, tzinfo=timezone.utc)


def run(payload, **raw_fields):
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    raw = RawMessage.from_bytes(data, RawSource(transport="memory", path="t"), WHEN, **raw_fields)
    return process(raw)


def test_sendgrid_crlf_batch_with_bad_item():
    out = run((FIXTURES / "sendgrid_crlf_batch_with_bad_item.json").read_bytes())
    got = [(e.raw_index, e.recipient, e.category, e.reason) for e in out.events]
    assert got == [
        (0, "a@example.com", "soft_bounce", "mailboxfull"),  # Mailbox Unavailable + 5.2.2
        (1, "b@example.com", "complaint", "feedback"),       # dropped: Spam Reporting Address
        (2, "c@example.com", "hard_bounce", "userunknown"),
        (4, "d@example.com", "other", None),                 # unknown event name: kept, other
    ]
    [dead] = out.dead_letters
    assert dead.raw_index == 3 and "not a sendgrid event" in dead.reason
    first = out.events[0]
    assert first.stream == "newsletter,weekly" and first.tenant == "acme"
    assert first.tags["customer_id"] == "42" and first.provider_message_id == "m-1.filter"
    assert (first.status, first.reply_code, first.parser) == ("5.2.2", 552, "webhook.sendgrid")
    assert first.occurred_at == datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc)


def test_sendgrid_event_ids_survive_redelivery_in_another_batch():
    item = {"email": "x@example.com", "event": "delivered", "sg_event_id": "E1",
            "timestamp": 1700000000}
    alone = run([item]).events[0]
    batched = run([{**item, "sg_event_id": "E0"}, item]).events[1]
    assert alone.event_id == batched.event_id and alone.raw_sha256 != batched.raw_sha256
    assert run([item]).events[0].event_id == alone.event_id  # deterministic


def test_mandrill_form_body_through_sniff_and_core():
    body = (FIXTURES / "mandrill_form_encoded_two_events.form").read_bytes()
    assert sniff(body) == "form"
    out = run(body)
    got = [(e.recipient, e.category, e.reason, e.reply_code, e.tenant) for e in out.events]
    assert got == [("gone@example.com", "hard_bounce", "userunknown", 550, "acme"),
                   ("full@example.com", "soft_bounce", "mailboxfull", 552, None)]
    assert out.events[0].provider == "mandrill" and out.events[0].stream == "weekly"
    assert run(b"mandrill_events=%5B%5D").events == []          # Mandrill's test ping
    assert run(b"mandrill_events=%5Bnope").dead_letters[0].error_type == "ParseError"


def test_ses_sns_wrapped_multi_recipient_bounce():
    message = {"notificationType": "Bounce", "mail": {"messageId": "ses-1", "source": "S@x.com",
                                                      "tags": {"ses:configuration-set": ["cs"]}},
               "bounce": {"bounceType": "Permanent", "bounceSubType": "NoEmail",
                          "feedbackId": "fb-1", "timestamp": "2026-01-02T03:04:05.678Z",
                          "bouncedRecipients": [{"emailAddress": "A@x.com"},
                                                {"emailAddress": "b@x.com", "status": "5.2.2",
                                                 "diagnosticCode": "smtp; 552 5.2.2 full"}]}}
    envelope = {"Type": "Notification", "MessageId": "sns-1", "TopicArn": "arn:t",
                "Message": json.dumps(message), "Timestamp": "2026-01-02T03:04:06Z"}
    out = run(envelope)
    got = [(e.recipient_index, e.recipient, e.category, e.reason, e.status, e.reply_code)
           for e in out.events]
    # The second recipient's own reply says its mailbox is full (5.2.2): the DSN engine
    # re-checks SES's NoEmail (a userunknown Sisimai re-checks) and policy 3 makes it soft.
    assert got == [(0, "a@x.com", "hard_bounce", "userunknown", None, None),
                   (1, "b@x.com", "soft_bounce", "mailboxfull", "5.2.2", 552)]
    assert {e.stream for e in out.events} == {"cs"}
    assert out.events[0].provider_message_id == "ses-1" and out.events[0].sender == "s@x.com"
    # the bare SES document gives the same event ids (dedup across SNS / direct delivery)
    assert [e.event_id for e in run(message).events] == [e.event_id for e in out.events]


@pytest.mark.parametrize("btype,sub,category", [
    ("Undetermined", "Undetermined", "soft_bounce"), ("Transient", "MailboxFull", "soft_bounce"),
    ("Permanent", "OnAccountSuppressionList", "hard_bounce"), ("Weird", "X", "soft_bounce"),
])
def test_ses_bounce_types_table(btype, sub, category):
    doc = {"eventType": "Bounce", "mail": {}, "bounce": {
        "bounceType": btype, "bounceSubType": sub, "bouncedRecipients": [{"emailAddress": "r@x"}]}}
    assert [e.category for e in run(doc).events] == [category]


def test_ses_complaint_feedback_types():
    def cat(ftype):
        c = {"complainedRecipients": [{"emailAddress": "r@x.com"}]}
        if ftype:
            c["complaintFeedbackType"] = ftype
        return run({"notificationType": "Complaint", "mail": {}, "complaint": c}).events[0]
    assert (cat(None).category, cat(None).feedback_type) == ("complaint", None)
    assert cat("auth-failure").category == "auth_failure"
    assert cat("not-spam").category == "other"


def test_mailgun_suppress_reasons_and_user_variables():
    data = {"event": "failed", "severity": "permanent", "reason": "suppress-unsubscribe",
            "recipient": "u@x.com", "id": "mg1", "timestamp": 1700000000.5,
            "log-level": "error", "delivery-status": {"code": 605, "message": ""},
            "user-variables": {"tenant": "acme", "plan": "pro"}, "tags": ["t1"]}
    [e] = run({"signature": {}, "event-data": data}).events
    assert (e.category, e.reason, e.reply_code, e.tenant) == ("unsubscribe", "unsubscribe",
                                                              None, "acme")
    assert e.tags == {"v:tenant": "acme", "v:plan": "pro", "tags": "t1"} and e.stream == "t1"


def test_provider_hint_overrides_detection_and_refuses_mismatch():
    brevo_like = {"event": "hard_bounce", "email": "r@x.com", "ts_event": 1700000000}
    assert [e.provider for e in run(brevo_like).events] == ["brevo"]
    assert [e.provider for e in run(brevo_like, provider_hint="sendinblue").events] == ["brevo"]
    out = run(brevo_like, provider_hint="postmark")
    assert out.events == [] and "not a postmark event" in out.dead_letters[0].reason


@pytest.mark.parametrize("payload,error_type,needle", [
    (b"{", "ParseError", "invalid JSON"),
    (b'{"foo": 1}', "NotSupported", "not supported"),
    (b"[]", "NotSupported", "not supported"),
    (b"[1, 2]", "NotSupported", "not supported"),
    (b"mandrill_events=", "ParseError", "not valid JSON"),
])
def test_bad_input_becomes_dead_letter(payload, error_type, needle):
    out = run(payload)
    assert out.events == []
    [dead] = out.dead_letters
    assert dead.error_type == error_type and needle in dead.reason


def test_malformed_item_fields_are_dead_letters_not_crashes():
    out = run([{"msys": {"message_event": {"type": "bounce", "bounce_class": "10",
                                           "rcpt_to": "a@x.com"}}},
               {"msys": {"message_event": "oops"}}])
    assert [(e.raw_index, e.category) for e in out.events] == [(0, "hard_bounce"), (1, "other")]
    # an SNS message SES did not write (e.g. the SNS docs' "Hello world!") is kept as other
    ses = run({"Type": "Notification", "MessageId": "1", "TopicArn": "t", "Message": "{not",
               "Subject": "My First Message"})
    assert [(e.category, e.rule, e.subject) for e in ses.events] == [
        ("other", "ses.sns_not_ses", "My First Message")]


def test_batch_size_limit():
    from pipeline.settings import Limits, Settings
    raw = RawMessage.from_bytes(json.dumps([{"msys": {}}] * 3).encode(),
                                RawSource(transport="memory"), WHEN)
    out = process(raw, Settings(limits=Limits(max_json_events=2)))
    assert out.dead_letters[0].error_type == "LimitExceeded"


def test_registry_names_and_aliases():
    names = registry.provider_names()
    # Unique-key shapes first; the generic {"event", "email"} shapes last, told apart by keys.
    assert names[:4] == ["amazon_ses", "kumomta", "postmark", "sparkpost"]
    assert names[-4:] == ["mailjet", "sendgrid", "brevo", "postal"]
    for alias, name in (("ses", "amazon_ses"), ("SNS", "amazon_ses"), ("mailchimp", "mandrill"),
                        ("Amazon-SES", "amazon_ses"), ("kumo", "kumomta")):
        assert registry.provider_for(alias).NAME == name
    assert registry.provider_for("nosuch") is None


@pytest.mark.parametrize("payload,family", [
    (b"event=bounced&recipient=a%40example.com&code=550", "form"),
    (b"mandrill_events=%5B%5D", "form"),
    (b'--b1\r\nContent-Disposition: form-data; name="event"\r\n\r\nbounced\r\n--b1--\r\n', "form"),
    (b"Received: from mx.example.com\r\nSubject: x\r\n\r\nbody", "email"),
    (b"From: a@example.com\nSubject: a=b&c=d\n\nbody", "email"),
])
def test_flat_form_bodies_sniff_as_form_and_headers_do_not(payload, family):
    assert sniff(payload) == family


def test_flat_form_that_is_no_providers_hook_is_not_supported():
    out = run(b"a=1&b=2&c=3")
    assert out.events == [] and out.dead_letters[0].error_type == "NotSupported"
    # the same fields as a Mailgun legacy hook are one event
    [event] = run(b"event=complained&recipient=u%40example.com&domain=example.com"
                  b"&timestamp=1461261330&token=t1").events
    assert (event.provider, event.category, event.provider_event_id) == (
        "mailgun", "complaint", "t1")


@pytest.mark.parametrize("code,category", [(1, "hard_bounce"), (4096, "soft_bounce"),
                                           (16, "unsubscribe"), (100009, "auth_failure"),
                                           (64, "other")])
def test_postmark_bounce_with_only_a_type_code_uses_the_type_table(code, category):
    [event] = run({"RecordType": "Bounce", "TypeCode": code, "Email": "a@example.com",
                   "MessageID": "m1"}).events
    assert event.category == category


@pytest.mark.parametrize("item", [
    {"event-data": {"event": "opened", "recipient": "r@example.com", "tags": "welcome"}},
    [{"event": "open", "msg": {"email": "r@example.com", "tags": "welcome"}, "ts": 1}],
    [{"msys": {"track_event": {"type": "open", "rcpt_to": "r@example.com", "event_id": "1",
                               "rcpt_tags": "welcome"}}}],
])
def test_a_single_tag_given_as_a_string_is_one_tag_not_a_dead_letter(item):
    out = run(item)
    assert out.dead_letters == []
    [event] = out.events
    assert event.category == "engagement" and "welcome" in event.tags.values()
