"""The pure core: one raw input in, one Outcome out. Shared by `ingest`, `classify` and the
streaming worker; it does no I/O and never raises for bad input (bad input -> dead letter).
"""
from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, timezone
from typing import Any

import orjson

from schemas.models import RawMessage, RawSource

from . import handlers as _handlers  # noqa: F401  (every handler registers itself)
from . import envelope, registry
from .errors import LimitExceeded, NotSupported, ParseError, dead_letter
from .mime.parse import parse_email
from .mime.view import MailView
from .outcome import Outcome, accounted
from .settings import Limits, Settings, default_settings
from .sniff import sniff
from .deadline import check_time

log = logging.getLogger(__name__)


def _view(family: str, raw: RawMessage, limits: Limits | None = None) -> Any:
    if family == "email":
        return parse_email(raw.payload, limits)
    if family == "json":
        try:
            return orjson.loads(raw.payload)
        except orjson.JSONDecodeError as exc:
            lines = _json_lines(raw.payload) if "after document" in str(exc) else None
            if lines is not None:
                return lines
            raise ParseError(f"invalid JSON: {exc}", raw_sha256=raw.sha256, parser="json") from exc
    return raw.payload


def _json_lines(payload: bytes) -> list[Any] | None:
    """Newline-delimited JSON objects (a KumoMTA log file, SES records from Firehose, an
    NDJSON export) under a name that does not say so: the objects as one batch, or None
    when a line is not a JSON object (the whole body then stays invalid JSON)."""
    items = []
    for line in payload.splitlines():
        if not line.strip():
            continue
        try:
            item = orjson.loads(line)
        except orjson.JSONDecodeError:
            return None
        if not isinstance(item, dict):
            return None
        items.append(item)
    return items or None


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
            check_time()
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
        result.events = envelope.apply(raw, result.events, settings)
        return accounted(raw, result)
    except Exception as exc:  # noqa: BLE001 - the contract: bad input never crashes a worker
        return Outcome(dead_letters=[dead_letter(raw, exc)])
    finally:
        MailView.release(view)


# An input after its read: (raw, family, view), or (raw, None, the error) when the read failed.
_Read = tuple[RawMessage, "str | None", Any]


def process_batch(raws: Sequence[RawMessage], settings: Settings | None = None
                  ) -> list[Outcome]:
    """`process` of each input, in order, worked out stage by stage: every input is read,
    then each handler takes its turn over the inputs still open (and the bounce handler
    runs each dialect over all of its inputs). Each input meets the same handlers in the
    same order and gets the same Outcome as alone; one bad input only dead-letters itself.

    Why in stages: measured 14-20 % faster per email over the bounce corpus
    (bench/bounce_ceiling.py). Per input, a bounce runs ~60 small functions from ~50
    modules; the same functions each measure about half as fast in that mix as in a loop of
    their own, which points at the CPU's caches and branch predictors: in stages, one
    function's code runs over many emails in a row. The caller bounds a batch's memory
    (`process_stream`)."""
    settings = settings or default_settings()
    return _process_read([_read_input(raw, settings) for raw in raws], settings)


def _process_read(reads: list[_Read], settings: Settings,
                  streams_said_no: Sequence[bool] = ()) -> list[Outcome]:
    """process_batch's stages after the read: each handler over the open inputs.
    `streams_said_no[i]`: the detects of `_first_streams` already answered no for input i
    (process_stream asked), so they are not asked again."""
    outcomes: list[Outcome | None] = [None] * len(reads)
    by_family: dict[str, list[_Open]] = {}
    for index, (raw, family, view) in enumerate(reads):
        if family is None:  # the read failed: `view` is the error
            outcomes[index] = Outcome(dead_letters=[dead_letter(raw, view)])
            continue
        said_no = index < len(streams_said_no) and streams_said_no[index]
        by_family.setdefault(family, []).append(_Open(index, raw, view, said_no))
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
    for (raw, _family, _view), outcome in zip(reads, outcomes):
        if outcome is not None and outcome.events:
            outcome.events = envelope.apply(raw, outcome.events, settings)
    return [accounted(read[0], outcome)  # type: ignore[arg-type]
            for read, outcome in zip(reads, outcomes)]


