"""Analytics views and macros over the lake (DuckDB). `register_analytics(con)` installs them on
a connection that already has the base views (events, suppressions, dead_letters,
dmarc_aggregate, dmarc_failure, tls_reports); `connectors.duck.connect(lake)` calls it, so
`bouncepipe query --lake DIR "SELECT * FROM v_complaint_status"` just works.

The SQL lives beside this file (`NN_topic.sql`, run in name order) so analysts can read and copy
it. Days are UTC days (events: the partition dt = UTC date of occurred_at). Rates are DOUBLE in 0..1, NULL when
the denominator is 0. Views anchored on "the latest day" use the lake's own latest day, never the
wall clock, so the same lake always gives the same answer (except suppression expiry: now()).

Bounces (events)
- v_bounce_rate_daily: day, recipient_domain, delivered, hard_bounces, soft_bounces, deferrals,
  bounces, bounce_rate, hard_bounce_rate. bounces = hard + soft, excluding delayed DSNs
  (action 'delayed' = deferrals); bounce_rate = bounces / (delivered + bounces).
- v_bounce_reason_mix: day, recipient_domain, category, reason, bounces, share (of that day's
  bounces for that domain).
- v_bounce_trend (= table macro bounce_trend(7)): recipient_domain, recent_volume,
  recent_bounces, recent_rate, prior_volume, prior_bounces, prior_rate, change, trend
  (worse | better | flat | no_data; step bp_trend_step() = 0.5 percentage point).
Complaints (events; Gmail: keep below 0.10 %, never reach 0.30 %)
- v_complaint_rate: day, tenant, stream, delivered, complaints, complaint_rate, status
  (ok | warn >= 0.10 % | over >= 0.30 % | no_volume). Missing tenant/stream show as '(none)'.
- v_complaint_status: tenant, stream, days, delivered, complaints, complaint_rate, status,
  peak_daily_rate, peak_day, days_warn, days_over, last_day.
- v_complaint_rate_7d: day, tenant, stream, delivered_7d, complaints_7d, complaint_rate_7d,
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
- v_dmarc_readiness: domain, current_policy (p of the latest report), report_days, messages,
  pass_messages, pass_rate, known_messages, known_fail_messages, known_pass_rate,
  unknown_messages, affected_messages (failing and not already quarantined/rejected: what a
  stricter policy would act on), legit_at_risk (the known-source part of it), verdict
  (insufficient_data | not_ready | ready_for_quarantine | ready_for_reject | at_reject),
  next_step (a sentence). Thresholds: bp_dmarc_* macros in 00_macros.sql.
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
  complaints, complaint_rate, complaint_status, streams_warn, streams_over (tenant/streams at
  warn / over on their complaint rate of the lake's last 7 days), dmarc_messages,
  dmarc_pass_rate, dmarc_domains, dmarc_domains_ready, dmarc_unknown_sources,
  tls_failed_sessions, tls_failure_rate, active_suppressions, dead_letters.
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
log = logging.getLogger(__name__)

VIEWS = (
    "v_bounce_rate_daily", "v_bounce_reason_mix", "v_bounce_trend",
    "v_complaint_rate", "v_complaint_status", "v_complaint_rate_7d",
    "v_dmarc_records", "v_dmarc_pass_rate_domain", "v_dmarc_pass_rate_daily", "v_dmarc_sources",
    "v_dmarc_reporters", "v_dmarc_new_sources", "v_dmarc_readiness", "v_dmarc_failures",
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
                out.append((path.name, statement))
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


def open_lake(lake: str | os.PathLike[str]) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection over `lake` with base views and every analytics view."""
    from connectors.duck import connect

    return register_analytics(connect(lake, analytics=False), strict=True)


__all__ = ["VIEWS", "SQL_DIR", "analytics_sql", "register_analytics", "open_lake"]
