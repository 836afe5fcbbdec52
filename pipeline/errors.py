"""Typed errors. Every one carries the raw input's sha256 and turns into a NotParsed record.

Terminal errors dead-letter the input for good; transient ones (broker down, disk full) are
retried by the shell that caught them (DESIGN.md example 6).
"""
from __future__ import annotations

from datetime import datetime, timezone

from schemas.models import NotParsed, RawMessage

# Dead letters keep the original bytes up to this size; larger inputs keep a prefix and the flag.
DEAD_LETTER_PAYLOAD_CAP = 8 * 1024 * 1024


class BouncepipeError(Exception):
    """Base class. `stage` says where processing stopped."""

    stage = "parse"
    retryable = False

    def __init__(self, reason: str, *, raw_sha256: str | None = None, parser: str | None = None,
                 raw_index: int = 0):
        super().__init__(reason)
        self.reason = reason
        self.raw_sha256 = raw_sha256
        self.parser = parser
        self.raw_index = raw_index

    def __str__(self) -> str:  # the reason is the message; the id is added where known
        return self.reason if not self.raw_sha256 else f"{self.reason} [raw {self.raw_sha256[:12]}]"


class TerminalError(BouncepipeError):
    """The input will never parse: dead-letter it."""


class TransientError(BouncepipeError):
    """Worth retrying later (I/O, broker); never caused by the input's content."""

    retryable = True


class NotSupported(TerminalError):
    """No parser recognises the input (yet)."""

    stage = "sniff"


class ParseError(TerminalError):
    """A parser recognised the input but could not read it."""


class UnsafeInput(TerminalError):
    """Refused for safety: DTD/entity declarations, external entities, ..."""

    stage = "limits"


class LimitExceeded(TerminalError):
    """A configured cap was exceeded: size, decompression ratio, zip members, records."""

    stage = "limits"


class SignatureError(TerminalError):
    """A webhook's signature or credentials did not verify."""

    stage = "verify"


def dead_letter(raw: RawMessage, error: BaseException, *, stage: str | None = None,
                parser: str | None = None, raw_index: int | None = None) -> NotParsed:
    """Build the dead-letter record for `raw` from any exception (unexpected ones included)."""
    if isinstance(error, BouncepipeError):
        stage = stage or error.stage
        parser = parser or error.parser
        reason = error.reason
        retryable = error.retryable
        index = error.raw_index if raw_index is None else raw_index
    elif isinstance(error, (RecursionError, MemoryError)):
        # Resource exhaustion caused by the input's shape: a limit, not a bug.
        stage = stage or "limits"
        reason = ("input nested too deep to read (Python's recursion limit)"
                  if isinstance(error, RecursionError) else
                  "input needs more memory than the process has")
        retryable = False
        index = raw_index or 0
    else:
        # A bug or an input we did not foresee: still a record, never a crash.
        stage = stage or "parse"
        reason = f"unexpected {type(error).__name__}: {error}"
        retryable = False
        index = raw_index or 0
    payload = raw.payload
    return NotParsed(
        dead_letter_id=NotParsed.make_id(raw.sha256, index, stage, type(error).__name__),
        raw_sha256=raw.sha256,
        raw_index=index,
        source=raw.source.label,
        stage=stage,
        parser=parser,
        error_type=type(error).__name__,
        reason=reason,
        retryable=retryable,
        received_at=raw.received_at or datetime.now(timezone.utc),
        payload=_kept_payload(raw),
        payload_size=len(payload),
        payload_truncated=len(payload) > DEAD_LETTER_PAYLOAD_CAP,
    )


# The last over-cap input's kept prefix: (its sha256, the prefix). A batch of many bad items
# from one large input then shares one 8 MiB copy instead of one per dead letter (a 9 MB
# batch with 50 bad items grew the process by 409 MB). Keyed by hash, not by the payload
# object, so the cache never keeps a large input alive.
_last_prefix: tuple[str, bytes] | None = None


def _kept_payload(raw: RawMessage) -> bytes:
    """The bytes a dead letter keeps: the whole payload (the same object, no copy) up to
    the cap, else its first DEAD_LETTER_PAYLOAD_CAP bytes, one copy per input."""
    global _last_prefix
    payload = raw.payload
    if len(payload) <= DEAD_LETTER_PAYLOAD_CAP:
        return payload
    last = _last_prefix
    if last is not None and last[0] == raw.sha256:
        return last[1]
    prefix = payload[:DEAD_LETTER_PAYLOAD_CAP]
    _last_prefix = (raw.sha256, prefix)
    return prefix
