"""Deterministic identifiers: the same input gives the same id on every run and machine."""
from __future__ import annotations

import hashlib


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stable_id(*parts: object) -> str:
    """A 32-hex-char id from the parts' text forms, joined unambiguously.

    None becomes the empty string; parts are separated by a unit separator (\\x1f) that never
    occurs in the values we hash, so ("a", "bc") and ("ab", "c") differ.
    """
    text = "\x1f".join(["" if p is None else str(p) for p in parts])  # list: faster join
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]
