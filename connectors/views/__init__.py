"""Analytics views and macros over the lake (DuckDB). `register_analytics(con)` installs them on
a connection that already has the base views (events, suppressions, dead_letters,
dmarc_aggregate, dmarc_failure, tls_reports); `connectors.duck.connect(lake)` calls it, so
`bouncepipe query --lake DIR "SELECT * FROM v_complaint_status"` just works.

The SQL lives beside this file (`NN_topic.sql`, run in name order) so analysts can read and copy
it. Days are UTC days (events: the partition dt = UTC date of occurred_at). Rates are DOUBLE in 0..1, NULL when
the denominator is 0. Views anchored on "the latest day" use the lake's own latest day, never the
wall clock, so the same lake always gives the same answer (except suppression expiry: now()).

Slices and mailbox providers (events; reference data in connectors/views/data/*.csv)
- v_delivery_daily: day, tenant, stream, campaign, sending_pool, sending_ip (events columns,
  from the tags egress_pool/pool/ip_pool, sending_ip/ip/egress_source when the event was built:
  schemas.dimensions), recipient_domain, provider, delivered,
  hard_bounces, soft_bounces, bounces, deferrals, throttled, complaints, unsubscribes,
  bounce_rate, deferral_rate, complaint_rate. Sum the counts over any filter; never average rates.
- v_slice_daily: day, tenant, stream, campaign + the counts and rates (fast: no tags).
- v_pool_daily: day, tenant, sending_pool, sending_ip + the counts and rates.
- v_recipient_provider: recipient_domain, provider (Google | Microsoft | Yahoo/AOL | Apple |
  Other), matched_by (domain | mx | none); table macro bp_providers(list_of_domains).
- v_mx_latest: the latest mx_cache row per domain (`bouncepipe views --lookup-mx`).
- v_provider_daily: day, provider, delivered, bounces, hard_bounces, deferrals, throttled,
  complaints, arf_complaints, bounce_rate, deferral_rate, throttling_rate, complaint_rate
  (= complaints from that provider / delivered to it; NULL for Google and Apple, which send no ARF).
- v_provider_status (= provider_status(7)): per provider over the lake's last 7 days, rates,
  complaint_source (arf | postmaster_tools | none), the provider's own measurement beside ours
  (provider_complaint_rate, provider_complaint_source postmaster_tools | yahoo_insights,
  provider_volume: Yahoo's inbox-delivered count, provider_complaint_status), the provider's
  thresholds (bp_provider_thresholds) and bounce_status, deferral_status, complaint_status.
- v_postmaster_daily: day, domain, spam_rate, domain_reputation, dmarc_success_ratio,
  delivery_error_ratio (Google Postmaster Tools imports). v_snds_daily: day, ip,
  rcpt_commands, message_recipients, complaint_rate, trap_hits, filter_result (Microsoft SNDS).
- v_yahoo_insights_daily: day, dkim_domain, inbox_delivered, spam_complaint_rate (over
  inbox-delivered mail), complaints_estimated, complaint_warn, complaint_over, status (Yahoo
  Sender Hub Insights, filled from the dashboard: connectors/views/import_yahoo.py).
Bounces (events)
- v_bounce_rate_daily: day, recipient_domain, delivered, hard_bounces, soft_bounces, deferrals,
  bounces, bounce_rate, hard_bounce_rate. bounces = hard + soft, excluding delayed DSNs
  (action 'delayed' = deferrals); bounce_rate = bounces / (delivered + bounces).
- v_bounce_reason_mix: day, recipient_domain, category, reason, bounces, share (of that day's
  bounces for that domain).
- v_bounce_trend (= table macro bounce_trend(7, min_volume := 200)): recipient_domain,
  recent_volume, recent_bounces, recent_rate, prior_volume, prior_bounces, prior_rate, change, z
  (two-proportion z statistic), trend (worse | better: |change| >= bp_trend_step() = 0.5 point
  AND |z| >= 1.96; flat; low_volume: a window under min_volume messages; no_data).
- v_bounce_diagnostics: day, provider, recipient_domain, category, deferred, reason, status,
  reply_code, remote_mta, diagnostic (the events column diagnostic_normalised: codes dropped,
  addresses / IPs / ids / numbers replaced; bp_normalise_diagnostic in SQL), events.
- v_incidents: metric (complaint_rate per tenant / stream | bounce_rate per recipient domain),
  subject, first_day, last_day, days, peak_rate, volume, level (warn | over), state (ongoing |
  resolved): runs of consecutive days at warn / over with >= bp_incident_min_volume() messages.
Complaints (events; Gmail: keep below 0.10 %, never reach 0.30 %; Yahoo uses the same)
- v_complaint_rate: day, tenant, stream, delivered, delivered_arf (to providers that send ARF
  complaints: not Google, not Apple), complaints (from those providers' recipients),
  complaints_all, complaint_rate (= complaints / delivered_arf), status (ok | warn >= 0.10 % |
  over >= 0.30 % | no_volume). Missing tenant/stream show as '(none)'.
- v_complaint_status: tenant, stream, days, delivered, delivered_arf, complaints, complaint_rate, status,
  peak_daily_rate, peak_day, days_warn, days_over, last_day.
- v_complaint_rate_7d: day, tenant, stream, delivered_7d (to ARF providers), complaints_7d, complaint_rate_7d,
  status: the rate over the 7 days ending on each day (smooths low-volume spikes).
DMARC (dmarc_aggregate; pass = aligned SPF or aligned DKIM)
- v_dmarc_records: day, domain (header_from, else policy domain), policy_domain, policy_p,
  reporter, source_ip, messages, aligned, dkim_aligned, spf_aligned, disposition, report_key,
  begin_date, end_date.
- v_dmarc_pass_rate_domain: domain, reports, reporters, sources, messages, pass_messages,
  fail_messages, pass_rate, dkim_pass_rate, spf_pass_rate, first_day, last_day.
- v_dmarc_pass_rate_daily: day, domain, messages, pass_messages, pass_rate.
- v_dmarc_sources: domain, source_ip, reporters (list), messages, pass_messages, fail_messages,
  pass_rate, dkim_pass_messages, spf_pass_messages, quarantined, rejected, known (any aligned
  pass from that IP for that domain), first_seen, last_seen.
- v_dmarc_reporters: domain, reporter, reports, messages, pass_messages, pass_rate.
- v_dmarc_new_sources (= dmarc_new_sources(7)): the v_dmarc_sources columns + age_days, for
  sources first seen in the last 7 days of DMARC data.
- v_dmarc_failures (dmarc_failure, ruf): day, domain (reported domain), source_ip, reports,
  auth_failures (list: dkim, spf, ...), delivery_results, reporting_mtas, example_mail_from,
  example_subject.
- v_dmarc_readiness (= dmarc_readiness(30), the trailing window of DMARC data): domain,
  policy_domain, current_policy (the policy in force: p, or sp for a subdomain of the policy
  domain), policy_p, policy_sp, policy_pct, window_start, window_end, report_days, messages,
  pass_messages, pass_rate, known_messages / known_fail_messages / known_pass_rate (legitimate
  sources: aligned or a named sending service), unknown_messages, vendor_sources,
  failing_sources (legitimate, judged, below the reject pass rate), worst_source_ip,
  worst_source_pass_rate, fail_messages, acted_messages (already quarantined / rejected),
  affected_messages (every failing message the next stricter policy at pct=100 acts on; 0 at
  reject with pct=100), legit_at_risk (the legitimate part), verdict (insufficient_data |
  not_ready | ready_for_quarantine | ready_for_reject | at_reject: reject with pct=100),
  next_step. Thresholds: bp_dmarc_* macros (00_macros.sql, 30_dmarc.sql).
TLS-RPT (tls_reports)
- v_tls_summary: day, policy_domain, reports, reporters, successful_sessions, failed_sessions,
  failure_rate.
- v_tls_failures: day, policy_domain, result_type, receiving_mx_hostname, sending_mta_ip,
  failed_sessions, reports, reporters (list).
Suppressions (suppressions joined to events)
- v_suppression_evidence: suppression_id, key, address, action, policy_rule, decided_at,
  evidence_event_id, found, occurred_at, category, reason, status, reply_code, diagnostic,
  feedback_type, source_kind, source, provider (one row per evidence id; found = false when the
  event is not in the lake).
- v_suppression_audit: suppression_id, key, decided_at, action, scope, scope_value, tenant,
  address, address_domain, reason, category, decided_by (policy rule), note, expires_at,
  expiry_status (permanent | active | expired), is_current, evidence_count, evidence_found,
  evidence_missing, evidence_first_at, evidence_last_at, evidence_categories, evidence_kinds.
  Filter it (WHERE address = ...) and the events scan is pruned to that evidence.
- v_suppression_state: the decision in force per key: key, address, scope, scope_value, tenant,
  action, reason, category, decided_by, decided_at, expires_at, suppression_id, expiry_status,
  suppressed (action 'suppress' and not expired).
Overview
- v_dead_letters_daily: day, stage, error_type, dead_letters, retryable, payload_bytes.
- v_headline: one row: first_day, last_day, delivered, bounces, hard_bounces, bounce_rate,
  complaints, delivered_arf, complaint_rate, complaint_status (complaints / delivered_arf),
  delivered_7d, complaints_7d, complaint_rate_7d, complaint_status_7d (the last 7 days, streams
  with delivered mail; no_volume under bp_incident_min_volume()), streams_warn, streams_over (tenant/streams at
  warn / over on their complaint rate of the lake's last 7 days), dmarc_messages,
  dmarc_pass_rate, dmarc_domains, dmarc_domains_ready, dmarc_unknown_sources,
  tls_failed_sessions, tls_successful_sessions, tls_failure_rate, active_suppressions (addresses),
  active_suppression_keys, dead_letters.
Identity and readiness (DMARC)
- v_ip_identity: ip, reverse_dns, base_domain, asn, as_name, country, service_name,
  service_type, rdns_status, looked_up_at (the latest ip_identity row; `bouncepipe views
  --identify`, parsedmarc's offline data). v_dmarc_sources carries these columns plus
  authenticated, dkim_ids (d=/selector), spf_domains.
- v_dmarc_source_readiness (= dmarc_source_readiness(30)): per domain and source in the trailing
  window: source_class (aligned | sending_service | unknown), legitimate, judged (volume >=
  bp_dmarc_min_source_messages()), pass_rate, blocks_reject, blocks_quarantine.
Reclassification (event_revisions, reclassifications; `bouncepipe reclassify`)
- v_events_current (a base view, connectors/duck.py): every events column but dt, with the
  latest revision applied (category, reason, recipient, recipient_domain, status, rule,
  classifier_version); withdrawn events are left out.
- v_reclassification_changes: the last (not dry) run's changes: previous_category,
  previous_reason, category ('(withdrawn)' when withdrawn), reason, events, addresses,
  example_address.
Macros: bp_rate(num, den), bp_utc_day(ts), bp_event_day(dt, occurred_at), bp_complaint_status(rate), bp_complaint_warn(), bp_complaint_over(),
bp_trend_step(), bp_dmarc_min_messages(), bp_dmarc_min_days(), bp_dmarc_quarantine_pass(),
bp_dmarc_reject_pass(); table macros bounce_trend(days), dmarc_new_sources(days).
"""
from __future__ import annotations

