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
    """The gates of a list of dialects, indexed by header name and by field."""

    def __init__(self, gates: list[Gate | None]):
        self.size = len(gates)
        self.ungated = [k for k, g in enumerate(gates) if g is None]
        by_header: dict[str, list[int]] = {}
        by_field: dict[str, dict[str, list[int]]] = {}
        for k, gate in enumerate(gates):
            if gate is None:
                continue
            for name in gate.headers:
                by_header.setdefault(name, []).append(k)
            for field, needle in gate.contains:
                by_field.setdefault(field, {}).setdefault(needle, []).append(k)
        self.by_header = [(name, tuple(ks)) for name, ks in by_header.items()]
        # a header field is read only when the header is present; "received" when some
        # Received header is; a raw field when its header is
        self.by_field = [(field, _present_as(field),
                          tuple((needle, tuple(ks)) for needle, ks in needles.items()))
                         for field, needles in by_field.items()]

    def candidates(self, mails: list[MailView], positions) -> list[list[int]]:
        """For each gated dialect (by its position), the positions in `positions` (ascending)
        of the mails its gate lets through; [] for an ungated one (the engine offers it
        every mail). A mail whose fields cannot be read is let through every gate."""
        found: list[list[int]] = [[] for _ in range(self.size)]
        by_header, by_field = self.by_header, self.by_field
        for i in positions:
            mail = mails[i]
            try:
                present = mail._headers
                for name, ks in by_header:
                    if name in present:
                        for k in ks:
                            lst = found[k]
                            if not lst or lst[-1] != i:
                                lst.append(i)
                for field, header, needles in by_field:
                    if header not in present:
                        continue
                    text = _field_text(mail, field, header)
                    for needle, ks in needles:
                        if needle in text:
                            for k in ks:
                                lst = found[k]
                                if not lst or lst[-1] != i:
                                    lst.append(i)
            except Exception:  # noqa: BLE001 - unreadable: every dialect decides for itself
                for k, lst in enumerate(found):
                    if not lst or lst[-1] != i:
                        lst.append(i)
        return found

