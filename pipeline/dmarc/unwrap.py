"""Find every report inside one raw input: XML, gzip, zip (every member), JSON, report emails
(every attachment, any MIME nesting), and turn each into rows.

Aggregate rows stay lazy (a generator per report, chained); TLS and failure rows are small
lists. Containers are unwrapped under the caps of pipeline/dmarc/safety.py.
"""
from __future__ import annotations

import email.message
import io
import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import orjson
from lxml import etree

from pipeline.errors import BouncepipeError, LimitExceeded, ParseError
from pipeline.settings import Limits

from . import aggregate, reference
from .safety import CHUNK, GZIP_MAGIC, ZIP_EMPTY_MAGIC, ZIP_MAGIC, Budget, open_gzip, read_capped, \
    zip_members
from .tlsrpt import tls_rows

# Rows held back before the first is released: an XML error within them (e.g. a stray
# unclosed tag found only at the end of a small report) can still fall back to parsedmarc.
# Past this, a late XML error dead-letters the input (rows already streamed are discarded).
HOLD_ROWS = 2_000
# parsedmarc holds the whole document several times over: only small documents go to it.
FALLBACK_MAX_BYTES = 4 * 1024 * 1024   # it held a 32 MB report ~20x over (+629 MB)
MAX_NESTING = 4
# Attachment media types that carry reports (RFC 7489 section 7.2.1.1, RFC 8460 section 5.3)
# plus what reporters send in practice (corpus: application/octet-stream from Amazon SES).
REPORT_MEDIA_TYPES = {
    "application/gzip", "application/x-gzip", "application/zip", "application/x-zip",
    "application/x-zip-compressed", "application/xml", "text/xml", "application/octet-stream",
    "application/tlsrpt+json", "application/tlsrpt+gzip", "application/tlsrpt",
    "application/json",
}
REPORT_SUFFIXES = (".xml", ".gz", ".gzip", ".zip", ".json", ".xml.gz", ".json.gz")


@dataclass
class Found:
    """What one raw input holds."""

    aggregate: list[Iterator[dict]] = field(default_factory=list)
    tls: list[dict] = field(default_factory=list)
    containers: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.aggregate and not self.tls

    def aggregate_rows(self) -> Iterator:
        """Every aggregate report's chunks of records / row dicts, in order."""
        return itertools.chain.from_iterable(self.aggregate)


def kind_of(head: bytes) -> str | None:
    """"gzip", "zip", "xml" (a DMARC <feedback>), "json" or None, from the first bytes."""
    if head[:2] == GZIP_MAGIC:
        return "gzip"
    if head[:4] in (ZIP_MAGIC, ZIP_EMPTY_MAGIC):
        return "zip"
    text = head[:8192].lstrip(b"\xef\xbb\xbf \t\r\n")
    if text[:1] == b"<" and (b"feedback" in head[:8192] or text.startswith((b"<?xml", b"<!"))):
        return "xml"
    if text[:1] == b"{":
        return "json"
    return None


