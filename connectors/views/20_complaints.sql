-- Complaint rate per tenant/stream and UTC day against delivered volume (Gmail-style daily
-- spam rate: complaints received that day / messages delivered that day).
CREATE OR REPLACE VIEW v_complaint_rate AS
WITH counts AS (
    SELECT bp_event_day(dt) AS day, tenant, stream, category, count(*) AS n
    FROM events GROUP BY ALL)
SELECT
    day,
    coalesce(tenant, '(none)') AS tenant,
    coalesce(stream, '(none)') AS stream,
    coalesce(sum(n) FILTER (WHERE category = 'delivered'), 0)::BIGINT AS delivered,
    coalesce(sum(n) FILTER (WHERE category = 'complaint'), 0)::BIGINT AS complaints,
    bp_rate(complaints, delivered) AS complaint_rate,
    bp_complaint_status(bp_rate(complaints, delivered)) AS status
FROM counts
GROUP BY ALL
HAVING delivered + complaints > 0;

-- One line per tenant/stream over the whole lake: overall rate, its status, the worst day and
-- how many days were at warn / over.
CREATE OR REPLACE VIEW v_complaint_status AS
SELECT
    tenant, stream,
    count(*) AS days,
    sum(delivered)::BIGINT AS delivered,
    sum(complaints)::BIGINT AS complaints,
    bp_rate(sum(complaints), sum(delivered)) AS complaint_rate,
    bp_complaint_status(bp_rate(sum(complaints), sum(delivered))) AS status,
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
       (sum(delivered) OVER w)::BIGINT AS delivered_7d,
       (sum(complaints) OVER w)::BIGINT AS complaints_7d,
       bp_rate(sum(complaints) OVER w, sum(delivered) OVER w) AS complaint_rate_7d,
       bp_complaint_status(bp_rate(sum(complaints) OVER w, sum(delivered) OVER w)) AS status
FROM v_complaint_rate
WINDOW w AS (PARTITION BY tenant, stream ORDER BY day RANGE BETWEEN INTERVAL 6 DAYS PRECEDING AND CURRENT ROW);
