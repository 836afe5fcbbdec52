"""Phrase tables per reason (data). See `pipeline/classify/phrases.py` for their meaning."""
from __future__ import annotations

from typing import NamedTuple


class Table(NamedTuple):
    index: tuple[str, ...] = ()
    pairs: tuple[tuple[str, ...], ...] = ()
    isnot: tuple[str, ...] = ()


from .recipient import RECIPIENT_TABLES  # noqa: E402
from .sender import SENDER_TABLES  # noqa: E402
from .system import SYSTEM_TABLES  # noqa: E402

TABLES: dict[str, Table] = {**RECIPIENT_TABLES, **SENDER_TABLES, **SYSTEM_TABLES}
