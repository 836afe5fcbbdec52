"""bouncepipe's processing core: raw bytes -> parsed record -> classified events -> decisions."""
CLASSIFIER_VERSION = "2026.11.0"
from .dsn.api import classify_message, classify_messages  # noqa: E402,F401  (bytes -> events)
