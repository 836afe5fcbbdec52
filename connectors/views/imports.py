"""Importers for what mailbox providers publish about our mail, into lake tables.

- Google Postmaster Tools: the API's TrafficStats JSON (one object, a list, or the
  `domains.trafficStats.list` response {"trafficStats": [...]}), as documented at
  https://developers.google.com/gmail/postmaster/reference/rest/v1/domains.trafficStats
  (name "domains/{domain}/trafficStats/{YYYYMMDD}", userReportedSpamRatio, domainReputation,
  ipReputations[], spf/dkim/dmarcSuccessRatio, inboundEncryptionRatio, deliveryErrors[]).
- Microsoft SNDS: the per-IP "data" CSV of SNDS Automated Data Access (no header; columns IP
  address, activity start, activity end, RCPT commands, DATA commands, message recipients,
  filter result, complaint rate, trap message start, trap message end, trap hits, sample HELO,
  JMR P1 sender, comments), https://sendersupport.olc.protection.outlook.com/snds/FAQ.aspx
- Yahoo Sender Hub Insights (spam complaint rate over inbox-delivered mail, inbox volume, per
  DKIM domain and day) has no documented export format or API: connectors/views/import_yahoo.py
  reads a CSV an analyst fills from the dashboard, in a layout bouncepipe defines there.

A malformed record raises ImportFormatError naming the record; nothing is half-written (rows
are landed once every record of the file parsed). Re-importing the same export lands nothing new.
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
from datetime import datetime, timezone
from pathlib import Path

from connectors.lake import LakeWriter
from schemas.observations import observation_id


class ImportFormatError(ValueError):
    """The file is not in the documented export format (the message says where)."""


def _ratio(value) -> float | None:
    if value is None or value == "":
        return None
    return float(value)


def postmaster_rows(data: object, *, source: str | None, now: datetime) -> list[dict]:
    if isinstance(data, dict) and "trafficStats" in data:
        data = data["trafficStats"]
    records = data if isinstance(data, list) else [data]
    rows = []
    for i, rec in enumerate(records):
        if not isinstance(rec, dict):
            raise ImportFormatError(f"trafficStats[{i}] is not an object")
        m = re.fullmatch(r"domains/([^/]+)/trafficStats/(\d{8})", str(rec.get("name", "")))
        if not m:
            raise ImportFormatError(f"trafficStats[{i}]: name {rec.get('name')!r} is not "
                                    "domains/{domain}/trafficStats/{YYYYMMDD}")
        domain = m.group(1).lower()
        day = datetime.strptime(m.group(2), "%Y%m%d").replace(tzinfo=timezone.utc)
        ip_counts = {r.get("reputation"): int(r.get("ipCount") or 0)
                     for r in rec.get("ipReputations") or [] if isinstance(r, dict)}
        errors = [e.get("errorRatio") for e in rec.get("deliveryErrors") or [] if isinstance(e, dict)]
        try:
            rows.append(dict(
                row_id=observation_id("postmaster_traffic", domain, m.group(2)), domain=domain,
                day=day, user_reported_spam_ratio=_ratio(rec.get("userReportedSpamRatio")),
                user_reported_spam_ratio_lower_bound=_ratio(rec.get("userReportedSpamRatioLowerBound")),
                user_reported_spam_ratio_upper_bound=_ratio(rec.get("userReportedSpamRatioUpperBound")),
                domain_reputation=rec.get("domainReputation"),
                spf_success_ratio=_ratio(rec.get("spfSuccessRatio")),
                dkim_success_ratio=_ratio(rec.get("dkimSuccessRatio")),
                dmarc_success_ratio=_ratio(rec.get("dmarcSuccessRatio")),
                inbound_encryption_ratio=_ratio(rec.get("inboundEncryptionRatio")),
                ip_reputation_bad_ips=ip_counts.get("BAD"), ip_reputation_low_ips=ip_counts.get("LOW"),
                delivery_error_ratio=sum(float(e) for e in errors if e is not None) if errors else None,
                source=source, imported_at=now))
        except (TypeError, ValueError) as exc:
            raise ImportFormatError(f"trafficStats[{i}] ({rec.get('name')}): {exc}") from exc
    return rows


def utc_time(text: str, formats: tuple[str, ...]) -> datetime | None:
    """`text` read by the first of `formats` that fits, as UTC; None when none does."""
    for fmt in formats:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=timezone.utc)
        except ValueError:
            pass
    return None


def _snds_time(text: str) -> datetime | None:
    text = text.strip()
    if not text:
        return None
    found = utc_time(text, ("%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M", "%m/%d/%Y"))
    if found is None:
        raise ValueError(f"time {text!r} is not M/D/YYYY h:mm AM|PM")
    return found


def _snds_rate(text: str) -> float | None:
    """'< 0.1%' -> 0.001 (the bucket's upper bound), '0.4%' -> 0.004, '' -> None."""
    m = re.fullmatch(r"\s*<?\s*([\d.]+)\s*%\s*", text or "")
    return float(m.group(1)) / 100 if m else None


def _int(text: str) -> int | None:
    text = (text or "").strip()
    return int(text) if text else None


def snds_rows(text: str, *, source: str | None, now: datetime) -> list[dict]:
    rows = []
    for n, rec in enumerate(csv.reader(io.StringIO(text)), 1):
        if not rec or not any(c.strip() for c in rec):
            continue
        if rec[0].strip().lower() in ("ip address", "ip"):
            continue  # a header line (the web UI's CSV download has one; the API's has none)
        if len(rec) < 11:
            raise ImportFormatError(f"line {n}: {len(rec)} columns, an SNDS data row has 13-14")
        rec = [c.strip() for c in rec] + [""] * (14 - len(rec))
        try:
            start, end = _snds_time(rec[1]), _snds_time(rec[2])
            if start is None or end is None:
                raise ValueError("no activity period")
            rows.append(dict(
                row_id=observation_id("snds_data", rec[0], start, end), ip=rec[0],
                activity_start=start, activity_end=end, rcpt_commands=_int(rec[3]),
                data_commands=_int(rec[4]), message_recipients=_int(rec[5]),
                filter_result=rec[6].upper() or None, complaint_rate=_snds_rate(rec[7]),
                complaint_rate_text=rec[7] or None, trap_message_start=_snds_time(rec[8]),
                trap_message_end=_snds_time(rec[9]), trap_hits=_int(rec[10]),
                sample_helo=rec[11] or None, sample_mail_from=rec[12] or None,
                comments=rec[13] or None, source=source, imported_at=now))
        except ValueError as exc:
            raise ImportFormatError(f"line {n}: {exc}") from exc
    return rows


def import_file(lake: str | os.PathLike[str], kind: str, path: str | os.PathLike[str],
                *, now: datetime | None = None) -> int:
    """Land one export file (kind: postmaster | snds | yahoo); returns rows new to the lake."""
    now = now or datetime.now(timezone.utc)
    path = Path(path)
    raw = path.read_bytes()
    if kind == "postmaster":
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise ImportFormatError(f"{path}: not JSON ({exc})") from exc
        table, rows = "postmaster_traffic", postmaster_rows(data, source=str(path), now=now)
    elif kind == "snds":
        table, rows = "snds_data", snds_rows(raw.decode("utf-8-sig", "replace"), source=str(path), now=now)
    elif kind == "yahoo":
        from connectors.views.import_yahoo import yahoo_insights_rows

        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ImportFormatError(f"{path}: not UTF-8 ({exc})") from exc
        table, rows = "yahoo_insights", yahoo_insights_rows(text, source=str(path), now=now)
    else:
        raise ValueError(f"unknown import kind {kind!r}")
    return LakeWriter(lake).land(table, rows, file_stem=f"{kind}-{now:%Y%m%dT%H%M%S%f}")
