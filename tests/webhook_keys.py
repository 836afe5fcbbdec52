"""How webhook tests match an event to its expected row: (file, index, recipient index,
recipient address). Shared by tests/unit/test_webhook_documented.py (the project's documented
payloads) and tests/conformance/test_webhook_corpus.py (the shared corpus)."""
from __future__ import annotations

import re


def address(value: str | None) -> str | None:
    """The address of a recipient as a label writes it ("Name <a@b>" -> "a@b"), lower-cased."""
    if value is None:
        return None
    found = re.findall(r"<([^<>]*)>", value)
    return (found[-1] if found else value).strip().lower()


def event_key(file: str, index: int, recipient_index: int | None, recipient: str | None) -> tuple:
    return (file, index, recipient_index or 0, address(recipient))
