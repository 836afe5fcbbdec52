"""Yahoo Sender Hub Insights, from a CSV an analyst fills from the dashboard.

What Insights is (senders.yahooinc.com, added October 2025): per DKIM d= domain (aggregated over
every From domain signed with it) and per day or chosen timeframe, the spam complaint rate
computed over INBOX-delivered messages only, and the inbox-delivered volume; the dashboard draws
Yahoo's warning (0.1 %) and enforcement (0.3 %) levels. Yahoo documents no download, export file
or API for it (searched Dec 2026: Yahoo's sender pages and the write-ups at spamresource.com,
emaillabs.io, nitwings.com, suped.com describe the dashboard only), so there is no real export
format to read. This module reads a CSV whose layout bouncepipe defines:

- One row per DKIM domain and day; a header row naming four columns, matched case-, space-,
  "_" and "-"-insensitively, extra columns ignored:
    date                 (alias: day)                      YYYY-MM-DD, or "Nov 17, 2026" /
                                                           "17 Nov 2026"; not 11/17/2026, whose
                                                           day/month order is ambiguous
    dkim_domain          (aliases: dkim domain, domain, d=)
    inbox_delivered      (aliases: inbox delivered volume, inbox volume, delivered to inbox)
    spam_complaint_rate  (aliases: spam complaint rate, complaint rate, spam rate)
  Bare "delivered" is NOT an alias: a write-up calls the dashboard's volume "Delivered", but the
  rate's denominator is inbox-delivered mail, and total delivered (spam folder included) is a
  different number.
- The rate: "0.12%" (percent, by its sign) or 0.0012 (a fraction 0..1). A bare number is a
  percent only when the header states the unit: "spam complaint rate (%)" or "... %".
  A decimal comma is read in the rate ("0,12%"). Empty, "-", "—" or "n/a" = no value.
- inbox_delivered: a whole count; thousands separators "," (quote the cell), " ", NBSP, "'"
  are dropped; "12.3K" style abbreviations and decimals are refused (they are not the count).
- Comma, semicolon or tab separated (the header line decides); UTF-8, a BOM is fine.

Do not enter a multi-day timeframe's total as a day. Any bad row raises ImportFormatError
naming its line and nothing is landed. The row id hashes domain, day and values: the same file
twice lands nothing; a corrected value for a day lands as a newer row (v_yahoo_insights_daily
keeps the latest import per domain and day). The same domain and day twice in one file with
different values is an error.
"""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime

from connectors.views.imports import ImportFormatError, utc_time
from schemas.observations import observation_id

COLUMNS = {  # column -> accepted header names after _normalise_header (the column's own first)
    "date": ("date", "day"),
    "dkim_domain": ("dkim domain", "domain", "d=", "dkim d="),
    "inbox_delivered": ("inbox delivered", "inbox delivered volume", "inbox volume",
                        "delivered to inbox"),
    "spam_complaint_rate": ("spam complaint rate", "complaint rate", "spam rate"),
}
_ALIAS = {alias: column for column, aliases in COLUMNS.items() for alias in aliases}
_UNIT = re.compile(r"\(\s*(%|percent|pct)\s*\)|\bin\s*%|%|\bpercent\b|\bpct\b")
_EMPTY = {"", "-", "—", "–", "n/a", "na", "none", "null"}
_DOMAIN = re.compile(r"(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}")
_THOUSANDS = re.compile(r"(?<=\d)[,\s\u00a0\u202f'](?=\d{3}(?!\d))")


def _normalise_header(name: str) -> tuple[str, bool]:
    """(the name without its unit, whether the unit stated was percent)."""
    text = re.sub(r"[_\-]+", " ", name.strip().lstrip("\ufeff").lower())
    percent = bool(_UNIT.search(text))
    text = _UNIT.sub(" ", text)
    return re.sub(r"[\s_\-]+", " ", text).strip(), percent


