"""Which rules decided: stamped on every event as `classifier_version`.

`CLASSIFIER_VERSION` is the release (`RULES_RELEASE`) plus a short hash of everything that can
change a classification: the parsers, dialects, classifier tables and receiving-provider rules
(the source files of those packages, in a fixed order). Two runs with the same value classify
alike; `bouncepipe reclassify` records which version decided before and after. Reading the
files (not importing them) keeps this module a leaf of the layer graph.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

RULES_RELEASE = "2026.12.0"
# the packages whose code and data decide a classification (mime, the core and the shells don't)
RULE_PACKAGES = ("classify", "dsn", "arf", "autoreply", "dmarc", "webhooks", "mta_log")
_DATA_SUFFIXES = {".py", ".json", ".yaml", ".yml", ".csv", ".txt"}


def rules_hash(root: Path | None = None) -> str:
    """sha256 over the rule packages' files (relative path + bytes), first 12 hex digits."""
    root = root or Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for package in RULE_PACKAGES:
        for path in sorted((root / package).rglob("*")):
            if path.suffix in _DATA_SUFFIXES and "__pycache__" not in path.parts:
                digest.update(path.relative_to(root).as_posix().encode() + b"\0")
                digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


CLASSIFIER_VERSION = f"{RULES_RELEASE}+{rules_hash()}"
