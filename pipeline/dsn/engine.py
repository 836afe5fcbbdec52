"""The bounce engine: dialects in order, RFC 3464 as the fallback, then classification.

`parse_bounce(raw, mail)` -> list[MailEvent] (one per recipient) or None when no dialect and
no RFC 3464 structure recognises the message. A dialect that raises is skipped (its error is
kept); if nothing else reads the message, the error becomes a ParseError (a dead letter).
"""
from __future__ import annotations

import logging

from schemas.models import MailEvent, RawMessage
from schemas.vocab import SourceKind

from ..classify import classify
from ..errors import ParseError
from ..mime.view import MailView
from . import rfc3464
from .dialects import dialects
from .events import ReportFields, facts_for
from .fields import normalise_address
from .model import BounceReport

log = logging.getLogger(__name__)


def read_bounce(mail: MailView, *, sha256: str | None = None) -> BounceReport | None:
    """The first dialect's report, else RFC 3464's, else None."""
    failures: list[str] = []
    for d in dialects():
        try:
            report = d.inquire(mail)
        except Exception as exc:  # noqa: BLE001 - one broken dialect must not stop the rest
            log.debug("dialect %s failed", d.name, exc_info=True)
            failures.append(f"{d.name}: {type(exc).__name__}: {exc}")
            continue
        if report is not None and report.recipients:
            return report
    report = rfc3464.inquire(mail)
    if report is not None:
        return report
    if failures:
        raise ParseError("bounce dialect failed: " + "; ".join(failures)[:500],
                         raw_sha256=sha256, parser="dsn")
    return None


def events_for(raw: RawMessage, report: BounceReport, *,
               source_kind: SourceKind = SourceKind.DSN) -> list[MailEvent]:
    events = []
    dsn = source_kind == SourceKind.DSN
    shared: ReportFields | None = None  # on the first usable recipient
    for index, rep in enumerate(report.recipients):
        recipient = normalise_address(rep.recipient)
        if dsn and not recipient:
            continue  # a DSN block without a usable address says nothing about anyone
        if shared is None:
            shared = ReportFields(raw, report, source_kind)
        facts = facts_for(rep, report)
        events.append(shared.event(rep, index, facts, classify(facts),
                                   normalised_recipient=recipient))
    return events


def parse_bounce(raw: RawMessage, mail: MailView) -> list[MailEvent] | None:
    report = read_bounce(mail, sha256=raw.sha256)
    if report is None:
        return None
    return events_for(raw, report)
