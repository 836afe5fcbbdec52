-- SMTP TLS reports (RFC 8460). Policy totals repeat on every failure-detail row, so they are
-- summed over detail_index = 0 only; failure details are summed from every row.
CREATE OR REPLACE VIEW v_tls_summary AS
SELECT
    bp_utc_day(begin_date) AS day,
    lower(policy_domain) AS policy_domain,
    count(DISTINCT report_key) AS reports,
    count(DISTINCT organization_name) AS reporters,
    coalesce(sum(total_successful_session_count) FILTER (WHERE detail_index = 0), 0)::BIGINT AS successful_sessions,
    coalesce(sum(total_failure_session_count) FILTER (WHERE detail_index = 0), 0)::BIGINT AS failed_sessions,
    bp_rate(failed_sessions, successful_sessions + failed_sessions) AS failure_rate
FROM tls_reports
GROUP BY ALL;

CREATE OR REPLACE VIEW v_tls_failures AS
SELECT
    bp_utc_day(begin_date) AS day,
    lower(policy_domain) AS policy_domain,
    result_type,
    receiving_mx_hostname,
    sending_mta_ip,
    coalesce(sum(failed_session_count), 0)::BIGINT AS failed_sessions,
    count(DISTINCT report_key) AS reports,
    list_sort(list_distinct(list(organization_name))) AS reporters
FROM tls_reports
WHERE result_type IS NOT NULL
GROUP BY ALL;
