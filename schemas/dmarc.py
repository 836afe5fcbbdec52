"""DMARC aggregate, DMARC failure and SMTP TLS report rows: models, Arrow schemas, tables.

Conventions (documented once, here):
- Identity values are kept exactly as the report states them (`org_name`, `report_id`,
  `header_from`, `envelope_from`, domains in auth results); normalised forms live in their own
  columns beside them (`org_name_base`, `header_from_org_domain`).
- Result / disposition words (pass, fail, none, quarantine, ...) are RFC 7489 / RFC 9990
  lower-case tokens: they are stripped and lower-cased in place (case carries no meaning;
  reporters that send "PASS" mean "pass"). A missing verdict stays null (parsedmarc invents
  "fail"); a missing DKIM selector / SPF scope stays null (parsedmarc invents "none"/"mfrom").
- Every timestamp is UTC. `row_id` is derived from the report's identity (reporter, report id,
  policy domain, begin, end) plus the row's position, so the same report landed twice (another
  wrapping, a duplicate send) produces the same ids and the lake keeps it once.
- Multi-day aggregate reports are not split per day (parsedmarc pro-rates them per day).
"""
from __future__ import annotations

import hashlib
from functools import lru_cache
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from .ids import stable_id
from .models import UtcDatetime


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DkimResult(_Row):
    domain: str | None = None
    selector: str | None = None
    result: str | None = None
    human_result: str | None = None


class SpfResult(_Row):
    domain: str | None = None
    scope: str | None = None
    result: str | None = None
    human_result: str | None = None


class OverrideReason(_Row):
    type: str | None = None
    comment: str | None = None


def aggregate_report_key(org_name: str | None, report_id: str | None,
                         policy_domain: str | None, begin: datetime | int | None,
                         end: datetime | int | None) -> str:
    """Identity of one aggregate report (dedup key of its rows)."""
    return stable_id("dmarc_aggregate", org_name, report_id, policy_domain, begin, end)


def aggregate_row_id(report_key: str, record_index: int) -> str:
    """= stable_id(report_key, record_index), inlined: it runs once per row of huge reports."""
    return hashlib.sha256(f"{report_key}\x1f{record_index}".encode()).hexdigest()[:32]


def aggregate_row_ids(report_key: str, start: int, count: int) -> list[str]:
    """aggregate_row_id for the records start .. start+count-1 of one report, in one call."""
    sha256 = hashlib.sha256
    return [sha256(f"{report_key}\x1f{index}".encode()).hexdigest()[:32]
            for index in range(start, start + count)]


class DmarcAggregateRow(_Row):
    """One `<record>` of a DMARC aggregate (rua) report, with its report's metadata."""

    row_id: str
    report_key: str
    raw_sha256: str
    source: str | None = None
    parser: str                       # dmarc.aggregate.stream | dmarc.aggregate.parsedmarc
    container: str | None = None      # e.g. "email>zip>xml"
    member: str | None = None         # attachment / zip member name
    xml_schema: str | None = None     # <version> or "draft" when absent
    xml_namespace: str | None = None  # namespace of the root element
    org_name: str | None = None
    org_name_base: str | None = None  # registrable domain of org_name (when it has no space)
    org_email: str | None = None
    org_extra_contact_info: str | None = None
    report_id: str | None = None
    generator: str | None = None
    begin_date: UtcDatetime
    end_date: UtcDatetime
    report_errors: list[str] = Field(default_factory=list)
    policy_domain: str | None = None
    policy_adkim: str | None = None
    policy_aspf: str | None = None
    policy_p: str | None = None
    policy_sp: str | None = None
    policy_pct: str | None = None
    policy_np: str | None = None
    policy_fo: str | None = None
    policy_testing: str | None = None
    policy_discovery_method: str | None = None
    record_index: int
    source_ip: str | None = None
    message_count: int
    disposition: str | None = None
    policy_dkim: str | None = None
    policy_spf: str | None = None
    dmarc_aligned: bool
    override_reasons: list[OverrideReason] = Field(default_factory=list)
    header_from: str | None = None
    header_from_org_domain: str | None = None
    envelope_from: str | None = None
    envelope_to: str | None = None
    dkim_results: list[DkimResult] = Field(default_factory=list)
    spf_results: list[SpfResult] = Field(default_factory=list)


