-- Reclassification (bouncepipe reclassify; tables event_revisions, reclassifications).
-- v_events_current: every event with its latest revision applied; withdrawn events left out.
-- (Also created by connectors.revisions.current_events_view for connections without analytics.)
CREATE OR REPLACE VIEW v_events_current AS
WITH latest AS (
    SELECT * FROM event_revisions
    QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY revised_at DESC, revision_id DESC) = 1)
SELECT e.* REPLACE (
           coalesce(r.category, e.category) AS category,
           CASE WHEN r.event_id IS NULL THEN e.reason ELSE r.reason END AS reason,
           CASE WHEN r.event_id IS NULL THEN e.recipient ELSE r.recipient END AS recipient,
           CASE WHEN r.event_id IS NULL THEN e.recipient_domain ELSE r.recipient_domain END AS recipient_domain,
           CASE WHEN r.event_id IS NULL THEN e.status ELSE r.status END AS status,
           coalesce(r.rule, e.rule) AS rule,
           coalesce(r.classifier_version, e.classifier_version) AS classifier_version),
       r.revision_id, r.revised_at, r.previous_category, r.previous_reason
FROM events e LEFT JOIN latest r USING (event_id)
WHERE NOT coalesce(r.withdrawn, false);

-- v_reclassification_changes: what the LAST reclassify run changed, old -> new.
CREATE OR REPLACE VIEW v_reclassification_changes AS
WITH last_run AS (SELECT run_id FROM reclassifications WHERE NOT dry_run
                  ORDER BY started_at DESC LIMIT 1)
SELECT previous_category, previous_reason,
       CASE WHEN withdrawn THEN '(withdrawn)' ELSE category END AS category, reason,
       count(*) AS events, count(DISTINCT coalesce(recipient, previous_recipient)) AS addresses,
       any_value(coalesce(recipient, previous_recipient)) AS example_address
FROM event_revisions WHERE run_id IN (SELECT run_id FROM last_run)
GROUP BY ALL ORDER BY events DESC;
