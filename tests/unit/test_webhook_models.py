"""Normalizers build MailEvents with `model_construct` (no validation on the hot path); this
test fully validates every event of every provider (corpus + our fixtures) so a wrong type, a
naive datetime or an out-of-vocabulary reason still fails."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from connectors.sources.files import iter_raw_messages
from pipeline.core import process
from pipeline.webhooks import registry
from schemas.models import MailEvent
from tests.conftest import corpus_root

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "webhooks"


def _events(paths):
    for raw in iter_raw_messages(paths):
        yield from process(raw).events


def _assert_valid(events) -> Counter:
    seen = Counter()
    for event in events:
        validated = MailEvent.model_validate(event.model_dump())
        assert validated == event, event
        assert event.occurred_at.tzinfo is not None and event.received_at.tzinfo is not None
        assert event.recipient is None or event.recipient == event.recipient.lower()
        seen[event.provider] += 1
    return seen


def test_fixture_events_validate():
    seen = _assert_valid(_events([FIXTURES]))
    assert set(seen) >= {"sendgrid", "mandrill", "kumomta", "mailersend"}


@pytest.mark.corpus
def test_every_provider_in_corpus_validates():
    root = corpus_root()
    if root is None:
        pytest.skip("shared corpus not found")
    dirs = [p for p in sorted((root / "webhooks").iterdir()) if p.is_dir() and p.name != "tables"]
    dirs += [p for p in sorted(FIXTURES.iterdir()) if p.is_dir()]  # providers the corpus lacks
    seen = _assert_valid(_events(dirs))
    assert set(seen) == set(registry.provider_names())


# Hostile values in every leaf of each provider's shape: events stay valid or become dead
# letters; nothing raises and nothing slips past the contract.
TEMPLATES = [
    [{"email": "a@x.com", "event": "bounce", "type": "bounce", "reason": "550 5.1.1 x",
      "status": "5.1.1", "sg_event_id": "e", "sg_message_id": "m", "timestamp": 1700000000,
      "category": ["c"], "smtp-id": "<i@x>", "asm_group_id": 1}],
    {"notificationType": "Bounce", "mail": {"messageId": "m", "source": "s@x.com",
                                            "commonHeaders": {"subject": "s"}},
     "bounce": {"bounceType": "Permanent", "bounceSubType": "General", "feedbackId": "f",
                "timestamp": "2026-01-01T00:00:00Z", "reportingMTA": "dns; x",
                "bouncedRecipients": [{"emailAddress": "a@x.com", "status": "5.1.1",
                                       "diagnosticCode": "smtp; 550 5.1.1 x"}]}},
    {"event-data": {"event": "failed", "severity": "permanent", "reason": "bounce", "id": "i",
                    "recipient": "a@x.com", "timestamp": 1.5, "log-level": "error",
                    "delivery-status": {"code": 550, "message": "m", "enhanced-code": "5.1.1"},
                    "message": {"headers": {"subject": "s", "message-id": "m"}},
                    "user-variables": {"k": "v"}, "tags": ["t"]}},
    {"RecordType": "Bounce", "ID": 1, "Type": "HardBounce", "Email": "a@x.com",
     "BouncedAt": "2026-01-01T00:00:00Z", "Details": "d", "Subject": "s", "Metadata": {"k": "v"}},
    [{"msys": {"message_event": {"type": "bounce", "bounce_class": "10", "rcpt_to": "a@x.com",
                                 "raw_reason": "550 5.1.1", "error_code": "550",
                                 "event_id": "1", "timestamp": "1700000000"}}}],
    {"event": "bounce", "time": 1, "MessageID": 1, "email": "a@x.com", "hard_bounce": True,
     "error_related_to": "recipient", "error": "user unknown", "smtp_reply": "550"},
    {"event": "hard_bounce", "email": "a@x.com", "ts_event": 1, "reason": "r", "tags": ["t"]},
    [{"event": "hard_bounce", "_id": "i", "ts": 1, "msg": {"email": "a@x.com", "diag": "550",
                                                          "metadata": {"k": "v"}}}],
    {"type": "email.bounced", "created_at": "2026-01-01T00:00:00Z",
     "data": {"to": ["a@x.com"], "bounce": {"type": "Permanent", "message": "m"},
              "tags": {"k": "v"}}},
    {"event": "MessageSent", "uuid": "u", "payload": {
        "status": "Sent", "output": "250", "message": {"token": "t", "direction": "outgoing",
                                                       "to": "a@x.com", "tag": "t"}}},
    {"type": "Bounce", "id": "i", "recipient": "a@x.com", "queue": "c:t@x.com",
     "timestamp": 1757675281, "bounce_classification": "Uncategorized", "meta": {"k": "v"},
     "response": {"code": 550, "content": "c", "enhanced_code":
                  {"class": 5, "subject": 1, "detail": 1}}},
]
TEMPLATES += [
    {"eventType": "Subscription", "mail": {"destination": ["a@x.com"]}, "subscription": {
        "contactList": "l", "timestamp": "2026-01-01T00:00:00Z", "newTopicPreferences": {
            "unsubscribeAll": False,
            "topicSubscriptionStatus": [{"topicName": "t", "subscriptionStatus": "OptOut"}]}}},
    [{"type": "blacklist", "action": "add", "ts": 1,
      "reject": {"email": "a@x.com", "reason": "hard-bounce", "detail": "d"}}],
    {"type": "OOB", "id": "i", "recipient": ["a@x.com"], "queue": "x.com",
     "feedback_report": None, "response": {"code": 550, "content": "says: 552 5.2.2 full"}},
    {"type": "Feedback", "id": "i", "recipient": "fbl@x.com", "queue": "x.com",
     "response": {"code": 250}, "feedback_report": {"feedback_type": "abuse",
                                                    "original_rcpto_to": ["<a@x.com>"]}},
]
HOSTILE = [None, 123, -1.5, True, [], {}, "", "x" * 300, ["a", 1], {"k": [1]}]


def _mutations(value, path=()):
    """Every (path, hostile value) replacement of a leaf."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _mutations(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _mutations(v, path + (i,))
    if path:
        for bad in HOSTILE:
            yield path, bad


def _replace(value, path, new):
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replace(value[head], rest, new)}
    return [(_replace(v, rest, new) if i == head else v) for i, v in enumerate(value)]


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: str(t)[:30])
def test_hostile_leaf_values_never_break_the_contract(template):
    import json

    from datetime import datetime, timezone

    from schemas.models import RawMessage, RawSource
    when = datetime(2026, 11, 23, tzinfo=timezone.utc)
    checked = 0
    for path, bad in _mutations(template):
        payload = json.dumps(_replace(template, path, bad)).encode()
        out = process(RawMessage.from_bytes(payload, RawSource(transport="memory"), when))
        assert out.events or out.dead_letters, (path, bad)
        for d in out.dead_letters:
            assert d.error_type in ("ParseError", "SchemaError", "NotSupported"), (path, bad,
                                                                                   d.reason)
            assert not d.reason.startswith("unexpected") and "internal error" not in d.reason
        _assert_valid(out.events)
        checked += 1
    assert checked > 20


def test_constructed_events_behave_like_validated_ones():
    import pydantic

    [event, *_] = list(_events([FIXTURES / "kumomta_batch_recipients_unclassified.json"]))
    with pytest.raises(pydantic.ValidationError):
        event.category = "other"  # frozen like any MailEvent
    again = MailEvent.model_validate_json(event.model_dump_json())
    assert again == event
    assert event.model_fields_set == set(MailEvent.model_fields)
