"""Suppression decisions: a pure policy function plus a small in-memory engine for batch use."""
from .policy import SuppressionEngine, SuppressionPolicy, decide  # noqa: F401