class Unwrapper:
    def __init__(self, limits: Limits, context: dict, compressed_size: int):
        self.limits = limits
        self.context = context
        self.budget = Budget(limits, compressed_size, context.get("raw_sha256"))
        self.found = Found()

    def _ctx(self, container: str, member: str | None) -> dict:
        return {**self.context, "container": container, "member": member}

    def add_bytes(self, data: bytes, container: str, member: str | None = None,
                  depth: int = 0) -> None:
        self.add_stream(lambda: io.BytesIO(data), data[:8192], container, member, depth,
                        size=len(data))

    def add_stream(self, open_stream: Callable[[], io.IOBase], head: bytes, container: str,
                   member: str | None, depth: int, size: int | None = None) -> None:
        """`size`: the stream's length when known (bytes in memory, a file), else None."""
        if depth > MAX_NESTING:
            raise LimitExceeded(f"containers nested deeper than {MAX_NESTING} ({container})",
                                parser="dmarc")
        kind = kind_of(head)
        sep = ">" if container else ""
        if kind == "gzip":
            what = f"gzip {member or ''}".strip()

            def open_inflated() -> io.BufferedReader:
                return open_gzip(open_stream(), self.budget, what)

            first = open_inflated()
            inner_head = first.peek(8192)[:8192]
            self.add_stream(_replay(first, open_inflated), inner_head, f"{container}{sep}gzip",
                            member, depth + 1)
        elif kind == "zip":
            for m in zip_members(_seekable(open_stream(), self.limits, self.budget.sha256),
                                 self.budget):
                first = m.open()
                inner_head = first.peek(8192)[:8192]
                if kind_of(inner_head) is None:
                    continue  # a README or signature next to the report
                self.add_stream(_replay(first, m.open), inner_head, f"{container}{sep}zip",
                                m.name, depth + 1)
        elif kind == "xml":
            aggregate.check_prolog(head)  # refuse a DTD now, not when rows are consumed
            ctx = self._ctx(f"{container}{sep}xml", member)
            self.found.aggregate.append(aggregate_rows(open_stream, ctx, self.limits, size))
            self.found.containers.append(ctx["container"])
        elif kind == "json":
            data = read_capped(open_stream(), self.limits.max_payload_bytes, "JSON report",
                               self.budget.sha256)
            try:
                value = orjson.loads(data)
            except orjson.JSONDecodeError as exc:
                raise ParseError(f"invalid JSON report ({member or container}): {exc}",
                                 parser="dmarc.tlsrpt") from exc
            self.add_json(value, f"{container}{sep}json")
        else:
            raise ParseError(f"{member or container or 'input'} is not a DMARC/TLS report "
                             "(not XML <feedback>, JSON, gzip or zip)", parser="dmarc")

    def add_json(self, value: object, container: str) -> None:
        reports = value if isinstance(value, list) else [value]
        for report in reports:
            self.found.tls.extend(tls_rows(report, self._ctx(container, None)))  # type: ignore
        self.found.containers.append(container)

    def add_email(self, msg: email.message.Message) -> None:
        """Every report attachment of a report email (not inside forwarded/bounced messages)."""
        parts = 0
        for part, ctype, filename in _leaf_parts(msg):
            parts += 1
            if parts > self.limits.max_mime_parts:
                raise LimitExceeded(f"email has more than {self.limits.max_mime_parts} parts "
                                    "(limits.max_mime_parts)", parser="dmarc")
            fname = (filename or "").lower()
            if ctype not in REPORT_MEDIA_TYPES and not fname.endswith(REPORT_SUFFIXES):
                continue  # message text, HTML, images: never parsed as reports
            data = part.get_payload(decode=True)
            if not isinstance(data, bytes) or kind_of(data[:8192]) is None:
                continue
            self.add_bytes(data, "email", filename)


def _seekable(stream, limits: Limits, sha256: str | None = None):
    """zipfile needs random access: a non-seekable stream (a zip inside gzip) is read into
    memory first, under its own cap (limits.max_nested_archive_bytes, far below the
    decompressed-bytes cap: a gzip of a 256 MB zip used to be buffered whole, twice)."""
    if getattr(stream, "seekable", lambda: False)():
        return stream
    cap = limits.max_nested_archive_bytes
    buffer = io.BytesIO()   # written in place: no second copy when it is handed on
    while True:
        data = stream.read(CHUNK)
        if not data:
            buffer.seek(0)
            return buffer
        if buffer.tell() + len(data) > cap:
            raise LimitExceeded(
                f"zip archive inside a compressed layer is larger than {cap} bytes "
                "(limits.max_nested_archive_bytes)", raw_sha256=sha256, parser="dmarc")
        buffer.write(data)


def _replay(first: io.BufferedReader, reopen: Callable[[], io.BufferedReader]
            ) -> Callable[[], io.BufferedReader]:
    """An opener that hands out the already-opened (peeked) stream once, then fresh ones."""
    holder = [first]

    def open_stream() -> io.BufferedReader:
        return holder.pop() if holder else reopen()

    return open_stream


def _leaf_parts(msg: email.message.Message):
    """Leaf parts, not descending into message/* (forwarded mail, bounced originals)."""
    stack = [msg]
    while stack:
        part = stack.pop()
        ctype = part.get_content_type()
        if part.is_multipart():
            if ctype.startswith("message/"):
                continue
            payload = part.get_payload()
            stack.extend(reversed(payload if isinstance(payload, list) else []))
            continue
        yield part, ctype, part.get_filename()


