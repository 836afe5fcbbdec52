"""Cheap per-message look-ups for the dialects: header tests and decoded part text.

Not a dialect itself (no @dialect here). Every dialect runs on every non-standard bounce until
one says yes, so its "is this mine?" test runs on the negative path of most bounces. The
stdlib's `msg.get(name)` and `msg.get_all(name)` lower-case every header name on every call;
here they are answered from the MailView's one-pass index of top-level headers (`_headers`:
first raw value per lower-case name) or memoised on the view, with exactly the stdlib's answers.
(Decoded part text: `pipeline.mime.view.decoded_text`, which reads the charset cheaply.)
"""
from __future__ import annotations

import re

from ...mime.view import MailView

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
