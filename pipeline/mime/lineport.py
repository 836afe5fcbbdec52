"""FeedParser's line-by-line reading, shared by `fastparse`: lines under every newline
convention (LF, CRLF, bare CR), the stack of predicates that make a line look like the end of
the input (enclosing boundaries; blank lines inside a message/delivery-status part), and the
line-by-line ports of FeedParser's header loop and multipart loop.

`fastparse._Parser` builds on this reader: its regex paths read the common case (LF or CRLF
lines, nothing pushed) and hand everything else to the ports here, which follow
`email.feedparser` (Python 3.11, compat32) branch by branch, quirks included.
"""
from __future__ import annotations

import email.errors
import email.policy
import re

from .message import CachedMessage

_POLICY = email.policy.compat32
# FeedParser's header-or-continuation test, applied to each line of a header block.
_HEADER_LINE = re.compile(r"^(From |[\041-\071\073-\176]*:|[\t ])")
_BARE_CR = re.compile("\r(?!\n)")
BLANK = object()  # the end-of-block predicate a message/delivery-status part pushes


class Unsupported(Exception):
    """An input quirk this parser does not reproduce: the stdlib parses it instead."""


class LineReader:
    """One parse's text, a cursor at a line start, and FeedParser's stack of predicates that
    make a line look like end-of-input. `message(parent, digest)` (the subclass's) parses
    one message from the cursor."""

    __slots__ = ("s", "n", "bare_cr", "pos", "stops", "seps", "last", "found")

    def __init__(self, text: str):
        self.s = text
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
        self.pos = 0
        self.stops: list = []   # boundary strings ("--" + boundary) and BLANK
        self.seps = 0           # how many of them are boundary strings
        self.last: CachedMessage | None = None  # FeedParser._last: the newest message

    def message(self, parent: CachedMessage | None, digest: bool = False) -> CachedMessage:
        raise NotImplementedError

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
            if stop is BLANK:
                if s[q] in "\r\n":  # FeedParser: NLCRE.match(line)
                    return True
            elif s.startswith(stop, q) and boundary_kind(s, q, self._line_end(q), stop):
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
                                      and boundary_kind(s, q, self._line_end(q), own)):
                return q
            if patterns is None:
                # Set up only now: a delivery-status block's empty body ends at its first
                # line (the blank one after its fields), the common case.
                dashes = own is not None or any(stop is not BLANK for stop in self.stops)
                patterns = ((self._CANDIDATES[self.bare_cr] if dashes else ())
                            + (self._BLANKS[self.bare_cr] if BLANK in self.stops else ()))
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
            if not boundary_kind(s, q, e, sep):
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
                last.epilogue = strip_eol(epilogue)
        elif isinstance(last._payload, str):
            last._payload = strip_eol(last._payload)
        self.last = msg

    def _headers_by_line(self, msg: CachedMessage) -> None:
        """FeedParser's header loop + _parse_headers, line by line, from self.pos: for a block
        the regex path in fastparse does not take (bare CRs, a quirk inside the block)."""
        s, q = self.s, self.pos
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
                    raise Unsupported("From line inside a header block")
                msg.set_unixfrom(line.rstrip("\r\n"))
                continue
            i = line.find(":")
            if i == 0:
                msg.defects.append(email.errors.InvalidHeaderDefect("Missing header name."))
                continue
            name, value = line[:i], [line]
        if name is not None:
            msg._headers.append(_POLICY.header_source_parse(value))

    def _multipart_by_line(self, msg: CachedMessage, sep: str, digest: bool) -> None:
        """FeedParser's multipart loop, line by line under the stack of pushed predicates
        (bare-CR text, a multipart under a delivery-status block or another pushed
        predicate): the preamble, each part (parsed by self.message with `sep` pushed),
        the close boundary and the epilogue."""
        s = self.s
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
            kind = boundary_kind(s, q, e, sep) if s.startswith(sep, q) else None
            if kind is None:  # only reachable while capturing (see the search above)
                raise Unsupported("unexpected line in multipart")
            if kind == "end":
                close_seen = True
                self.pos = e
                break
            if capturing_preamble:
                if preamble_end > preamble_start:
                    msg.preamble = strip_eol(s[preamble_start:preamble_end])
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


def strip_eol(text: str) -> str:
    """Drop one trailing line ending (RFC 2046: it belongs to the boundary that follows)."""
    if text.endswith("\r\n"):
        return text[:-2]
    if text.endswith("\n") or text.endswith("\r"):
        return text[:-1]
    return text


def boundary_kind(s: str, q: int, e: int, sep: str) -> str | None:
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
