"""The stdlib's compat32 MIME parse, reimplemented over one string instead of line by line.

Why this exists: the bounce benchmark spends ~130 us of its ~440 us per message inside
`email.feedparser`, which pulls every line through a deque, a generator and a stack of
end-of-part predicates. No faster library returns the tree the 66 bounce dialects read
(flanker was 1.4x slower and raised on 4 corpus files; the Rust parsers have no Python
wheels). So this module runs the *same algorithm* as `FeedParser._parsegen` (Python 3.11,
compat32 policy; the structure below follows it branch by branch, quirks included) but finds
the end of a body, preamble or epilogue with `str.find` instead of reading it line by line.
Only header lines are looked at one by one. Under a multipart, each child is parsed in the
window between two of its parent's boundary lines, so no line is tested against the stack of
enclosing boundaries (FeedParser's per-line predicate stack survives only inside
delivery-status parts and for bare-CR text: `lineport`, the line-by-line reader this parser
builds on, holds it and the line-by-line ports of the header and multipart loops).

The result is the identical tree of `CachedMessage` objects: same headers, payload strings,
preambles, epilogues, default types, unix-from lines and defect classes. This is checked by
`tests/unit/test_mime_fastparse.py` (every corpus email, fixtures and Hypothesis mutations,
compared part by part with the stdlib's tree). Inputs whose quirks are not reproduced here
(a "From " line inside a header block, a folded boundary parameter) raise `Unsupported` and are
parsed by the stdlib instead, as is anything that raises.
"""
from __future__ import annotations

import email
import email.errors
import email.message
import email.policy
import re

from ..errors import LimitExceeded
from ..deadline import check_time
from .cr_only import is_cr_only, restore_cr
from .lineport import BLANK as _BLANK
from .lineport import LineReader, boundary_kind, strip_eol
from .lineport import Unsupported as _Unsupported
from .message import (
    CONTENT_TYPE_MEMO,
    HEAD_MEMO,
    CachedMessage,
)

_POLICY = email.policy.compat32
# A run of header lines, found in one regex call (LF-terminated lines only, see _headers):
# fields (a name run, its colon) and continuation lines. Lines FeedParser would also take
# into the block but this parser leaves to the line-by-line port (one starting with ":" or
# "From ") end the run here; _headers then sees such a line at the run's end and takes the
# port, so no separate search for them is needed.
# Possessive (3.11): each repetition takes one whole line (a name run cannot contain its
# colon, a line runs to its newline or the end), so giving back never finds a longer match;
# without the backtracking bookkeeping the match is ~20 % faster.
_HEADER_BLOCK = re.compile(r"(?:(?:[\041-\071\073-\176]++:|[\t ])[^\n]*+\n?)*+")
# (name, value) of each header of such a block, by one `findall` (no Python per header), for
# text without bare CRs (every CR ends a CRLF) whose block was checked by _headers: every
# header then starts with a name run and its colon (a block line starting with ":", a blank
# or "From " after the first line takes the line-by-line path). The value is what
# `chunk.partition(":")` and `value.lstrip(" \t").rstrip("\r\n")` give for each chunk of
# `_NEXT_HEADER.split(block)`: blanks after the colon skipped, its continuation lines kept, the
# final line ending (LF or CRLF) consumed but not part of it. Each name and value is sliced
# once from the text (a 4.7 MB header is not copied again and again).
_FIELDS = re.compile(r"([\041-\071\073-\176]++):[ \t]*+([^\r\n]*+(?:\r?\n[ \t][^\r\n]*+)*+)\r?\n?")
# The same for text with one kind of line ending: LF only (no CR anywhere) or CRLF only. A
# run of "anything but one character" is one tight loop in the regex engine, a run outside a
# two-character set a set test per character (~1.5x slower over a header block).
_LF_FIELDS = re.compile(r"([\041-\071\073-\176]++):[ \t]*+([^\n]*+(?:\n[ \t][^\n]*+)*+)\n?")
_CRLF_FIELDS = re.compile(
    r"([\041-\071\073-\176]++):[ \t]*+([^\r]*+(?:\r\n[ \t][^\r]*+)*+)(?:\r\n)?")
# Where one header ends and the next begins: a line ending not followed by a continuation.
_NEXT_HEADER = re.compile(r"\n(?![ \t])")


