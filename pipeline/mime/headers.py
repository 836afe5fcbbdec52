"""Header blocks as text: folding, RFC 2047 decoding, `Name: value` field blocks
(delivery-status, feedback-report) and the header block at the start of a text.

Everything here takes text and returns plain values; nothing raises on bad input.
"""
from __future__ import annotations

import email.header
import email.message
import email.parser
import re

from .charsets import decode_charset
from .transfer import unsurrogate

_WS = re.compile(r"\s+")
_SPACE = re.compile(r"\s")
# Longer texts are folded a window at a time: str.split() holds one string per word, ~9x the
# text (a 3.9 MB Subject of 500,000 words grew the process by 36 MB); a window's words are
# few, and the folded windows together are about the text's size.
FOLD_WINDOW = 64 * 1024


def fold(text: str | None) -> str:
    """Collapse whitespace (folded continuation lines included) to single spaces."""
    # str.split() splits on exactly the characters `\s` matches (str.isspace): the same
    # result as _WS.sub(" ", text).strip(), several times faster on short values
    if not text:
        return ""
    if isinstance(text, str):
        if len(text) <= FOLD_WINDOW:
            return " ".join(text.split())
        return _fold_long(text)
    return _WS.sub(" ", text).strip()  # not text: fail as before (TypeError)


def _fold_long(text: str) -> str:
    """fold() of a long text, one window at a time, each cut at white space (no word split)."""
    folded_windows = []
    start, n = 0, len(text)
    while start < n:
        end = start + FOLD_WINDOW
        if end < n:
            space = _SPACE.search(text, end)
            end = space.start() if space else n
        else:
            end = n
        folded = " ".join(text[start:end].split())
        if folded:
            folded_windows.append(folded)
        start = end
    return " ".join(folded_windows)


def decode_header_value(value: object) -> str:
    """RFC 2047-decode a header value; undecodable bytes become U+FFFD, never an exception."""
    if type(value) is str and value.isascii() and "=?" not in value and len(value) <= FOLD_WINDOW:
        return " ".join(value.split())   # the common value: fold(unsurrogate(value)), inlined
    if value is None:
        return ""
    if isinstance(value, email.header.Header):
        value = str(value)
    text = unsurrogate(str(value))
    if "=?" not in text:
        return fold(text)
    try:
        chunks = email.header.decode_header(text)
    except Exception:  # noqa: BLE001 - malformed encoded-words: keep the raw text
        return fold(text)
    out = []
    for chunk, charset in chunks:
        if isinstance(chunk, bytes):
            out.append(decode_charset(chunk, charset or "ascii", "latin-1"))
        else:
            out.append(chunk)
    return fold("".join(out))


# One line of a field block, by one `findall` over the whole text (MULTILINE: each match is
# one line, as split("\n") cuts them; `.` stops only at "\n"): (name, value) of a field line,
# or the line itself when it starts with a blank (a continuation, or a blank line), or any
# other line (ignored, or a blank line). Exactly one of name / blank-led / other is non-empty,
# except for an empty line, which leaves all three empty.
_FIELD_LINES = re.compile(r"^(?:([A-Za-z][A-Za-z0-9-]*)[ \t]*:[ \t]*(.*)|([ \t].*)|(.*))$",
                          re.MULTILINE)


def parse_fields(text: str) -> list[tuple[str, str]]:
    """`Name: value` lines -> [(lower-case name, value)], continuation lines folded in.
    Blank lines are returned as ("", "") separators."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    out: list[tuple[str, str]] = []
    for name, value, led, other in _FIELD_LINES.findall(text):
        if name:
            out.append((name.lower(), value.strip()))
        elif led and not led.isspace():
            # a continuation adds to the last field (even across ignored lines); after a
            # blank line, or before any field, it is dropped
            if out and out[-1][0]:
                name, value = out[-1]
                out[-1] = (name, f"{value} {led.strip()}")
        elif led or not other or other.isspace():   # blank: nothing left after strip()
            out.append(("", ""))
    return out


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
