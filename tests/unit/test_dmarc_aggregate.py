"""DMARC aggregate reports: the streaming parser, its fallback, containers, ids and schema."""
from __future__ import annotations

import email.mime.application
import email.mime.multipart
import email.mime.text
import gzip
import io
import os
import time
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pytest

from pipeline.core import process
from pipeline.dmarc import parse_report, parse_report_file
from pipeline.dmarc.api import context_of
from pipeline.errors import ParseError
from schemas.dmarc import DMARC_AGGREGATE, DMARC_FAILURE, TLS_REPORTS, DmarcAggregateRow, \
    DmarcFailureRow, TlsReportRow
from schemas.models import RawMessage, RawSource
from schemas.tables import TABLES

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "dmarc"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def rows_of(payload: bytes) -> list[dict]:
    return list(parse_report(payload, context=context_of("sha", "test")).aggregate)


def test_rfc9990_namespaced_report_keeps_stated_values() -> None:
    rows = rows_of(fixture("rfc9990_namespaced_lang.xml"))
    assert [r["record_index"] for r in rows] == [0, 1]  # 3-day span: not split per day
    first, second = rows
    assert first["parser"] == "dmarc.aggregate.stream"
    assert first["xml_namespace"] == "urn:ietf:params:xml:ns:dmarc-2.0"
    assert first["xml_schema"] == "1.0"
    assert first["org_name"] == "Mail.Example.NET" and first["org_name_base"] == "example.net"
    assert first["report_id"] == "<r-42@example.net>"  # parsedmarc: "r-42"
    assert first["org_extra_contact_info"] == "https://example.net/dmarc"
    assert first["generator"] == "example-reporter 2.1"
    assert first["report_errors"] == ["one record was truncated"]
    assert first["begin_date"] == datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc)
    assert first["end_date"] == datetime(2023, 11, 17, 22, 13, 20, tzinfo=timezone.utc)
    assert (first["policy_p"], first["policy_sp"], first["policy_np"]) == \
        ("reject", "quarantine", "reject")
    assert (first["policy_testing"], first["policy_discovery_method"]) == ("n", "treewalk")
    assert first["policy_pct"] is None and first["policy_adkim"] is None
    assert (first["disposition"], first["policy_dkim"], first["policy_spf"]) == \
        ("quarantine", "fail", "pass")
    assert first["dmarc_aligned"] is True
    assert first["override_reasons"] == [{"type": "local_policy", "comment": "forwarded"}]
    assert first["header_from"] == "News.Example.COM"
    assert first["header_from_org_domain"] == "example.com"
    assert first["envelope_from"] is None and first["envelope_to"] == "example.org"
    assert first["dkim_results"] == [{"domain": "example.com", "selector": "s1",
                                      "result": "fail", "human_result": "body hash mismatch"}]
    # An SPF result without a domain is kept (parsedmarc drops it).
    assert first["spf_results"][0] == {"domain": None, "scope": None, "result": "pass",
                                       "human_result": None}
    assert second["source_ip"] == "2001:db8::1" and second["message_count"] == 3
    # Missing verdicts stay null (parsedmarc invents "fail").
    assert (second["policy_dkim"], second["policy_spf"], second["dmarc_aligned"]) == \
        (None, None, False)
    assert second["dkim_results"] == [] and second["spf_results"] == []


def test_draft_schema_identities_element() -> None:
    (row,) = rows_of(fixture("draft_identities.xml"))
    assert row["xml_schema"] == "draft"
    assert (row["header_from"], row["envelope_from"]) == ("example.com", "example.com")
    assert row["dkim_results"][0]["selector"] is None


def test_bad_count_dead_letters_instead_of_skipping_the_row() -> None:
    raw = RawMessage.from_bytes(fixture("bad_count_record.xml"), RawSource(transport="memory"))
    out = process(raw)
    assert out.dead_letters[0].error_type == "ParseError"
    assert "record 1: <count> 'many' is not an integer" in out.dead_letters[0].reason


@pytest.fixture
def new_york_tz():
    old = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    yield
    if old is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = old
    time.tzset()


def test_malformed_xml_falls_back_to_parsedmarc_with_utc_dates(new_york_tz) -> None:
    (row,) = rows_of(fixture("unescaped_ampersand_needs_recovery.xml"))
    assert row["parser"] == "dmarc.aggregate.parsedmarc"
    assert row["message_count"] == 4 and row["source_ip"] == "203.0.113.5"
    assert row["begin_date"] == datetime.fromtimestamp(1600000000, tz=timezone.utc)
    assert row["end_date"] == datetime.fromtimestamp(1600086399, tz=timezone.utc)
    assert any(e.startswith("Invalid XML") for e in row["report_errors"])


def test_fast_path_dates_do_not_depend_on_local_time(new_york_tz) -> None:
    (row,) = rows_of(fixture("draft_identities.xml"))
    assert row["begin_date"] == datetime(2012, 4, 28, 0, 0, tzinfo=timezone.utc)


