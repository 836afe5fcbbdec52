"""Streaming stages. Each stage is a pure-ish batch function (Kafka records in, records to
produce out) run by `runner.BatchLoop`, the at-least-once aiokafka loop:
- `classify`: raw topics -> `pipeline.core.process` -> events / dmarc_rows / deadletter;
- `suppress`: events (keyed by recipient) -> SuppressionEngine per partition -> suppressions,
  alerts, and the engine's state changelog.
"""
