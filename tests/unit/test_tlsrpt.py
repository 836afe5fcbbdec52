"""SMTP TLS reports (RFC 8460): JSON, gzip, email-wrapped, one row per policy x detail."""
from __future__ import annotations

import email.mime.application
import email.mime.multipart
import gzip
from datetime import datetime, timezone

import orjson
import pytest

from pipeline.core import process
from pipeline.dmarc import parse_report
from pipeline.dmarc.api import context_of
from pipeline.errors import ParseError
from schemas.dmarc import TlsReportRow
from schemas.models import RawMessage, RawSource

REPORT = {
    "organization-name": "Company-X",
    "date-range": {"start-datetime": "2016-04-01T00:00:00Z",
                   "end-datetime": "2016-04-01T23:59:59Z"},
    "contact-info": "sts-reporting@company-x.example",
    "report-id": "5065427c-23d3",
    "policies": [
        {"policy": {"policy-type": "sts", "policy-string": ["version: STSv1", "mode: testing"],
                    "policy-domain": "company-y.example", "mx-host": ["*.mail.company-y.example"]},
         "summary": {"total-successful-session-count": 5326, "total-failure-session-count": 303},
         "failure-details": [
             {"result-type": "certificate-expired", "sending-mta-ip": "2001:db8:abcd:0012::1",
              "receiving-mx-hostname": "mx1.mail.company-y.example",
              "failed-session-count": 100},
             {"result-type": "starttls-not-supported", "sending-mta-ip": "2001:db8:abcd:0013::1",
              "receiving-mx-hostname": "mx2.mail.company-y.example",
              "receiving-ip": "203.0.113.56", "failed-session-count": 200,
              "additional-information": "https://reports.company-x.example/x"}]},
        {"policy": {"policy-type": "no-policy-found", "policy-domain": "company-z.example",
                    "mx-host": "mx.company-z.example"},
         "summary": {"total-successful-session-count": 9, "total-failure-session-count": 0}},
    ],
}


def tls_rows(payload: bytes) -> list[dict]:
    return parse_report(payload, context=context_of("sha")).tls


def test_one_row_per_policy_and_failure_detail() -> None:
    rows = tls_rows(orjson.dumps(REPORT))
    assert [(r["policy_index"], r["detail_index"], r["result_type"]) for r in rows] == [
        (0, 0, "certificate-expired"), (0, 1, "starttls-not-supported"), (1, 0, None)]
    first, second, third = rows
    assert first["begin_date"] == datetime(2016, 4, 1, tzinfo=timezone.utc)
    assert first["policy_strings"] == ["version: STSv1", "mode: testing"]
    assert (first["total_successful_session_count"], first["failed_session_count"]) == (5326, 100)
    assert second["receiving_ip"] == "203.0.113.56"
    assert third["mx_host"] == ["mx.company-z.example"] and third["failed_session_count"] is None
    assert sum(r["total_successful_session_count"] for r in rows if r["detail_index"] == 0) \
        == 5335
    assert len({r["row_id"] for r in rows}) == 3 and len({r["report_key"] for r in rows}) == 1
    TlsReportRow.model_validate(first)


def test_gzip_and_json_give_the_same_rows() -> None:
    plain = tls_rows(orjson.dumps(REPORT))
    assert tls_rows(gzip.compress(orjson.dumps(REPORT))) == plain


@pytest.mark.parametrize("media_type,data", [
    ("tlsrpt", orjson.dumps(REPORT)),               # application/tlsrpt without +json
    ("tlsrpt+json", orjson.dumps(REPORT)),
    ("tlsrpt+gzip", gzip.compress(orjson.dumps(REPORT))),
])
def test_email_wrapped_tls_reports(media_type: str, data: bytes) -> None:
    msg = email.mime.multipart.MIMEMultipart("report", report_type="tlsrpt")
    msg["Subject"] = "Report Domain: company-y.example Submitter: company-x.example"
    part = email.mime.application.MIMEApplication(data, media_type)
    part.add_header("Content-Disposition", "attachment", filename="report.json")
    msg.attach(part)
    raw = RawMessage.from_bytes(msg.as_bytes(), RawSource(transport="memory"))
    out = process(raw)
    assert not out.dead_letters
    assert [r["result_type"] for r in out.rows["tls_reports"]] == [
        "certificate-expired", "starttls-not-supported", None]


def test_report_without_dates_is_a_parse_error() -> None:
    broken = {k: v for k, v in REPORT.items() if k != "date-range"}
    with pytest.raises(ParseError, match="start-datetime"):
        tls_rows(orjson.dumps(broken))
    raw = RawMessage.from_bytes(orjson.dumps(broken), RawSource(transport="memory"))
    assert process(raw).dead_letters[0].error_type == "ParseError"
