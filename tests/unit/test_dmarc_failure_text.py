"""Plain-text DMARC failure notices (issue #15 item 5): Exim's / cPanel's "DMARC Forensic
Report" has no message/feedback-report part; it lands as a dmarc_failure row and an
auth_failure event, as parsedmarc lands it as a forensic report."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from pipeline.core import process
from schemas.dmarc import DmarcFailureRow
from schemas.models import RawMessage, RawSource

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "dmarc"


def _process(payload: bytes):
    return process(RawMessage.from_bytes(payload, RawSource(transport="file", path="ruf.eml")))


@pytest.mark.parametrize("name,expected", [
    ("parsedmarc_exim_plain_text_only_no_arf_part.eml", {
        "reported_domain": "example.com", "source_ip": "203.0.113.68",
        "arrival_date": datetime(2025, 4, 7, 21, 16, 9, tzinfo=timezone.utc),
        "auth_failure": ["dmarc"], "identity_alignment": [], "delivery_result": "delivered",
        "sample_from": "user@example.com", "sample_to": "user@example.com",
        "sample_subject": "Payment from your account.",
        "sample_message_id": "<134117F8-2145-AECE-9CCA-25FC98731341@example.com>",
        "feedback_type": "auth-failure", "is_arf": False, "sample_headers_only": True}),
    ("constructed_exim_moan_dmarc_forensic.eml", {
        "reported_domain": "example.org", "source_ip": "198.51.100.23",
        "arrival_date": datetime(2023, 11, 14, 9, 12, 44, tzinfo=timezone.utc),
        "identity_alignment": ["dkim"], "delivery_result": "reject",
        "sample_to": "customer@receiver.example",
        "authentication_results": "mx1.receiver.example; spf=fail smtp.mailfrom=example.org; "
                                  "dkim=pass header.d=example.org; dmarc=fail "
                                  "header.from=example.org"}),
])
def test_plain_text_notice_lands_as_a_failure_row(name, expected):
    outcome = _process((FIXTURES / name).read_bytes())
    assert outcome.dead_letters == []
    [row] = outcome.rows["dmarc_failure"]
    DmarcFailureRow.model_validate(row)
    assert {k: row[k] for k in expected} == expected
    assert row["sample_body"] is None and row["original_headers"].startswith("Received:")
    [event] = outcome.events
    assert (event.category, event.reason, event.rule, event.source_kind) == (
        "auth_failure", "authfailure", "dmarc.failure.plain_text", "dmarc_failure")
    assert event.recipient == expected.get("sample_to")


def test_notice_quoted_as_crlf_and_single_part_is_the_same_row():
    lf = (FIXTURES / "constructed_exim_moan_dmarc_forensic.eml").read_bytes()
    crlf = lf.replace(b"\n", b"\r\n")
    a, b = _process(lf).rows["dmarc_failure"][0], _process(crlf).rows["dmarc_failure"][0]
    assert {k: a[k] for k in ("row_id", "source_ip", "arrival_date", "identity_alignment")} == \
        {k: b[k] for k in ("row_id", "source_ip", "arrival_date", "identity_alignment")}


@pytest.mark.parametrize("body", [
    # Talks about DMARC, carries no report fields: not a failure report
    b"Subject: Our DMARC policy changes\nFrom: it@example.com\nTo: all@example.com\n\n"
    b"We will publish p=reject next week. The DMARC failure report address changes too.\n",
    # A notice whose feedback type is not auth-failure
    b"Subject: DMARC failure report\nFrom: r@example.net\nTo: d@example.com\n\n"
    b"Feedback-Type: abuse\nReported-Domain: example.com\nSource-IP: 192.0.2.1\n",
])
def test_prose_about_dmarc_is_not_a_failure_report(body):
    outcome = _process(body)
    assert "dmarc_failure" not in outcome.rows
    assert [e.category for e in outcome.events if e.category == "auth_failure"] == []
