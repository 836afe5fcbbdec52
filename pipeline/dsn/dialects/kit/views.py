"""Kit part: cheap per-message look-ups for the dialects (header tests, decoded part text,
phrase tables). Used through `dialects.kit`. Every dialect runs on every non-standard bounce until
one says yes, so its "is this mine?" test runs on the negative path of most bounces. The
stdlib's `msg.get(name)` and `msg.get_all(name)` lower-case every header name on every call;
here they are answered from the MailView's one-pass index of top-level headers (`mail.get`,
`_headers`: first raw value per lower-case name) or memoised on the view, with exactly the
stdlib's answers.
(Decoded part text: `pipeline.mime.view.decoded_text`, which reads the charset cheaply.)
Also here, each exactly equal to the slower form it replaces (tests/unit/test_dsn_fast_fields.py
compares them): `plain_ascii_text` (an ASCII, unencoded part is its own decoded text),
`full_text_has` (`phrase in mail.full_text` without building it when no part needs decoding;
it mirrors MailView.full_text's walk, so a change there must be made here too),
`received_text` (one search over the Received lines) and `lowered_table` (phrase tables
lower-cased once). And `split_at` and `first_phrase`.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from ....mime.message import CachedMessage
from ....mime.view import MailView, decoded_text, normalise_newlines
from ....mime.transfer import message_text

T = TypeVar("T")


def has_header_prefix(mail: MailView, prefix: str) -> bool:
    """Some top-level header name starts with `prefix` (lower case), like
    `any(k.lower().startswith(prefix) for k in mail.msg.keys())`."""
    return any(name.startswith(prefix) for name in mail._headers)


def view_memo(mail: MailView, key: str, compute: Callable[[MailView], T]) -> T:
    """compute(mail), once per view (kept in its __dict__ under `key`): several dialects
    ask the same question of one message."""
    memo = mail.__dict__.get(key)
    if memo is None:
        memo = mail.__dict__[key] = compute(mail)
    return memo


def received_lines(mail: MailView) -> list[str]:
    """`[str(v) for v in msg.get_all("Received")]` once per message ([] when it fails)."""
    return view_memo(mail, "_dsn_received", _received_lines)


def _received_lines(mail: MailView) -> list[str]:
    raw = mail.received_raw()
    if raw is not None and all(type(v) is str and v.isascii() for v in raw):
        return list(raw)   # what get_all() + str() give for ASCII values, without the scan
    try:
        return [str(v) for v in (mail.msg.get_all("Received") or [])]
    except Exception:  # noqa: BLE001 - a broken header list: no hops
        return []


# Charsets whose decoding maps ASCII bytes to the same characters and no other byte to an
# ASCII character (with "replace" too): an ASCII phrase is in the decoded text exactly when it
# is in the raw bytes. (Not Shift_JIS, ISO-2022-JP, UTF-16...: there ASCII bytes change sense.)
_ASCII_SAFE_CHARSETS = frozenset((None, "", "us-ascii", "ascii", "utf-8", "utf8", "iso-8859-1",
                                  "latin-1", "latin1", "iso-8859-15", "windows-1252"))
# Transfer encodings `get_payload(decode=True)` decodes; any other value leaves the bytes as-is.
_DECODED_CTES = frozenset(("quoted-printable", "base64", "x-uuencode", "uuencode", "uue", "x-uue"))


def full_text_has(mail: MailView, phrase: str) -> bool:
    """Exactly `phrase in mail.full_text` for an ASCII `phrase` without CR/LF, without
    decoding every text part when that can be avoided: a dialect's cheap negative test (the
    view's full text is built only when a part needs real decoding or holds the phrase).

    full_text joins, with "\\n", the decoded text of each text/* leaf (of the whole body when
    the message is not multipart) and the field-block text of each delivery-status /
    feedback-report part; a phrase without a newline lies inside one chunk. A leaf whose
    payload is ASCII text, not transfer-encoded, in an ASCII-safe charset decodes to itself."""
    if "full_text" in mail.__dict__:
        return phrase in mail.full_text
    try:
        leaves = []
        for fields, part in mail.text_sources:   # the parts MailView.full_text joins
            if fields:
                if phrase in message_text(part):   # memoised on the part
                    return True
            else:
                leaves.append(part)
        for part in leaves:
            if _plain_charset(part) is None:
                return phrase in mail.full_text    # needs real decoding: build the text
            if phrase in part._payload:
                return True
        return False
    except Exception:  # noqa: BLE001 - let full_text itself answer (or raise) as before
        return phrase in mail.full_text


def plain_ascii_text(part, aliases: dict[str, str] | None = None) -> str | None:
    """`decoded_text(part, ...)` for a leaf whose payload is ASCII text, not transfer-encoded,
    in an ASCII-safe charset (after `aliases`): that payload decodes to itself under the
    declared charset and every fallback, so only its newlines change. None otherwise (the
    caller decodes). Skips get_payload(decode=True)'s byte copy and the decode on the common
    plain-text bounce part."""
    declared = _plain_charset(part)
    if declared is None or (aliases and aliases.get(declared, declared) not in
                            _ASCII_SAFE_CHARSETS):
        return None
    payload = part._payload
    return normalise_newlines(payload) if "\r" in payload else payload


def part_text_memo(part, key: str, *, fallbacks: tuple[str, ...],
                   aliases: dict[str, str] | None = None) -> str:
    """`decoded_text(part, fallbacks=..., aliases=...)`, memoised on the part under `key`
    (one key per kit: their fallbacks differ), an ASCII unencoded part read as it is
    (`plain_ascii_text`). Several dialects read the same text part."""
    memo = part.__dict__.get(key)
    if memo is None:
        memo = plain_ascii_text(part, aliases)
        if memo is None:
            memo = decoded_text(part, fallbacks=fallbacks, aliases=aliases)
        part.__dict__[key] = memo
    return memo


def _plain_charset(part) -> str | None:
    """The declared charset (lower case, "" when none) of a leaf whose raw payload is its
    decoded text: an ASCII string, not transfer-encoded, in an ASCII-safe charset; None for
    any other part. Memoised on the part (full_text_has and the dialects' text both ask)."""
    memo = part.__dict__.get("_dsn_plain_charset", False)
    if memo is False:
        payload = part._payload
        memo = None
        if isinstance(payload, str) and payload.isascii() and (
                part.transfer_encoding() if isinstance(part, CachedMessage)
                else str(part.get("content-transfer-encoding", ""))).lower() not in _DECODED_CTES:
            declared = (part.get_content_charset() or "").lower()
            if declared in _ASCII_SAFE_CHARSETS:
                memo = declared
        part.__dict__["_dsn_plain_charset"] = memo
    return memo


def raw_text_has(mail: MailView, phrase: str) -> bool:
    """`phrase` in the undecoded text of some text/* part (go-sisimai tests the raw payload):
    a marker test that decodes nothing on the negative path every unread bounce goes
    through. A base64-encoded part is not looked into."""
    for ctype, part in mail.part_types:
        payload = part._payload
        if ctype.startswith("text/") and isinstance(payload, str) and phrase in payload:
            return True
    return False


def received_text(mail: MailView) -> str:
    """`received_lines(mail)` joined by "\\n", once per message: a phrase without a newline is
    in this text exactly when it is in one of the lines (no match can span the joins), so
    `phrase in received_text(mail)` answers `any(phrase in r for r in received_lines(mail))`
    with one C-level search."""
    return view_memo(mail, "_dsn_received_text", lambda m: "\n".join(received_lines(m)))


# id(table) -> (table, its lowered form); the table itself is kept so its id stays its own.
_LOWERED_TABLES: dict[int, tuple[object, tuple[tuple[str, tuple[str, ...]], ...]]] = {}


def lowered_table(table) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """((reason, (phrase.lower(), ...)), ...) of a dialect's constant phrase table
    ({reason: phrases}), in the table's order, computed once per table instead of lowering
    every phrase on every lookup."""
    entry = _LOWERED_TABLES.get(id(table))
    if entry is None or entry[0] is not table:
        entry = _LOWERED_TABLES[id(table)] = (table, tuple(
            (reason, tuple(p.lower() for p in phrases)) for reason, phrases in table.items()))
    return entry[1]


def split_at(text: str, markers: Iterable[str]) -> tuple[str, str]:
    """(text before the earliest marker, text after the marker's line); (text, "") if none.
    Both kits' dialects cut a plain-text bounce at its "copy of the message" marker."""
    best, best_len = -1, 0
    for marker in markers:
        pos = text.find(marker)
        if pos >= 0 and (best < 0 or pos < best):
            best, best_len = pos, len(marker)
    if best < 0:
        return text, ""
    end = text.find("\n", best + best_len)
    return text[:best], (text[end + 1:] if end >= 0 else "")


def first_phrase(text: str | None, table) -> str | None:
    """First reason of `table` ({reason: phrases}) with a phrase in text (case-folded)."""
    if not text:
        return None
    low = text.lower()
    for reason, phrases in lowered_table(table):
        for phrase in phrases:
            if phrase in low:
                return reason
    return None
