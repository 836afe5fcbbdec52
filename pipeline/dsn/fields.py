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
from datetime import datetime, timezone

from ..mime.view import decode_header_value, unsurrogate
from .model import OriginalMessage

# --- regexes, compiled once -------------------------------------------------------------------
_FIELD = re.compile(r"^([A-Za-z][A-Za-z0-9-]*)[ \t]*:[ \t]*(.*)$")
_ADDRESS = re.compile(r"<?([^\s<>\"(),;:]+@[^\s<>\"(),;:]+?)>?(?=[\s>,;:)\"]|$)")
ENHANCED_STATUS = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?!\.?\d)")
REPLY_CODE = re.compile(r"(?<![\d.])([245]\d\d)(?![\d.])")
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
    return _WS.sub(" ", text or "").strip()


def strip_type(value: str | None) -> str:
    """`smtp; 550 ...` -> `550 ...`; `rfc822; a@b` -> `a@b`; `dns; mx` -> `mx`."""
    return _SMTP_TYPE.sub("", fold(value), count=1)


def value_type(value: str | None) -> str:
    """The type prefix of a DSN value: "SMTP" for `smtp; ...`, "" when there is none."""
    m = _SMTP_TYPE.match(value or "")
    return m.group(0).split(";")[0].strip().upper() if m else ""


def parse_fields(text: str) -> list[tuple[str, str]]:
    """`Name: value` lines -> [(lower-case name, value)], continuation lines folded in.
    Blank lines are returned as ("", "") separators."""
    out: list[tuple[str, str]] = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not line.strip():
            out.append(("", ""))
            continue
        if line[0] in " \t" and out and out[-1][0]:
            name, value = out[-1]
            out[-1] = (name, f"{value} {line.strip()}")
            continue
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


def normalise_address(value: str | None) -> str | None:
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


def parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        dt = email.utils.parsedate_to_datetime(fold(value))
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
    cte = (cte or "").strip().lower()
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
    (message/delivery-status, message/feedback-report) or left as a string."""
    payload = part.get_payload()
    if isinstance(payload, list):
        chunks = []
        for block in payload:
            if not isinstance(block, email.message.Message):
                continue
            # raw values: `items()` would turn 8-bit (UTF-8) values into U+FFFD via Header()
            pairs = getattr(block, "_headers", None) or block.items()
            chunks.append("\n".join(f"{k}: {v}" for k, v in pairs))
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
    tags: dict[str, str] = {}
    for name, value in getattr(headers, "_headers", None) or headers.items():
        key = name.lower()
        if key in TAG_HEADERS or (key.startswith("x-") and any(
                w in key for w in ("campaign", "stream", "tenant"))):
            tags[key] = decode_header_value(value)
    msgid = fold(str(raw_header(headers, "Message-ID") or "")) or None
    return OriginalMessage(
        message_id=msgid.strip("<>") if msgid else None,
        sender=address(decode_header_value(raw_header(headers, "From")))
        or address(str(raw_header(headers, "Return-Path") or "")),
        subject=decode_header_value(raw_header(headers, "Subject")) or None,
        to=address(decode_header_value(raw_header(headers, "To"))),
        date=parse_date(str(raw_header(headers, "Date") or "")),
        list_id=_list_id(decode_header_value(raw_header(headers, "List-Id"))),
        feedback_id=fold(str(raw_header(headers, "Feedback-ID") or "")) or None,
        tags=tags,
    )


RETURNED_TYPES = ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers",
                   "message/global", "message/global-headers")


def original_message(parts: list[email.message.Message]) -> OriginalMessage:
    """The returned message's headers from the first returned-message part of `parts`
    (a MailView's `.parts`; pass `mail.parts_of_type(*RETURNED_TYPES)` to skip the scan)."""
    for part in parts:
        if part.get_content_type() in ("message/rfc822", "text/rfc822-headers",
                                       "message/rfc822-headers", "message/global",
                                       "message/global-headers"):
            try:
                return original_from_headers(headers_of(part, headers_only=True))
            except Exception:  # noqa: BLE001 - a broken returned message is not fatal
                return OriginalMessage()
    return OriginalMessage()
