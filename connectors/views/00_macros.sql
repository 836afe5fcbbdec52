-- Shared macros and thresholds used by every analytics view (bouncepipe conventions).
-- Every timestamp in the lake is UTC.

-- The UTC day of a timestamp, by arithmetic on the epoch (independent of the session TimeZone
-- and ~3x faster than CAST(ts AS DATE), which goes through ICU).
CREATE OR REPLACE MACRO bp_utc_day(ts) AS
    DATE '1970-01-01' + CAST(floor(epoch_us(ts) / 86400000000) AS INTEGER);

-- The day of an event: the Hive partition dt, which is the UTC date of occurred_at by
-- construction of the lake (connectors.lake). Reading it is free; computing the day from
-- occurred_at costs a scan of that column (~0.4 s per 10M events).
CREATE OR REPLACE MACRO bp_event_day(dt) AS TRY_CAST(dt AS DATE);

-- rate = num / den (a NULL num, e.g. an empty FILTER sum, counts as 0); NULL (not 0, not an
-- error) when there is no denominator.
CREATE OR REPLACE MACRO bp_rate(num, den) AS
    CASE WHEN den > 0 THEN CAST(coalesce(num, 0) AS DOUBLE) / den END;

-- Gmail's sender guidelines (support.google.com/a/answer/81126, "spam rate"): keep the
-- user-reported spam rate below 0.10 % and never let it reach 0.30 %.
CREATE OR REPLACE MACRO bp_complaint_warn() AS 0.001;
CREATE OR REPLACE MACRO bp_complaint_over() AS 0.003;
CREATE OR REPLACE MACRO bp_complaint_status(rate) AS
    CASE WHEN rate IS NULL THEN 'no_volume'
         WHEN rate >= bp_complaint_over() THEN 'over'
         WHEN rate >= bp_complaint_warn() THEN 'warn'
         ELSE 'ok' END;

-- Bounce trend: a domain is 'worse' / 'better' when its bounce rate moved by at least this
-- much (absolute, 0.005 = half a percentage point) between two windows.
CREATE OR REPLACE MACRO bp_trend_step() AS 0.005;

-- DMARC readiness (bouncepipe's conventions, not a standard: tune here). The verdict looks at
-- mail from *known* sources (sources with at least one aligned pass for the domain), because
-- failing mail from unknown sources is exactly what quarantine/reject is meant to stop.
-- Fewer messages or fewer report days than these: insufficient_data.
CREATE OR REPLACE MACRO bp_dmarc_min_messages() AS 100;
CREATE OR REPLACE MACRO bp_dmarc_min_days() AS 7;
-- Known-source pass rate needed for quarantine, and for reject.
CREATE OR REPLACE MACRO bp_dmarc_quarantine_pass() AS 0.95;
CREATE OR REPLACE MACRO bp_dmarc_reject_pass() AS 0.98;

-- Two-proportion z statistic (pooled): (a/n - b/m) / sqrt(p (1 - p) (1/n + 1/m)), p = (a+b)/(n+m).
-- NULL when either sample is empty or the pooled rate is 0 or 1 (no variance to test against).
CREATE OR REPLACE MACRO bp_two_proportion_z(a, n, b, m) AS
    CASE WHEN n > 0 AND m > 0 AND (a + b) > 0 AND (a + b) < (n + m)
         THEN (CAST(a AS DOUBLE) / n - CAST(b AS DOUBLE) / m)
              / sqrt((a + b) / (n + m)::DOUBLE * (1 - (a + b) / (n + m)::DOUBLE) * (1.0 / n + 1.0 / m)) END;

-- Incidents: a day counts when the rate is at warn or over with at least this much volume.
CREATE OR REPLACE MACRO bp_incident_min_volume() AS 100;
CREATE OR REPLACE MACRO bp_bounce_warn() AS 0.05;
CREATE OR REPLACE MACRO bp_bounce_over() AS 0.10;
