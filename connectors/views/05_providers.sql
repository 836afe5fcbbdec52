-- Mailbox providers: which company holds the mailbox of a recipient domain. Reference data
-- (connectors/views/data/*.csv, each row with its source) is copied into tables so that a
-- persisted view database keeps working without the package beside it.
CREATE OR REPLACE TABLE bp_provider_domains AS
SELECT lower(pattern) AS pattern, provider, source
FROM read_csv('{DATA_DIR}/provider_domains.csv', header = true, all_varchar = true);

CREATE OR REPLACE TABLE bp_mx_suffixes AS
SELECT lower(suffix) AS suffix, provider, source
FROM read_csv('{DATA_DIR}/mx_suffixes.csv', header = true, all_varchar = true);

CREATE OR REPLACE TABLE bp_provider_thresholds AS
SELECT provider, metric, CAST(warn AS DOUBLE) AS warn, CAST(over AS DOUBLE) AS over, source
FROM read_csv('{DATA_DIR}/provider_thresholds.csv', header = true, all_varchar = true);

-- The latest MX lookup per domain (mx_cache is filled by `bouncepipe views --lookup-mx`).
CREATE OR REPLACE VIEW v_mx_latest AS
SELECT lower(domain) AS domain, mx_hosts, status, looked_up_at
FROM mx_cache
QUALIFY row_number() OVER (PARTITION BY lower(domain) ORDER BY looked_up_at DESC, row_id) = 1;

-- provider_of(domain): a consumer-domain match first, then the MX suffix of a cached lookup,
-- else 'Other'. matched_by says which (domain | mx | none). Table macro over a list of domains
-- so that views map only the few distinct domains left after their aggregation.
CREATE OR REPLACE MACRO bp_providers(domains) AS TABLE
WITH d AS (SELECT DISTINCT unnest(domains) AS recipient_domain),
     by_domain AS (
        SELECT d.recipient_domain,
               arg_min(p.provider, CASE WHEN p.pattern = d.recipient_domain THEN 0 ELSE 1 END) AS provider
        FROM d JOIN bp_provider_domains p
          ON p.pattern = d.recipient_domain
          OR (p.pattern LIKE '%.*' AND d.recipient_domain LIKE replace(p.pattern, '.*', '.%'))
        GROUP BY 1),
     by_mx AS (
        SELECT d.recipient_domain, arg_min(s.provider, h.i) AS provider
        FROM d JOIN (SELECT domain, unnest(mx_hosts) AS host,
                            generate_subscripts(mx_hosts, 1) AS i FROM v_mx_latest) h
               ON h.domain = d.recipient_domain
             JOIN bp_mx_suffixes s ON h.host = s.suffix OR h.host LIKE '%.' || s.suffix
        GROUP BY 1)
SELECT d.recipient_domain,
       coalesce(bd.provider, bm.provider, 'Other') AS provider,
       CASE WHEN bd.provider IS NOT NULL THEN 'domain'
            WHEN bm.provider IS NOT NULL THEN 'mx' ELSE 'none' END AS matched_by
FROM d LEFT JOIN by_domain bd USING (recipient_domain) LEFT JOIN by_mx bm USING (recipient_domain);

-- Providers that send ARF complaint reports (feedback loops). Gmail has none (Postmaster Tools
-- gives an aggregate spam rate) and Apple none: their complaints are not in the lake, so a
-- complaint rate must not count the mail delivered to them.
CREATE OR REPLACE MACRO bp_sends_arf(provider) AS provider NOT IN ('Google', 'Apple');

-- Every recipient domain in the lake with its provider.
CREATE OR REPLACE VIEW v_recipient_provider AS
SELECT * FROM bp_providers((SELECT list(DISTINCT coalesce(recipient_domain, '(unknown)')) FROM events));

CREATE OR REPLACE MACRO bp_level(rate, warn_at, over_at) AS
    CASE WHEN rate IS NULL THEN 'no_volume'
         WHEN rate >= over_at THEN 'over'
         WHEN rate >= warn_at THEN 'warn'
         ELSE 'ok' END;
