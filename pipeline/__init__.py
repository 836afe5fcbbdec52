"""bouncepipe's processing core: raw bytes -> parsed record -> classified events -> decisions.

Importing `pipeline` (or any module below it) loads nothing else: the layers stay apart and a
parser's import does not drag in the whole registry. The Python API (`classify_message`,
`classify_messages`, in `pipeline.api`) is loaded on first use.
"""
from __future__ import annotations

from typing import Any

from .version import CLASSIFIER_VERSION  # noqa: F401

__all__ = ["CLASSIFIER_VERSION", "classify_message", "classify_messages"]


def __getattr__(name: str) -> Any:
    if name in ("classify_message", "classify_messages"):
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'pipeline' has no attribute {name!r}")