def parse_text(text: str, max_parts: int = 0, max_depth: int = 0) -> CachedMessage:
    """The compat32 tree of `text` (already decoded as ASCII with surrogateescape), exactly as
    `email.message_from_string(text, _class=CachedMessage, policy=compat32)` builds it.
    More than `max_parts` messages or nesting deeper than `max_depth` (0: no cap) raise
    LimitExceeded as soon as the parse gets there, before the rest is read."""
    cr_only = is_cr_only(text)   # read as LF text, its CRs put back after (see cr_only)
    parser = _Parser(text.replace("\r", "\n") if cr_only else text, max_parts, max_depth)
    root = parser.message(None)
    if root.get_content_maintype() == "multipart" and not root.is_multipart():
        root.defects.append(email.errors.MultipartInvariantViolationDefect())
    if cr_only:
        del parser   # its LF copy of the text: not held while the strings are put back
        restore_cr(root)
    return root


def parse_bytes(payload: bytes, max_parts: int = 0, max_depth: int = 0) -> CachedMessage:
    """`parse_text` for bytes, falling back to the stdlib for what it does not reproduce.
    The caps hold on both paths; a tree too deep for the stdlib's recursion is a
    LimitExceeded too, never a RecursionError."""
    text = payload.decode("ascii", "surrogateescape")
    try:
        return parse_text(text, max_parts, max_depth)
    except LimitExceeded:
        raise
    except Exception:  # noqa: BLE001 - _Unsupported, or a bug here: the stdlib is the reference
        pass
    try:
        msg = email.message_from_string(text, _class=CachedMessage, policy=_POLICY)
    except RecursionError:
        raise LimitExceeded("MIME structure nested too deep for the parser "
                            "(limits.max_mime_depth)", parser="email") from None
    if max_parts or max_depth:
        _check_tree(msg, max_parts, max_depth)
    return msg


def _check_tree(msg: CachedMessage, max_parts: int, max_depth: int) -> None:
    """The caps on a tree the stdlib built (the rare fallback path), without recursion."""
    stack, count = [(msg, 0)], 0
    while stack:
        part, depth = stack.pop()
        count += 1
        if max_parts and count > max_parts:
            raise _too_many_parts(max_parts)
        if max_depth and depth > max_depth:
            raise _too_deep(max_depth)
        payload = part._payload
        if isinstance(payload, list):
            stack.extend((sub, depth + 1) for sub in payload
                         if isinstance(sub, email.message.Message))


def _too_many_parts(cap: int) -> LimitExceeded:
    return LimitExceeded(f"email has more than {cap} MIME parts (limits.max_mime_parts)",
                         parser="email")


def _too_deep(cap: int) -> LimitExceeded:
    return LimitExceeded(f"email nests MIME parts / messages deeper than {cap} levels "
                         "(limits.max_mime_depth)", parser="email")


