"""Small pure helpers shared by the RFC 3464 parser and the dialects: DSN field blocks,
addresses, status codes, dates, the returned message's headers.

Everything here takes text and returns plain values; nothing raises on bad input.
"""
from __future__ import annotations

import base64
import binascii
import email.message
import email.parser
import email.utils
import quopri
import re
from datetime import datetime, timedelta, timezone

from ..mime.view import decode_header_value, unsurrogate
from .model import OriginalMessage

# --- regexes, compiled once -------------------------------------------------------------------
# A match starts only at "<" or at a token boundary (the look-behind): a match starting
# inside a token would extend to the token's start, so the leftmost match and its groups are
# those of `<?([^\s<>"(),;:]+@[^\s<>"(),;:]+?)>?(?=...)`, without re-scanning each token from
# every position in it. The domain run is greedy: its characters never satisfy the look-ahead,
# so the lazy and the greedy run end at the same place (~1.7x faster per search).
_ADDRESS = re.compile(r"(?:<|(?<![^\s<>\"(),;:]))([^\s<>\"(),;:]+@[^\s<>\"(),;:]+)>?"
                      r"(?=[\s>,;:)\"]|$)")
# The look-behind sits after the first digit so the regex engine can skip ahead to a [245]
# (same matches and groups as a leading (?<![\d.]); about 2x faster per search).
ENHANCED_STATUS = re.compile(r"([245])(?<![\d.][245])\.(\d{1,3})\.(\d{1,3})(?!\.?\d)")
REPLY_CODE = re.compile(r"([245]\d\d)(?<![\d.][245]\d\d)(?![\d.])")
_SMTP_TYPE = re.compile(r"^\s*(?:smtp|x-[a-z0-9-]+|rfc822|dns|x-unix|unix)\s*;\s*", re.I)
_WS = re.compile(r"\s+")

# Header names (lower case) of the returned message that carry sending-side tags. Where each
# came from: ESP and MTA conventions seen in bounces (SendGrid/Mailgun/Postmark/SES/kumomta).
TAG_HEADERS: dict[str, str] = {
    "x-campaign": "campaign", "x-campaign-id": "campaign", "x-mailgun-campaign-id": "campaign",
    "x-campaignid": "campaign", "x-mc-campaign": "campaign",
    "x-stream": "stream", "x-message-stream": "stream", "x-pm-message-stream": "stream",
    "x-mailgun-tag": "stream", "x-ses-configuration-set": "stream", "x-category": "stream",
    "x-tenant": "tenant", "x-tenant-id": "tenant", "x-kumo-tenant": "tenant",
}


def fold(text: str | None) -> str:
    """Collapse whitespace (folded continuation lines included) to single spaces."""
    # str.split() splits on exactly the characters `\s` matches (str.isspace): the same
    # result as _WS.sub(" ", text).strip(), several times faster on short values
    if not text:
        return ""
    if isinstance(text, str):
        return " ".join(text.split())
    return _WS.sub(" ", text).strip()  # not text: fail as before (TypeError)


def strip_type(value: str | None) -> str:
    """`smtp; 550 ...` -> `550 ...`; `rfc822; a@b` -> `a@b`; `dns; mx` -> `mx`."""
    text = fold(value)
    if ";" not in text:   # a type prefix ends with ";": cheap test first
        return text
    m = _SMTP_TYPE.match(text)   # anchored: the same as _SMTP_TYPE.sub("", text, count=1)
    return text[m.end():] if m else text


def value_type(value: str | None) -> str:
    """The type prefix of a DSN value: "SMTP" for `smtp; ...`, "" when there is none."""
    m = _SMTP_TYPE.match(value or "")
    return m.group(0).split(";")[0].strip().upper() if m else ""


_FIELD = re.compile(r"([A-Za-z][A-Za-z0-9-]*)[ \t]*:[ \t]*(.*)")


