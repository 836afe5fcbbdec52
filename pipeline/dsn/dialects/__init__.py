"""Registry of bounce dialects: one module per bounce format (lhost_<mta>.py).

Each module defines, at its top, its phrase tables as data (with where each came from) and one
`inquire(mail: MailView) -> BounceReport | None` function decorated with `@dialect(NAME)`.
`inquire` returns None quickly when the message is not in its dialect (check From/Subject/
headers first: it runs on every non-standard bounce). The engine tries dialects in the order
of `order.ORDER` (one table) and the first non-None report wins; RFC 3464 parsing is the
fallback. How to write one: the docstring of `kit` (the one helper kit every dialect uses).
Add a dialect = add a module here (lhost_<mta>.py). Receiving-provider classifier overrides
are not dialects: they live in pipeline/classify/rhosts/.
"""
from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass

from ...mime.view import MailView
from ..model import BounceReport
from .order import RANK

Inquire = Callable[[MailView], "BounceReport | None"]


@dataclass(frozen=True)
class Dialect:
    name: str      # "lhost-postfix", ... (matches the corpus source_module)
    order: int     # its index in order.ORDER
    inquire: Inquire


_DIALECTS: list[Dialect] = []


def dialect(name: str) -> Callable[[Inquire], Inquire]:
    """Register `inquire` as dialect `name`, at its place in `order.ORDER`."""
    if name not in RANK:
        raise ValueError(f"dialect {name!r} is not in pipeline/dsn/dialects/order.py ORDER: "
                         "add it there, at the place it must be tried")

    def decorator(fn: Inquire) -> Inquire:
        _DIALECTS.append(Dialect(name, RANK[name], fn))
        _DIALECTS.sort(key=lambda d: (d.order, d.name))
        return fn

    return decorator


_loaded = False


def dialects() -> list[Dialect]:
    global _loaded
    if not _loaded:
        for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
            if not info.name.startswith("lhost_"):
                continue   # the kit and the order table are not dialects
            importlib.import_module(f"{__name__}.{info.name}")
        _loaded = True
    return list(_DIALECTS)