def aggregate_rows(open_stream: Callable[[], io.IOBase], context: dict, limits: Limits,
                   size: int | None = None) -> Iterator:
    """Rows of one aggregate report: streaming fast path (chunks of records, see
    chunk.RecordChunk), parsedmarc's row dicts when the XML is broken; `ChunkedRows` turns
    either into rows. `size`: the report's length in bytes when known (the fallback refuses
    by it, unread).

    Errors raised while the rows are consumed carry the input's sha256 like eager ones."""
    try:
        yield from _aggregate_rows(open_stream, context, limits, size)
    except BouncepipeError as exc:
        exc.raw_sha256 = exc.raw_sha256 or context.get("raw_sha256")
        raise


def _aggregate_rows(open_stream: Callable[[], io.IOBase], context: dict, limits: Limits,
                    size: int | None) -> Iterator:
    held: list | None = []
    held_rows = 0
    try:
        for chunk in aggregate.iter_aggregate_chunks(open_stream(), context,
                                                     limits.max_report_records):
            if held is None:
                yield chunk
                continue
            held.append(chunk)
            held_rows += len(chunk)
            if held_rows >= HOLD_ROWS:
                yield from held
                held = None
    except etree.XMLSyntaxError as exc:
        message = str(exc).lower()
        if "huge" in message:  # libxml2's caps: 10 MB per text node / name, 256 levels deep
            what = ("XML nests elements deeper than libxml2's 256-level limit"
                    if "depth" in message else "XML holds a text node over libxml2's 10 MB limit")
            raise LimitExceeded(f"{what}: {exc}", parser=aggregate.PARSER) from exc
        if held is None:
            raise ParseError(f"XML stops being well-formed after {HOLD_ROWS}+ records: {exc}",
                             parser=aggregate.PARSER) from exc
        yield from _fallback(open_stream, context, limits, exc, size)
        return
    if held:
        yield from held


# A <record> start tag, any namespace prefix: what the recovering parser must account for.
_RECORD_TAG = re.compile(rb"<(?:[\w.-]+:)?record[\s>/]")


def _fallback(open_stream, context: dict, limits: Limits, error: Exception,
              size: int | None = None) -> Iterator[dict]:
    """Rows of a report that is not well-formed XML, from a recovering parse. Bounded before
    the work (FALLBACK_MAX_BYTES: by `size` unread when it is known, else while reading; and
    the <record> tags counted against the record cap), and all or nothing: when the
    recovered rows are fewer than the <record> tags the bytes hold, the input is
    dead-lettered with both numbers rather than landing part of the report."""
    what = f"malformed XML ({error}) for the recovering parser"
    if size is not None and size > FALLBACK_MAX_BYTES:
        # the same refusal read_capped gives, without reading (and holding) 4 MiB of it first
        raise LimitExceeded(f"{what} is larger than {FALLBACK_MAX_BYTES} bytes",
                            raw_sha256=context.get("raw_sha256"), parser="dmarc")
    data = read_capped(open_stream(), FALLBACK_MAX_BYTES, what, context.get("raw_sha256"))
    expected = len(_RECORD_TAG.findall(data))
    if expected > limits.max_report_records:
        raise LimitExceeded(f"report has more than {limits.max_report_records} records "
                            "(limits.max_report_records)", parser=reference.PARSER)
    rows = _recovered_rows(data, context, limits, error)
    if len(rows) < expected:
        raise ParseError(
            f"not well-formed XML ({error}); the recovering parser read {len(rows)} of its "
            f"{expected} <record> elements: dead-lettered whole rather than landing part of "
            "the report", parser=reference.PARSER)
    yield from rows


def _recovered_rows(data: bytes, context: dict, limits: Limits, error: Exception
                    ) -> list[dict]:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        # Not UTF-8 (parsedmarc would drop the bytes): keep them visible as U+FFFD instead.
        fixed = data.decode("utf-8", "replace").encode("utf-8")
        try:
            return list(aggregate.iter_aggregate_rows(
                io.BytesIO(fixed), {**context, "parser": aggregate.PARSER + "+replace"},
                limits.max_report_records))
        except etree.XMLSyntaxError:
            pass
    try:
        report = reference.parse_with_parsedmarc(data)
    except BouncepipeError as exc:
        raise ParseError(f"not well-formed XML ({error}); {exc.reason}",
                         parser=reference.PARSER) from exc
    return reference.rows_from_parsedmarc(report, context)
