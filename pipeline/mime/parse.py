"""Mail bytes -> the stdlib's compat32 message tree (the one parse every email input gets)."""
from __future__ import annotations

import email.message
import re
from typing import TYPE_CHECKING

from .fastparse import parse_bytes

if TYPE_CHECKING:
    from ..settings import Limits

_FIRST_LINE = re.compile(rb"\r\n|\r|\n")


def parse_email(payload: bytes, limits: "Limits | None" = None) -> email.message.Message:
    """Parse mail bytes into the stdlib's compat32 tree (tolerant of broken MIME), built by
    `mime.fastparse` (the same algorithm without the line-by-line feed; ~2x faster). With
    `limits`, the part count and nesting depth are capped while parsing (LimitExceeded)."""
    if payload.startswith(b"From "):  # mbox separator line of a single message
        # Any newline convention: CR-only (old Mac) files would otherwise lose every line.
        payload = _FIRST_LINE.split(payload, maxsplit=1)[-1] if _FIRST_LINE.search(payload) else b""
    if limits is None:
        return parse_bytes(payload)
    return parse_bytes(payload, limits.max_mime_parts, limits.max_mime_depth)
