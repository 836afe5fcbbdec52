"""DSN-specific field values: the `type; value` form of RFC 3464 fields
(Final-Recipient: rfc822; a@b, Diagnostic-Code: smtp; 550 ..., Remote-MTA: dns; mx).

The generic mail helpers (addresses, codes, dates, header blocks, transfer decoding,
the returned message) live in pipeline/mime.
"""
from __future__ import annotations

import re

from ..mime.headers import fold

_SMTP_TYPE = re.compile(r"^\s*(?:smtp|x-[a-z0-9-]+|rfc822|dns|x-unix|unix)\s*;\s*", re.I)


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
