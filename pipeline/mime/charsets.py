"""Declared charsets -> Python codecs, and decoding that never raises.

Hostile or sloppy mail names charsets Python cannot use as given: a NUL or quotes in the
name, bytes-to-bytes codecs (base64, zlib), domain-name codecs (idna, punycode: they turn
plain ASCII into something else or refuse "replace"). Those read as the fallback charset,
so readable text under an odd charset name still reads.
"""
from __future__ import annotations

import codecs
import functools

# Python text codecs that are no mail charsets: domain-name and escape codecs decode plain
# ASCII text into something else (punycode turns "Mailbox full" into CJK), or always fail.
_NOT_CHARSETS = frozenset({"idna", "punycode", "unicode-escape", "raw-unicode-escape",
                           "undefined"})


@functools.lru_cache(maxsize=256)
def _codec(name: str) -> str | None:
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError, TypeError):
        return None
    # bytes-to-bytes codecs (base64, zlib, rot13, hex) are no charsets either
    if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_CHARSETS:
        return None
    return info.name


def codec_of(charset: object) -> str | None:
    """The Python text codec a declared charset names, or None (unknown, or no text
    encoding). NULs, quotes and blanks around the name are dropped: `"utf-8\\0"` is UTF-8."""
    if not charset:
        return None
    name = str(charset).replace("\0", "").strip(" \t\r\n\"'").lower()
    return _codec(name) if name else None


def decode_charset(data: bytes, charset: object, fallback: str = "utf-8") -> str:
    """`data` as text in its declared charset (else `fallback`), bad bytes as U+FFFD; never
    raises: an odd or unknown charset name over readable text still reads."""
    name = codec_of(charset) or fallback
    try:
        return data.decode(name, "replace")
    except (UnicodeError, ValueError, TypeError):
        try:
            return data.decode(name)
        except (UnicodeError, ValueError, TypeError):
            return data.decode(fallback, "replace")
