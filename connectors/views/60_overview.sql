-- Dead letters per UTC day, stage and error type: what could not be read.
CREATE OR REPLACE VIEW v_dead_letters_daily AS
SELECT bp_utc_day(received_at) AS day, stage, error_type,
       count(*) AS dead_letters,
       count(*) FILTER (WHERE retryable) AS retryable,
       coalesce(sum(payload_size), 0)::BIGINT AS payload_bytes
FROM dead_letters
GROUP BY ALL;

-- Incidents: runs of consecutive days at warn/over (complaint rate per tenant/stream, bounce
-- rate per recipient domain), each with enough volume; 'ongoing' when the run reaches the
-- latest day of that metric's data, else 'resolved'.
CREATE OR REPLACE VIEW v_incidents AS
WITH c AS (  -- each source view is read once: its last day comes from a window, not a 2nd scan
        SELECT 'complaint_rate' AS metric, tenant || ' / ' || stream AS subject, day,
               complaint_rate AS rate, delivered AS volume, status AS level,
               max(day) OVER () AS last_day
        FROM v_complaint_rate),
     b AS (
        SELECT 'bounce_rate' AS metric, recipient_domain AS subject, day, bounce_rate AS rate,
               delivered + bounces AS volume,
               CASE WHEN bounce_rate >= bp_bounce_over() THEN 'over'
                    WHEN bounce_rate >= bp_bounce_warn() THEN 'warn' ELSE 'ok' END AS level,
               max(day) OVER () AS last_day
        FROM v_bounce_rate_daily),
     flagged AS (
        SELECT * FROM c WHERE level IN ('warn', 'over') AND volume >= bp_incident_min_volume()
        UNION ALL
        SELECT * FROM b WHERE level IN ('warn', 'over') AND volume >= bp_incident_min_volume()),
     runs AS (
        SELECT *, day - CAST(row_number() OVER (PARTITION BY metric, subject ORDER BY day) AS INTEGER) AS run
        FROM flagged)
SELECT metric, subject, min(day) AS first_day, max(day) AS last_day, count(*) AS days,
       max(rate) AS peak_rate, sum(volume)::BIGINT AS volume,
       CASE WHEN bool_or(level = 'over') THEN 'over' ELSE 'warn' END AS level,
       CASE WHEN max(day) >= max(last_day) THEN 'ongoing' ELSE 'resolved' END AS state
FROM runs GROUP BY metric, subject, run;

