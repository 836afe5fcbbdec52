"""Receiving-provider overrides ("rhosts"): a provider's own error texts decide the reason.

One module per provider (`<provider>.py`). Each defines, at its top, `HOSTS` (host name
suffixes of the provider's MX / MTA hosts) and its reply table as data with the
documentation each row came from, and one `find(facts) -> (reason, rule) | None` decorated
with `@rhost("<provider>", HOSTS)`. These are classifier overrides, not parsers: the bounce
is read by whichever dialect (often RFC 3464), then `classify/rhost.py` picks the provider by
recipient domain / remote MTA / reporting MTA, as go-sisimai `rhost/find.go` does.

Add a provider = add a module here: modules are discovered (in name order, which is the
order a host claimed by two providers is given to the first), no hand-kept list to update.
`markers` (optional): text the provider's documentation says all its replies carry; the
provider is picked by them only when no host picked one.
"""
from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..reasons import Facts

Finder = Callable[["Facts"], "tuple[str, str] | None"]


@dataclass(frozen=True)
class Rhost:
    name: str
    hosts: tuple[str, ...]   # host name suffixes (lower case), e.g. ".google.com"
    find: Finder
    # Text every reply of the provider carries, documented as such (Gmail appends "gsmtp" to
    # every error; Mimecast links its error-code page): picks the provider when no host
    # does, as when the DSN names only a relay or a test server as the remote MTA.
    markers: tuple[str, ...] = ()


_RHOSTS: list[Rhost] = []
_loaded = False


def rhost(name: str, hosts: tuple[str, ...], *, markers: tuple[str, ...] = ()
          ) -> Callable[[Finder], Finder]:
    def decorator(fn: Finder) -> Finder:
        _RHOSTS.append(Rhost(name, tuple(h.lower() for h in hosts), fn,
                             tuple(m.lower() for m in markers)))
        return fn

    return decorator


def rhosts() -> list[Rhost]:
    """Every provider override, in module-name order (the modules are imported once)."""
    global _loaded
    if not _loaded:
        for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
            importlib.import_module(f"{__name__}.{info.name}")
        _loaded = True
    return list(_RHOSTS)


def first_phrase(text: str, table: dict[str, tuple[str, ...]]) -> tuple[str, str] | None:
    """(reason, phrase) of the first table phrase found in `text` (tables in reason order)."""
    for reason, phrases in table.items():
        for phrase in phrases:
            if phrase in text:
                return reason, phrase
    return None