def parse_fields(text: str) -> list[tuple[str, str]]:
    """`Name: value` lines -> [(lower-case name, value)], continuation lines folded in.
    Blank lines are returned as ("", "") separators."""
    out: list[tuple[str, str]] = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not line or line.isspace():   # blank: nothing left after strip()
            out.append(("", ""))
            continue
        first = line[0]
        if first == " " or first == "\t":
            # a continuation adds to the last field (even across ignored lines); after a
            # blank line, or before any field, it is dropped
            if out and out[-1][0]:
                name, value = out[-1]
                out[-1] = (name, f"{value} {line.strip()}")
            continue
        if ":" in line:   # cheap test first: most prose lines have no colon
            m = _FIELD.match(line)
            if m:
                out.append((m.group(1).lower(), m.group(2).strip()))
    return out


def address(value: str | None) -> str | None:
    """First e-mail address in `value`, as found (without <> / type prefix)."""
    if not value:
        return None
    m = _ADDRESS.search(strip_type(value))
    return m.group(1).strip(".") if m else None


# An address as parsers usually hand it over: no brackets, white space, type prefix, quotes,
# or dots at its ends, and some character on each side of an "@". address() finds exactly
# such a string whole (no `\s` to fold, no `;` for a type prefix, no delimiter to stop at,
# nothing for strip(".")), so normalising it is just lower(): one fullmatch instead of fold
# and two regexes (tests/unit/test_classify.py compares the two paths).
_PLAIN_ADDRESS = re.compile(r'[^\s<>"(),;:.][^\s<>"(),;:]*@[^\s<>"(),;:]*[^\s<>"(),;:.]')


def normalise_address(value: str | None) -> str | None:
    if value and _PLAIN_ADDRESS.fullmatch(value):
        return value.lower()
    return _normalise_found_address(value)


def _normalise_found_address(value: str | None) -> str | None:
    """normalise_address() without its plain-address shortcut: the definition."""
    found = address(value)
    return found.lower() if found else None


def status_in(text: str | None) -> str | None:
    """First enhanced status code (`5.1.1`) in free text."""
    m = ENHANCED_STATUS.search(text or "")
    return f"{m.group(1)}.{int(m.group(2))}.{int(m.group(3))}" if m else None


def reply_code_in(text: str | None) -> int | None:
    """First SMTP reply code (`550`) in free text, not part of a status code or a number."""
    m = REPLY_CODE.search(text or "")
    return int(m.group(1)) if m else None


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


def decode_transfer(text: str, cte: str | None) -> str:
    """Undo a base64 / quoted-printable transfer encoding applied to a whole text part."""
    cte = str(cte or "").strip().lower()   # a compat32 Header for 8-bit values
    try:
        if cte == "base64":
            data = base64.b64decode(re.sub(r"[^A-Za-z0-9+/=]", "", text) + "==", validate=False)
            return data.decode("utf-8", "replace")
        if cte == "quoted-printable":
            return quopri.decodestring(text.encode("latin-1", "replace")).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return text
    return text


def message_text(part: email.message.Message) -> str:
    """Raw text of a part whose payload the stdlib split into header blocks
    (message/delivery-status, message/feedback-report) or left as a string.
    Memoised on the part: the dialects, RFC 3464 and MailView.full_text all read it."""
    memo = part.__dict__.get("_dsn_message_text")
    if memo is None:
        memo = part.__dict__["_dsn_message_text"] = _message_text(part)
    return memo


def _message_text(part: email.message.Message) -> str:
    payload = part.get_payload()
    if isinstance(payload, list):
        chunks = []
        for block in payload:
            if not isinstance(block, email.message.Message):
                continue
            # raw values: `items()` would turn 8-bit (UTF-8) values into U+FFFD via Header()
            pairs = getattr(block, "_headers", None) or block.items()
            chunks.append("\n".join([f"{k}: {v}" for k, v in pairs]))
            body = getattr(block, "_payload", None)  # raw: keeps 8-bit UTF-8 intact
            body = unsurrogate(body) if isinstance(body, str) else body
            if isinstance(body, str) and body.strip():
                chunks.append(body)
            chunks.append("")
        text = "\n".join(chunks)
    else:
        # the raw string, not get_payload(): that turns 8-bit (UTF-8) bytes into U+FFFD
        raw = getattr(part, "_payload", payload)
        text = unsurrogate(raw) if isinstance(raw, str) else ""
    cte = part.get("Content-Transfer-Encoding")
    if cte and str(cte).strip().lower() in ("base64", "quoted-printable"):
        text = decode_transfer(text, str(cte))
    return unsurrogate(text)


