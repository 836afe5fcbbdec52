"""Pure entry point: bytes (or a parsed email / JSON value) in, report rows out."""
from __future__ import annotations

import email.message
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from pipeline.errors import BouncepipeError, NotSupported
from pipeline.outcome import ChunkedRows
from pipeline.settings import Settings, default_settings

from .failure import FailureReport, parse_failure
from .unwrap import Unwrapper


@dataclass
class ParsedReports:
    """Rows found in one input. `aggregate` is lazy: iterate it once (a ChunkedRows: or
    take its chunks of records once)."""

    aggregate: Iterator[dict] = field(default_factory=lambda: iter(()))
    tls: list[dict] = field(default_factory=list)
    failure: FailureReport | None = None
    containers: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.containers and self.failure is None


def context_of(raw_sha256: str | None, source: str | None = None,
               received_at: datetime | None = None) -> dict:
    return {"raw_sha256": raw_sha256, "source": source, "received_at": received_at}


def primed(rows: Iterator) -> Iterator:
    """Run the parser up to its first row now, so a report that is not readable at all fails
    where it is handed in (a dead letter at once) rather than when the rows are consumed."""
    try:
        first = next(rows)
    except StopIteration:
        return iter(())
    return itertools.chain([first], rows)


def parse_report_file(path, *, settings: Settings | None = None,
                      context: dict | None = None) -> ParsedReports:
    """Like parse_report for a report file on disk (XML, gzip or zip), streamed from the file:
    memory stays flat whatever the report's size. Emails and JSON are read whole."""
    from pathlib import Path

    from .unwrap import kind_of

    settings = settings or default_settings()
    context = context or context_of(None, str(path))
    path = Path(path)
    size = path.stat().st_size
    if size > settings.limits.max_payload_bytes:
        from pipeline.errors import LimitExceeded

        raise LimitExceeded(f"{path} is {size} bytes, over the "
                            f"{settings.limits.max_payload_bytes} byte cap "
                            "(limits.max_payload_bytes)", raw_sha256=context.get("raw_sha256"))
    with path.open("rb") as handle:
        head = handle.read(8192)
    if kind_of(head) not in ("xml", "gzip", "zip"):
        return parse_report(path.read_bytes(), settings=settings, context=context)
    unwrapper = Unwrapper(settings.limits, context, max(size, 1))
    try:
        unwrapper.add_stream(lambda: path.open("rb"), head, "", None, 0, size=size)
        found = unwrapper.found
        return ParsedReports(aggregate=ChunkedRows(primed(found.aggregate_rows())), tls=found.tls,
                             containers=found.containers)
    except BouncepipeError as exc:
        exc.raw_sha256 = exc.raw_sha256 or context.get("raw_sha256")
        raise


def parse_report(payload: bytes | None = None, *, msg: email.message.Message | None = None,
                 json_value: object = None, settings: Settings | None = None,
                 context: dict | None = None) -> ParsedReports:
    """Every report in one input. Raises a BouncepipeError subclass for bad or hostile input.

    Give exactly one of `payload` (XML / gzip / zip / JSON / email bytes), `msg` (a parsed
    report email) or `json_value` (a decoded TLS-RPT object).
    """
    settings = settings or default_settings()
    context = context or context_of(None)
    size = len(payload) if payload is not None else 0
    unwrapper = Unwrapper(settings.limits, context, max(size, 1))
    out = ParsedReports()
    try:
        if msg is not None:
            failure = parse_failure(msg, context, settings.redact_failure_bodies)
            if failure is not None:
                out.failure = failure
            else:
                unwrapper.add_email(msg)
        elif json_value is not None:
            unwrapper.add_json(json_value, "json")
        elif payload is not None:
            from pipeline.sniff import sniff

            if sniff(payload) == "email":
                from pipeline.mime.parse import parse_email

                return parse_report(msg=parse_email(payload, settings.limits), settings=settings,
                                    context=context)
            unwrapper.add_bytes(payload, "")
        found = unwrapper.found
        out.aggregate = ChunkedRows(primed(found.aggregate_rows()))
        out.tls = found.tls
        out.containers = found.containers
    except BouncepipeError as exc:
        exc.raw_sha256 = exc.raw_sha256 or context.get("raw_sha256")
        raise
    if out.empty:
        raise NotSupported("no DMARC aggregate, DMARC failure or SMTP TLS report found",
                           raw_sha256=context.get("raw_sha256"), parser="dmarc")
    return out
