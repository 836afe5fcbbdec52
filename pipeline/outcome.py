"""What the core returns for one raw input."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from pydantic import BaseModel

from schemas.models import MailEvent, NotParsed


@dataclass
class Outcome:
    """Everything one raw input produced.

    `rows` maps a lake table name ("dmarc_aggregate", "dmarc_failure", "tls_reports") to its
    rows. A value may be a lazy iterator (huge DMARC reports are streamed): consumers land an
    input's rows only after the iterator finished; if it raises a BouncepipeError half-way,
    the consumer discards that input's rows and dead-letters it instead (all or nothing per
    input).

    `final=False` lets the next matching handler in the registry contribute too (e.g. the
    DMARC failure handler adds `dmarc_failure` rows and lets the ARF handler emit the events).

    Nothing vanishes: the core turns an Outcome with no events, no rows and no dead letter
    into a dead letter (`pipeline.core.accounted`), unless `empty_reason` says why nothing
    is the right answer (a provider's empty test ping). Lazy rows that end empty raise.
    """

    events: list[MailEvent] = field(default_factory=list)
    rows: dict[str, Iterable[BaseModel]] = field(default_factory=dict)
    dead_letters: list[NotParsed] = field(default_factory=list)
    parser: str | None = None
    final: bool = True
    empty_reason: str | None = None

    def merge(self, other: "Outcome") -> "Outcome":
        self.events.extend(other.events)
        for table, rows in other.rows.items():
            if table in self.rows:
                self.rows[table] = [*self.rows[table], *rows]
            else:
                self.rows[table] = rows
        self.dead_letters.extend(other.dead_letters)
        self.parser = ",".join(p for p in (self.parser, other.parser) if p) or None
        self.final = other.final
        self.empty_reason = self.empty_reason or other.empty_reason
        return self