-- The headline numbers, one row over the whole lake (the report's first screen). Events are
-- scanned once (counts per day/tenant/stream/category), not once per underlying view.
CREATE OR REPLACE VIEW v_headline AS
WITH counts AS MATERIALIZED (
        SELECT bp_event_day(dt) AS day, tenant, stream,
               coalesce(recipient_domain, '(unknown)') AS recipient_domain, category, action,
               count(*) AS n
        FROM events GROUP BY ALL),
     arf AS MATERIALIZED (  -- complaint rates count mail delivered to ARF-sending providers only
        SELECT c.*, bp_sends_arf(p.provider) AS arf, max(c.day) OVER () AS last
        FROM counts c JOIN bp_providers((SELECT list(DISTINCT recipient_domain) FROM counts)) p
          USING (recipient_domain)),
     per_stream AS (  -- streams near the limits *now*: over the lake's last 7 days
        SELECT tenant, stream,
               coalesce(sum(n) FILTER (WHERE category = 'delivered' AND arf), 0) AS delivered,
               coalesce(sum(n) FILTER (WHERE category = 'complaint' AND arf), 0) AS complaints
        FROM arf WHERE day > last - 7 GROUP BY ALL),
     ca AS (SELECT coalesce(sum(n) FILTER (WHERE category = 'delivered' AND arf), 0)::BIGINT AS delivered_arf,
                   coalesce(sum(n) FILTER (WHERE category = 'complaint' AND arf), 0)::BIGINT AS complaints
            FROM arf),
     b AS (SELECT min(day) FILTER (WHERE category IN ('delivered', 'hard_bounce', 'soft_bounce')) AS first_day,
                  max(day) FILTER (WHERE category IN ('delivered', 'hard_bounce', 'soft_bounce')) AS last_day,
                  coalesce(sum(n) FILTER (WHERE category = 'delivered'), 0)::BIGINT AS delivered,
                  coalesce(sum(n) FILTER (WHERE category IN ('hard_bounce', 'soft_bounce')
                                            AND action IS DISTINCT FROM 'delayed'), 0)::BIGINT AS bounces,
                  coalesce(sum(n) FILTER (WHERE category = 'hard_bounce'), 0)::BIGINT AS hard_bounces,
                  coalesce(sum(n) FILTER (WHERE category = 'complaint'), 0)::BIGINT AS complaints
           FROM counts),
     w AS (SELECT coalesce(sum(delivered), 0)::BIGINT AS delivered_7d,
                  coalesce(sum(complaints), 0)::BIGINT AS complaints_7d
           FROM per_stream WHERE delivered > 0),  -- complaints without any delivered mail: no rate
     c AS (SELECT count(*) FILTER (WHERE bp_complaint_status(bp_rate(complaints, delivered)) = 'warn') AS streams_warn,
                  count(*) FILTER (WHERE bp_complaint_status(bp_rate(complaints, delivered)) = 'over') AS streams_over
           FROM per_stream WHERE delivered + complaints > 0),
     d AS (SELECT coalesce(sum(messages), 0)::BIGINT AS dmarc_messages,
                  coalesce(sum(pass_messages), 0)::BIGINT AS dmarc_pass_messages,
                  count(*) AS dmarc_domains FROM v_dmarc_pass_rate_domain),
     r AS (SELECT count(*) FILTER (WHERE verdict IN ('ready_for_quarantine', 'ready_for_reject')) AS dmarc_domains_ready
           FROM v_dmarc_readiness),
     u AS (SELECT count(*) FILTER (WHERE NOT known) AS dmarc_unknown_sources FROM v_dmarc_sources),
     t AS (SELECT coalesce(sum(failed_sessions), 0)::BIGINT AS tls_failed_sessions,
                  coalesce(sum(successful_sessions), 0)::BIGINT AS tls_successful_sessions FROM v_tls_summary),
     s AS (SELECT count(DISTINCT address) FILTER (WHERE suppressed) AS active_suppressions,
                  count(*) FILTER (WHERE suppressed) AS active_suppression_keys FROM v_suppression_state),
     x AS (SELECT count(*) AS dead_letters FROM dead_letters)
SELECT b.first_day, b.last_day, b.delivered, b.bounces, b.hard_bounces,
       bp_rate(b.bounces, b.delivered + b.bounces) AS bounce_rate,
       ca.complaints, ca.delivered_arf, bp_rate(ca.complaints, ca.delivered_arf) AS complaint_rate,
       bp_complaint_status(bp_rate(ca.complaints, ca.delivered_arf)) AS complaint_status,
       c.streams_warn, c.streams_over,
       w.delivered_7d, w.complaints_7d,
       bp_rate(w.complaints_7d, w.delivered_7d) AS complaint_rate_7d,
       CASE WHEN w.delivered_7d < bp_incident_min_volume() THEN 'no_volume'
            ELSE bp_complaint_status(bp_rate(w.complaints_7d, w.delivered_7d)) END AS complaint_status_7d,
       d.dmarc_messages, bp_rate(d.dmarc_pass_messages, d.dmarc_messages) AS dmarc_pass_rate,
       d.dmarc_domains, r.dmarc_domains_ready, u.dmarc_unknown_sources,
       t.tls_failed_sessions, t.tls_successful_sessions,
       bp_rate(t.tls_failed_sessions, t.tls_failed_sessions + t.tls_successful_sessions) AS tls_failure_rate,
       s.active_suppressions, s.active_suppression_keys, x.dead_letters
FROM b, ca, w, c, d, r, u, t, s, x;
