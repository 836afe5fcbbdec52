"""Which receiving-provider override applies to a recipient, and its answer.

The overrides are the modules of `pipeline/classify/rhosts/` (see its docstring). The bounce is
read by whichever dialect (often RFC 3464), then the recipient's domain, the remote MTA host or
the reporting MTA picks the override, as go-sisimai `rhost/find.go` does.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .rhosts import Rhost, rhosts

if TYPE_CHECKING:
    from .reasons import Facts


def which_rhost(f: "Facts") -> Rhost | None:
    """The provider whose override applies, tried as go-sisimai `rhost.Name` does: the
    recipient's domain (a provider host ending with it), then the remote MTA host, then the
    reporting (local) MTA host; then (bouncepipe) a provider's documented reply marker in
    the diagnostic, for DSNs whose remote MTA is a relay, a gateway or a test server."""
    domain = (f.recipient or "").rpartition("@")[2].lower().strip(">. ")
    remote = (f.remote_mta or "").lower().split()[0].strip("[](). ") if f.remote_mta else ""
    local = (f.reporting_mta or "").lower().split()[0].strip("[](). ") if f.reporting_mta else ""
    found = _which(domain, remote, local)
    if found is None and f.diagnostic:
        found = _by_marker(f.text)
    return found


def _by_marker(text: str) -> Rhost | None:
    """The first provider (registry order) with a marker in `text`: one flat loop over
    (marker, provider) pairs in that order, not a generator per provider (this runs for
    every bounce recipient no host picked a provider for)."""
    for marker, r in _tables().marks:
        if marker in text:
            return r
    return None


class _HostTables:
    """The registry's hosts as look-up tables, so that a message costs a few dict look-ups
    instead of a suffix test per provider host (this runs on every bounce recipient, and
    recipient domains are too varied for a cache to catch them).

    `by_suffix`: every non-empty suffix of every provider host -> the first provider (in
    registry order) with a host ending so; `domain` matches exactly the hosts ending with
    it. `by_host`: each host -> the first provider listing it; `by_tail`: the hosts by their
    last few characters (a name ends with a host only if it ends with those)."""

    def __init__(self, rhosts: list[Rhost]):
        self.rhosts = tuple(rhosts)
        self.marked = tuple(r for r in rhosts if r.markers)
        self.marks = tuple((marker, r) for r in self.marked for marker in r.markers)
        self.by_suffix: dict[str, int] = {}
        self.by_host: dict[str, int] = {}
        for index, r in enumerate(rhosts):
            for host in r.hosts:
                self.by_host.setdefault(host, index)
                for start in range(len(host)):
                    self.by_suffix.setdefault(host[start:], index)
        # by_tail: the last `tail` characters of each host (tail: the shortest host's length)
        # -> (host, provider index) of the hosts ending so: a name can only end with a host
        # that has its own last `tail` characters, so a name is compared with a few hosts
        # (usually none) rather than sliced at every host length
        self.tail = min((len(h) for h in self.by_host), default=0)
        self.by_tail: dict[str, tuple[tuple[str, int], ...]] = {}
        for host, index in self.by_host.items():
            key = self._tail_of(host)
            self.by_tail[key] = (*self.by_tail.get(key, ()), (host, index))

    def _tail_of(self, name: str) -> str:
        return name[-self.tail:] if self.tail else ""   # name[-0:] would be all of it

    def which(self, domain: str, remote: str, local: str) -> Rhost | None:
        """go-sisimai's order: a provider host ending with the domain, then a provider host
        the remote MTA, then the local MTA ends with; each time the first provider."""
        if domain:
            index = self.by_suffix.get(domain)
            if index is not None:
                return self.rhosts[index]
        for host in (remote, local):
            if host:
                index = self.first_ending(host)
                if index is not None:
                    return self.rhosts[index]
        return None

    def first_ending(self, name: str) -> int | None:
        """The first provider with a host that `name` ends with."""
        found = None
        for host, index in self.by_tail.get(self._tail_of(name), ()):
            if (found is None or index < found) and name.endswith(host):
                found = index
        return found


_TABLES: _HostTables | None = None


def _tables() -> _HostTables:
    global _TABLES
    if _TABLES is None:
        _TABLES = _HostTables(rhosts())
    return _TABLES


def _which(domain: str, remote: str, local: str) -> Rhost | None:
    return _tables().which(domain, remote, local)


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
