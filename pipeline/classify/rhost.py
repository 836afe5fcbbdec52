"""Receiving-provider overrides ("rhost"): a provider's own error texts decide the reason.

Modules `pipeline/dsn/dialects/rhost_<provider>.py` register with `@rhost(name, hosts=...)`
a function `find(facts) -> (reason, rule) | None`. They live next to the dialects (so the
dialect discovery imports them) but are classifier overrides, not parsers: the bounce is read
by whichever dialect (often RFC 3464), then the remote MTA host (or, failing that, the
reporting MTA / provider name) picks the override, as go-sisimai `rhost/find.go` does.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .reasons import Facts

Finder = Callable[["Facts"], "tuple[str, str] | None"]


@dataclass(frozen=True)
class Rhost:
    name: str
    hosts: tuple[str, ...]   # host name suffixes (lower case), e.g. ".google.com"
    find: Finder
    match_text: bool = False  # also match when a host appears in the diagnostic text


_RHOSTS: list[Rhost] = []


def rhost(name: str, hosts: tuple[str, ...], *, match_text: bool = False
          ) -> Callable[[Finder], Finder]:
    def decorator(fn: Finder) -> Finder:
        _RHOSTS.append(Rhost(name, tuple(h.lower() for h in hosts), fn, match_text))
        return fn

    return decorator


def which_rhost(f: "Facts") -> Rhost | None:
    """The provider whose override applies, tried as go-sisimai `rhost.Name` does: the
    recipient's domain (a provider host ending with it), then the remote MTA host, then the
    reporting (local) MTA host."""
    domain = (f.recipient or "").rpartition("@")[2].lower().strip(">. ")
    remote = (f.remote_mta or "").lower().split()[0].strip("[](). ") if f.remote_mta else ""
    local = (f.reporting_mta or "").lower().split()[0].strip("[](). ") if f.reporting_mta else ""
    name = _which(domain, remote, local)
    return _BY_NAME.get(name) if name else None


_BY_NAME: dict[str, Rhost] = {}


@lru_cache(maxsize=4096)
def _which(domain: str, remote: str, local: str) -> str | None:
    """Cached: real traffic repeats the same few domains and MX hosts."""
    if not _BY_NAME:
        from ..dsn.dialects import dialects  # the rhost modules register on discovery

        dialects()
        _BY_NAME.update({r.name: r for r in _RHOSTS})
    if domain:
        for r in _RHOSTS:
            if any(h.endswith(domain) for h in r.hosts):
                return r.name
    for host in (remote, local):
        if host:
            for r in _RHOSTS:
                if any(host.endswith(h) for h in r.hosts):
                    return r.name
    return None


def first_phrase(text: str, table: dict[str, tuple[str, ...]]) -> tuple[str, str] | None:
    """(reason, phrase) of the first table phrase found in `text`."""
    for reason, phrases in table.items():
        for phrase in phrases:
            if phrase in text:
                return reason, phrase
    return None


def rhost_reason(f: "Facts") -> tuple[str, str, str] | None:
    """(provider, reason, rule) from the matching provider's override, else None."""
    r = which_rhost(f)
    if r is None:
        return None
    found = r.find(f)
    if not found:
        return None
    reason, rule = found
    return r.name, reason, rule
