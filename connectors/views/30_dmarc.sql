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
    report_key, begin_date, end_date
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

-- Who sends as each domain: one line per (domain, source IP). known = at least one aligned
-- pass from that IP for that domain (it holds the domain's DKIM key or SPF authorisation).
CREATE OR REPLACE VIEW v_dmarc_sources AS
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
    min(day) AS first_seen,
    max(day) AS last_seen
FROM v_dmarc_records
GROUP BY domain, source_ip;

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

-- Ready to move from p=none to quarantine / reject? Per header-from domain.
-- affected_messages: failing mail a receiver did not already quarantine/reject, i.e. what a
-- stricter policy would start to act on; legit_at_risk: the part of it from known sources.
CREATE OR REPLACE VIEW v_dmarc_readiness AS
WITH src AS (SELECT domain, source_ip, known FROM v_dmarc_sources),
     rec AS (SELECT r.*, s.known FROM v_dmarc_records r JOIN src s USING (domain, source_ip)),
     agg AS (
        SELECT domain,
               arg_max(policy_p, end_date) AS current_policy,
               count(DISTINCT day) AS report_days,
               sum(messages)::BIGINT AS messages,
               coalesce(sum(messages) FILTER (WHERE aligned), 0)::BIGINT AS pass_messages,
               bp_rate(pass_messages, sum(messages)) AS pass_rate,
               coalesce(sum(messages) FILTER (WHERE known), 0)::BIGINT AS known_messages,
               coalesce(sum(messages) FILTER (WHERE known AND NOT aligned), 0)::BIGINT AS known_fail_messages,
               bp_rate(known_messages - known_fail_messages, known_messages) AS known_pass_rate,
               coalesce(sum(messages) FILTER (WHERE NOT known), 0)::BIGINT AS unknown_messages,
               coalesce(sum(messages) FILTER (WHERE NOT aligned AND disposition = 'none'), 0)::BIGINT AS affected_messages,
               coalesce(sum(messages) FILTER (WHERE known AND NOT aligned AND disposition = 'none'), 0)::BIGINT AS legit_at_risk
        FROM rec GROUP BY domain)
SELECT *,
       CASE WHEN messages < bp_dmarc_min_messages() OR report_days < bp_dmarc_min_days()
                THEN 'insufficient_data'
            WHEN current_policy = 'reject' THEN 'at_reject'
            WHEN known_pass_rate >= bp_dmarc_reject_pass() THEN 'ready_for_reject'
            WHEN known_pass_rate >= bp_dmarc_quarantine_pass() THEN 'ready_for_quarantine'
            ELSE 'not_ready' END AS verdict,
       CASE verdict
            WHEN 'insufficient_data' THEN 'keep p=' || coalesce(current_policy, 'none') || ': collect more reports'
            WHEN 'at_reject' THEN 'keep p=reject'
            WHEN 'not_ready' THEN 'fix failing known sources before tightening p=' || coalesce(current_policy, 'none')
            WHEN 'ready_for_quarantine' THEN
                CASE WHEN current_policy = 'quarantine' THEN 'keep p=quarantine until known sources pass more often'
                     ELSE 'move to p=quarantine' END
            ELSE CASE WHEN current_policy = 'quarantine' THEN 'move to p=reject'
                      ELSE 'move to p=quarantine, then p=reject' END
       END AS next_step
FROM agg;

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