def _day(text: str) -> datetime:
    text = text.strip()
    found = utc_time(text, ("%Y-%m-%d", "%b %d, %Y", "%B %d, %Y", "%d %b %Y", "%d %B %Y"))
    if found is None:
        raise ValueError(f"date {text!r} is not YYYY-MM-DD (or 'Nov 17, 2026')")
    return found


def _count(text: str) -> int | None:
    text = text.strip()
    if text.lower() in _EMPTY:
        return None
    digits = _THOUSANDS.sub("", text)
    if not re.fullmatch(r"\d+", digits):
        raise ValueError(f"inbox_delivered {text!r} is not a whole count")
    return int(digits)


def _rate(text: str, percent_column: bool) -> float | None:
    text = text.strip()
    if text.lower() in _EMPTY:
        return None
    m = re.fullmatch(r"(\d+(?:[.,]\d+)?|[.,]\d+)\s*(%?)", text)
    if not m:
        raise ValueError(f"spam_complaint_rate {text!r} is not a rate (0.12% or 0.0012)")
    value = float(m.group(1).replace(",", "."))
    if m.group(2) or percent_column:
        value /= 100
    if value > 1:
        raise ValueError(f"spam_complaint_rate {text!r} is over 100 %")
    return value


def _delimiter(header_line: str) -> str:
    for sep in ("\t", ";"):
        if sep in header_line and "," not in header_line:
            return sep
    return ","


def yahoo_insights_rows(text: str, *, source: str | None, now: datetime) -> list[dict]:
    text = text.lstrip("\ufeff")
    lines = text.splitlines()
    first = next((n for n, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise ImportFormatError("empty file: expected a header row (date, dkim_domain, "
                                "inbox_delivered, spam_complaint_rate)")
    records = csv.reader(io.StringIO("\n".join(lines[first:])), delimiter=_delimiter(lines[first]))
    header = next(records)
    where: dict[str, int] = {}
    percent_column = False
    for i, name in enumerate(header):
        key, percent = _normalise_header(name)
        column = _ALIAS.get(key)
        if column and column not in where:
            where[column] = i
            percent_column |= column == "spam_complaint_rate" and percent
    missing = [c for c in COLUMNS if c not in where]
    if missing:
        raise ImportFormatError(f"line {first + 1}: header {header!r} lacks {', '.join(missing)} "
                                f"(accepted names: {COLUMNS})")
    rows: dict[tuple[str, datetime], dict] = {}
    for n, rec in enumerate(records, first + 2):
        if not any(c.strip() for c in rec):
            continue
        if len(rec) > len(header):
            raise ImportFormatError(f"line {n} ({','.join(rec)}): {len(rec)} cells, the header has "
                                    f"{len(header)} (quote a count written with a ',' separator)")
        cell = {c: (rec[i] if i < len(rec) else "") for c, i in where.items()}
        try:
            domain = cell["dkim_domain"].strip().lower().rstrip(".")
            if not _DOMAIN.fullmatch(domain):
                raise ValueError(f"dkim_domain {cell['dkim_domain']!r} is not a domain name")
            day = _day(cell["date"])
            volume = _count(cell["inbox_delivered"])
            rate = _rate(cell["spam_complaint_rate"], percent_column)
        except ValueError as exc:
            raise ImportFormatError(f"line {n} ({','.join(rec)}): {exc}") from exc
        rate_text = cell["spam_complaint_rate"].strip() or None
        row = dict(row_id=observation_id("yahoo_insights", domain, f"{day:%Y%m%d}", volume, rate),
                   dkim_domain=domain, day=day, inbox_delivered=volume, spam_complaint_rate=rate,
                   spam_complaint_rate_text=rate_text if rate is not None else None,
                   source=source, imported_at=now)
        earlier = rows.get((domain, day))
        if earlier is not None and earlier["row_id"] != row["row_id"]:
            raise ImportFormatError(f"line {n}: {domain} on {day:%Y-%m-%d} is given twice with "
                                    "different values")
        rows[(domain, day)] = row
    return list(rows.values())
