"""E-mail addresses found in header values and free text.
"""
from __future__ import annotations

import re
from collections.abc import Iterator

# A match starts only at "<" or at a token boundary (the look-behind): a match starting
# inside a token would extend to the token's start, so the leftmost match and its groups are
# those of `<?([^\s<>"(),;:]+@[^\s<>"(),;:]+?)>?(?=...)`, without re-scanning each token from
# every position in it. The domain run is greedy: its characters never satisfy the look-ahead,
# so the lazy and the greedy run end at the same place (~1.7x faster per search).
_ADDRESS = re.compile(r"(?:<|(?<![^\s<>\"(),;:]))([^\s<>\"(),;:]+@[^\s<>\"(),;:]+)>?"
                      r"(?=[\s>,;:)\"]|$)")


def address(value: str | None) -> str | None:
    """First e-mail address in `value`, as found (without <> / type prefix).

    A DSN type prefix (`rfc822; a@b`) needs no stripping: it holds no "@" and ends at ";",
    a delimiter, so the search skips it (tests/unit/test_dsn_fast_fields.py checks this
    against the strip-then-search definition)."""
    if not value:
        return None
    m = _ADDRESS.search(value)
    return m.group(1).strip(".") if m else None


# An address as parsers usually hand it over: no brackets, white space, type prefix, quotes,
# or dots at its ends, and some character on each side of an "@". address() finds exactly
# such a string whole (no `\s` to fold, no `;` for a type prefix, no delimiter to stop at,
# nothing for strip(".")), so normalising it is just lower(): one fullmatch instead of fold
# and two regexes (tests/unit/test_classify.py compares the two paths).
_PLAIN_ADDRESS = re.compile(r'[^\s<>"(),;:.][^\s<>"(),;:]*@[^\s<>"(),;:]*[^\s<>"(),;:.]')


def normalise_address(value: str | None) -> str | None:
    if value and _PLAIN_ADDRESS.fullmatch(value):
        return value.lower()
    return _normalise_found_address(value)


def _normalise_found_address(value: str | None) -> str | None:
    """normalise_address() without its plain-address shortcut: the definition."""
    found = address(value)
    return found.lower() if found else None


# One item of a comma-separated header value: from its first non-blank character to the next
# comma (white space is what str.strip() removes: re's \s is str.isspace()).
_LIST_ITEM = re.compile(r"[^,\s][^,]*")


def list_items(value: str) -> Iterator[str]:
    """The non-blank items of a comma-separated header value (X-Failed-Recipients), stripped,
    one at a time: `(a.strip() for a in value.split(",") if a.strip())` without the list of
    every item first (a header of 4,000,000 commas was a list of 4,000,000 empty strings)."""
    for found in _LIST_ITEM.finditer(value):
        yield found.group().rstrip()
