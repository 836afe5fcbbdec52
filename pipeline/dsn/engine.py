"""The bounce engine: dialects in order, then RFC 3464, then the generic text fallback, then
classification.

`read_bounce(mail)` -> the BounceReport of the first dialect that reads the message, else
RFC 3464's, else the fallback's (fallback.py: evident bounces only), else None;
`events_for(raw, report)` -> one MailEvent per recipient. A dialect
that raises is skipped (its error is kept); if nothing else reads the message, the error
becomes a ParseError (a dead letter).

`read_bounces` is the same reading for many messages at once, dialect by dialect: each
message still meets the dialects in order and gets the same report, but one dialect's code
runs over every message before the next one's does (see core.process_batch for why that is
faster).
"""
from __future__ import annotations

import logging

from schemas.models import MailEvent, RawMessage
from schemas.vocab import SourceKind

from ..classify import classify
from ..errors import ParseError
from ..mime.view import MailView
from ..deadline import check_time
from . import fallback, rfc3464
from .dialects import dialects
from .events import ReportFields, facts_for
from ..mime.addresses import normalise_address
from .model import BounceReport

log = logging.getLogger(__name__)


def read_bounce(mail: MailView, *, sha256: str | None = None) -> BounceReport | None:
    """The first dialect's report, else RFC 3464's, else None."""
    found = read_bounces([mail], sha256s=[sha256])[0]
    if isinstance(found, Exception):
        raise found
    return found


def read_bounces(mails: list[MailView], *, sha256s: list[str | None] | None = None,
                 unwrap: bool = True) -> list[BounceReport | None | Exception]:
    """`read_bounce` of each mail, in order: its report, None, or the exception read_bounce
    would raise for it. The dialects run one after another over the mails still unread.
    A person's mail that forwards a bounce as an attachment is read as that bounce
    (`unwrap`, one level: fallback.forwarded_message says which mails qualify)."""
    found: list[BounceReport | None | Exception] = [None] * len(mails)
    failures: dict[int, list[str]] = {}
    unread: list[int] | range = range(len(mails))
    forwards = {i: inner for i in unread
                if (inner := fallback.forwarded_message(mails[i])) is not None} if unwrap else {}
    if forwards:   # rare: a person's mail with one attached message; read the attachment first
        for i, report in zip(forwards, read_bounces(list(forwards.values()), unwrap=False)):
            if isinstance(report, BounceReport):
                found[i] = report
            MailView.release(forwards[i].msg)   # the view <-> message cycle, as core does
        unread = [i for i in unread if found[i] is None]
    for d in dialects():
        check_time()   # the worker's per-input wall-time budget (pipeline/timebudget.py)
        inquire, answered = d.inquire, False
        for i in unread:
            try:
                report = inquire(mails[i])
            except Exception as exc:  # noqa: BLE001 - one broken dialect must not stop the rest
                log.debug("dialect %s failed", d.name, exc_info=True)
                failures.setdefault(i, []).append(f"{d.name}: {type(exc).__name__}: {exc}")
                continue
            if report is not None and report.recipients:
                found[i] = report
                answered = True
        if answered:   # most dialects answer none: the list is rebuilt only when one does
            unread = [i for i in unread if found[i] is None]
            if not unread:
                break
    for i in unread:
        try:
            report = rfc3464.inquire(mails[i])
        except Exception as exc:  # noqa: BLE001 - read_bounce lets it out: so does this one
            found[i] = exc.with_traceback(None)   # kept: no cycle through this frame
            continue
        if report is None:
            report = fallback.inquire(mails[i])   # never raises
        if report is not None:
            found[i] = report
        elif i in failures:
            found[i] = ParseError("bounce dialect failed: " + "; ".join(failures[i])[:500],
                                  raw_sha256=sha256s[i] if sha256s else None, parser="dsn")
    return found


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
        verdict = classify(facts)
        if report.dialect == fallback.NAME and not verdict.rule.startswith("fallback."):
            verdict = verdict._replace(rule=f"fallback.{verdict.rule}")
        events.append(shared.event(rep, index, facts, verdict,
                                   normalised_recipient=recipient))
    return events
