"""bouncepipe's processing core: raw bytes -> parsed record -> classified events -> decisions."""
CLASSIFIER_VERSION = "2026.11.0"
