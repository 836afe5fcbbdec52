"""Imports every handler module so it registers itself. One line per input family/dialect."""
# ruff: noqa: F401
