"""Raw part text back to str: 8-bit bytes the stdlib surrogate-escaped, base64 and
quoted-printable bodies, and the field blocks the stdlib split into header objects.

Everything here takes text and returns plain values; nothing raises on bad input.
"""
from __future__ import annotations

import base64
import binascii
import email.message
import quopri
import re

SURROGATES = re.compile("[\udc80-\udcff]")


def unsurrogate(text: str) -> str:
    """Undo the stdlib's surrogateescape of raw 8-bit bytes (UTF-8 in headers or in parts
    it split itself, e.g. message/global-delivery-status): valid UTF-8 comes back as text,
    the rest becomes U+FFFD. Downstream (JSON, Arrow) cannot encode lone surrogates."""
    if text.isascii() or not SURROGATES.search(text):  # isascii() reads a flag
        return text
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


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
