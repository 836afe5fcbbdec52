"""Diagnostic phrase tables, one per reason, and the matcher.

Each reason's table lives in `tables/<group>.py` as a `Table(index, pairs, isnot)`:
  index  -- substrings of the lower-cased diagnostic;
  pairs  -- tuples of substrings that must all appear, in order (Sisimai's `Aligned`);
  isnot  -- substrings that veto the reason.
The source of every table is given above it (go-sisimai `reason/why-*.go`, BSD-2-Clause,
plus bouncepipe additions marked as such).

Speed: one classification asks about a dozen tables (~700 phrases). Rather than one
`phrase in text` per phrase per table, `phrases_in(text)` finds every index phrase, veto and
pair key in one Aho-Corasick pass (pyahocorasick), and `reasons_in` turns that into the set of
reasons whose table matches. The answers are those of the definition above: a phrase is in
the found set exactly when `phrase in text` (tests/unit/test_classify.py checks the three
matchers against it).
"""
from __future__ import annotations

from operator import itemgetter
from typing import NamedTuple

import ahocorasick

from .tables import TABLES, Table


class _Compiled(NamedTuple):
    index: tuple[str, ...]                       # table order: the first hit is the answer
    index_set: frozenset[str]
    pairs: tuple[tuple[tuple[str, ...], str], ...]  # (pieces, key piece)
    isnot_set: frozenset[str]


def _key(pieces: tuple[str, ...]) -> str:
    """The piece a pair is looked up by: its longest (rarest) one. A pair can only align
    when every piece, so this one, is in the text; then `aligned` checks the order."""
    return max(pieces, key=len)


def _compile(table: Table) -> _Compiled:
    return _Compiled(table.index, frozenset(table.index),
                     tuple((p, _key(p)) for p in table.pairs), frozenset(table.isnot))


_COMPILED: dict[str, _Compiled] = {name: _compile(t) for name, t in TABLES.items()}


def _automaton() -> ahocorasick.Automaton:
    automaton = ahocorasick.Automaton()
    for table in TABLES.values():
        for phrase in (*table.index, *table.isnot, *(_key(ps) for ps in table.pairs)):
            if not phrase:
                raise ValueError("empty phrase in a classify table")  # `"" in text` is always true
            automaton.add_word(phrase, phrase)
    automaton.make_automaton()
    return automaton


_AUTOMATON = _automaton()
_NOTHING: frozenset[str] = frozenset()


def _reverse(pick) -> dict[str, frozenset[str]]:
    """phrase -> the reasons whose table lists it (in the part `pick` selects)."""
    out: dict[str, set[str]] = {}
    for name, table in TABLES.items():
        for phrase in pick(table):
            out.setdefault(phrase, set()).add(name)
    return {phrase: frozenset(names) for phrase, names in out.items()}


# key piece of a pair -> (reason, pieces): only pairs whose key was found are checked
_PAIRS_BY_KEY: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
for _name, _table in TABLES.items():
    for _pieces in _table.pairs:
        _PAIRS_BY_KEY.setdefault(_key(_pieces), []).append((_name, _pieces))
# every automaton phrase -> (reasons listing it in their index, reasons it vetoes, pairs it
# keys): one look-up per phrase found
_INDEX_OF = _reverse(lambda t: t.index)
_VETO_OF = _reverse(lambda t: t.isnot)
_ROLES: dict[str, tuple[frozenset[str], frozenset[str], tuple[tuple[str, tuple[str, ...]], ...]]]
_ROLES = {phrase: (_INDEX_OF.get(phrase, _NOTHING), _VETO_OF.get(phrase, _NOTHING),
                   tuple(_PAIRS_BY_KEY.get(phrase, ())))
          for phrase in {*_INDEX_OF, *_VETO_OF, *_PAIRS_BY_KEY}}


def phrases_in(text: str) -> frozenset[str]:
    """Every index phrase, veto and pair key (`_key`) of every table that occurs in `text`."""
    if not text:
        return _NOTHING
    return frozenset(map(itemgetter(1), _AUTOMATON.iter(text)))


def reasons_in(text: str, found: frozenset[str] | None = None) -> frozenset[str]:
    """Every reason whose table matches `text`: the same answer as `matches(reason, text)`
    for each reason, from one look at the phrases found (`phrases_in(text)`)."""
    if found is None:
        found = phrases_in(text)
    if not found:
        return _NOTHING
    hit: set[str] = set()
    veto: set[str] = set()
    keyed = []
    for phrase in found:
        index_of, veto_of, pairs = _ROLES[phrase]
        hit |= index_of
        if veto_of:
            veto |= veto_of
        if pairs:
            keyed.extend(pairs)
    for name, pieces in keyed:
        if name not in hit and aligned(text, pieces):
            hit.add(name)
    return frozenset(hit - veto) if veto else frozenset(hit)


def aligned(text: str, pieces: tuple[str, ...]) -> bool:
    """All pieces appear in `text`, each after the previous one."""
    pos = 0
    for piece in pieces:
        found = text.find(piece, pos)
        if found < 0:
            return False
        pos = found + len(piece)
    return True


def _pair_hit(c: _Compiled, text: str, found: frozenset[str]) -> tuple[str, ...] | None:
    for pieces, key in c.pairs:
        if key in found and aligned(text, pieces):
            return pieces
    return None


def matches(reason: str, text: str, found: frozenset[str] | None = None) -> bool:
    """Does `reason`'s table match `text` (lower case)? `found` is `phrases_in(text)` when the
    caller has it already (one pass serves every table). The hot path asks `reasons_in`."""
    return included(reason, text, found) is not None


def included(reason: str, text: str, found: frozenset[str] | None = None) -> str | None:
    """The phrase of `reason`'s table found in `text` (lower case), or None: the first index
    phrase in table order, else the first aligned pair (pieces joined by " ... ")."""
    if not text:
        return None
    c = _COMPILED.get(reason)
    if c is None:
        return None
    if found is None:
        found = phrases_in(text)
    if not found or not found.isdisjoint(c.isnot_set):
        return None
    if not found.isdisjoint(c.index_set):
        return next(phrase for phrase in c.index if phrase in found)
    pieces = _pair_hit(c, text, found)
    return " ... ".join(pieces) if pieces is not None else None
