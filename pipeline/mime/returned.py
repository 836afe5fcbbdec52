"""The returned (bounced / reported) message inside a bounce or feedback report: which
part carries it, its header block, and what it shows of the original (OriginalMessage).
"""
from __future__ import annotations

import email.message
from dataclasses import dataclass, field

from .addresses import address
from .headers import decode_header_value, fold, header_pairs, parse_headers
from .transfer import decode_transfer, unsurrogate


@dataclass
class OriginalMessage:
    """What the bounce shows of the message that bounced."""

    message_id: str | None = None
    sender: str | None = None         # From address (or envelope sender where known)
    subject: str | None = None
    to: str | None = None
    list_id: str | None = None
    feedback_id: str | None = None
    tags: dict[str, str] = field(default_factory=dict)   # X-Campaign, X-Stream, X-Tenant, ...


# Header names (lower case) of the returned message that carry sending-side tags. Where each
# came from: ESP and MTA conventions seen in bounces (SendGrid/Mailgun/Postmark/SES/kumomta).
TAG_HEADERS: dict[str, str] = {
    "x-campaign": "campaign", "x-campaign-id": "campaign", "x-mailgun-campaign-id": "campaign",
    "x-campaignid": "campaign", "x-mc-campaign": "campaign",
    "x-stream": "stream", "x-message-stream": "stream", "x-pm-message-stream": "stream",
    "x-mailgun-tag": "stream", "x-ses-configuration-set": "stream", "x-category": "stream",
    "x-tenant": "tenant", "x-tenant-id": "tenant", "x-kumo-tenant": "tenant",
}


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
