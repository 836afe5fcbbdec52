"""Explicit Arrow schemas for the lake tables.

Written out by hand (never inferred per batch) so every Parquet file of a table has the same
columns and types. tests/unit/test_contract.py checks each one against its pydantic model.
The Hive partition column `dt` lives in the directory name, not in the files.
"""
from __future__ import annotations

import pyarrow as pa

TS = pa.timestamp("us", tz="UTC")
TAGS = pa.map_(pa.string(), pa.string())

EVENTS = pa.schema(
    [
        ("event_id", pa.string()),
        ("raw_sha256", pa.string()),
        ("raw_index", pa.int32()),
        ("recipient_index", pa.int32()),
        ("occurred_at", TS),
        ("received_at", TS),
        ("source_kind", pa.string()),
        ("source", pa.string()),
        ("parser", pa.string()),
        ("provider", pa.string()),
        ("category", pa.string()),
        ("reason", pa.string()),
        ("recipient", pa.string()),
        ("recipient_domain", pa.string()),
        ("sender", pa.string()),
        ("sender_domain", pa.string()),
        ("status", pa.string()),
        ("reply_code", pa.int32()),
        ("action", pa.string()),
        ("diagnostic", pa.string()),
        ("diagnostic_normalised", pa.string()),
        ("remote_mta", pa.string()),
        ("reporting_mta", pa.string()),
        ("feedback_type", pa.string()),
        ("message_id", pa.string()),
        ("subject", pa.string()),
        ("provider_event_id", pa.string()),
        ("provider_message_id", pa.string()),
        ("stream", pa.string()),
        ("campaign", pa.string()),
        ("tenant", pa.string()),
        ("list_id", pa.string()),
        ("tags", TAGS),
        ("sending_pool", pa.string()),
        ("sending_ip", pa.string()),
        ("envelope_from", pa.string()),
        ("envelope_to", pa.string()),
        ("client_address", pa.string()),
        ("helo", pa.string()),
        ("verp", pa.string()),
        ("unverified", pa.bool_()),
        ("classifier_version", pa.string()),
        ("rule", pa.string()),
    ]
)

SUPPRESSIONS = pa.schema(
    [
        ("suppression_id", pa.string()),
        ("key", pa.string()),
        ("address", pa.string()),
        ("address_domain", pa.string()),
        ("action", pa.string()),
        ("scope", pa.string()),
        ("scope_value", pa.string()),
        ("reason", pa.string()),
        ("category", pa.string()),
        ("policy_rule", pa.string()),
        ("decided_at", TS),
        ("expires_at", TS),
        ("evidence_event_ids", pa.list_(pa.string())),
        ("tenant", pa.string()),
        ("note", pa.string()),
    ]
)

DEAD_LETTERS = pa.schema(
    [
        ("dead_letter_id", pa.string()),
        ("raw_sha256", pa.string()),
        ("raw_index", pa.int32()),
        ("source", pa.string()),
        ("stage", pa.string()),
        ("parser", pa.string()),
        ("error_type", pa.string()),
        ("reason", pa.string()),
        ("retryable", pa.bool_()),
        ("received_at", TS),
        ("payload", pa.binary()),
        ("payload_size", pa.int64()),
        ("payload_truncated", pa.bool_()),
    ]
)
