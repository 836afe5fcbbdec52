-- DMARC aggregate (rua) rows, one per reported record, normalised for analysis.
-- domain = header_from (lower case), falling back to the policy domain when absent.
-- aligned = DMARC pass (aligned SPF or aligned DKIM), as the reporter evaluated it.
CREATE OR REPLACE VIEW v_dmarc_records AS
SELECT
    bp_utc_day(begin_date) AS day,
    lower(coalesce(header_from, policy_domain)) AS domain,
    lower(policy_domain) AS policy_domain,
    policy_p,
    coalesce(org_name, '(unknown)') AS reporter,
    coalesce(source_ip, '(unknown)') AS source_ip,
    message_count AS messages,
    coalesce(dmarc_aligned, policy_dkim = 'pass' OR policy_spf = 'pass', false) AS aligned,
    coalesce(policy_dkim = 'pass', false) AS dkim_aligned,
    coalesce(policy_spf = 'pass', false) AS spf_aligned,
    coalesce(disposition, 'none') AS disposition,
    report_key, begin_date, end_date,
    lower(policy_sp) AS policy_sp,
    coalesce(TRY_CAST(policy_pct AS INTEGER), 100) AS policy_pct,
    -- authenticated (not necessarily aligned): a vendor signing with its own d= passes here
    coalesce(list_bool_or(list_transform(dkim_results, lambda x: x.result = 'pass')), false)
        OR coalesce(list_bool_or(list_transform(spf_results, lambda x: x.result = 'pass')), false) AS authenticated,
    list_filter(list_transform(dkim_results, lambda x: lower(x.domain) || coalesce('/' || x.selector, '')), lambda x: x IS NOT NULL) AS dkim_ids,
    list_filter(list_transform(spf_results, lambda x: lower(x.domain)), lambda x: x IS NOT NULL) AS spf_domains
FROM dmarc_aggregate;

CREATE OR REPLACE VIEW v_dmarc_pass_rate_domain AS
SELECT
    domain,
    count(DISTINCT report_key) AS reports,
    count(DISTINCT reporter) AS reporters,
    count(DISTINCT source_ip) AS sources,
    sum(messages)::BIGINT AS messages,
    coalesce(sum(messages) FILTER (WHERE aligned), 0)::BIGINT AS pass_messages,
    coalesce(sum(messages) FILTER (WHERE NOT aligned), 0)::BIGINT AS fail_messages,
    bp_rate(pass_messages, sum(messages)) AS pass_rate,
    bp_rate(sum(messages) FILTER (WHERE dkim_aligned), sum(messages)) AS dkim_pass_rate,
    bp_rate(sum(messages) FILTER (WHERE spf_aligned), sum(messages)) AS spf_pass_rate,
    min(day) AS first_day,
    max(day) AS last_day
FROM v_dmarc_records
GROUP BY domain;

CREATE OR REPLACE VIEW v_dmarc_pass_rate_daily AS
SELECT day, domain,
       sum(messages)::BIGINT AS messages,
       coalesce(sum(messages) FILTER (WHERE aligned), 0)::BIGINT AS pass_messages,
       bp_rate(pass_messages, sum(messages)) AS pass_rate
FROM v_dmarc_records
GROUP BY day, domain;

-- The identity of each source IP: the latest ip_identity row (`bouncepipe views --identify`).
CREATE OR REPLACE VIEW v_ip_identity AS
SELECT ip, reverse_dns, base_domain, asn, as_name, country, service_name, service_type,
       rdns_status, looked_up_at
FROM ip_identity
QUALIFY row_number() OVER (PARTITION BY ip ORDER BY looked_up_at DESC, row_id) = 1;