def test_declared_latin1_encoding_is_read_without_fallback() -> None:
    xml = fixture("draft_identities.xml").replace(
        b'<?xml version="1.0"?>', b'<?xml version="1.0" encoding="ISO-8859-1"?>').replace(
        b"draft.example</org_name>", b"dr\xe4ft.example</org_name>")
    (row,) = rows_of(xml)
    assert row["org_name"] == "dr\u00e4ft.example" and row["parser"] == "dmarc.aggregate.stream"


def test_invalid_utf8_is_kept_visible() -> None:
    xml = fixture("draft_identities.xml").replace(b"<report_id>1<", b"<report_id>1\xff<")
    (row,) = rows_of(xml)
    assert row["report_id"] == "1\ufffd" and row["parser"] == "dmarc.aggregate.stream+replace"


def _second_report() -> bytes:
    return fixture("draft_identities.xml").replace(b"<report_id>1<", b"<report_id>2<")


def test_every_zip_member_is_read() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.xml", fixture("draft_identities.xml"))
        archive.writestr("README.txt", b"not a report")
        archive.writestr("b.xml.gz", gzip.compress(_second_report()))
    rows = rows_of(buf.getvalue())
    assert [(r["report_id"], r["container"], r["member"]) for r in rows] == [
        ("1", "zip>xml", "a.xml"), ("2", "zip>gzip>xml", "b.xml.gz")]


def _report_email(*attachments: tuple[bytes, str, str]) -> bytes:
    msg = email.mime.multipart.MIMEMultipart()
    msg["From"] = "noreply-dmarc-support@google.com"
    msg["Subject"] = "Report domain: example.com Submitter: google.com"
    msg.attach(email.mime.text.MIMEText("This is an aggregate report."))
    inner = email.mime.multipart.MIMEMultipart("mixed")
    for data, subtype, name in attachments:
        part = email.mime.application.MIMEApplication(data, subtype)
        part.add_header("Content-Disposition", "attachment", filename=name)
        inner.attach(part)
    msg.attach(inner)  # nested multipart: every attachment at any depth counts
    return msg.as_bytes()


def test_every_email_attachment_is_read() -> None:
    payload = _report_email((gzip.compress(fixture("draft_identities.xml")), "gzip", "a.xml.gz"),
                            (_second_report(), "octet-stream", "b.xml"))
    raw = RawMessage.from_bytes(payload, RawSource(transport="memory"))
    out = process(raw)
    rows = list(out.rows["dmarc_aggregate"])
    assert [(r["report_id"], r["container"], r["member"]) for r in rows] == [
        ("1", "email>gzip>xml", "a.xml.gz"), ("2", "email>xml", "b.xml")]
    assert out.parser == "dmarc.report_email" and not out.dead_letters


def test_same_report_in_any_wrapping_has_the_same_row_ids() -> None:
    xml = fixture("rfc9990_namespaced_lang.xml")
    plain = [r["row_id"] for r in rows_of(xml)]
    assert [r["row_id"] for r in rows_of(gzip.compress(xml))] == plain
    assert [r["row_id"] for r in rows_of(_report_email((xml, "xml", "r.xml")))] == plain
    other = [r["row_id"] for r in rows_of(_second_report())]
    assert not set(other) & set(plain)


def test_report_file_is_streamed_from_disk(tmp_path: Path) -> None:
    path = tmp_path / "r.xml.gz"
    path.write_bytes(gzip.compress(fixture("rfc9990_namespaced_lang.xml")))
    rows = list(parse_report_file(path).aggregate)
    assert [r["message_count"] for r in rows] == [7, 3]


def test_not_a_report_xml_is_not_supported_by_dmarc() -> None:
    with pytest.raises(ParseError, match="no <feedback> root element"):
        rows_of(b"<?xml version='1.0'?><html><body/></html>")
    with pytest.raises(ParseError, match="missing <report_metadata>"):
        rows_of(b"<?xml version='1.0'?><html><feedback/></html>")


def test_rows_fit_the_explicit_arrow_schema_and_the_model() -> None:
    rows = rows_of(fixture("rfc9990_namespaced_lang.xml"))
    table = pa.Table.from_pylist(rows, schema=DMARC_AGGREGATE)
    assert table.num_rows == 2
    assert table.column("begin_date").type == pa.timestamp("us", tz="UTC")
    DmarcAggregateRow.model_validate(rows[0])


@pytest.mark.parametrize("name,model,schema,key,date_field", [
    ("dmarc_aggregate", DmarcAggregateRow, DMARC_AGGREGATE, "row_id", "begin_date"),
    ("dmarc_failure", DmarcFailureRow, DMARC_FAILURE, "row_id", "arrival_date"),
    ("tls_reports", TlsReportRow, TLS_REPORTS, "row_id", "begin_date"),
])
def test_tables_are_registered_with_matching_schema(name, model, schema, key, date_field):
    table = TABLES[name]
    assert (table.model, table.schema, table.key, table.date_field) == \
        (model, schema, key, date_field)
    assert list(model.model_fields) == schema.names
