"""Python API without Kafka for one message: bytes in, events (or the dead letter) out.

    >>> from pipeline import classify_message
    >>> result = classify_message(open("bounce.eml", "rb").read())
    >>> if isinstance(result, list): print([(e.recipient, e.category, e.reason) for e in result])

A thin wrapper over `pipeline.core.process_bytes` (imported lazily so `import pipeline` stays
cheap); inputs that yield only lake rows (DMARC aggregate reports) return an empty list.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from schemas.models import MailEvent, NotParsed


def classify_message(payload: bytes, **raw_fields: Any) -> "list[MailEvent] | NotParsed":
    from ..core import process_bytes

    outcome = process_bytes(payload, **raw_fields)
    if outcome.events or not outcome.dead_letters:
        return list(outcome.events)
    return outcome.dead_letters[0]
