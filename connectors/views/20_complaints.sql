-- Complaint rate per tenant/stream and UTC day against delivered volume (Gmail-style daily
-- spam rate: complaints received that day / messages delivered that day).
-- The denominator is mail delivered to providers that send ARF complaints (delivered_arf):
-- Gmail and Apple send none, so mail delivered to them can never produce a complaint here, and
-- counting it would understate the rate by their share of the mail. complaints counts the
-- complaints from those providers' recipients (complaints_all: from anyone).
CREATE OR REPLACE VIEW v_complaint_rate AS
WITH counts AS (
    SELECT bp_event_day(dt) AS day, tenant, stream, coalesce(recipient_domain, '(unknown)') AS recipient_domain,
           category, count(*) AS n
    FROM events GROUP BY ALL),
arf AS (
    SELECT c.*, bp_sends_arf(p.provider) AS arf
    FROM counts c JOIN bp_providers((SELECT list(DISTINCT recipient_domain) FROM counts)) p USING (recipient_domain))
SELECT
    day,
    coalesce(tenant, '(none)') AS tenant,
    coalesce(stream, '(none)') AS stream,
    coalesce(sum(n) FILTER (WHERE category = 'delivered'), 0)::BIGINT AS delivered,
    coalesce(sum(n) FILTER (WHERE category = 'delivered' AND arf), 0)::BIGINT AS delivered_arf,
    coalesce(sum(n) FILTER (WHERE category = 'complaint' AND arf), 0)::BIGINT AS complaints,
    coalesce(sum(n) FILTER (WHERE category = 'complaint'), 0)::BIGINT AS complaints_all,
    bp_rate(complaints, delivered_arf) AS complaint_rate,
    bp_complaint_status(bp_rate(complaints, delivered_arf)) AS status
FROM arf
GROUP BY ALL
HAVING delivered + complaints_all > 0;

-- One line per tenant/stream over the whole lake: overall rate, its status, the worst day and
-- how many days were at warn / over.
CREATE OR REPLACE VIEW v_complaint_status AS
SELECT
    tenant, stream,
    count(*) AS days,
    sum(delivered)::BIGINT AS delivered,
    sum(delivered_arf)::BIGINT AS delivered_arf,
    sum(complaints)::BIGINT AS complaints,
    bp_rate(sum(complaints), sum(delivered_arf)) AS complaint_rate,
    bp_complaint_status(bp_rate(sum(complaints), sum(delivered_arf))) AS status,
    max(complaint_rate) AS peak_daily_rate,
    arg_max(day, complaint_rate) AS peak_day,
    count(*) FILTER (WHERE status = 'warn') AS days_warn,
    count(*) FILTER (WHERE status = 'over') AS days_over,
    max(day) AS last_day
FROM v_complaint_rate
GROUP BY tenant, stream;

-- The same rate over a rolling 7-day window ending on each day (smooths the one-complaint
-- spikes of low-volume streams; a stream that sends nothing on a day keeps its window).
CREATE OR REPLACE VIEW v_complaint_rate_7d AS
SELECT day, tenant, stream,
       (sum(delivered_arf) OVER w)::BIGINT AS delivered_7d,
       (sum(complaints) OVER w)::BIGINT AS complaints_7d,
       bp_rate(sum(complaints) OVER w, sum(delivered_arf) OVER w) AS complaint_rate_7d,
       bp_complaint_status(bp_rate(sum(complaints) OVER w, sum(delivered_arf) OVER w)) AS status
FROM v_complaint_rate
WINDOW w AS (PARTITION BY tenant, stream ORDER BY day RANGE BETWEEN INTERVAL 6 DAYS PRECEDING AND CURRENT ROW);
