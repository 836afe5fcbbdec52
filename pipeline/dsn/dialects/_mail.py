"""Cheap per-message look-ups for the dialects: header tests and decoded part text.

Not a dialect itself (no @dialect here). Every dialect runs on every non-standard bounce until
one says yes, so its "is this mine?" test runs on the negative path of most bounces. The
stdlib's `msg.get(name)` and `msg.get_all(name)` lower-case every header name on every call;
here they are answered from the MailView's one-pass index of top-level headers (`_headers`:
first raw value per lower-case name) or memoised on the view, with exactly the stdlib's answers.
"""
from __future__ import annotations

import re

from ...mime.view import MailView, normalise_newlines

_SURROGATE = re.compile("[\udc80-\udcff]")


def header_get(mail: MailView, name: str):
    """Exactly `mail.msg.get(name)` (first value, or None when absent)."""
    value = mail._headers.get(name.lower())
    if isinstance(value, str) and _SURROGATE.search(value):
        # compat32 hands back a Header for 8-bit values: let the stdlib build it
        return mail.msg.get(name)
    return value


def has_header_prefix(mail: MailView, prefix: str) -> bool:
    """Some top-level header name starts with `prefix` (lower case), like
    `any(k.lower().startswith(prefix) for k in mail.msg.keys())`."""
    return any(name.startswith(prefix) for name in mail._headers)


def received_lines(mail: MailView) -> list[str]:
    """`[str(v) for v in msg.get_all("Received")]` once per message ([] when it fails)."""
    memo = mail.__dict__.get("_dsn_received")
    if memo is None:
        try:
            memo = [str(v) for v in (mail.msg.get_all("Received") or [])]
        except Exception:  # noqa: BLE001 - same answer as _provider_kit.received_headers
            memo = []
        mail.__dict__["_dsn_received"] = memo
    return memo


# --- decoded text of a part, with the charset read cheaply -----------------------------------
# `Message.get_content_charset()` re-parses every Content-Type parameter (RFC 2231 and all)
# on each call, ~3-5 us; nearly every bounce part says just "type/sub" or
# "type/sub; charset=X". Those two forms are read by one regex, anything else by the stdlib.
_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_SIMPLE_CONTENT_TYPE = re.compile(
    rf"{_TOKEN}/{_TOKEN}(?:[ \t]*;[ \t]*(?i:charset)[ \t]*=[ \t]*(\"?)([A-Za-z0-9_.:+-]+)\1)?"
    r"[ \t]*")


def content_charset(part) -> str | None:
    """Exactly `part.get_content_charset()`."""
    value = part.get("content-type")
    if value is None:
        return None
    if isinstance(value, str):
        m = _SIMPLE_CONTENT_TYPE.fullmatch(value)
        if m is not None:
            return m.group(2).lower() if m.group(2) else None
    return part.get_content_charset()


def decoded_text(part, *, fallbacks: tuple[str, ...] = ("utf-8",),
                 aliases: dict[str, str] | None = None) -> str:
    """`pipeline.mime.view.decoded_text()` (same steps, same answer), with the declared
    charset from content_charset(): decoded text of one leaf part with LF newlines."""
    try:
        payload = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001 - broken transfer encoding
        payload = None
    if payload is None:
        raw = part.get_payload()
        return normalise_newlines(raw) if isinstance(raw, str) else ""
    declared = (content_charset(part) or "").lower()
    tried: list[str] = []
    first = [(aliases or {}).get(declared, declared)] if declared else []
    for charset in first + list(fallbacks):
        if not charset or charset in tried:
            continue
        tried.append(charset)
        try:
            return normalise_newlines(payload.decode(charset))
        except (LookupError, UnicodeDecodeError):
            continue
    return normalise_newlines(payload.decode("utf-8", "replace"))
