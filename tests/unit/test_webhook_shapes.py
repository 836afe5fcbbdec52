"""Provider shapes beyond the webhook payloads of the corpus (issue #15 item 3): KumoMTA
Feedback records, text over code for a full mailbox, Postmark's legacy hooks and API pages,
SparkPost Events API pages and single events, bare SES detail objects. And hostile batches
(issue #21): one bad item never takes its batch down, wrong JSON types are schema errors naming
the field, a bounce naming nobody is a dead letter."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from pipeline.core import process
from schemas.models import RawMessage, RawSource
from tests.conftest import REPO

FIXTURES = REPO / "tests" / "fixtures" / "webhooks"
WHEN = datetime(2026, 11, 23, tzinfo=timezone.utc)


def _process(payload: bytes | dict | list, hint: str | None = None):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return process(RawMessage.from_bytes(body, RawSource(transport="memory"), WHEN,
                                         provider_hint=hint))


def _rows(outcome):
    return [(e.provider, e.category, e.reason, e.recipient) for e in outcome.events]


EXPECTED = {
    "kumomta/docs_feedback_record.json": [("kumomta", "complaint", "feedback", "user@example.com")],
    "kumomta/constructed_oob_over_quota.json": [
        ("kumomta", "soft_bounce", "mailboxfull", "recipient@domain.com")],
    "postmark/legacy_bounce_hook.json": [("postmark", "hard_bounce", "userunknown",
                                          "john@example.com")],
    "postmark/legacy_delivery_hook.json": [("postmark", "delivered", "delivered",
                                            "john@example.com")],
    "postmark/constructed_legacy_open_hook.json": [("postmark", "engagement", "open",
                                                    "john@example.com")],
    "postmark/bounces_api_page.json": [
        ("postmark", "hard_bounce", "userunknown", "john.appleseed@example.com"),
        ("postmark", "soft_bounce", "expired", "jane@example.com")],
    "mailgun/constructed_events_api_page.json": [
        ("mailgun", "hard_bounce", "userunknown", "nobody@example.com"),
        ("mailgun", "delivered", "delivered", "john@example.com")],
    "sparkpost/constructed_events_api_page.json": [
        ("sparkpost", "hard_bounce", "userunknown", "recipient@example.com"),
        ("sparkpost", "delivered", "delivered", "other@example.com")],
    "sparkpost/constructed_single_event_object.json": [
        ("sparkpost", "soft_bounce", "mailboxfull", "full@example.com")],
    "amazon_ses/constructed_bare_bounce_object.json": [
        ("amazon_ses", "hard_bounce", "userunknown", "jane@example.com")],
    "amazon_ses/constructed_bare_complaint_object.json": [
        ("amazon_ses", "complaint", "feedback", "richard@example.com")],
    "amazon_ses/constructed_bare_delivery_object.json": [
        ("amazon_ses", "delivered", "delivered", "success@simulator.amazonses.com")],
    "amazon_ses/constructed_bounce_notification_without_mail.json": [
        ("amazon_ses", "soft_bounce", "mailboxfull", "full@example.com")],
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_shape_outcomes(name):
    outcome = _process((FIXTURES / name).read_bytes())
    assert [d.reason for d in outcome.dead_letters] == []
    assert _rows(outcome) == EXPECTED[name]


def test_kumomta_feedback_keeps_the_arf_fields():
    [event] = _process((FIXTURES / "kumomta/docs_feedback_record.json").read_bytes()).events
    assert (event.feedback_type, event.sender, event.reporting_mta, event.message_id,
            event.subject, event.source_kind) == (
        "abuse", "somesender@example.net", "mail.example.com",
        "8787KJKJ3K4J3K4J3K4J3.mail@example.net", "Earn money", "mta_log")
    assert event.tags["arf_source_ip"] == "192.0.2.1"
    assert event.tags["arf_reported_domain"] == "example.net"
    assert event.occurred_at == datetime(2005, 3, 8, 18, tzinfo=timezone.utc)


@pytest.mark.parametrize("ftype,expected", [("auth-failure", ("auth_failure", "authfailure")),
                                            ("not-spam", ("other", None)),
                                            ("fraud", ("complaint", "feedback"))])
def test_kumomta_feedback_types(ftype, expected):
    record = {"type": "Feedback", "feedback_report": {"feedback_type": ftype,
                                                      "original_rcpto_to": ["u@example.com"]}}
    [event] = _process(record).events
    assert (event.category, event.reason) == expected


@pytest.mark.parametrize("content,code,status", [
    ("<recipient@domain.com> rejected: over quota", 552, (5, 0, 0)),
    ("<r@domain.com>: mailbox is full", 550, (5, 1, 1)),  # text over a user-unknown code
    ("Quota exceeded (mailbox for user is full)", 552, None),
])
def test_kumomta_mailbox_full_text_wins_over_the_code(content, code, status):
    response = {"code": code, "content": content}
    if status:
        response["enhanced_code"] = dict(zip(("class", "subject", "detail"), status))
    record = {"type": "OOB", "id": "x1", "queue": "domain.com", "recipient": "r@domain.com",
              "response": response}
    [event] = _process(record).events
    assert (event.category, event.reason) == ("soft_bounce", "mailboxfull")


def test_ses_event_publishing_and_notification_name_the_same_kinds():
    bounce = {"bounceType": "Permanent", "bounceSubType": "NoEmail",
              "bouncedRecipients": [{"emailAddress": "u@example.com"}]}
    mail = {"messageId": "m1", "destination": ["u@example.com"], "source": "s@example.com"}
    published = _process({"eventType": "Bounce", "mail": mail, "bounce": bounce})
    notified = _process({"notificationType": "Bounce", "mail": mail, "bounce": bounce})
    bare = _process({"bounce": bounce})
    assert _rows(published) == _rows(notified) == _rows(bare) == [
        ("amazon_ses", "hard_bounce", "userunknown", "u@example.com")]


def test_sparkpost_event_list_without_msys_and_empty_results_page():
    event = {"type": "delay", "bounce_class": "22", "event_id": "1", "rcpt_to": "r@x.com",
             "raw_reason": "452 4.2.2 mailbox full"}
    assert _rows(_process([event])) == [("sparkpost", "soft_bounce", "mailboxfull", "r@x.com")]
    empty = _process({"results": [], "total_count": 0, "links": {}}, hint="sparkpost")
    assert (empty.events, empty.dead_letters) == ([], [])


# --- issue #21: hostile batches ---------------------------------------------------------------
GOOD = {"event": "bounce", "email": "a@x.com", "sg_event_id": "e1", "timestamp": 1700000000,
        "reason": "550 5.1.1 unknown", "type": "bounce"}


def test_deeply_nested_item_is_one_dead_letter_and_its_batch_survives():
    deep = "[" * 1000 + "]" * 1000
    bad = json.dumps({**GOOD, "sg_event_id": "e2", "email": "b@x.com"})[:-1] + \
        f', "category": {deep}}}'
    third = json.dumps({**GOOD, "sg_event_id": "e3", "email": "c@x.com"})
    outcome = _process(f"[{json.dumps(GOOD)}, {bad}, {third}]".encode())
    assert [e.recipient for e in outcome.events] == ["a@x.com", "c@x.com"]
    [dead] = outcome.dead_letters
    assert (dead.error_type, dead.raw_index, dead.stage) == ("LimitExceeded", 1, "limits")
    assert "nested too deeply" in dead.reason


@pytest.mark.parametrize("document,field", [
    ({"eventType": "Send", "mail": {"destination": "abc@example.com", "messageId": "m"},
      "send": {}}, "mail.destination is a string, expected an array"),
    ({"notificationType": "Delivery", "mail": {"destination": ["u@example.com"]},
      "delivery": {"recipients": "u@example.com", "smtpResponse": "250 ok"}},
     "delivery.recipients is a string, expected an array"),
    ({"notificationType": "Bounce", "mail": {}, "bounce": {"bounceType": "Permanent",
                                                           "bouncedRecipients": "u@x.com"}},
     "bounce.bouncedRecipients is a string, expected an array"),
    ({"notificationType": "Bounce", "mail": "m", "bounce": {}},
     "mail is a string, expected an object"),
])
def test_wrong_json_types_are_schema_errors_naming_the_field(document, field):
    outcome = _process(document)
    assert outcome.events == []  # never one event per character
    [dead] = outcome.dead_letters
    assert dead.error_type == "SchemaError"
    assert dead.reason == f"amazon_ses event 0: {field}"


@pytest.mark.parametrize("recipients", [[], [{}], [{"emailAddress": None}],
                                        [{"emailAddress": ""}, {"status": "5.1.1"}]])
def test_ses_bounce_without_a_usable_recipient_is_a_dead_letter(recipients):
    outcome = _process({"notificationType": "Bounce", "mail": {"destination": []},
                        "bounce": {"bounceType": "Permanent", "bounceSubType": "General",
                                   "bouncedRecipients": recipients}})
    assert outcome.events == []
    [dead] = outcome.dead_letters
    assert dead.error_type == "SchemaError" and "bouncedRecipients" in dead.reason


def test_bounce_from_any_provider_without_a_recipient_is_a_dead_letter():
    outcome = _process([GOOD, {**GOOD, "sg_event_id": "e2", "email": None}])
    assert [e.recipient for e in outcome.events] == ["a@x.com"]
    [dead] = outcome.dead_letters
    assert (dead.error_type, dead.raw_index) == ("SchemaError", 1)
    assert "names no usable recipient address (got null)" in dead.reason


@pytest.mark.parametrize("item,reason", [
    ({"event-data": {"event": "delivered", "recipient": "r@x.com", "message": "x"}},
     "mailgun event 0: message is a string, expected an object"),
    ({"event-data": {"event": "delivered", "recipient": "r@x.com",
                     "message": {"headers": [1]}}},
     "mailgun event 0: message.headers is an array, expected an object"),
    ({"RecordType": "Bounce", "Email": "r@x.com", "Type": ["HardBounce"]},
     "postmark event 0: Type is an array, expected a string"),
    ({"type": "Feedback", "feedback_report": {"feedback_type": "abuse"}, "id": "1",
      "queue": "q", "meta": "tenant"}, "kumomta event 0: meta is a string, expected an object"),
])
def test_malformed_reasons_are_typed_and_name_the_field(item, reason):
    [dead] = _process(item).dead_letters
    assert (dead.error_type, dead.reason) == ("SchemaError", reason)


def test_untyped_failures_still_explain_themselves():
    """A wrong type no accessor checks still gives a typed reason with the code that failed."""
    item = {"type": "email.failed", "created_at": "2026-01-01T00:00:00Z",
            "data": {"to": ["r@x.com"], "failed": {"reason": ["list"]}, "tags": 5}}
    outcome = _process(item)
    for dead in outcome.dead_letters:
        assert dead.error_type in ("SchemaError", "ParseError")
        assert not dead.reason.startswith("unexpected") and "malformed" not in dead.reason
