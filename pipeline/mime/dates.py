"""RFC 5322 dates (Date headers, DSN Arrival-Date / Last-Attempt-Date) as UTC datetimes.
"""
from __future__ import annotations

import email.utils
import re
from datetime import datetime, timedelta, timezone

from .headers import fold


# The common RFC 5322 shape, e.g. "Mon, 23 Nov 2026 10:00:00 +0100" (folded or not): read
# directly, because email.utils costs ~10 us per call and a bounce carries several dates.
# Only strings on which the stdlib's _parsedate_tz provably yields the same tuple match (a
# 4-digit year >= 1000, a numeric zone that ends its token, tokens after the zone ignored as
# the stdlib does); everything else takes the stdlib path below.
_COMMON_DATE = re.compile(
    r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?([0-9]{1,2}) "
    r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec) ([1-9][0-9]{3}) "
    r"([0-9]{1,2}):([0-9]{2}):([0-9]{2}) ([+-][0-9]{4})(?: |$)", re.I)
_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
# The usual spellings ("Apr", "apr", "APR") without a lower() call; other cases fall back.
_MONTH_SPELLINGS = {v: i for m, i in _MONTHS.items() for v in (m, m.title(), m.upper())}
# The regex's 1-2 digit fields ("7", "07", "59") -> int, by one dict look-up (int() parses).
_SMALL_NUMBERS = {**{str(i): i for i in range(10)}, **{f"{i:02d}": i for i in range(100)}}
# "+HHMM" / "-HHMM" -> the signed UTC offset, for every zone with minutes 00-59 that
# timezone() accepts (under a day); "-0000" is the stdlib's naive "zone unknown", read as UTC.
_OFFSETS = {f"{sign}{hours:02d}{minutes:02d}": timedelta(
    seconds=(hours * 3600 + minutes * 60) * (1 if sign == "+" else -1))
    for sign in "+-" for hours in range(24) for minutes in range(60)}


def _common_date(m: re.Match) -> datetime | None:
    """parse_date()'s answer for a _COMMON_DATE match: the UTC datetime the stdlib path
    (parsedate_to_datetime, then astimezone(utc)) gives, None where it fails."""
    day, month, year, hour, minute, second, zone = m.groups()
    offset = _OFFSETS.get(zone)
    if offset is None:   # minutes over 59: HH*3600 + MM*60 as the stdlib computes it
        number = int(zone[1:])
        seconds = (number // 100) * 3600 + (number % 100) * 60
        if seconds >= 86400:   # timezone() refuses a whole day or more
            return None
        offset = timedelta(seconds=seconds if zone[0] == "+" else -seconds)
    try:
        # the local time minus its offset
        number = _SMALL_NUMBERS
        return datetime(int(year), _MONTH_SPELLINGS.get(month) or _MONTHS[month.lower()],
                        number[day], number[hour], number[minute], number[second],
                        tzinfo=timezone.utc) - offset
    except (ValueError, OverflowError):
        return None


def parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        # an already-folded common date needs no fold(): the match is the same either way
        m = _COMMON_DATE.match(value)
        if m is None:
            value = fold(value)
            m = _COMMON_DATE.match(value)
        if m is not None:
            return _common_date(m)
        dt = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    try:
        return dt.astimezone(timezone.utc)
    except (OverflowError, ValueError):
        return None
