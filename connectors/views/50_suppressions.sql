-- Suppression audit: every decision with who/why (policy rule, reason, note), its expiry and
-- its evidence joined to the events table. Expiry is relative to now().
-- The evidence lookup is a semi-join on the evidence ids, so filtering on a suppression
-- column (address, key, suppression_id) prunes the events scan (DuckDB's dynamic filters).

-- One row per evidence event id (a decision without evidence gives one row with a NULL id).
CREATE OR REPLACE VIEW v_suppression_evidence AS
WITH ev AS (
    SELECT s.suppression_id, s.key, s.address, s.action, s.policy_rule, s.decided_at,
           unnest(CASE WHEN len(coalesce(s.evidence_event_ids, [])) = 0 THEN [NULL::VARCHAR]
                       ELSE s.evidence_event_ids END) AS evidence_event_id
    FROM suppressions s),
hit AS (
    SELECT event_id, occurred_at, category, reason, status, reply_code, diagnostic,
           feedback_type, source_kind, source, provider
    FROM events WHERE event_id IN (SELECT evidence_event_id FROM ev))
SELECT ev.*, hit.event_id IS NOT NULL AS found,
       hit.occurred_at, hit.category, hit.reason, hit.status, hit.reply_code, hit.diagnostic,
       hit.feedback_type, hit.source_kind, hit.source, hit.provider
FROM ev LEFT JOIN hit ON hit.event_id = ev.evidence_event_id;

-- The decision in force per key (scope + address): the latest one (ties: highest id).
-- Nearly every key has one decision, which is then in force: only the keys with several
-- (`contested`) go through the window (bench lake: it sorts 1,440 keys' decisions, not 189k).
-- (A max_by over a struct of the columns measured 2-3x slower than the window.)
CREATE OR REPLACE VIEW v_suppression_state AS
WITH contested AS (
        SELECT key FROM suppressions WHERE key IS NOT NULL GROUP BY key HAVING count(*) > 1),
     latest AS (
        SELECT key, address, scope, scope_value, tenant, action, reason, category,
               policy_rule AS decided_by, decided_at, expires_at, suppression_id
        FROM suppressions WHERE key IS NOT NULL AND key NOT IN (SELECT key FROM contested)
        UNION ALL
        SELECT key, address, scope, scope_value, tenant, action, reason, category,
               policy_rule AS decided_by, decided_at, expires_at, suppression_id
        FROM suppressions WHERE key IN (SELECT key FROM contested) OR key IS NULL
        QUALIFY row_number() OVER (PARTITION BY key ORDER BY decided_at DESC, suppression_id DESC) = 1)
SELECT *,
       CASE WHEN expires_at IS NULL THEN 'permanent'
            WHEN expires_at > now() THEN 'active'
            ELSE 'expired' END AS expiry_status,
       action = 'suppress' AND (expires_at IS NULL OR expires_at > now()) AS suppressed
FROM latest;

-- One row per decision. Its evidence ids are looked up in events once (the ids are the join's
-- build side: DuckDB prunes the events scan with their filter) and folded back per decision.
-- evidence_categories / evidence_kinds: a list per decision cost a sixth of the view, so a
-- decision with one evidence id takes min and max: its matches are copies of one event, so one
-- value, or two if a copy disagrees (exact unless one event id is in the lake three times
-- with three different values; the lake lands an event id once). Lists only for several ids.
-- is_current as in v_suppression_state: the window only over contested keys.
-- A decision row without suppression_id or address (both required) has no audit row.
CREATE OR REPLACE VIEW v_suppression_audit AS
WITH contested AS (
        SELECT key FROM suppressions WHERE key IS NOT NULL GROUP BY key HAVING count(*) > 1),
     cur AS (
        SELECT suppression_id,
               row_number() OVER (PARTITION BY key ORDER BY decided_at DESC, suppression_id DESC) = 1 AS is_current
        FROM suppressions WHERE key IN (SELECT key FROM contested) OR key IS NULL),
     ids AS (
        SELECT suppression_id, address, len(evidence_event_ids) > 1 AS several,
               unnest(evidence_event_ids) AS evidence_event_id
        FROM suppressions),
     ev AS (
        SELECT ids.suppression_id, ids.address,
               count(ids.evidence_event_id) AS evidence_count,
               count(e.event_id) AS evidence_found,
               min(e.occurred_at) AS evidence_first_at,
               max(e.occurred_at) AS evidence_last_at,
               min(e.category) AS category_lo, max(e.category) AS category_hi,
               list(e.category) FILTER (WHERE ids.several) AS categories,
               min(e.source_kind) AS kind_lo, max(e.source_kind) AS kind_hi,
               list(e.source_kind) FILTER (WHERE ids.several) AS kinds
        FROM ids LEFT JOIN (SELECT event_id, occurred_at, category, source_kind FROM events) e
          ON e.event_id = ids.evidence_event_id
        GROUP BY ids.suppression_id, ids.address)
SELECT
    s.suppression_id, s.key, s.decided_at, s.action, s.scope, s.scope_value, s.tenant,
    s.address, s.address_domain, s.reason, s.category,
    s.policy_rule AS decided_by, s.note,
    s.expires_at,
    CASE WHEN s.expires_at IS NULL THEN 'permanent'
         WHEN s.expires_at > now() THEN 'active'
         ELSE 'expired' END AS expiry_status,
    coalesce(cur.is_current, true) AS is_current,
    coalesce(ev.evidence_count, 0) AS evidence_count,
    coalesce(ev.evidence_found, 0) AS evidence_found,
    coalesce(ev.evidence_count - ev.evidence_found, 0) AS evidence_missing,
    ev.evidence_first_at, ev.evidence_last_at,
    CASE WHEN ev.category_lo IS NULL THEN []
         WHEN ev.category_lo = ev.category_hi THEN [ev.category_lo]
         ELSE coalesce(list_sort(list_distinct(ev.categories)), [ev.category_lo, ev.category_hi])
    END AS evidence_categories,
    CASE WHEN ev.kind_lo IS NULL THEN []
         WHEN ev.kind_lo = ev.kind_hi THEN [ev.kind_lo]
         ELSE coalesce(list_sort(list_distinct(ev.kinds)), [ev.kind_lo, ev.kind_hi])
    END AS evidence_kinds
FROM suppressions s
LEFT JOIN ev ON ev.suppression_id = s.suppression_id AND ev.address = s.address
LEFT JOIN cur ON cur.suppression_id = s.suppression_id
WHERE s.suppression_id IS NOT NULL AND s.address IS NOT NULL;
