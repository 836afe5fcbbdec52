"""Diagnostic phrase tables, one per reason, and the matcher.

Each reason's table lives in `tables/<group>.py` as a `Table(index, pairs, isnot)`:
  index  -- substrings of the lower-cased diagnostic;
  pairs  -- tuples of substrings that must all appear, in order (Sisimai's `Aligned`);
  isnot  -- substrings that veto the reason.
The source of every table is given above it (go-sisimai `reason/why-*.go`, BSD-2-Clause,
plus bouncepipe additions marked as such).
"""
from __future__ import annotations

from .tables import TABLES, Table


def aligned(text: str, pieces: tuple[str, ...]) -> bool:
    """All pieces appear in `text`, each after the previous one."""
    pos = 0
    for piece in pieces:
        found = text.find(piece, pos)
        if found < 0:
            return False
        pos = found + len(piece)
    return True


def included(reason: str, text: str) -> str | None:
    """The phrase of `reason`'s table found in `text` (lower case), or None."""
    if not text:
        return None
    table: Table | None = TABLES.get(reason)
    if table is None:
        return None
    for veto in table.isnot:
        if veto in text:
            return None
    for phrase in table.index:
        if phrase in text:
            return phrase
    for pieces in table.pairs:
        if aligned(text, pieces):
            return " ... ".join(pieces)
    return None