class DmarcFailureRow(_Row):
    """One DMARC failure (ruf) report: RFC 6591 / RFC 9991 feedback report + its sample."""

    row_id: str
    raw_sha256: str
    source: str | None = None
    parser: str
    is_arf: bool                      # multipart/report; report-type=feedback-report
    feedback_type: str | None = None
    user_agent: str | None = None
    version: str | None = None
    auth_failure: list[str] = Field(default_factory=list)
    identity_alignment: list[str] = Field(default_factory=list)
    authentication_results: str | None = None
    delivery_result: str | None = None
    reported_domain: str | None = None
    source_ip: str | None = None
    arrival_date: UtcDatetime          # Arrival-Date, else the report email's Date
    arrival_date_raw: str | None = None
    reporting_mta: str | None = None
    original_mail_from: str | None = None
    original_rcpt_to: str | None = None
    original_envelope_id: str | None = None
    dkim_domain: str | None = None
    dkim_identity: str | None = None
    dkim_selector: str | None = None
    spf_dns: str | None = None
    report_subject: str | None = None
    sample_headers_only: bool = False
    sample_subject: str | None = None
    sample_from: str | None = None
    sample_to: str | None = None
    sample_date: str | None = None
    sample_message_id: str | None = None
    original_headers: str | None = None
    sample_body: str | None = None     # None when settings.redact_failure_bodies
    body_redacted: bool = True


def failure_row_id(reported_domain: str | None, source_ip: str | None, arrival: datetime | None,
                   mail_from: str | None, envelope_id: str | None,
                   message_id: str | None) -> str:
    return stable_id("dmarc_failure", reported_domain, source_ip, arrival, mail_from,
                     envelope_id, message_id)


class TlsReportRow(_Row):
    """One policy x failure detail of an SMTP TLS report (RFC 8460).

    A policy without failure details gives one row with detail_index 0 and null detail fields.
    Policy totals repeat on every detail row: sum them over `detail_index = 0` only.
    """

    row_id: str
    report_key: str
    raw_sha256: str
    source: str | None = None
    parser: str
    organization_name: str | None = None
    contact_info: str | None = None
    report_id: str | None = None
    begin_date: UtcDatetime
    end_date: UtcDatetime
    policy_index: int
    policy_type: str | None = None
    policy_domain: str | None = None
    policy_strings: list[str] = Field(default_factory=list)
    mx_host: list[str] = Field(default_factory=list)
    total_successful_session_count: int = 0
    total_failure_session_count: int = 0
    detail_index: int = 0
    result_type: str | None = None
    sending_mta_ip: str | None = None
    receiving_mx_hostname: str | None = None
    receiving_mx_helo: str | None = None
    receiving_ip: str | None = None
    failed_session_count: int | None = None
    additional_information: str | None = None
    failure_reason_code: str | None = None


def tls_report_key(org: str | None, report_id: str | None, begin: datetime | None,
                   end: datetime | None) -> str:
    return stable_id("tls_report", org, report_id, begin, end)


_ARROW_NAMES = ("DMARC_AGGREGATE", "DMARC_FAILURE", "TLS_REPORTS")