def process_stream(raws: Iterable[RawMessage], settings: Settings | None = None, *,
                   batch_size: int = 100, batch_bytes: int = 16 * 1024 * 1024
                   ) -> Iterator[tuple[RawMessage, Outcome]]:
    """(raw, its Outcome) for each input of a stream, in order, through `process_batch`.

    The stream is cut into chunks of at most `batch_size` inputs and `batch_bytes` of
    payload (a larger input goes alone). A chunk is read (sniffed, parsed), then its inputs
    that a `streams` handler takes (DMARC reports: their rows are a lazy iterator holding up
    to a few thousand rows read ahead) are set aside and the rest go through as one batch,
    whose parsed trees are freed before the first answer is yielded. Each set-aside input is
    worked out alone (`process`) when its turn comes, so only one report is in memory at a
    time, as one input at a time. Lazy rows from any other handler make the next chunk one
    input, doubling from there back to `batch_size`.
    If reading the stream fails, the inputs already read get their Outcomes first."""
    settings = settings or default_settings()
    limit = batch_size
    for chunk in _chunks(raws, lambda: limit, batch_bytes):
        reads = [_read_input(raw, settings) for raw in chunk]
        alone = [_streams(read) for read in reads]   # True, False, or None: a detect raised
        _release_set_aside(reads, alone)
        said_no = [own is False for own in alone if not own]
        batched = [read for read, own in zip(reads, alone) if not own]
        del reads   # the parsed trees go as soon as the batch is worked out
        outcomes = _outcomes(batched, settings, said_no) if batched else []
        del batched
        limit = 1 if any(map(_lazy_rows, outcomes)) else min(limit * 2, batch_size)
        answers = iter(outcomes)
        del outcomes
        for raw, own in zip(chunk, alone):
            yield raw, (process(raw, settings) if own else next(answers))


def _release_set_aside(reads: list[_Read], alone: list[bool | None]) -> None:
    """Set-aside inputs are read again at their turn: their trees are not kept meanwhile
    (a function of its own, so no loop variable holds the last one)."""
    for read, own in zip(reads, alone):
        if own:
            MailView.release(read[2])


def _chunks(raws: Iterable[RawMessage], limit: Callable[[], int], max_bytes: int
            ) -> Iterator[list[RawMessage]]:
    """Consecutive runs of `raws`: at most limit() inputs and `max_bytes` of payload each
    (an input over max_bytes alone). If the stream raises, the run read so far comes first."""
    chunk: list[RawMessage] = []
    size = 0
    inputs = iter(raws)
    while True:
        try:
            raw = next(inputs)
        except StopIteration:
            break
        except Exception:
            if chunk:
                yield chunk   # answered before the reader's error reaches the caller
            raise
        if chunk and (len(chunk) >= limit() or size + len(raw.payload) > max_bytes):
            yield chunk
            chunk, size = [], 0
        chunk.append(raw)
        size += len(raw.payload)
    if chunk:
        yield chunk


def _read_input(raw: RawMessage, settings: Settings) -> _Read:
    try:
        family, view = _read(raw, settings)
    except Exception as exc:  # noqa: BLE001 - the contract: bad input never crashes
        return raw, None, exc.with_traceback(None)
    return raw, family, view


def _streams(read: _Read) -> bool | None:
    """Would a `streams` handler take this input (it then goes alone)? Only the streams
    handlers that open their family's order are asked (`_first_streams`): a later one would
    see the view after earlier handlers; its lazy rows shrink the next chunks instead. None
    when a detect raised (the batch asks again, and dead-letters it)."""
    raw, family, view = read
    if family is None:
        return False
    for handler in _first_streams(family):
        try:
            if handler.detect(raw, view):
                return True
        except Exception:  # noqa: BLE001
            return None
    return False


# registry.handlers() tuple id -> (that tuple, the streams handlers it starts with): worked
# out once per tuple, not per input (the tuple is kept, so its id stays its own)
_FIRST_STREAMS: dict[int, tuple[tuple, tuple]] = {}


def _first_streams(family: str) -> tuple[registry.Handler, ...]:
    """The `streams` handlers a family's order starts with."""
    handlers = registry.handlers(family)  # type: ignore[arg-type]
    entry = _FIRST_STREAMS.get(id(handlers))
    if entry is None or entry[0] is not handlers:
        first = []
        for handler in handlers:
            if not handler.streams:
                break
            first.append(handler)
        entry = _FIRST_STREAMS[id(handlers)] = (handlers, tuple(first))
    return entry[1]


def _lazy_rows(outcome: Outcome) -> bool:
    return any(not isinstance(rows, list) for rows in outcome.rows.values())


