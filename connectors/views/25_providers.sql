-- Rates per mailbox provider against each provider's own thresholds (bp_provider_thresholds).
-- Complaint rate per provider = complaints from recipients at that provider / mail delivered
-- to that provider: a provider's complaints over all delivered mail would understate its rate
-- by the share of mail not sent to it. Gmail (and Apple) send no ARF complaints: their
-- complaint_rate is NULL here (arf_complaints = false); Gmail's spam rate comes from Google
-- Postmaster Tools (v_postmaster_daily) instead.
-- (Counted straight from events, without the slice dimensions a provider view does not need:
-- fewer groups than v_delivery_daily.)
CREATE OR REPLACE VIEW v_provider_daily AS
WITH counts AS (
    SELECT bp_event_day(dt) AS day, coalesce(recipient_domain, '(unknown)') AS recipient_domain,
           category, action, coalesce(list_contains(bp_throttle_reasons(), reason), false) AS throttle,
           count(*) AS n
    FROM events GROUP BY ALL),
per_domain AS (
    SELECT day, recipient_domain,
           coalesce(sum(n) FILTER (WHERE category = 'delivered'), 0) AS delivered,
           coalesce(sum(n) FILTER (WHERE category = 'hard_bounce'), 0) AS hard_bounces,
           coalesce(sum(n) FILTER (WHERE category IN ('hard_bounce', 'soft_bounce') AND action IS DISTINCT FROM 'delayed'), 0) AS bounces,
           coalesce(sum(n) FILTER (WHERE category = 'soft_bounce' AND action = 'delayed'), 0) AS deferrals,
           coalesce(sum(n) FILTER (WHERE category = 'soft_bounce' AND throttle), 0) AS throttled,
           coalesce(sum(n) FILTER (WHERE category = 'complaint'), 0) AS complaints
    FROM counts GROUP BY day, recipient_domain)
SELECT d.day, p.provider,
       sum(d.delivered)::BIGINT AS delivered, sum(d.bounces)::BIGINT AS bounces,
       sum(d.hard_bounces)::BIGINT AS hard_bounces, sum(d.deferrals)::BIGINT AS deferrals,
       sum(d.throttled)::BIGINT AS throttled, sum(d.complaints)::BIGINT AS complaints,
       bp_sends_arf(p.provider) AS arf_complaints,
       bp_rate(sum(d.bounces), sum(d.delivered + d.bounces)) AS bounce_rate,
       bp_rate(sum(d.deferrals), sum(d.delivered + d.bounces + d.deferrals)) AS deferral_rate,
       bp_rate(sum(d.throttled), sum(d.delivered + d.bounces + d.deferrals)) AS throttling_rate,
       CASE WHEN bp_sends_arf(p.provider) THEN bp_rate(sum(d.complaints), sum(d.delivered)) END AS complaint_rate
FROM per_domain d
JOIN bp_providers((SELECT list(DISTINCT recipient_domain) FROM per_domain)) p USING (recipient_domain)
WHERE d.delivered + d.bounces + d.deferrals + d.complaints > 0
GROUP BY d.day, p.provider;

-- Google Postmaster Tools spam rate and reputation per domain and day.
CREATE OR REPLACE VIEW v_postmaster_daily AS
SELECT CAST(day AS DATE) AS day, lower(domain) AS domain,
       arg_max(user_reported_spam_ratio, imported_at) AS spam_rate,
       arg_max(domain_reputation, imported_at) AS domain_reputation,
       arg_max(dmarc_success_ratio, imported_at) AS dmarc_success_ratio,
       arg_max(delivery_error_ratio, imported_at) AS delivery_error_ratio
FROM postmaster_traffic GROUP BY ALL;

-- Microsoft SNDS per sending IP and activity day.
CREATE OR REPLACE VIEW v_snds_daily AS
SELECT bp_utc_day(activity_start) AS day, ip,
       sum(rcpt_commands)::BIGINT AS rcpt_commands, sum(message_recipients)::BIGINT AS message_recipients,
       max(complaint_rate) AS complaint_rate, max(trap_hits) AS trap_hits,
       arg_max(filter_result, activity_end) AS filter_result
