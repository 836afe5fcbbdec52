"""The pure core: one raw input in, one Outcome out. Shared by `ingest`, `classify` and the
streaming worker; it does no I/O and never raises for bad input (bad input -> dead letter).
"""
from __future__ import annotations

import email
import email.policy
import gc
import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timezone
from typing import Any

import orjson

from schemas.models import RawMessage, RawSource

from . import registry
from .errors import LimitExceeded, NotSupported, ParseError, dead_letter
from .mime.fastparse import parse_bytes
from .mime.view import MailView
from .outcome import Outcome
from .settings import Settings, default_settings
from .sniff import sniff

log = logging.getLogger(__name__)
_EMAIL_POLICY = email.policy.compat32
_FIRST_LINE = re.compile(rb"\r\n|\r|\n")


def parse_email(payload: bytes) -> email.message.Message:
    """Parse mail bytes into the stdlib's compat32 tree (tolerant of broken MIME), built by
    `mime.fastparse` (the same algorithm without the line-by-line feed; ~2x faster)."""
    if payload.startswith(b"From "):  # mbox separator line of a single message
        # Any newline convention: CR-only (old Mac) files would otherwise lose every line.
        payload = _FIRST_LINE.split(payload, maxsplit=1)[-1] if _FIRST_LINE.search(payload) else b""
    return parse_bytes(payload)


def _view(family: str, raw: RawMessage) -> Any:
    if family == "email":
        return parse_email(raw.payload)
    if family == "json":
        try:
            return orjson.loads(raw.payload)
        except orjson.JSONDecodeError as exc:
            raise ParseError(f"invalid JSON: {exc}", raw_sha256=raw.sha256, parser="json") from exc
    return raw.payload


def process(raw: RawMessage, settings: Settings | None = None) -> Outcome:
    """Sniff, parse and classify one raw input. Never raises for bad input.

    `process_batch` gives the same Outcome for each of many inputs, faster; this is the
    one-input form (no batch bookkeeping), and tests/unit/test_core_batch.py holds the two
    to the same answers."""
    settings = settings or default_settings()
    view = None
    try:
        family, view = _read(raw, settings)
        result: Outcome | None = None
        tried: list[str] = []
        for handler in registry.handlers(family):  # type: ignore[arg-type]
            if not handler.detect(raw, view):
                continue
            tried.append(handler.name)
            out = handler.handle(raw, view, settings)
            if out is None:
                continue
            out.parser = out.parser or handler.name
            result = out if result is None else result.merge(out)
            if out.final:
                break
        if result is None:
            raise _not_supported(raw, family, tried)
        return result
    except Exception as exc:  # noqa: BLE001 - the contract: bad input never crashes a worker
        return Outcome(dead_letters=[dead_letter(raw, exc)])
    finally:
        MailView.release(view)


def process_batch(raws: Sequence[RawMessage], settings: Settings | None = None
                  ) -> list[Outcome]:
    """`process` of each input, in order, worked out stage by stage: every input is read,
    then each handler takes its turn over the inputs still open (and the bounce handler
    runs each dialect over all of its inputs). Each input meets the same handlers in the
    same order and gets the same Outcome as alone; one bad input only dead-letters itself.

    Why in stages: measured ~20 % faster per email over the bounce corpus
    (bench/bounce_ceiling.py). Per input, a bounce runs ~60 small functions from ~50
    modules; the same functions each measure about half as fast in that mix as in a loop of
    their own, which points at the CPU's caches and branch predictors: in stages, one
    function's code runs over many emails in a row. The caller bounds a batch's memory
    (`process_stream`)."""
    settings = settings or default_settings()
    outcomes: list[Outcome | None] = [None] * len(raws)
    by_family: dict[str, list[_Open]] = {}
    for index, raw in enumerate(raws):
        try:
            family, view = _read(raw, settings)
        except Exception as exc:  # noqa: BLE001 - the contract: bad input never crashes
            outcomes[index] = Outcome(dead_letters=[dead_letter(raw, exc)])
            continue
        by_family.setdefault(family, []).append(_Open(index, raw, view))
    for family, open_inputs in by_family.items():
        for handler in registry.handlers(family):  # type: ignore[arg-type]
            open_inputs = _offer(handler, open_inputs, settings, outcomes)
            if not open_inputs:
                break
        for item in open_inputs:  # no handler gave a final Outcome
            outcomes[item.index] = _finished(item, family)
    for open_inputs in by_family.values():
        for item in open_inputs:
            MailView.release(item.view)
    return outcomes  # type: ignore[return-value]


def process_stream(raws: Iterable[RawMessage], settings: Settings | None = None, *,
                   batch_size: int = 100, batch_bytes: int = 16 * 1024 * 1024
                   ) -> Iterator[tuple[RawMessage, Outcome]]:
    """(raw, its Outcome) for each input of a stream, in order, through `process_batch` in
    batches of at most `batch_size` inputs and `batch_bytes` of payload (a larger input goes
    alone): a batch's parsed emails are in memory together."""
    batch: list[RawMessage] = []
    size = 0
    for raw in raws:
        if batch and (len(batch) >= batch_size or size + len(raw.payload) > batch_bytes):
            yield from zip(batch, _outcomes(batch, settings))
            batch, size = [], 0
        batch.append(raw)
        size += len(raw.payload)
    if batch:
        yield from zip(batch, _outcomes(batch, settings))