def _outcomes(batch: list[_Read], settings: Settings,
              streams_said_no: Sequence[bool] = ()) -> list[Outcome]:
    try:
        return _process_read(batch, settings, streams_said_no)
    except Exception:  # noqa: BLE001 - a bug in the batch driver: never lose the inputs
        log.exception("process_batch failed on a batch of %d; processing it one by one",
                      len(batch))
        for _, _, view in batch:
            MailView.release(view)
        return [process(read[0], settings) for read in batch]


class _Open:
    """An input some handler may still answer: its view, the Outcome so far, who tried."""

    __slots__ = ("index", "raw", "view", "result", "tried", "streams_said_no")

    def __init__(self, index: int, raw: RawMessage, view: Any, streams_said_no: bool = False):
        self.index, self.raw, self.view = index, raw, view
        self.result: Outcome | None = None
        self.tried: list[str] = []
        self.streams_said_no = streams_said_no   # the _first_streams detects already said no


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
    return family, _view(family, raw, settings.limits)


def _offer(handler: registry.Handler, open_inputs: list[_Open], settings: Settings,
           outcomes: list[Outcome | None]) -> list[_Open]:
    """One handler's turn over the open inputs (detect, then handle); the ones still open
    after it, in order. An input whose detect or handle raises is dead-lettered."""
    check_time()   # the worker's wall-time budget (pipeline/timebudget.py)
    takers: list[_Open] = []
    closed = False
    asked = handler.streams and handler in _first_streams(handler.family)
    for item in open_inputs:
        if asked and item.streams_said_no:
            continue   # process_stream asked this detect already: no
        try:
            if handler.detect(item.raw, item.view):
                item.tried.append(handler.name)
                takers.append(item)
        except Exception as exc:  # noqa: BLE001
            outcomes[item.index] = Outcome(dead_letters=[dead_letter(item.raw, exc)])
            closed = True
    for item, out in zip(takers, _handle(handler, takers, settings) if takers else ()):
        try:
            if isinstance(out, Exception):
                raise out
            if out is not None:
                out.parser = out.parser or handler.name
                # merge() may read a lazy row iterator: inside this input's guard
                item.result = out if item.result is None else item.result.merge(out)
                if out.final:
                    outcomes[item.index] = item.result
                    closed = True
        except Exception as exc:  # noqa: BLE001
            outcomes[item.index] = Outcome(dead_letters=[dead_letter(item.raw, exc)])
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


_WARMED_UP = False


def warm_up() -> None:
    """For a process that starts to work through many inputs (the `bouncepipe` worker,
    ingest, classify): load every handler and dialect, then hand what start-up built
    (modules, dialect and phrase tables, pydantic validators: long-lived, never garbage) to
    `gc.freeze`. The cyclic collector's full passes then walk only what processing creates;
    without this, every few thousand emails one pass walked all of start-up again (a 15-20 %
    slower batch); and collect the young generation less often. Once per process, and only where the process starts: whatever is alive
    at the call is never collected afterwards (code that embeds bouncepipe should not call
    it with its own data alive)."""
    global _WARMED_UP
    if _WARMED_UP:
        return
    from .dsn.dialects import dialects

    for family in ("email", "json", "xml", "archive", "form"):
        registry.handlers(family)  # type: ignore[arg-type]
    dialects()
    gc.collect()
    gc.freeze()
    # Processing allocates containers by the million (a big DMARC report: a handful per
    # record) that reference counting frees at once: a young-generation pass every 700 of
    # them (the default) found nothing to collect and cost ~4 % of an ingest (2-4 % of a
    # classify run: bounces allocate the same way)
    gc.set_threshold(10_000, 10, 10)
    _WARMED_UP = True


def process_bytes(payload: bytes, *, source: str = "memory", **raw_fields: Any) -> Outcome:
    """Python API without Kafka: raw bytes in, Outcome (events, rows or dead letters) out."""
    return process(memory_raw(payload, source=source, **raw_fields))


def memory_raw(payload: bytes, *, source: str = "memory", received_at: datetime | None = None,
               **raw_fields: Any) -> RawMessage:
    """The RawMessage of bytes handed over in Python (`process_bytes`, `classify_messages`):
    memory transport, received now unless told."""
    return RawMessage.from_bytes(payload, RawSource(transport="memory", path=source),
                                 received_at=received_at or datetime.now(timezone.utc),
                                 **raw_fields)
