"""Dialect gates: each dialect's cheap NECESSARY condition, stated as data, so that the engine
offers a bounce only to the dialects that could read it.

Why: every bounce met every dialect's `inquire()` until one answered, ~25 of them per bounce
answering None after a look at From, Subject or a header (a Python call, a few attribute
look-ups and a decode check each, ~10,000 calls per corpus pass). `GateIndex` reads the few
fields those looks need ONCE per bounce (lower-cased), tests every dialect's needles against
them, and lists for each dialect the bounces it could read; the engine runs the dialect on
those only. A dialect without a gate is offered every bounce, as before.

A gate is an any-of: `when(headers=("x-gmx-antispam",), from_=("mail.ru",), ...)` holds when
one named header is present, or one needle is in the lower-cased field. It must be IMPLIED by
the first test of the dialect's `inquire` (the gate false -> inquire answers None without
raising), so that gating changes no answer: the gate may be looser than the dialect's own test
(a presence for "a non-empty value", "contains" for "starts with", lower-cased for an exact
case), never tighter. tests/unit/test_dialect_gates.py holds every dialect to it over the
corpus, the fixtures and mutated bounces, and compares gated with ungated reports.

Fields: a header name (its decoded value, `mail.header(name)`, "from" is `mail.from_`), matched
lower-cased; and, matched in their exact case as the dialects test them, "received" (every
Received line, `kit.received_text`: lower-casing kilobytes of hops per bounce cost more than
the gate saved) and "raw:<name>" (the undecoded first value, `str(mail.get(name) or "")`);
"lraw:<name>" is that raw value lower-cased. A lower-cased field's needles are lower-cased: a
needle found in a text is found, lower-cased, in the lower-cased text (str.lower maps each
character on its own, the final-sigma rule aside, so needles hold no "Σ").
"""
from __future__ import annotations

from dataclasses import dataclass

from ...mime.view import MailView
from .kit.views import received_text


@dataclass(frozen=True)
class Gate:
    headers: tuple[str, ...] = ()                  # lower-case header names: any present
    contains: tuple[tuple[str, str], ...] = ()     # (field, lower-case needle): any found


def when(*, headers: tuple[str, ...] = (), received: tuple[str, ...] = (),
         raw: dict[str, tuple[str, ...]] | None = None,
         raw_lower: dict[str, tuple[str, ...]] | None = None, **fields: tuple[str, ...]) -> Gate:
    """A gate from keyword fields: `from_=`, `subject=`, `message_id=`, `x_mailer=` ...
    (underscores become hyphens; a trailing one is dropped), `received=`, `raw={name: ...}`,
    `raw_lower={name: ...}`."""
    named = [(key.rstrip("_").replace("_", "-"), needles) for key, needles in fields.items()]
    named += [("received", received)]
    named += [(f"raw:{name.lower()}", needles) for name, needles in (raw or {}).items()]
    named += [(f"lraw:{name.lower()}", needles) for name, needles in (raw_lower or {}).items()]
    contains: list[tuple[str, str]] = []
    for field, needles in named:
        if isinstance(needles, str) or not all(n and "Σ" not in n for n in needles):
            raise ValueError(f"gate needles {needles!r} for {field!r}: a tuple of non-empty "
                             "strings without Σ")
        contains += [(field, needle) for needle in needles]
    return Gate(tuple(h.lower() for h in headers),
                tuple((field, needle if _exact_case(field) else needle.lower())
                      for field, needle in contains))


def _exact_case(field: str) -> bool:
    return field == "received" or field.startswith("raw:")


def _present_as(field: str) -> str:
    """The header whose presence a field's text needs (an absent header reads as "")."""
    return field.partition(":")[2] if ":" in field else field


def _field_text(mail: MailView, field: str, header: str) -> str:
    """The field's text as its gate matches it (lower-cased unless _exact_case)."""
    if field == "received":
        return received_text(mail)
    if ":" not in field:
        return mail.header(field).lower()
    value = mail._headers[header]
    if type(value) is not str or not value.isascii():   # else mail.get() gives it as it is
        value = str(mail.get(header) or "")
    return value if field[0] == "r" else value.lower()


class GateIndex:
    """The gates of a list of dialects, indexed by header name and by field. Each header
    name and needle carries the bit mask of the dialects it lets through (bit k: the k-th
    dialect), so a bounce costs one membership test per header name and one substring
    search per needle, whatever the number of dialects sharing them."""

    def __init__(self, gates: list[Gate | None]):
        self.size = len(gates)
        by_header: dict[str, int] = {}
        by_field: dict[str, dict[str, int]] = {}
        for k, gate in enumerate(gates):
            if gate is None:
                continue
            for name in gate.headers:
                by_header[name] = by_header.get(name, 0) | 1 << k
            for field, needle in gate.contains:
                needles = by_field.setdefault(field, {})
                needles[needle] = needles.get(needle, 0) | 1 << k
        self.by_header = tuple(by_header.items())
        # a field is read only when its header is present (absent, it reads as ""); for
        # "received", when some Received header is
        self.by_field = tuple((field, _present_as(field), tuple(needles.items()))
                              for field, needles in by_field.items())
        self.everything = (1 << self.size) - 1

    def mask(self, mail: MailView) -> int:
        """The bit mask of the gated dialects whose gate lets `mail` through."""
        present = mail._headers
        mask = 0
        for name, bits in self.by_header:
            if name in present:
                mask |= bits
        for field, header, needles in self.by_field:
            if header in present:
                text = _field_text(mail, field, header)
                for needle, bits in needles:
                    if needle in text:
                        mask |= bits
        return mask

    def candidates(self, mails: list[MailView], positions) -> list[list[int]]:
        """For each gated dialect (by its position), the positions in `positions` (ascending)
        of the mails its gate lets through; [] for an ungated one (the engine offers it
        every mail). A mail whose fields cannot be read is let through every gate."""
        found: list[list[int]] = [[] for _ in range(self.size)]
        for i in positions:
            try:
                mask = self.mask(mails[i])
            except Exception:  # noqa: BLE001 - unreadable: every dialect decides for itself
                mask = self.everything
            while mask:
                low = mask & -mask
                found[low.bit_length() - 1].append(i)
                mask ^= low
        return found
