"""KumoMTA log records: record type first, bounce classification second, the shipped iana.toml
rules when a record carries no classification; batch recipients; Feedback complainants."""
from __future__ import annotations

import csv
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from pipeline.core import process
from pipeline.mta_log.kumomta import IANA_RULES, classify_response
from schemas.models import RawMessage, RawSource
from tests.conftest import corpus_root

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "webhooks"
WHEN = datetime(2026, 11, 23, tzinfo=timezone.utc)


def run(record: dict):
    raw = RawMessage.from_bytes(json.dumps(record).encode(), RawSource(transport="memory"), WHEN)
    return process(raw)


def record(rtype="Bounce", code=550, status=(5, 1, 1), content="no", cls="Uncategorized", **kw):
    enh = dict(zip(("class", "subject", "detail"), status)) if status else None
    return {"type": rtype, "id": "s1", "sender": "b@s.example", "recipient": "r@x.example",
            "queue": "x.example", "timestamp": 1757675281, "bounce_classification": cls,
            "response": {"code": code, "enhanced_code": enh, "content": content}, **kw}


def test_iana_rules_match_the_upstream_unit_test_cases():
    root = corpus_root()
    if root is None:
        pytest.skip("shared corpus not found")
    table = root / "webhooks" / "tables"
    with open(table / "kumomta_classifier_test_cases.csv") as f:
        for row in csv.DictReader(f):
            code, status, text = row["response_single_line"].split(" ", 2)
            assert classify_response(int(code), status, text) == row["expected_bounce_class"]
    with open(table / "kumomta_iana_rules.csv") as f:
        rules = [(r["bounce_class"], r["regex"]) for r in csv.DictReader(f)]
    assert [(c, rx.pattern) for c, rx in IANA_RULES] == rules


def test_first_match_semantics_4_5_3_is_protocol_error():
    assert classify_response(452, "4.5.3", "too many recipients") == "ProtocolErrors"


def test_batch_recipients_and_computed_classification():
    raw = RawMessage.from_bytes(
        (FIXTURES / "kumomta_batch_recipients_unclassified.json").read_bytes(),
        RawSource(transport="memory"), WHEN)
    out = process(raw)
    got = [(e.recipient_index, e.recipient, e.category, e.reason, e.rule) for e in out.events]
    assert got == [(0, "one@example.com", "hard_bounce", "userunknown",
                    "kumomta.Bounce.InvalidRecipient"),
                   (1, "two@example.com", "hard_bounce", "userunknown",
                    "kumomta.Bounce.InvalidRecipient")]
    e = out.events[0]
    assert (e.source_kind, e.parser, e.provider) == ("mta_log", "mta_log.kumomta", "kumomta")
    assert (e.tenant, e.campaign, e.stream, e.status, e.reply_code) == (
        "acme", "spring", "pool0", "5.1.1", 550)
    assert len({ev.event_id for ev in out.events}) == 2


@pytest.mark.parametrize("rec,category", [
    (record(cls="QuotaIssues", code=552, status=(5, 2, 2)), "soft_bounce"),
    (record(cls="AuthenticationFailed", status=(5, 7, 26)), "auth_failure"),
    (record(), "hard_bounce"),                                           # 550 5.1.1 computed
    (record(code=554, status=(5, 0, 0)), "hard_bounce"),                 # Uncategorized Bounce
    (record("TransientFailure", 550, (5, 1, 1), cls="InvalidRecipient"), "soft_bounce"),
    (record("Expiration", 551, (5, 4, 7)), "soft_bounce"),
    (record("AdminBounce", 551, (5, 7, 1)), "other"),
    (record("Rejection", 550, (5, 7, 1)), "other"),
    (record("OOB", 450, (4, 0, 0)), "soft_bounce"),
    (record("OOB", 550, (5, 0, 0)), "hard_bounce"),
    (record("Delivery", 250, (2, 0, 0)), "delivered"),
    (record("Reception", 250, None), "other"),
    (record("Delayed", 250, None), "other"),
])
def test_record_type_then_classification(rec, category):
    assert [e.category for e in run(rec).events] == [category]


@pytest.mark.parametrize("ftype,category", [("abuse", "complaint"), ("auth-failure",
                                            "auth_failure"), ("not-spam", "other")])
def test_feedback_recipient_is_the_complainant_not_the_fbl_mailbox(ftype, category):
    rec = record("Feedback", 250, None, recipient="fbl@kumo.example",
                 feedback_report={"feedback_type": ftype, "original_rcpto_to": ["<U@x.example>"]})
    [e] = run(rec).events
    assert (e.recipient, e.category, e.feedback_type) == ("u@x.example", category, ftype)
    rec["feedback_report"] = {"feedback_type": ftype,
                              "extensions": {"removal-recipient": ["v@x.example"]}}
    assert [e.recipient for e in run(rec).events] == ["v@x.example"]


def test_unknown_record_type_is_other_with_its_rule_never_a_dead_letter():
    """kumod adds record types; a well-formed record of a new type is kept as `other` (it
    proves nothing about the recipient) with a rule naming the type."""
    out = run(record("SomethingNew"))
    assert out.dead_letters == []
    assert [(e.category, e.rule, e.recipient) for e in out.events] == [
        ("other", "kumomta.unknown_type.SomethingNew", "r@x.example")]
    # a JSON object that is not a log record at all is still not supported
    bare = {"type": "SomethingNew", "id": "s1"}
    assert run(bare).dead_letters[0].error_type == "NotSupported"