import logging
import os
import re
from functools import lru_cache
from pathlib import Path

import duckdb

SQL_DIR = Path(__file__).resolve().parent
_DATA_DIR = str(SQL_DIR / "data").replace("'", "''")
log = logging.getLogger(__name__)

VIEWS = (
    "v_recipient_provider", "v_mx_latest", "v_delivery_daily", "v_slice_daily", "v_pool_daily",
    "v_provider_daily", "v_provider_status", "v_postmaster_daily", "v_snds_daily",
    "v_yahoo_insights_daily",
    "v_bounce_rate_daily", "v_bounce_reason_mix", "v_bounce_trend", "v_bounce_diagnostics",
    "v_incidents",
    "v_complaint_rate", "v_complaint_status", "v_complaint_rate_7d",
    "v_dmarc_records", "v_dmarc_pass_rate_domain", "v_dmarc_pass_rate_daily", "v_dmarc_sources",
    "v_dmarc_reporters", "v_dmarc_new_sources", "v_dmarc_readiness", "v_dmarc_failures",
    "v_ip_identity", "v_dmarc_source_readiness",
    "v_tls_summary", "v_tls_failures",
    "v_suppression_evidence", "v_suppression_audit", "v_suppression_state",
    "v_dead_letters_daily", "v_headline",
    "v_reclassification_changes",
)


