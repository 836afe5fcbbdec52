"""Lake tables of what others tell us about our mail, and the lookup caches the views join to.

- `mx_cache`: recipient domain -> MX hosts (live MX lookup, off by default), so the
  mailbox-provider grouping can place company domains hosted at Google / Microsoft / Yahoo.
- `ip_identity`: source IP -> reverse DNS, base domain, ASN, country and the sending service's
  name (parsedmarc's IP database and reverse-DNS map), one row per lookup; the views use the
  latest row per IP.
- `postmaster_traffic`: Google Postmaster Tools traffic stats, one row per domain and day
  (the API's TrafficStats resource: developers.google.com/gmail/postmaster/reference/rest).
- `snds_data`: Microsoft SNDS per-IP activity (the "data" CSV of SNDS Automated Data Access:
  sendersupport.olc.protection.outlook.com/snds/FAQ.aspx), one row per IP and activity period.
- `yahoo_insights`: Yahoo Sender Hub Insights, one row per DKIM domain and day: inbox-delivered
  volume and the spam complaint rate over inbox-delivered mail. Yahoo documents no export: the
  rows come from a CSV an analyst fills from the dashboard (connectors/views/import_yahoo.py).

Rates are DOUBLE 0..1 (SNDS states complaint rates as "< 0.1%" text; the text is kept too).
`row_id` is derived from the natural key, so importing the same export twice lands it once
(yahoo_insights: the key and the values, so a corrected day lands as a newer row the view picks).
"""
from __future__ import annotations

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field

from .arrow import TS
from .ids import stable_id
from .models import UtcDatetime

_S = pa.string()
_F = pa.float64()


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class MxCacheRow(_Row):
    row_id: str
    domain: str
    mx_hosts: list[str] = Field(default_factory=list)  # by preference, lower case, no dot
    status: str                       # ok | no_mx | nxdomain | error
    looked_up_at: UtcDatetime


class IpIdentityRow(_Row):
    row_id: str
    ip: str
    reverse_dns: str | None = None
    base_domain: str | None = None    # registrable domain of reverse_dns
    asn: int | None = None
    as_name: str | None = None
    as_domain: str | None = None
    country: str | None = None        # ISO 3166 code
    service_name: str | None = None   # parsedmarc's base_reverse_dns_map name
    service_type: str | None = None
    rdns_status: str                  # ok | none | offline | error
    looked_up_at: UtcDatetime


class PostmasterTrafficRow(_Row):
    row_id: str
    domain: str
    day: UtcDatetime                  # the stats' date, 00:00 UTC
    user_reported_spam_ratio: float | None = None
    user_reported_spam_ratio_lower_bound: float | None = None
    user_reported_spam_ratio_upper_bound: float | None = None
    domain_reputation: str | None = None   # HIGH | MEDIUM | LOW | BAD
    spf_success_ratio: float | None = None
    dkim_success_ratio: float | None = None
    dmarc_success_ratio: float | None = None
    inbound_encryption_ratio: float | None = None
    ip_reputation_bad_ips: int | None = None    # ipCount of the BAD / LOW categories
    ip_reputation_low_ips: int | None = None
    delivery_error_ratio: float | None = None   # sum of deliveryErrors[].errorRatio
    source: str | None = None
    imported_at: UtcDatetime


class SndsDataRow(_Row):
    row_id: str
    ip: str
    activity_start: UtcDatetime
    activity_end: UtcDatetime
    rcpt_commands: int | None = None
    data_commands: int | None = None
    message_recipients: int | None = None
    filter_result: str | None = None       # GREEN | YELLOW | RED
    complaint_rate: float | None = None    # upper bound for "< 0.1%"
    complaint_rate_text: str | None = None
    trap_message_start: UtcDatetime | None = None
    trap_message_end: UtcDatetime | None = None
    trap_hits: int | None = None
    sample_helo: str | None = None
    sample_mail_from: str | None = None
    comments: str | None = None
    source: str | None = None
    imported_at: UtcDatetime


class YahooInsightsRow(_Row):
    row_id: str
    dkim_domain: str                  # the DKIM d= domain Yahoo aggregates by, lower case
    day: UtcDatetime                  # the dashboard's date, 00:00 UTC
    inbox_delivered: int | None = Field(default=None, ge=0)
    spam_complaint_rate: float | None = Field(default=None, ge=0, le=1)  # of inbox-delivered mail
    spam_complaint_rate_text: str | None = None   # the rate as written in the file ("0.12%")
    source: str | None = None
    imported_at: UtcDatetime


def observation_id(table: str, *key: object) -> str:
    return stable_id(table, *key)


MX_CACHE = pa.schema([("row_id", _S), ("domain", _S), ("mx_hosts", pa.list_(_S)),
                      ("status", _S), ("looked_up_at", TS)])
IP_IDENTITY = pa.schema([
    ("row_id", _S), ("ip", _S), ("reverse_dns", _S), ("base_domain", _S), ("asn", pa.int64()),
    ("as_name", _S), ("as_domain", _S), ("country", _S), ("service_name", _S),
    ("service_type", _S), ("rdns_status", _S), ("looked_up_at", TS)])
POSTMASTER_TRAFFIC = pa.schema([
    ("row_id", _S), ("domain", _S), ("day", TS), ("user_reported_spam_ratio", _F),
    ("user_reported_spam_ratio_lower_bound", _F), ("user_reported_spam_ratio_upper_bound", _F),
    ("domain_reputation", _S), ("spf_success_ratio", _F), ("dkim_success_ratio", _F),
    ("dmarc_success_ratio", _F), ("inbound_encryption_ratio", _F),
    ("ip_reputation_bad_ips", pa.int64()), ("ip_reputation_low_ips", pa.int64()),
    ("delivery_error_ratio", _F), ("source", _S), ("imported_at", TS)])
SNDS_DATA = pa.schema([
    ("row_id", _S), ("ip", _S), ("activity_start", TS), ("activity_end", TS),
    ("rcpt_commands", pa.int64()), ("data_commands", pa.int64()),
    ("message_recipients", pa.int64()), ("filter_result", _S), ("complaint_rate", _F),
    ("complaint_rate_text", _S), ("trap_message_start", TS), ("trap_message_end", TS),
    ("trap_hits", pa.int64()), ("sample_helo", _S), ("sample_mail_from", _S), ("comments", _S),
    ("source", _S), ("imported_at", TS)])
YAHOO_INSIGHTS = pa.schema([
    ("row_id", _S), ("dkim_domain", _S), ("day", TS), ("inbox_delivered", pa.int64()),
    ("spam_complaint_rate", _F), ("spam_complaint_rate_text", _S), ("source", _S),
    ("imported_at", TS)])


def _register() -> None:
    from .tables import LakeTable, register_table

    register_table(LakeTable("mx_cache", MxCacheRow, MX_CACHE, "row_id", "looked_up_at"))
    register_table(LakeTable("ip_identity", IpIdentityRow, IP_IDENTITY, "row_id", "looked_up_at"))
    register_table(LakeTable("postmaster_traffic", PostmasterTrafficRow, POSTMASTER_TRAFFIC,
                             "row_id", "day"))
    register_table(LakeTable("snds_data", SndsDataRow, SNDS_DATA, "row_id", "activity_start"))
    register_table(LakeTable("yahoo_insights", YahooInsightsRow, YAHOO_INSIGHTS, "row_id", "day"))


_register()