FROM snds_data GROUP BY ALL;

-- Yahoo Sender Hub Insights per DKIM domain and day (the latest import of each; imported with
-- `bouncepipe views --import-yahoo`), against Yahoo's own levels (bp_provider_thresholds,
-- 'Yahoo/AOL'). Yahoo's rate is over INBOX-delivered mail only, so it runs above complaints /
-- all delivered; complaints_estimated = rate x inbox_delivered (the rate is rounded on the
-- dashboard, so this is an estimate).
CREATE OR REPLACE VIEW v_yahoo_insights_daily AS
WITH latest AS (
        SELECT bp_utc_day(day) AS day, dkim_domain, inbox_delivered, spam_complaint_rate
        FROM yahoo_insights
        QUALIFY row_number() OVER (PARTITION BY bp_utc_day(day), dkim_domain
                                   ORDER BY imported_at DESC, row_id) = 1),
     thr AS (
        SELECT arg_min(warn, provider = '*') AS warn, arg_min(over, provider = '*') AS over
        FROM bp_provider_thresholds
        WHERE provider IN ('Yahoo/AOL', '*') AND metric = 'complaint_rate')
SELECT l.day, l.dkim_domain, l.inbox_delivered, l.spam_complaint_rate,
       round(l.spam_complaint_rate * l.inbox_delivered)::BIGINT AS complaints_estimated,
       thr.warn AS complaint_warn, thr.over AS complaint_over,
       bp_level(l.spam_complaint_rate, thr.warn, thr.over) AS status
FROM latest l, thr;