@lru_cache(maxsize=1)
def analytics_sql() -> tuple[tuple[str, str], ...]:
    """(file name, statement) for every statement of every view file, in the order they run.
    Statements end with a semicolon at the end of a line (the files keep to that)."""
    out = []
    for path in sorted(SQL_DIR.glob("*.sql")):
        for statement in re.split(r";[ \t]*\n", path.read_text(encoding="utf-8") + "\n"):
            if re.sub(r"--[^\n]*", "", statement).strip():
                out.append((path.name, statement.replace("{DATA_DIR}", _DATA_DIR)))
    return tuple(out)


def register_analytics(con: duckdb.DuckDBPyConnection, *, strict: bool = False
                       ) -> duckdb.DuckDBPyConnection:
    """Create (or replace) every analytics macro and view on `con`; returns `con`.

    Needs the base lake views on `con` first. Idempotent. With strict=False (what
    `connectors.duck.connect` uses) a statement that fails, e.g. after a base table lost a
    column, is logged and skipped so the base tables stay queryable; strict=True raises."""
    con.execute("SET TimeZone = 'UTC'")
    for name, statement in analytics_sql():
        try:
            con.execute(statement).fetchall()
        except duckdb.Error as exc:
            if strict:
                raise RuntimeError(f"analytics view file {name} failed: {exc}") from exc
            log.warning("analytics: skipped a statement of %s: %s", name, str(exc).splitlines()[0])
    return con


def open_lake(lake: str | os.PathLike[str], part=None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection over `lake` with base views and every analytics view; `part` (a
    connectors.duck.Slice) narrows every view to a date range / tenant / stream."""
    from connectors.duck import connect

    return register_analytics(connect(lake, analytics=False, part=part), strict=True)


__all__ = ["VIEWS", "SQL_DIR", "analytics_sql", "register_analytics", "open_lake"]
