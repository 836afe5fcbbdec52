-- Slicing dimensions: who sent it (tenant, stream, campaign), from where (sending pool / IP),
-- to whom (recipient domain and its mailbox provider), per UTC day. The sending pool and IP
-- are events columns worked out when the event was built from its tags as the MTA or ESP
-- stated them (schemas.dimensions; KumoMTA: egress_pool / egress_source; ESP webhooks: pool,
-- ip, sending_ip custom args); the events view derives them for older lake files.

-- Deferral = a delayed DSN (soft bounce with action 'delayed'); throttled = a deferral or soft
-- bounce whose reason says the receiver limited the rate (Sisimai: ratelimited, and its older names speeding, toomanyconn).
CREATE OR REPLACE MACRO bp_throttle_reasons() AS ['ratelimited', 'speeding', 'toomanyconn'];

-- One row per day x tenant x stream x campaign x pool x IP x recipient domain with the counts
-- every rate is made of. Filter it by any dimension and sum: rates = sums of the counts
-- (never averages of rates).
CREATE OR REPLACE VIEW v_delivery_daily AS
WITH counts AS (
    SELECT bp_event_day(dt) AS day, tenant, stream, campaign, sending_pool, sending_ip,
           recipient_domain, category, action, reason, count(*) AS n
    FROM events GROUP BY ALL),
shaped AS (
    SELECT day,
           coalesce(tenant, '(none)') AS tenant,
           coalesce(stream, '(none)') AS stream,
           coalesce(campaign, '(none)') AS campaign,
           coalesce(sending_pool, '(none)') AS sending_pool,
           coalesce(sending_ip, '(none)') AS sending_ip,
           coalesce(recipient_domain, '(unknown)') AS recipient_domain,
           coalesce(sum(n) FILTER (WHERE category = 'delivered'), 0)::BIGINT AS delivered,
           coalesce(sum(n) FILTER (WHERE category = 'hard_bounce'), 0)::BIGINT AS hard_bounces,
           coalesce(sum(n) FILTER (WHERE category = 'soft_bounce' AND action IS DISTINCT FROM 'delayed'), 0)::BIGINT AS soft_bounces,
           coalesce(sum(n) FILTER (WHERE category = 'soft_bounce' AND action = 'delayed'), 0)::BIGINT AS deferrals,
           coalesce(sum(n) FILTER (WHERE category = 'soft_bounce' AND list_contains(bp_throttle_reasons(), reason)), 0)::BIGINT AS throttled,
           coalesce(sum(n) FILTER (WHERE category = 'complaint'), 0)::BIGINT AS complaints,
           coalesce(sum(n) FILTER (WHERE category = 'unsubscribe'), 0)::BIGINT AS unsubscribes
    FROM counts GROUP BY ALL)
SELECT s.day, s.tenant, s.stream, s.campaign, s.sending_pool, s.sending_ip, s.recipient_domain,
       p.provider, s.delivered, s.hard_bounces, s.soft_bounces,
       s.hard_bounces + s.soft_bounces AS bounces, s.deferrals, s.throttled, s.complaints,
       s.unsubscribes,
       bp_rate(s.hard_bounces + s.soft_bounces, s.delivered + s.hard_bounces + s.soft_bounces) AS bounce_rate,
       bp_rate(s.deferrals, s.delivered + s.hard_bounces + s.soft_bounces + s.deferrals) AS deferral_rate,
       bp_rate(s.complaints, s.delivered) AS complaint_rate
FROM shaped s
JOIN bp_providers((SELECT list(DISTINCT recipient_domain) FROM shaped)) p USING (recipient_domain)
WHERE s.delivered + s.hard_bounces + s.soft_bounces + s.deferrals + s.complaints + s.unsubscribes > 0;

-- Per day and sender slice (tenant, stream, campaign): what dashboards plot (v_pool_daily has
-- the pools and IPs).
CREATE OR REPLACE VIEW v_slice_daily AS
WITH counts AS (
    SELECT bp_event_day(dt) AS day, tenant, stream, campaign, category, action, count(*) AS n
    FROM events GROUP BY ALL)
SELECT day,
       coalesce(tenant, '(none)') AS tenant, coalesce(stream, '(none)') AS stream,
       coalesce(campaign, '(none)') AS campaign,
       coalesce(sum(n) FILTER (WHERE category = 'delivered'), 0)::BIGINT AS delivered,
       coalesce(sum(n) FILTER (WHERE category IN ('hard_bounce', 'soft_bounce') AND action IS DISTINCT FROM 'delayed'), 0)::BIGINT AS bounces,
       coalesce(sum(n) FILTER (WHERE category = 'hard_bounce'), 0)::BIGINT AS hard_bounces,
       coalesce(sum(n) FILTER (WHERE category = 'soft_bounce' AND action = 'delayed'), 0)::BIGINT AS deferrals,
       coalesce(sum(n) FILTER (WHERE category = 'complaint'), 0)::BIGINT AS complaints,
       bp_rate(bounces, delivered + bounces) AS bounce_rate,
       bp_rate(deferrals, delivered + bounces + deferrals) AS deferral_rate,
       bp_rate(complaints, delivered) AS complaint_rate
FROM counts GROUP BY ALL
HAVING delivered + bounces + deferrals + complaints > 0;

-- Per day, tenant and sending pool / IP.
CREATE OR REPLACE VIEW v_pool_daily AS
WITH counts AS (
    SELECT bp_event_day(dt) AS day, tenant, sending_pool, sending_ip, category, action,
           count(*) AS n
    FROM events GROUP BY ALL)
SELECT day, coalesce(tenant, '(none)') AS tenant,
       coalesce(sending_pool, '(none)') AS sending_pool, coalesce(sending_ip, '(none)') AS sending_ip,
       coalesce(sum(n) FILTER (WHERE category = 'delivered'), 0)::BIGINT AS delivered,
       coalesce(sum(n) FILTER (WHERE category IN ('hard_bounce', 'soft_bounce') AND action IS DISTINCT FROM 'delayed'), 0)::BIGINT AS bounces,
       coalesce(sum(n) FILTER (WHERE category = 'soft_bounce' AND action = 'delayed'), 0)::BIGINT AS deferrals,
       coalesce(sum(n) FILTER (WHERE category = 'complaint'), 0)::BIGINT AS complaints,
       bp_rate(bounces, delivered + bounces) AS bounce_rate,
       bp_rate(deferrals, delivered + bounces + deferrals) AS deferral_rate,
       bp_rate(complaints, delivered) AS complaint_rate
FROM counts GROUP BY ALL
HAVING delivered + bounces + deferrals + complaints > 0;