@lru_cache(maxsize=1)
def _arrow_schemas() -> dict:
    """The tables' Arrow schemas, built on first use: the parsers import this module for
    the row models and ids, and need not load pyarrow (~0.2 s of every CLI start-up)."""
    import pyarrow as pa

    from .arrow import TS

    _DKIM = pa.struct([("domain", pa.string()), ("selector", pa.string()), ("result", pa.string()),
                       ("human_result", pa.string())])
    _SPF = pa.struct([("domain", pa.string()), ("scope", pa.string()), ("result", pa.string()),
                      ("human_result", pa.string())])
    _REASON = pa.struct([("type", pa.string()), ("comment", pa.string())])
    _S = pa.string()

    DMARC_AGGREGATE = pa.schema([
        ("row_id", _S), ("report_key", _S), ("raw_sha256", _S), ("source", _S), ("parser", _S),
        ("container", _S), ("member", _S), ("xml_schema", _S), ("xml_namespace", _S),
        ("org_name", _S), ("org_name_base", _S), ("org_email", _S), ("org_extra_contact_info", _S),
        ("report_id", _S), ("generator", _S), ("begin_date", TS), ("end_date", TS),
        ("report_errors", pa.list_(_S)),
        ("policy_domain", _S), ("policy_adkim", _S), ("policy_aspf", _S), ("policy_p", _S),
        ("policy_sp", _S), ("policy_pct", _S), ("policy_np", _S), ("policy_fo", _S),
        ("policy_testing", _S), ("policy_discovery_method", _S),
        ("record_index", pa.int32()), ("source_ip", _S), ("message_count", pa.int64()),
        ("disposition", _S), ("policy_dkim", _S), ("policy_spf", _S), ("dmarc_aligned", pa.bool_()),
        ("override_reasons", pa.list_(_REASON)),
        ("header_from", _S), ("header_from_org_domain", _S), ("envelope_from", _S),
        ("envelope_to", _S), ("dkim_results", pa.list_(_DKIM)), ("spf_results", pa.list_(_SPF)),
    ])

    DMARC_FAILURE = pa.schema([
        ("row_id", _S), ("raw_sha256", _S), ("source", _S), ("parser", _S), ("is_arf", pa.bool_()),
        ("feedback_type", _S), ("user_agent", _S), ("version", _S),
        ("auth_failure", pa.list_(_S)), ("identity_alignment", pa.list_(_S)),
        ("authentication_results", _S), ("delivery_result", _S), ("reported_domain", _S),
        ("source_ip", _S), ("arrival_date", TS), ("arrival_date_raw", _S), ("reporting_mta", _S),
        ("original_mail_from", _S), ("original_rcpt_to", _S), ("original_envelope_id", _S),
        ("dkim_domain", _S), ("dkim_identity", _S), ("dkim_selector", _S), ("spf_dns", _S),
        ("report_subject", _S), ("sample_headers_only", pa.bool_()), ("sample_subject", _S),
        ("sample_from", _S), ("sample_to", _S), ("sample_date", _S), ("sample_message_id", _S),
        ("original_headers", _S), ("sample_body", _S), ("body_redacted", pa.bool_()),
    ])

    TLS_REPORTS = pa.schema([
        ("row_id", _S), ("report_key", _S), ("raw_sha256", _S), ("source", _S), ("parser", _S),
        ("organization_name", _S), ("contact_info", _S), ("report_id", _S),
        ("begin_date", TS), ("end_date", TS), ("policy_index", pa.int32()), ("policy_type", _S),
        ("policy_domain", _S), ("policy_strings", pa.list_(_S)), ("mx_host", pa.list_(_S)),
        ("total_successful_session_count", pa.int64()), ("total_failure_session_count", pa.int64()),
        ("detail_index", pa.int32()), ("result_type", _S), ("sending_mta_ip", _S),
        ("receiving_mx_hostname", _S), ("receiving_mx_helo", _S), ("receiving_ip", _S),
        ("failed_session_count", pa.int64()), ("additional_information", _S),
        ("failure_reason_code", _S),
    ])
    return {"DMARC_AGGREGATE": DMARC_AGGREGATE, "DMARC_FAILURE": DMARC_FAILURE,
            "TLS_REPORTS": TLS_REPORTS}


def __getattr__(name: str):
    if name in _ARROW_NAMES:
        globals().update(_arrow_schemas())
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def register_tables() -> None:
    """Called by schemas.tables at its end (so importing it always yields every table)."""
    from .tables import LakeTable, register_table

    schemas = _arrow_schemas()
    register_table(LakeTable("dmarc_aggregate", DmarcAggregateRow, schemas["DMARC_AGGREGATE"],
                             "row_id", "begin_date"))
    register_table(LakeTable("dmarc_failure", DmarcFailureRow, schemas["DMARC_FAILURE"],
                             "row_id", "arrival_date"))
    register_table(LakeTable("tls_reports", TlsReportRow, schemas["TLS_REPORTS"], "row_id",
                             "begin_date"))