class _Parser(LineReader):
    """One parse: the line reader's state (lineport), the caps, and the regex paths that read
    the common case; everything else goes through the reader's line-by-line ports."""

    __slots__ = ("fields", "max_parts", "max_depth", "parts", "depth")

    def __init__(self, text: str, max_parts: int = 0, max_depth: int = 0):
        super().__init__(text)
        self.max_parts, self.max_depth = max_parts, max_depth
        self.parts = self.depth = 0
        self.fields = (_LF_FIELDS if "\r" not in text
                       else _CRLF_FIELDS if not self.bare_cr and text.count("\n") == text.count("\r")
                       else _FIELDS)   # (bare CRs take the line-by-line port)

    # -- messages ----------------------------------------------------------------------
    def message(self, parent: CachedMessage | None, digest: bool = False) -> CachedMessage:
        """FeedParser._parsegen: headers, then the body by content type. `digest`: the
        parent is a multipart/digest (its parts default to message/rfc822)."""
        # a new message, appended to its parent's payload
        self.parts += 1
        if self.max_parts and self.parts > self.max_parts:
            raise _too_many_parts(self.max_parts)
        if self.parts & 7 == 1:
            # The time budget, every 8th part from the first: a part costs microseconds and
            # the check (a thread-local read) ~0.3 us, a tenth of a small part's parse.
            check_time()
        msg = CachedMessage(_POLICY)
        if parent is not None:
            if digest:
                msg.set_default_type("message/rfc822")
            if parent._payload is None:
                parent._payload = [msg]
            else:
                parent._payload.append(msg)
        self.last = msg
        ctype = self._headers(msg) or msg.get_content_type()
        if not ctype.startswith(("message/", "multipart/")):
            # a leaf: its body runs to the part's end (the window's, when nothing is pushed)
            pos = self.pos
            if not self.stops:
                end = self.n
            elif pos < self.n and self.s[pos] in "\r\n" and _BLANK in self.stops:
                end = pos   # a delivery-status block's (empty) body ends at its blank line
            else:
                end = self._next_eof(pos)
            msg._payload = self.s[pos:end]
            self.pos = end
        else:
            self.depth += 1
            if self.max_depth and self.depth > self.max_depth:
                raise _too_deep(self.max_depth)
            if ctype == "message/delivery-status":
                self._delivery_status(msg)
            elif ctype.startswith("message/"):
                self.message(msg)
            else:
                self._multipart(msg, ctype == "multipart/digest")
            self.depth -= 1
        return msg

    def _headers(self, msg: CachedMessage) -> str | None:
        """FeedParser's header loop + _parse_headers. The common case (LF or CRLF lines, no
        boundary-looking line inside the block, no defects to record) is read with two
        regex calls; anything else takes the line-by-line port (lineport). Returns the part's
        content type when the common case found it (None: ask the part)."""
        s, q, n = self.s, self.pos, self.n
        if not self.bare_cr:
            # The block is read in place (searches bounded by q..end) and each value sliced
            # once: copying the block, then each header, then its stripped value held a 4.7 MB
            # header ~4 times over (+22 MB for one X-Failed-Recipients line).
            # A unix-from first line is no header; the line after it is the first one.
            first = self._line_end(q) if s.startswith("From ", q, n) else q
            end = _HEADER_BLOCK.match(s, first, n).end()  # not past a window's end
            if end > q and s[first:first + 1] not in (" ", "\t") and not (
                    s.startswith((":", "From "), end, n)   # the run stopped short of the block
                    # a pushed boundary line inside the block (a blank-line predicate
                    # cannot match inside it)
                    or (self.seps and (s.startswith("--", q, end)
                                       or s.find("\n--", q, end) >= 0))):
                if first != q:
                    msg.set_unixfrom(s[q:first].rstrip("\r\n"))
                ctype = cte = None
                disposition = False
                # the new message's header list (empty until now) is the findall's list
                msg._headers = headers = fields = self.fields.findall(s, first, end)
                for name, value in fields:
                    if name[0] in "Cc":
                        lowered = name.lower()
                        if lowered == "content-type":
                            if ctype is None:
                                ctype = value
                        elif lowered == "content-disposition":
                            disposition = True
                        elif lowered == "content-transfer-encoding" and cte is None:
                            cte = value
                # The part's content type now, from the value just read, as the stdlib's
                # get_content_type() computes it (saves its lower-casing scan of every
                # header); a value with 8-bit bytes is left to the stdlib (a Header object).
                if ctype is None:
                    content_type = msg._default_type
                elif ctype.isascii():
                    content_type = ctype.partition(";")[0].strip().lower()
                    if content_type.count("/") != 1:
                        content_type = "text/plain"
                else:
                    content_type = None
                count = len(headers)
                if content_type is not None:
                    msg.__dict__[CONTENT_TYPE_MEMO] = (count, content_type)
                    if cte is None or cte.isascii():
                        msg.__dict__[HEAD_MEMO] = (count, ctype, cte, disposition)
                if end < n:
                    c = s[end]
                    if c == "\n" or c == "\r":
                        # a blank line: the separator, consumed, unless a delivery-status
                        # block ends there (no boundary line is blank)
                        if _BLANK not in self.stops:
                            # no bare CR here: a CR is the start of a CRLF
                            self.pos = end + 1 if c == "\n" else end + 2
                            return content_type
                    elif not (self.seps and self._stops_at(end)):
                        msg.defects.append(email.errors.MissingHeaderBodySeparatorDefect())
                self.pos = end
                return content_type
            if end == q and q < n and (s[q] == "\n" or s[q] == "\r"):
                # No header at all, the usual start of a part ("--b" then a blank line):
                # the port below reads the blank line, consumes it as the separator (unless
                # a pushed predicate ends the part there) and keeps no header.
                if not (self.stops and self._stops_at(q)):
                    self.pos = q + 1 if s[q] == "\n" else q + 2   # no bare CR: CRLF
                content_type = msg._default_type
                msg.__dict__[CONTENT_TYPE_MEMO] = (0, content_type)
                msg.__dict__[HEAD_MEMO] = (0, None, None, False)
                return content_type
        self._headers_by_line(msg)
        return None

    def _delivery_status(self, msg: CachedMessage) -> None:
        # Blocks of fields separated by blank lines, each a header-only message.
        stops = self.stops
        while True:
            stops.append(_BLANK)
            self.message(msg)
            stops.pop()
            if stops or self.bare_cr:
                self._skip_line()  # the blank line (or nothing, at the end)
                if self._at_eof(self.pos):  # = FeedParser reading "" as the next line
                    break
            else:   # the same, when only the part's end ends the input and lines end in LF
                pos = self.pos
                if pos < self.n:
                    pos = self.pos = self._find("\n", pos) + 1 or self.n
                if pos >= self.n:
                    break

    def _multipart(self, msg: CachedMessage, digest: bool) -> None:
        boundary = msg.get_boundary()  # CachedMessage: from the raw values the header loop kept
        if boundary is None:
            msg.defects.append(email.errors.NoBoundaryInMultipartDefect())
            msg._payload = self._rest()
            return
        if msg.transfer_encoding("8bit").lower() not in ("7bit", "8bit", "binary"):
            msg.defects.append(email.errors.InvalidMultipartContentTransferEncodingDefect())
        if "\n" in boundary or "\r" in boundary:
            raise _Unsupported("line break inside the boundary")  # matches no line, ever
        sep = "--" + boundary
        if not (self.stops or self.bare_cr):
            self._multipart_windowed(msg, sep, digest)
            return
        self._multipart_by_line(msg, sep, digest)

    def _next_boundary(self, q: int, sep: str) -> tuple[int, int, str | None]:
        """The first line start p >= q (before the window's end) that is a boundary line of
        `sep`: (p, its line end, "part" or "end"); (window end, window end, None) if none."""
        s, n = self.s, self.n
        needle = "\n" + sep
        while q < n:
            if s.startswith(sep, q):
                # the usual boundary lines, "--b" or "--b--" then LF or CRLF, without the
                # general line read below (no bare CR here: see _multipart_windowed)
                k = q + len(sep)
                if s.startswith("\n", k):
                    return q, k + 1, "part"
                if s.startswith("--\n", k):
                    return q, k + 3, "end"
                if s.startswith("\r\n", k):
                    return q, k + 2, "part"
                e = self._line_end(q)
                kind = boundary_kind(s, q, e, sep)
                if kind is not None:
                    return q, e, kind
            i = s.find(needle, q, n)
            if i < 0:
                break
            q = i + 1
        return n, n, None

    def _multipart_windowed(self, msg: CachedMessage, sep: str, digest: bool) -> None:
        """`_multipart` when no enclosing predicate is pushed (no delivery-status blank-line
        stop) and lines end in LF or CRLF: the case of every multipart under a root.

        Why: FeedParser tests every line of every part against the stack of enclosing
        boundaries. Here the current part's end is already `self.n` (the parent cut the text
        at the first line any enclosing boundary claims), so only this multipart's own
        boundary lines are looked for, with one `find` each, and each child is parsed in the
        window between two of them with an empty stack. A child then ends exactly where
        FeedParser's would: at the next own-boundary line or the window's end."""
        s, n = self.s, self.n
        preamble_start = self.pos
        p, e, kind = self._next_boundary(self.pos, sep)
        if kind != "part":
            # no boundary line, or a close boundary before any part: no part at all
            msg.defects.append(email.errors.StartBoundaryNotFoundDefect())
            msg._payload = s[preamble_start:p]
            self.pos = n  # FeedParser reads and drops the rest
            msg.epilogue = ""
            return
        if p > preamble_start:
            msg.preamble = strip_eol(s[preamble_start:p])
        while True:
            # (no predicate is pushed here: only more boundary lines can follow at once)
            q = self._past_boundary_lines(e, sep) if s.startswith(sep, e, n) else e
            p, e, kind = self._next_boundary(q, sep)
            self.pos, self.n = q, p
            try:
                self.message(msg, digest)
            finally:
                self.n = n
            if self.pos != p:
                raise _Unsupported("a part ended before its window")  # never seen; be exact
            self._end_child(msg)
            if kind is None:
                msg.defects.append(email.errors.CloseBoundaryNotFoundDefect())
                return
            if kind == "end":
                # Everything after the close boundary, to the window's end.
                msg.epilogue = s[e:n]
                self.pos = n
                return
