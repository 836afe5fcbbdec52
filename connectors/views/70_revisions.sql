-- Reclassification (bouncepipe reclassify; tables event_revisions, reclassifications).
-- v_events_current (events with their latest revision applied) is a base view: connectors/duck.py.

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
