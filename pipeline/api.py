"""Python API without Kafka: bytes in, events (or the dead letter) out, one message or many.

    >>> from pipeline import classify_message
    >>> result = classify_message(open("bounce.eml", "rb").read())
    >>> if isinstance(result, list): print([(e.recipient, e.category, e.reason) for e in result])
    >>> from pipeline import classify_messages   # many at once: the same answers, faster
    >>> results = list(classify_messages(path.read_bytes() for path in paths))

A thin layer over `pipeline.core` (`import pipeline` loads this module on first use of
either name); inputs that yield only lake rows (DMARC aggregate reports) return an empty list.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from schemas.models import MailEvent, NotParsed

from .core import memory_raw, process_bytes, process_stream


def classify_message(payload: bytes, **raw_fields: Any) -> list[MailEvent] | NotParsed:
    return _result(process_bytes(payload, **raw_fields))


def classify_messages(payloads: Iterable[bytes], **raw_fields: Any
                      ) -> Iterator[list[MailEvent] | NotParsed]:
    """`classify_message` of each payload, in order, worked out in batches (`process_stream`:
    14-20 % faster per email than one call each). `raw_fields` apply to every payload."""
    raws = (memory_raw(payload, **raw_fields) for payload in payloads)
    for _, outcome in process_stream(raws):
        yield _result(outcome)


def _result(outcome) -> list[MailEvent] | NotParsed:
    if outcome.events or not outcome.dead_letters:
        return list(outcome.events)
    return outcome.dead_letters[0]
