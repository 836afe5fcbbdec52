"""DMARC failure (ruf) reports: fields, UTC arrival dates, redaction, ARF vs non-ARF events."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from pipeline.core import parse_email, process
from pipeline.dmarc.failure import parse_date, parse_failure
from pipeline.settings import Settings
from schemas.dmarc import DmarcFailureRow
from schemas.models import RawMessage, RawSource

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "dmarc"
ARF = (FIXTURES / "arf_auth_failure_edt_arrival.eml").read_bytes()
NON_ARF = (FIXTURES / "non_arf_base64_feedback_part.eml").read_bytes()


def failure_row(payload: bytes, redact: bool = True) -> dict:
    report = parse_failure(parse_email(payload), {"raw_sha256": "s"}, redact)
    assert report is not None
    return report.row


def test_arf_failure_report_fields() -> None:
    row = failure_row(ARF)
    assert row["feedback_type"] == "auth-failure" and row["is_arf"] is True
    # EDT = UTC-4: "Mon, 29 Apr 2019 22:09:00 EDT" is 02:09 UTC the next day.
    assert row["arrival_date"] == datetime(2019, 4, 30, 2, 9, tzinfo=timezone.utc)
    assert row["arrival_date_raw"] == "Mon, 29 Apr 2019 22:09:00 EDT"
    assert row["source_ip"] == "192.0.2.44"  # the "(host name)" comment is dropped
    assert row["auth_failure"] == ["dkim", "spf"]
    assert row["identity_alignment"] == []  # "none"
    assert (row["delivery_result"], row["reported_domain"]) == ("reject", "example.com")
    assert row["original_mail_from"] == "<bounce@mail.example.com>"
    assert row["original_rcpt_to"] == "<alice@receiver.example>"
    assert (row["dkim_domain"], row["dkim_selector"]) == ("mail.example.com", "s2019")
    assert row["sample_subject"] == "Caf\u00e9 offers"
    assert (row["sample_from"], row["sample_to"]) == ("news@example.com",
                                                      "alice@receiver.example")
    assert row["sample_message_id"] == "<orig-77@mail.example.com>"
    assert row["sample_headers_only"] is False
    assert "Subject: =?utf-8?q?Caf=C3=A9_offers?=" in row["original_headers"]
    DmarcFailureRow.model_validate(row)


def test_sample_body_is_redacted_by_default_and_kept_on_request() -> None:
    assert failure_row(ARF)["sample_body"] is None
    assert failure_row(ARF)["body_redacted"] is True
    kept = failure_row(ARF, redact=False)
    assert "account number is 1234" in kept["sample_body"] and kept["body_redacted"] is False
    assert kept["row_id"] == failure_row(ARF)["row_id"]


def test_arf_failure_adds_rows_and_leaves_the_event_to_the_arf_handler() -> None:
    from pipeline.dmarc.handlers import handle_failure

    raw = RawMessage.from_bytes(ARF, RawSource(transport="memory"))
    out = handle_failure(raw, parse_email(ARF), Settings())
    assert out.final is False and out.events == []
    assert [r["source_ip"] for r in out.rows["dmarc_failure"]] == ["192.0.2.44"]
    merged = process(raw)  # whatever the ARF handler adds, our row is there once
    assert [r["row_id"] for r in merged.rows["dmarc_failure"]] == [
        out.rows["dmarc_failure"][0]["row_id"]]


def test_non_arf_failure_report_emits_its_auth_failure_event() -> None:
    raw = RawMessage.from_bytes(NON_ARF, RawSource(transport="memory", path="ruf.eml"))
    out = process(raw)
    assert out.final is True and not out.dead_letters
    (row,) = out.rows["dmarc_failure"]
    assert row["is_arf"] is False
    assert row["arrival_date"] == datetime(2018, 9, 28, 8, 48, 42, tzinfo=timezone.utc)
    assert row["identity_alignment"] == ["spf", "dkim"]
    assert row["sample_headers_only"] is True
    (event,) = out.events
    assert (event.category, event.reason, event.source_kind) == \
        ("auth_failure", "authfailure", "dmarc_failure")
    assert event.recipient == "tenant@reporter.example"
    assert (event.sender, event.sender_domain) == ("bounces@esp.example", "esp.example")
    assert event.occurred_at == row["arrival_date"]
    assert event.rule == "dmarc.failure.non_arf" and event.source == "ruf.eml"


def test_abuse_feedback_report_is_not_a_dmarc_failure() -> None:
    abuse = ARF.replace(b"Feedback-Type: auth-failure", b"Feedback-Type: abuse")
    assert parse_failure(parse_email(abuse), {}) is None


@pytest.mark.parametrize("text,expected", [
    ("Tue, 30 Apr 2019 02:09:00 +0000", datetime(2019, 4, 30, 2, 9, tzinfo=timezone.utc)),
    ("8 Oct 2011 20:15:58 +0000 (GMT)", datetime(2011, 10, 8, 20, 15, 58, tzinfo=timezone.utc)),
    ("Mon, 29 Apr 2019 22:09:00 PDT", datetime(2019, 4, 30, 5, 9, tzinfo=timezone.utc)),
    ("Mon, 29 Apr 2019 22:09:00 CEST", datetime(2019, 4, 29, 20, 9, tzinfo=timezone.utc)),
    ("2019-04-29T22:09:00+02:00", datetime(2019, 4, 29, 20, 9, tzinfo=timezone.utc)),
    ("not a date", None),
])
def test_arrival_dates_are_utc(text: str, expected: datetime | None) -> None:
    assert parse_date(text) == expected


def test_failure_type_pre_test_gives_the_parse_answers():
    """parse_failure skips the field parse when the feedback part's text holds no failure
    feedback type: every email with a feedback part (fixtures, corpus) gets the answer the
    full parse gives, and the pre-test is what decides for the abuse complaints."""
    from pipeline.dmarc import failure
    from tests.conftest import corpus_root

    def by_full_parse(msg):
        part = failure.feedback_part(msg)
        if part is None:
            return None
        fields = failure.feedback_fields(part)
        kind = (failure._first(fields, "Feedback-Type") or "").lower() or None
        return kind in failure.FAILURE_FEEDBACK_TYPES

    roots = [FIXTURES.parent]
    corpus = corpus_root()
    if corpus is not None:
        roots += [corpus / "bounces", corpus / "dmarc"]
    seen = {True: 0, False: 0}
    for root in roots:
        for path in sorted(root.rglob("*.eml")):
            msg = parse_email(path.read_bytes())
            want = by_full_parse(msg)
            if want is None:
                continue
            got = parse_failure(msg, {"raw_sha256": "s", "received_at": datetime(
                2026, 1, 1, tzinfo=timezone.utc)})
            assert (got is not None) is want, path
            seen[want] += 1
    assert seen[True] >= 2 and seen[False] >= (5 if corpus is not None else 0)