-- Who sends as each domain: one line per (domain, source IP). known = at least one aligned
-- pass from that IP for that domain (it holds the domain's DKIM key or SPF authorisation);
-- authenticated = DKIM or SPF passed for some domain (a vendor signing as itself);
-- dkim_ids = DKIM d=/selector pairs seen, spf_domains = SPF domains seen.
CREATE OR REPLACE VIEW v_dmarc_sources AS
WITH s AS (
    SELECT
        domain, source_ip,
        list_sort(list_distinct(list(reporter))) AS reporters,
        sum(messages)::BIGINT AS messages,
        coalesce(sum(messages) FILTER (WHERE aligned), 0)::BIGINT AS pass_messages,
        coalesce(sum(messages) FILTER (WHERE NOT aligned), 0)::BIGINT AS fail_messages,
        bp_rate(pass_messages, sum(messages)) AS pass_rate,
        coalesce(sum(messages) FILTER (WHERE dkim_aligned), 0)::BIGINT AS dkim_pass_messages,
        coalesce(sum(messages) FILTER (WHERE spf_aligned), 0)::BIGINT AS spf_pass_messages,
        coalesce(sum(messages) FILTER (WHERE disposition = 'quarantine'), 0)::BIGINT AS quarantined,
        coalesce(sum(messages) FILTER (WHERE disposition = 'reject'), 0)::BIGINT AS rejected,
        pass_messages > 0 AS known,
        bool_or(authenticated) AS authenticated,
        list_sort(list_distinct(flatten(list(dkim_ids)))) AS dkim_ids,
        list_sort(list_distinct(flatten(list(spf_domains)))) AS spf_domains,
        min(day) AS first_seen,
        max(day) AS last_seen
    FROM v_dmarc_records
    GROUP BY domain, source_ip)
SELECT s.*, i.reverse_dns, i.base_domain, i.asn, i.as_name, i.country, i.service_name,
       i.service_type
FROM s LEFT JOIN v_ip_identity i ON i.ip = s.source_ip;

-- Per reporter organisation (Google, Microsoft, ...): what each receiver sees for a domain.
CREATE OR REPLACE VIEW v_dmarc_reporters AS
SELECT domain, reporter,
       count(DISTINCT report_key) AS reports,
       sum(messages)::BIGINT AS messages,
       coalesce(sum(messages) FILTER (WHERE aligned), 0)::BIGINT AS pass_messages,
       bp_rate(pass_messages, sum(messages)) AS pass_rate
FROM v_dmarc_records
GROUP BY domain, reporter;

-- Sources first seen within the last `window_days` days of DMARC data (anchored on the latest
-- report day in the lake, so the answer does not drift with the wall clock).
CREATE OR REPLACE MACRO dmarc_new_sources(window_days) AS TABLE
SELECT s.*, a.last_day - s.first_seen AS age_days
FROM v_dmarc_sources s,
     (SELECT max(day) AS last_day FROM v_dmarc_records) a
WHERE s.first_seen > a.last_day - window_days;

CREATE OR REPLACE VIEW v_dmarc_new_sources AS SELECT * FROM dmarc_new_sources(7);

-- Ready to move to quarantine / reject? Per header-from domain, over the trailing
-- `window_days` days of DMARC data (anchored on the latest report day), judged per source.
-- Policy in force (RFC 7489 6.3): the latest report's p for the policy domain itself, sp (else
-- p) for a subdomain of it (subdomain inheritance); pct < 100 means only that share of failing
-- mail gets the policy, so p=reject at pct 50 is not "at reject".
-- Sources: 'aligned' = at least one aligned pass in the window (holds the domain's DKIM key or
-- SPF authorisation); 'sending_service' = never aligned, but authenticated (DKIM or SPF pass
-- for its own domain) from a named email-sending service (parsedmarc's map via ip_identity):
-- a legitimate vendor not yet set up for alignment; 'unknown' = the rest (what enforcement
-- should stop). Legitimate = aligned or sending_service; a legitimate source with at least
-- bp_dmarc_min_source_messages() messages must itself pass at the threshold of a verdict.
CREATE OR REPLACE MACRO bp_dmarc_window_days() AS 30;
CREATE OR REPLACE MACRO bp_dmarc_min_source_messages() AS 50;
CREATE OR REPLACE MACRO bp_dmarc_sending_service_types() AS ['Email Provider', 'Marketing', 'SaaS', 'Email Security'];

CREATE OR REPLACE MACRO dmarc_source_readiness(window_days) AS TABLE
WITH anchor AS (SELECT max(day) AS last_day FROM v_dmarc_records),
     rec AS (SELECT r.* FROM v_dmarc_records r, anchor a WHERE r.day > a.last_day - window_days),
     src AS (
        SELECT domain, source_ip, sum(messages)::BIGINT AS messages,
               coalesce(sum(messages) FILTER (WHERE aligned), 0)::BIGINT AS pass_messages,
               coalesce(sum(messages) FILTER (WHERE NOT aligned), 0)::BIGINT AS fail_messages,
               coalesce(sum(messages) FILTER (WHERE NOT aligned AND disposition IN ('quarantine', 'reject')), 0)::BIGINT AS acted_messages,
               bool_or(aligned) AS ever_aligned, bool_or(authenticated) AS authenticated
        FROM rec GROUP BY domain, source_ip)
SELECT src.domain, src.source_ip, i.service_name, i.reverse_dns, src.messages, src.pass_messages,
       src.fail_messages, src.acted_messages, bp_rate(src.pass_messages, src.messages) AS pass_rate,
       CASE WHEN src.ever_aligned THEN 'aligned'
            WHEN src.authenticated AND list_contains(bp_dmarc_sending_service_types(), i.service_type) THEN 'sending_service'
            ELSE 'unknown' END AS source_class,
       source_class <> 'unknown' AS legitimate,
       src.messages >= bp_dmarc_min_source_messages() AS judged,
       legitimate AND judged AND pass_rate < bp_dmarc_reject_pass() AS blocks_reject,
       legitimate AND judged AND pass_rate < bp_dmarc_quarantine_pass() AS blocks_quarantine
FROM src LEFT JOIN v_ip_identity i ON i.ip = src.source_ip;

CREATE OR REPLACE VIEW v_dmarc_source_readiness AS
SELECT * FROM dmarc_source_readiness(bp_dmarc_window_days());

CREATE OR REPLACE MACRO dmarc_readiness(window_days) AS TABLE
WITH anchor AS (SELECT max(day) AS last_day FROM v_dmarc_records),
     rec AS (SELECT r.* FROM v_dmarc_records r, anchor a WHERE r.day > a.last_day - window_days),
     pol AS (
        SELECT domain, arg_max(policy_domain, end_date) AS policy_domain,
               arg_max(policy_p, end_date) AS policy_p, arg_max(policy_sp, end_date) AS policy_sp,
               arg_max(policy_pct, end_date) AS policy_pct,
               min(day) AS window_start, max(day) AS window_end,
               count(DISTINCT day) AS report_days
        FROM rec GROUP BY domain),
     src AS (SELECT * FROM dmarc_source_readiness(window_days)),
     agg AS (
        SELECT domain, sum(messages)::BIGINT AS messages, sum(pass_messages)::BIGINT AS pass_messages,
               sum(fail_messages)::BIGINT AS fail_messages, sum(acted_messages)::BIGINT AS acted_messages,
               coalesce(sum(messages) FILTER (WHERE legitimate), 0)::BIGINT AS known_messages,
               coalesce(sum(fail_messages) FILTER (WHERE legitimate), 0)::BIGINT AS known_fail_messages,
               coalesce(sum(messages) FILTER (WHERE NOT legitimate), 0)::BIGINT AS unknown_messages,
               count(*) FILTER (WHERE source_class = 'sending_service') AS vendor_sources,
               count(*) FILTER (WHERE blocks_reject) AS failing_sources,
               bool_or(blocks_quarantine) AS blocks_quarantine,
               arg_min(source_ip, pass_rate) FILTER (WHERE legitimate AND judged) AS worst_source_ip,
               min(pass_rate) FILTER (WHERE legitimate AND judged) AS worst_source_pass_rate
        FROM src GROUP BY domain)
SELECT a.domain, p.policy_domain,
       CASE WHEN a.domain <> p.policy_domain AND a.domain LIKE '%.' || p.policy_domain
            THEN coalesce(p.policy_sp, p.policy_p) ELSE p.policy_p END AS current_policy,
       p.policy_p, p.policy_sp, p.policy_pct, p.window_start, p.window_end, p.report_days,
       a.messages, a.pass_messages, bp_rate(a.pass_messages, a.messages) AS pass_rate,
       a.known_messages, a.known_fail_messages,
       bp_rate(a.known_messages - a.known_fail_messages, a.known_messages) AS known_pass_rate,
       a.unknown_messages, a.vendor_sources, a.failing_sources, a.worst_source_ip,
       a.worst_source_pass_rate, a.fail_messages, a.acted_messages,
       -- what the next stricter step (quarantine, then reject, at pct=100) would act on: every
       -- failing message in the window (already-quarantined mail would be rejected instead)
       CASE WHEN current_policy = 'reject' AND p.policy_pct >= 100 THEN 0 ELSE a.fail_messages END AS affected_messages,
       CASE WHEN current_policy = 'reject' AND p.policy_pct >= 100 THEN 0 ELSE a.known_fail_messages END AS legit_at_risk,
       CASE WHEN a.messages < bp_dmarc_min_messages() OR p.report_days < bp_dmarc_min_days()
                THEN 'insufficient_data'
            WHEN current_policy = 'reject' AND p.policy_pct >= 100 THEN 'at_reject'
            WHEN a.blocks_quarantine OR coalesce(known_pass_rate, 0) < bp_dmarc_quarantine_pass() THEN 'not_ready'
            WHEN a.failing_sources = 0 AND known_pass_rate >= bp_dmarc_reject_pass() THEN 'ready_for_reject'
            ELSE 'ready_for_quarantine' END AS verdict,
       CASE verdict
            WHEN 'insufficient_data' THEN 'keep p=' || coalesce(current_policy, 'none') || ': collect more reports'
            WHEN 'at_reject' THEN 'keep p=reject'
            WHEN 'not_ready' THEN 'fix failing legitimate sources'
                 || coalesce(' (worst ' || a.worst_source_ip || ')', '')
                 || ' before tightening p=' || coalesce(current_policy, 'none')
            WHEN 'ready_for_quarantine' THEN
                CASE WHEN current_policy = 'quarantine' AND p.policy_pct < 100 THEN 'raise pct to 100 at p=quarantine'
                     WHEN current_policy = 'quarantine' THEN 'keep p=quarantine until every legitimate source passes more often'
                     ELSE 'move to p=quarantine' END
            ELSE CASE WHEN current_policy = 'reject' THEN 'raise pct to 100 at p=reject'
                      WHEN current_policy = 'quarantine' THEN 'move to p=reject'
                      ELSE 'move to p=quarantine, then p=reject' END
       END AS next_step
FROM agg a JOIN pol p USING (domain);

CREATE OR REPLACE VIEW v_dmarc_readiness AS SELECT * FROM dmarc_readiness(bp_dmarc_window_days());

-- DMARC failure (ruf) reports: one line per reported domain, source IP and UTC day, with what
-- failed and an example of the message (reporters that send ruf at all send few of them).
CREATE OR REPLACE VIEW v_dmarc_failures AS
SELECT
    bp_utc_day(arrival_date) AS day,
    lower(reported_domain) AS domain,
    coalesce(source_ip, '(unknown)') AS source_ip,
    count(*) AS reports,
    list_sort(list_distinct(flatten(list(coalesce(auth_failure, []))))) AS auth_failures,
    list_sort(list_distinct(list(delivery_result))) AS delivery_results,
    list_sort(list_distinct(list(reporting_mta))) AS reporting_mtas,
    min(original_mail_from) AS example_mail_from,
    min(sample_subject) AS example_subject
FROM dmarc_failure
GROUP BY ALL;