-- Per provider over the lake's last `window_days` days: volumes, rates, the provider's own
-- thresholds and a status per metric (low_volume under bp_incident_min_volume() messages). Google's complaint rate is Postmaster Tools' spam rate
-- (mean of the window's days: Postmaster gives no volume), marked complaint_source = 'postmaster_tools'.
-- provider_complaint_rate is the provider's own measurement beside ours: Google's Postmaster
-- spam rate, Yahoo/AOL's Sender Hub Insights rate (over inbox-delivered mail, weighted by each
-- day's and DKIM domain's inbox volume; the plain mean when no volumes were given), with
-- provider_complaint_source (postmaster_tools | yahoo_insights), provider_volume (Yahoo's
-- inbox-delivered count) and provider_complaint_status on the provider's thresholds.
CREATE OR REPLACE MACRO provider_status(window_days) AS TABLE
WITH daily AS (  -- one pass over v_provider_daily (a second one for max(day) doubled the time)
        SELECT *, max(day) OVER () AS last_day FROM v_provider_daily),
     w AS (SELECT * FROM daily WHERE day > last_day - window_days),
     pm AS (SELECT avg(spam_rate) AS spam_rate FROM v_postmaster_daily
            WHERE day > (SELECT max(last_day) FROM w) - window_days AND spam_rate IS NOT NULL),
     yi AS (
        SELECT sum(inbox_delivered)::BIGINT AS inbox_delivered,
               CASE WHEN sum(inbox_delivered) FILTER (WHERE spam_complaint_rate IS NOT NULL) > 0
                    THEN sum(spam_complaint_rate * inbox_delivered)
                         / sum(inbox_delivered) FILTER (WHERE spam_complaint_rate IS NOT NULL)
                    ELSE avg(spam_complaint_rate) END AS spam_rate
        FROM v_yahoo_insights_daily
        WHERE day > (SELECT max(last_day) FROM w) - window_days),
     agg AS (
        SELECT provider, sum(delivered)::BIGINT AS delivered, sum(bounces)::BIGINT AS bounces,
               sum(deferrals)::BIGINT AS deferrals, sum(throttled)::BIGINT AS throttled,
               sum(complaints)::BIGINT AS complaints, bool_and(arf_complaints) AS arf_complaints,
               bp_rate(sum(bounces), sum(delivered + bounces)) AS bounce_rate,
               bp_rate(sum(deferrals), sum(delivered + bounces + deferrals)) AS deferral_rate,
               bp_rate(sum(throttled), sum(delivered + bounces + deferrals)) AS throttling_rate
        FROM w GROUP BY provider),
     thr AS (  -- the provider's own threshold, else the '*' one
        SELECT a.provider, t.metric, arg_min(t.warn, t.provider = '*') AS warn,
               arg_min(t.over, t.provider = '*') AS over
        FROM agg a JOIN bp_provider_thresholds t ON t.provider IN (a.provider, '*')
        GROUP BY ALL),
     wide AS (
        SELECT provider,
               max(warn) FILTER (WHERE metric = 'bounce_rate') AS bounce_warn,
               max(over) FILTER (WHERE metric = 'bounce_rate') AS bounce_over,
               max(warn) FILTER (WHERE metric = 'deferral_rate') AS deferral_warn,
               max(over) FILTER (WHERE metric = 'deferral_rate') AS deferral_over,
               max(warn) FILTER (WHERE metric = 'complaint_rate') AS complaint_warn,
               max(over) FILTER (WHERE metric = 'complaint_rate') AS complaint_over
        FROM thr GROUP BY provider),
     rated AS (
        SELECT a.*, wide.* EXCLUDE (provider),
               CASE WHEN a.arf_complaints THEN bp_rate(a.complaints, a.delivered)
                    WHEN a.provider = 'Google' THEN pm.spam_rate END AS complaint_rate,
               CASE WHEN a.arf_complaints THEN 'arf'
                    WHEN a.provider = 'Google' AND pm.spam_rate IS NOT NULL THEN 'postmaster_tools'
                    ELSE 'none' END AS complaint_source,
               CASE a.provider WHEN 'Google' THEN pm.spam_rate
                               WHEN 'Yahoo/AOL' THEN yi.spam_rate END AS provider_complaint_rate,
               CASE WHEN a.provider = 'Google' AND pm.spam_rate IS NOT NULL THEN 'postmaster_tools'
                    WHEN a.provider = 'Yahoo/AOL' AND yi.spam_rate IS NOT NULL THEN 'yahoo_insights'
                    END AS provider_complaint_source,
               CASE WHEN a.provider = 'Yahoo/AOL' THEN yi.inbox_delivered END AS provider_volume
        FROM agg a LEFT JOIN wide USING (provider), pm, yi)
SELECT provider, delivered, bounces, deferrals, throttled, complaints, bounce_rate, deferral_rate,
       throttling_rate, complaint_rate, complaint_source, provider_complaint_rate,
       provider_complaint_source, provider_volume, bounce_warn, bounce_over, deferral_warn,
       deferral_over, complaint_warn, complaint_over,
       -- a status needs volume (bp_incident_min_volume() messages): 1 bounce of 3 is not 33 %
       CASE WHEN delivered + bounces < bp_incident_min_volume() THEN 'low_volume'
            ELSE bp_level(bounce_rate, bounce_warn, bounce_over) END AS bounce_status,
       CASE WHEN delivered + bounces + deferrals < bp_incident_min_volume() THEN 'low_volume'
            ELSE bp_level(deferral_rate, deferral_warn, deferral_over) END AS deferral_status,
       CASE WHEN complaint_source = 'arf' AND delivered < bp_incident_min_volume() THEN 'low_volume'
            ELSE bp_level(complaint_rate, complaint_warn, complaint_over) END AS complaint_status,
       CASE WHEN provider_complaint_source IS NULL THEN NULL
            WHEN provider_volume < bp_incident_min_volume() THEN 'low_volume'
            ELSE bp_level(provider_complaint_rate, complaint_warn, complaint_over)
            END AS provider_complaint_status
FROM rated;

CREATE OR REPLACE VIEW v_provider_status AS SELECT * FROM provider_status(7);