# A line end then an empty line, under any newline convention (LF, CRLF, CR-only).
_BLANK_LINE = re.compile(r"(?:\r\n|\r(?!\n)|\n)(?:\r\n|\r(?!\n)|\n)")


def parse_headers(text: str) -> email.message.Message:
    """Only the header block of `text` as a Message (the body is cut off before the
    stdlib's line-by-line feed parser sees it): the returned message's headers without the
    cost of reading, let alone MIME-parsing, its body."""
    end = _BLANK_LINE.search(text)  # the header block ends at the first empty line
    return email.parser.Parser().parsestr(text[:end.end()] if end else text, headersonly=True)


# The header block at the start of a text, one item per findall match, each starting at a line
# start: a field (name, the rest of its first line, the continuation lines right after it), a
# "From " line or a stray continuation line (skipped, as the stdlib skips them; so is a line
# starting with ":", a field with an empty name), and at the first line that is none of these
# (the end of the block as email.feedparser.headerRE sees it), the whole rest of the text in
# one match (DOTALL `.+` jumps to the end at once): one regex pass, the block never re-scanned.
# Line ends are CRLF, CR or LF, as the feed parser splits them.
_BLOCK_ITEM = re.compile(
    r"([\041-\071\073-\176]*):([^\r\n]*(?:\r\n?|\n)?)((?:[\t ][^\r\n]*(?:\r\n?|\n)?)*)"
    r"|(?:From |[\t ])[^\r\n]*(?:\r\n?|\n)?"
    r"|(?s:.+)")


def header_pairs(text: str) -> list[tuple[str, str]]:
    """[(name, raw value)] of the header block at the start of `text`: exactly what
    `parse_headers(text)._headers` holds (compat32: value = the first line after the colon,
    left-stripped of blanks, plus its continuation lines, trailing CR/LF removed), read with
    one regex instead of the stdlib's line-by-line FeedParser and a Message object."""
    return [(name, (first.lstrip(" \t") + rest).rstrip("\r\n"))
            for name, first, rest in _BLOCK_ITEM.findall(text) if name]


def headers_of(part: email.message.Message, *,
               headers_only: bool = False) -> email.message.Message | None:
    """The returned message's headers from a message/rfc822 or text/rfc822-headers part.
    `headers_only`: the caller reads headers only, so a pasted body is not MIME-parsed."""
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], email.message.Message):
        return payload[0]
    if isinstance(payload, str):
        raw = getattr(part, "_payload", payload)  # raw: get_payload() mangles 8-bit text
        text = unsurrogate(raw) if isinstance(raw, str) else payload
        text = decode_transfer(text, part.get("Content-Transfer-Encoding"))
        text = text.lstrip("\r\n")
        return parse_headers(text) if headers_only else email.message_from_string(text)
    return None


def _list_id(value: str) -> str | None:
    """RFC 2919 List-Id: the id inside <>, else the whole value."""
    value = fold(value)
    if "<" in value and ">" in value.split("<", 1)[1]:
        value = value.split("<", 1)[1].split(">", 1)[0]
    return value.strip("<> ") or None


def raw_header(msg: email.message.Message, name: str) -> str | None:
    """First `name` header as raw text (8-bit UTF-8 kept; the stdlib's `get()` would hand back
    a Header whose text is U+FFFD for every 8-bit byte)."""
    key = name.lower()
    for k, v in getattr(msg, "_headers", None) or msg.items():
        if k.lower() == key:
            return unsurrogate(v) if isinstance(v, str) else str(v)
    return None


def original_from_headers(headers: email.message.Message | None) -> OriginalMessage:
    """OriginalMessage from the returned message's header block."""
    if headers is None:
        return OriginalMessage()
    return original_from_pairs(getattr(headers, "_headers", None) or headers.items())


