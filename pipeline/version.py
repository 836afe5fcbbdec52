"""Which rules decided: stamped on every event as `classifier_version`."""
CLASSIFIER_VERSION = "2026.11.0"