def _outcomes(batch: list[RawMessage], settings: Settings | None) -> list[Outcome]:
    try:
        return process_batch(batch, settings)
    except Exception:  # noqa: BLE001 - a bug in the batch driver: never lose the inputs
        log.exception("process_batch failed; processing its %d inputs one by one", len(batch))
        return [process(raw, settings) for raw in batch]


class _Open:
    """An input some handler may still answer: its view, the Outcome so far, who tried."""

    __slots__ = ("index", "raw", "view", "result", "tried")

    def __init__(self, index: int, raw: RawMessage, view: Any):
        self.index, self.raw, self.view = index, raw, view
        self.result: Outcome | None = None
        self.tried: list[str] = []


def _read(raw: RawMessage, settings: Settings) -> tuple[str, Any]:
    """(family, view) of an input: the size cap, the sniff, the parse."""
    if len(raw.payload) > settings.limits.max_payload_bytes:
        raise LimitExceeded(
            f"input is {len(raw.payload)} bytes, over the {settings.limits.max_payload_bytes}"
            " byte cap (limits.max_payload_bytes)", raw_sha256=raw.sha256)
    family = sniff(raw.payload)
    if family == "empty":
        raise NotSupported("empty input (0 bytes or only whitespace)", raw_sha256=raw.sha256)
    if family == "unknown":
        raise NotSupported(
            "not a recognised input: expected an email (DSN/ARF/report), JSON webhook or "
            "MTA log record, DMARC XML, gzip or zip", raw_sha256=raw.sha256)
    return family, _view(family, raw)


def _offer(handler: registry.Handler, open_inputs: list[_Open], settings: Settings,
           outcomes: list[Outcome | None]) -> list[_Open]:
    """One handler's turn over the open inputs (detect, then handle); the ones still open
    after it, in order. An input whose detect or handle raises is dead-lettered."""
    takers: list[_Open] = []
    closed = False
    for item in open_inputs:
        try:
            if handler.detect(item.raw, item.view):
                item.tried.append(handler.name)
                takers.append(item)
        except Exception as exc:  # noqa: BLE001
            outcomes[item.index] = Outcome(dead_letters=[dead_letter(item.raw, exc)])
            closed = True
    for item, out in zip(takers, _handle(handler, takers, settings) if takers else ()):
        if isinstance(out, Exception):
            outcomes[item.index] = Outcome(dead_letters=[dead_letter(item.raw, out)])
            closed = True
        elif out is not None:
            out.parser = out.parser or handler.name
            item.result = out if item.result is None else item.result.merge(out)
            if out.final:
                outcomes[item.index] = item.result
                closed = True
    return [item for item in open_inputs if outcomes[item.index] is None] if closed \
        else open_inputs


def _handle(handler: registry.Handler, takers: list[_Open], settings: Settings
            ) -> list[Outcome | None | Exception]:
    if handler.many is not None and len(takers) > 1:
        try:
            results = handler.many([(item.raw, item.view) for item in takers], settings)
            if len(results) == len(takers):
                return results
            raise ValueError(f"{len(results)} results for {len(takers)} inputs")
        except Exception:  # noqa: BLE001 - a bug in the batch form: ask each input alone
            log.exception("handler %s: batch form failed; handling inputs one by one",
                          handler.name)
    results = []
    for item in takers:
        try:
            results.append(handler.handle(item.raw, item.view, settings))
        except Exception as exc:  # noqa: BLE001
            results.append(exc.with_traceback(None))   # its traceback would hold the batch
    return results


def _finished(item: _Open, family: str) -> Outcome:
    if item.result is not None:
        return item.result
    return Outcome(dead_letters=[dead_letter(item.raw, _not_supported(item.raw, family,
                                                                      item.tried))])


def _not_supported(raw: RawMessage, family: str, tried: list[str]) -> NotSupported:
    what = f"tried {', '.join(tried)}" if tried else "no parser matched"
    return NotSupported(
        f"{family} input is not a bounce, feedback report, DMARC/TLS report or known "
        f"webhook/log record ({what}); not supported yet",
        raw_sha256=raw.sha256, parser=",".join(tried) or None)


def warm_up() -> None:
    """For a process about to work through many inputs (the worker, ingest, classify): load
    every handler and dialect, then hand what start-up built (modules, dialect and phrase
    tables, pydantic validators: long-lived, never garbage) to `gc.freeze`. The cyclic
    collector's full passes then walk only what processing creates; without this, every few
    thousand emails one pass walked all of start-up again (a 15-20 % slower batch)."""
    from .dsn.dialects import dialects

    for family in ("email", "json", "xml", "archive", "form"):
        registry.handlers(family)  # type: ignore[arg-type]
    dialects()
    gc.collect()
    gc.freeze()


def process_bytes(payload: bytes, *, source: str = "memory", **raw_fields: Any) -> Outcome:
    """Python API without Kafka: raw bytes in, Outcome (events, rows or dead letters) out."""
    raw = RawMessage.from_bytes(
        payload,
        RawSource(transport="memory", path=source),
        received_at=raw_fields.pop("received_at", None) or datetime.now(timezone.utc),
        **raw_fields,
    )
    return process(raw)
