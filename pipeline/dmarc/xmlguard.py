"""What the aggregate parser feeds lxml: DTDs refused before lxml sees them, and a bound on
the bytes libxml2 may hold without giving back an element.

libxml2's push parser (what lxml's `iterparse` drives) keeps every byte it is fed until it
can finish the construct it is in: a text node (up to its 10 MB limit) or, waiting for the
character that ends it, an entity reference ("&" until ";"), a tag ("<" until ">"), a
comment or a CDATA section. A report with one bare "&" in `<org_name>` and no ";" after it
was fed and buffered whole before the error surfaced at the end of the input (32 MB of such
XML: +32 MB and the whole input read). `GuardedFeed` stops feeding once MAX_UNPARSED_BYTES
have gone in since the parser last finished an element the caller asked for; lxml then
reports the construct left open as the XMLSyntaxError it is (the caller's malformed-XML path).
"""
from __future__ import annotations

import io

from pipeline.errors import LimitExceeded, UnsafeInput

PARSER = "dmarc.aggregate.stream"
# The XML prolog (declaration, comments, DOCTYPE) before the root element may not exceed this.
MAX_PROLOG_BYTES = 64 * 1024
# Bytes without a "<" in a DMARC report: no real report has a text node or a tag near this
# long. libxml2 buffers a text node up to 10 MB before it refuses it (a whitespace bomb then
# cost ~200 ms and ~55 MB); this refuses the run after 1 MiB.
MAX_TEXT_RUN = 1024 * 1024
# Bytes fed between two elements the parser hands back (<report_metadata>, <record>, ...):
# a real report's largest element is one <record> of a few KiB.
MAX_UNPARSED_BYTES = 1024 * 1024


class GuardedFeed(io.RawIOBase):
    """`head` followed by the rest of `tail` (after the prolog was peeked at), refusing a
    run of more than MAX_TEXT_RUN bytes without a "<", and ending the input early (`stalled`)
    after MAX_UNPARSED_BYTES fed without the consumer resetting `unparsed` to 0 (it does on
    every element it is given: an attribute store, as cheap as the hot loop needs)."""

    def __init__(self, head: bytes, tail):
        self._head, self._tail = head, tail
        self._run = 0
        self.unparsed = 0   # bytes handed out since the consumer last saw an element
        self.stalled = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        if self.unparsed > MAX_UNPARSED_BYTES:
            # An end of input to the parser: it raises for what it still holds open.
            self.stalled = True
            return 0
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            self.unparsed += n
            return n
        data = self._tail.read(len(buffer))
        last_tag = data.rfind(b"<")
        self._run = self._run + len(data) if last_tag < 0 else len(data) - last_tag - 1
        if self._run > MAX_TEXT_RUN:
            raise LimitExceeded(f"XML has a run of more than {MAX_TEXT_RUN} bytes without a "
                                "tag (a text node no report has: refused before buffering it)",
                                parser=PARSER)
        buffer[: len(data)] = data
        self.unparsed += len(data)
        return len(data)


def guard_prolog(stream) -> io.BufferedReader:
    """Refuse DTDs (entity bombs, external entities) before the XML parser runs.

    Scans what precedes the root element; returns a stream that replays it (its `raw` is
    the GuardedFeed)."""
    head = b""
    while True:
        chunk = stream.read(8192)
        head += chunk
        verdict = _scan_prolog(head, final=not chunk)
        if verdict == "ok":
            return io.BufferedReader(GuardedFeed(head, stream), 64 * 1024)
        if len(head) > MAX_PROLOG_BYTES:
            raise LimitExceeded(f"XML prolog (before the root element) exceeds "
                                f"{MAX_PROLOG_BYTES} bytes", parser=PARSER)


def check_prolog(head: bytes) -> None:
    """Raise UnsafeInput when the first bytes of a document declare a DTD."""
    _scan_prolog(head, final=False)


def _scan_prolog(head: bytes, final: bool) -> str:
    text = head
    if text.startswith((b"\xff\xfe", b"\xfe\xff")) or text[:4] in (b"<\0?\0", b"\0<\0?"):
        text = text.decode("utf-16", "ignore").encode("utf-8")
    text = text.removeprefix(b"\xef\xbb\xbf")
    pos = 0
    while True:
        rest = text[pos:].lstrip(b" \t\r\n")
        pos = len(text) - len(rest)
        if not rest:
            return "ok" if final else "more"
        if rest[:9].upper() == b"<!DOCTYPE" or rest[:8] == b"<!ENTITY":
            raise UnsafeInput("XML DTD / entity declarations are refused (entity expansion "
                              "and external entities are never processed)", parser=PARSER)
        if rest.startswith(b"<?"):
            end = rest.find(b"?>")
        elif rest.startswith(b"<!--"):
            end = rest.find(b"-->")
        elif rest.startswith(b"<!"):
            if len(rest) < 9 and not final:
                return "more"
            return "ok"  # something else: let the parser reject it
        else:
            return "ok"  # root element (or garbage the parser rejects)
        if end < 0:
            return "ok" if final else "more"
        pos += end + 2
