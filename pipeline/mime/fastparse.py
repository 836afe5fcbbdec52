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
delivery-status parts and for bare-CR text).

The result is the identical tree of `CachedMessage` objects: same headers, payload strings,
preambles, epilogues, default types, unix-from lines and defect classes. This is checked by
`tests/unit/test_mime_fastparse.py` (every corpus email, fixtures and Hypothesis mutations,
compared part by part with the stdlib's tree). Inputs whose quirks are not reproduced here
(a "From " line inside a header block, a folded boundary parameter) raise `_Unsupported` and are
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
from .message import (
    CONTENT_TYPE_MEMO,
    HEAD_MEMO,
    CachedMessage,
)

_POLICY = email.policy.compat32
# FeedParser's header-or-continuation test, applied to each line of a header block.
_HEADER_LINE = re.compile(r"^(From |[\041-\071\073-\176]*:|[\t ])")
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
_BARE_CR = re.compile("\r(?!\n)")
_BLANK = object()  # the end-of-block predicate a message/delivery-status part pushes


class _Unsupported(Exception):
    """An input quirk this parser does not reproduce: the stdlib parses it instead."""


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


class _Parser:
    """One parse: the text, a cursor at a line start, and FeedParser's stack of predicates
    that make a line look like end-of-input (enclosing boundaries; blank lines inside a
    message/delivery-status part)."""

    __slots__ = ("s", "n", "bare_cr", "fields", "pos", "stops", "seps", "last", "max_parts", "max_depth",
                 "parts", "depth", "found")

    def __init__(self, text: str, max_parts: int = 0, max_depth: int = 0):
        self.s = text
        self.max_parts, self.max_depth = max_parts, max_depth
        self.parts = self.depth = 0
        # pattern -> (from, at): the first occurrence at or after `from` is `at` (-1: none).
        # Searches go forward, so one answer serves every later search that starts before
        # it: without this, CR-only text (no LF anywhere) rescanned the rest of the message
        # for an LF on every line, and a search for a missing "\n--" ran to the end from
        # every delivery-status block (4 MB: 7.7 s).
        self.found: dict[str, tuple[int, int]] = {}
        self.n = len(text)
        # Lines end in LF, CRLF or a bare CR (old Mac files, some corpus samples). Without
        # bare CRs, every line ends at the next LF: one find instead of two.
        self.bare_cr = "\r" in text and _BARE_CR.search(text) is not None
        self.fields = (_LF_FIELDS if "\r" not in text
                       else _CRLF_FIELDS if not self.bare_cr and text.count("\n") == text.count("\r")
                       else _FIELDS)   # (bare CRs take the line-by-line port)
        self.pos = 0
        self.stops: list = []   # boundary strings ("--" + boundary) and _BLANK
        self.seps = 0           # how many of them are boundary strings
        self.last: CachedMessage | None = None  # FeedParser._last: the newest message

    # The line starts worth testing: after a line ending, "--" (a boundary) or another line
    # ending (a blank line). CRLF needs no pattern of its own: its LF is a line ending.
    _CANDIDATES = {False: ("\n--",), True: ("\n--", "\r--")}
    _BLANKS = {False: ("\n\n", "\n\r"), True: ("\n\n", "\n\r", "\r\r")}

    # -- lines -------------------------------------------------------------------------
    def _find(self, pattern: str, q: int) -> int:
        """`self.s.find(pattern, q)`, remembered (see `found`)."""
        known = self.found.get(pattern)
        if known is not None and known[0] <= q and (known[1] < 0 or q <= known[1]):
            return known[1]
        at = self.s.find(pattern, q)
        self.found[pattern] = (q, at)
        return at

    def _line_end(self, q: int) -> int:
        s = self.s
        e = self._find("\n", q)
        if self.bare_cr:
            r = s.find("\r", q, e if e >= 0 else self.n)
            if r >= 0 and r + 1 != e:
                return r + 1
        return self.n if e < 0 else e + 1

    def _stops_at(self, q: int) -> bool:
        """Does a pushed predicate match the line at q (FeedParser.readline's EOF test)?"""
        s = self.s
        for stop in self.stops:
            if stop is _BLANK:
                if s[q] in "\r\n":  # FeedParser: NLCRE.match(line)
                    return True
            elif s.startswith(stop, q) and _boundary_kind(s, q, self._line_end(q), stop):
                return True
        return False

    def _at_eof(self, q: int) -> bool:
        return q >= self.n or (bool(self.stops) and self._stops_at(q))

    def _next_eof(self, q: int, own: str | None = None) -> int:
        """The first line start >= q where input ends for the current part (or where `own`,
        the current multipart's boundary, starts a line); self.n when none."""
        s, n = self.s, self.n
        if q >= n or not (self.stops or own):
            return n
        patterns = None
        while q < n:
            if self._stops_at(q) or (own is not None and s.startswith(own, q)
                                      and _boundary_kind(s, q, self._line_end(q), own)):
                return q
            if patterns is None:
                # Set up only now: a delivery-status block's empty body ends at its first
                # line (the blank one after its fields), the common case.
                dashes = own is not None or any(stop is not _BLANK for stop in self.stops)
                patterns = ((self._CANDIDATES[self.bare_cr] if dashes else ())
                            + (self._BLANKS[self.bare_cr] if _BLANK in self.stops else ()))
            # next candidate line: one starting with "--", or a blank line
            nxt = n
            for pattern in patterns:
                i = self._find(pattern, q)
                if 0 <= i < nxt:
                    nxt = i + 1
            q = nxt
        return n

    def _rest(self) -> str:
        """Every line up to the current part's end, joined (a leaf body, an epilogue)."""
        end = self._next_eof(self.pos)
        text = self.s[self.pos:end]
        self.pos = end
        return text

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
        regex calls; anything else takes the line-by-line port below. Returns the part's
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
        lines: list[str] = []
        while not self._at_eof(q):
            e = self._line_end(q)
            line = s[q:e]
            if not _HEADER_LINE.match(line):
                if line[0] in "\r\n":
                    q = e  # the header/body separator is consumed
                else:
                    msg.defects.append(email.errors.MissingHeaderBodySeparatorDefect())
                break
            lines.append(line)
            q = e
        self.pos = q
        name = None
        value: list[str] = []
        for lineno, line in enumerate(lines):
            if line[0] in " \t":
                if name is None:
                    msg.defects.append(email.errors.FirstHeaderLineIsContinuationDefect(line))
                    continue
                value.append(line)
                continue
            if name is not None:
                msg._headers.append(_POLICY.header_source_parse(value))
                name, value = None, []
            if line.startswith("From "):
                if lineno:
                    raise _Unsupported("From line inside a header block")
                msg.set_unixfrom(line.rstrip("\r\n"))
                continue
            i = line.find(":")
            if i == 0:
                msg.defects.append(email.errors.InvalidHeaderDefect("Missing header name."))
                continue
            name, value = line[:i], [line]
        if name is not None:
            msg._headers.append(_POLICY.header_source_parse(value))
        return None

    def _skip_line(self) -> None:
        """FeedParser.readline, its line dropped: the next line unless the part ends here."""
        if not self._at_eof(self.pos):
            self.pos = self._line_end(self.pos)

    def _past_boundary_lines(self, q: int, sep: str) -> int:
        """The first line start >= q that is not a boundary line of `sep` (a separator is
        consumed with any boundary lines right after it), or the part's end."""
        s = self.s
        while not self._at_eof(q) and s.startswith(sep, q):
            e = self._line_end(q)
            if not _boundary_kind(s, q, e, sep):
                break
            q = e
        return q

    def _end_child(self, msg: CachedMessage) -> None:
        """After a child of multipart `msg`: the line ending before the next boundary belongs
        to the boundary (RFC 2046), so it comes off the newest message's payload or epilogue;
        `msg` is the newest message again."""
        last = self.last
        if last.get_content_type().startswith("multipart/"):  # = maintype, one call
            epilogue = last.epilogue
            if epilogue == "":
                last.epilogue = None
            elif epilogue is not None:
                last.epilogue = _strip_eol(epilogue)
        elif isinstance(last._payload, str):
            last._payload = _strip_eol(last._payload)
        self.last = msg

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
        s = self.s
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
        capturing_preamble = True
        preamble_start = self.pos
        preamble_end = self.pos
        close_seen = False
        while True:
            if capturing_preamble:
                # skip the preamble in one search: to our boundary or the part's end
                q = self._next_eof(self.pos, own=sep)
                preamble_end = q
                self.pos = q
            if self._at_eof(self.pos):
                break
            q = self.pos
            e = self._line_end(q)
            kind = _boundary_kind(s, q, e, sep) if s.startswith(sep, q) else None
            if kind is None:  # only reachable while capturing (see the search above)
                raise _Unsupported("unexpected line in multipart")
            if kind == "end":
                close_seen = True
                self.pos = e
                break
            if capturing_preamble:
                if preamble_end > preamble_start:
                    msg.preamble = _strip_eol(s[preamble_start:preamble_end])
                capturing_preamble = False
                continue  # FeedParser unreads the boundary line and reads it again
            self.pos = self._past_boundary_lines(e, sep)
            self.stops.append(sep)
            self.seps += 1
            self.message(msg, digest)
            self.seps -= 1
            self.stops.pop()
            self._end_child(msg)
        if capturing_preamble:
            msg.defects.append(email.errors.StartBoundaryNotFoundDefect())
            msg._payload = s[preamble_start:preamble_end]
            self.pos = self._next_eof(self.pos)  # FeedParser reads and drops the rest
            msg.epilogue = ""
            return
        if not close_seen:
            msg.defects.append(email.errors.CloseBoundaryNotFoundDefect())
            return
        # Everything after the close boundary. (FeedParser's strip of a newline at the
        # epilogue's front never fires: it prepends "" when the boundary line ended in one.)
        msg.epilogue = self._rest()


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
                kind = _boundary_kind(s, q, e, sep)
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
            msg.preamble = _strip_eol(s[preamble_start:p])
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


def _strip_eol(text: str) -> str:
    """Drop one trailing line ending (RFC 2046: it belongs to the boundary that follows)."""
    if text.endswith("\r\n"):
        return text[:-2]
    if text.endswith("\n") or text.endswith("\r"):
        return text[:-1]
    return text


def _boundary_kind(s: str, q: int, e: int, sep: str) -> str | None:
    """Is the line s[q:e] (known to start with `sep`) a boundary line, per FeedParser's
    `--boundary(--)?[ \\t]*(\\r\\n|\\r|\\n)?$`? "end", "part", or None."""
    rest = s[q + len(sep):e]
    if rest.endswith("\n"):
        rest = rest[:-1]
    if rest.endswith("\r"):
        rest = rest[:-1]
    if rest.startswith("--"):
        return "end" if not rest[2:].strip(" \t") else None
    return "part" if not rest.strip(" \t") else None
