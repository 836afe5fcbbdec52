"""A read-only, lazily decoded view of one email for bounce/ARF/report parsers.

Built on the stdlib parser (compat32 policy) because it is ~3x faster than flanker and never
raises on broken MIME; decoded pieces are cached so several dialects can look cheaply.
"""
from __future__ import annotations

import email.header
import email.message
import re
from functools import cached_property

_WS = re.compile(r"\s+")


def decode_header_value(value: object) -> str:
    """RFC 2047-decode a header value; undecodable bytes become U+FFFD, never an exception."""
    if value is None:
        return ""
    if isinstance(value, email.header.Header):
        value = str(value)
    text = str(value)
    if "=?" not in text:
        return _WS.sub(" ", text).strip()
    try:
        chunks = email.header.decode_header(text)
    except Exception:  # noqa: BLE001 - malformed encoded-words: keep the raw text
        return _WS.sub(" ", text).strip()
    out = []
    for chunk, charset in chunks:
        if isinstance(chunk, bytes):
            try:
                out.append(chunk.decode(charset or "ascii", "replace"))
            except LookupError:
                out.append(chunk.decode("latin-1"))
        else:
            out.append(chunk)
    return _WS.sub(" ", "".join(out)).strip()


def part_text(part: email.message.Message) -> str:
    """Decoded text of one non-multipart part (transfer encoding and charset)."""
    payload = part.get_payload(decode=True)
    if payload is None:
        raw = part.get_payload()
        return raw if isinstance(raw, str) else ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, "replace")
    except LookupError:
        return payload.decode("utf-8", "replace")


class MailView:
    """Convenience accessors over a parsed message. Cheap to build; everything is lazy."""

    def __init__(self, msg: email.message.Message):
        self.msg = msg

    def header(self, name: str) -> str:
        """Decoded value of the first `name` header, or "" when absent."""
        return decode_header_value(self.msg.get(name))

    @cached_property
    def from_(self) -> str:
        return self.header("From")

    @cached_property
    def subject(self) -> str:
        return self.header("Subject")

    @cached_property
    def content_type(self) -> str:
        return self.msg.get_content_type()

    @cached_property
    def parts(self) -> list[email.message.Message]:
        """Every part, depth first (the message itself first)."""
        try:
            return list(self.msg.walk())
        except Exception:  # noqa: BLE001 - pathological nesting
            return [self.msg]

    @cached_property
    def body_text(self) -> str:
        """Text of the first text/plain part (or of the whole body when not multipart)."""
        if not self.msg.is_multipart():
            return part_text(self.msg)
        for part in self.parts:
            if part.get_content_type() == "text/plain" and not part.is_multipart():
                return part_text(part)
        return ""

    @cached_property
    def full_text(self) -> str:
        """All text/* and message/delivery-status parts joined: for dialects that scan."""
        if not self.msg.is_multipart():
            return part_text(self.msg)
        chunks = []
        for part in self.parts:
            if part.is_multipart():
                continue
            ctype = part.get_content_type()
            if ctype.startswith("text/") or ctype in ("message/delivery-status",
                                                      "message/feedback-report"):
                chunks.append(part_text(part))
        return "\n".join(chunks)

    def parts_of_type(self, *ctypes: str) -> list[email.message.Message]:
        return [p for p in self.parts if p.get_content_type() in ctypes]