def original_from_text(text: str) -> OriginalMessage:
    """OriginalMessage from the header block at the start of `text`: the same answer as
    original_from_headers(parse_headers(text)), without the stdlib feed parser."""
    return original_from_pairs(header_pairs(text))


_ORIGINAL_FIELDS = ("message-id", "from", "return-path", "subject", "to", "list-id",
                    "feedback-id")
_ORIGINAL_FIELD_SET = frozenset(_ORIGINAL_FIELDS)


def _raw_text(value: object) -> str:
    """raw_header()'s text of a value: 8-bit UTF-8 kept, U+FFFD for invalid bytes
    (unsurrogate() hands an ASCII text back at once)."""
    return unsurrogate(value) if isinstance(value, str) else str(value)


def _decoded(text: str) -> str:
    # decode_header_value(text) for such a text: without an encoded word that is just the
    # whitespace fold
    return decode_header_value(text) if "=?" in text else fold(text)


def _decoded_address(text: str) -> str | None:
    # address(_decoded(text)): address() folds first, so without an encoded word the fold
    # in _decoded() is not needed (fold(fold(x)) == fold(x))
    return address(decode_header_value(text) if "=?" in text else text)


def original_from_pairs(pairs) -> OriginalMessage:
    """OriginalMessage from the returned message's (name, raw value) header pairs.

    One pass keeps the first value of each field (as raw_header() finds it) and the tag
    headers; Received, DKIM-Signature... (most of a returned message's headers) change
    nothing. Absent fields skip the decode/fold calls (they would all give None)."""
    first: dict[str, object] = {}
    # Tags: each name once, in first-seen order, with its last value (what repeated
    # `tags[key] = ...` assignments leave)
    tag_values: dict[str, object] = {}
    for name, value in pairs:
        key = name.lower()
        if key in _ORIGINAL_FIELD_SET:
            if key not in first:
                first[key] = value
        elif key.startswith("x-") and (key in TAG_HEADERS or "campaign" in key
                                       or "stream" in key or "tenant" in key):
            tag_values[key] = value
    original = OriginalMessage(
        tags={key: decode_header_value(value) for key, value in tag_values.items()})
    if not first:
        return original
    # each field's raw text, "" when absent (every use below skips a falsy text)
    msgid, sender, return_path, subject, to, list_id, feedback_id = [
        _raw_text(first[key]) if key in first else "" for key in _ORIGINAL_FIELDS]
    if msgid:
        msgid = fold(msgid)
        original.message_id = msgid.strip("<>") if msgid else None
    if sender:
        original.sender = _decoded_address(sender)
    if not original.sender:
        original.sender = address(return_path) if return_path else None
    if subject:
        original.subject = _decoded(subject) or None
    if to:
        original.to = _decoded_address(to)
    if list_id:
        original.list_id = _list_id(_decoded(list_id))
    if feedback_id:
        original.feedback_id = fold(feedback_id) or None
    return original


RETURNED_TYPES = ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers",
                   "message/global", "message/global-headers")


def original_message(parts: list[email.message.Message]) -> OriginalMessage:
    """The returned message's headers from the first returned-message part of `parts`
    (a MailView's `.parts`; pass `mail.parts_of_type(*RETURNED_TYPES)` to skip the scan)."""
    for part in parts:
        if part.get_content_type() in RETURNED_TYPES:
            try:
                return _original_of_part(part)
            except Exception:  # noqa: BLE001 - a broken returned message is not fatal
                return OriginalMessage()
    return OriginalMessage()


def _original_of_part(part: email.message.Message) -> OriginalMessage:
    """original_from_headers(headers_of(part, headers_only=True)), reading a text header
    block with header_pairs() instead of the stdlib feed parser (same pairs)."""
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], email.message.Message):
        return original_from_headers(payload[0])
    if isinstance(payload, str):
        raw = getattr(part, "_payload", payload)  # raw: get_payload() mangles 8-bit text
        text = unsurrogate(raw) if isinstance(raw, str) else payload
        text = decode_transfer(text, part.get("Content-Transfer-Encoding"))
        return original_from_text(text.lstrip("\r\n"))
    return OriginalMessage()
