"""DMARC aggregate (rua), DMARC failure (ruf) and SMTP TLS (TLS-RPT) reports -> lake rows.

Entry points: `parse_report(payload, ...)` for any report file or email (pure; rows of
aggregate reports are a lazy iterator), and the registry handlers in `handlers.py`.
The only package that imports parsedmarc (see reference.py).
"""
from __future__ import annotations

from .api import ParsedReports, parse_report, parse_report_file

__all__ = ["ParsedReports", "parse_report", "parse_report_file"]
