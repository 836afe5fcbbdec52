"""Registers the bounce (DSN) handler: email family, order 50 (after ARF 30, auto-reply 40)."""
from __future__ import annotations

from itertools import islice

from ..errors import LimitExceeded, ParseError
from ..mime.addresses import list_items
from ..mime.view import checked_view
from ..outcome import Outcome
from ..registry import register
from .engine import events_for, read_bounces


def _always(raw, msg) -> bool:  # dialects decide; there is no cheap negative test for them all
    return True


def handle_many(items: list, settings) -> list[Outcome | None | Exception]:
    """`handle` of each (raw, msg): all dialects over the batch first (`read_bounces`), then
    the events of each bounce found."""
    results: list[Outcome | None | Exception] = [None] * len(items)
    mails, positions = [], []
    for position, (raw, msg) in enumerate(items):
        try:
            mail = checked_view(raw, msg, settings)
            _check_failed_recipients(raw, mail, settings.limits.max_recipients_per_input)
            mails.append(mail)
        except Exception as exc:  # noqa: BLE001 - handle() would raise it: this input only
            # kept without its traceback, which holds this frame (and so the whole batch)
            results[position] = exc.with_traceback(None)
            continue
        positions.append(position)
    reports = read_bounces(mails, sha256s=[items[p][0].sha256 for p in positions])
    for position, report in zip(positions, reports):
        if report is None or isinstance(report, Exception):
            results[position] = report
            continue
        raw = items[position][0]
        cap = settings.limits.max_recipients_per_input
        if len(report.recipients) > cap:
            # Dead-lettered whole, not truncated: the bytes are kept, and a replay with a
            # higher cap lands every recipient (a truncated bounce would lose some quietly).
            results[position] = LimitExceeded(
                f"bounce names {len(report.recipients)} recipients, over the {cap} recipient "
                "cap (limits.max_recipients_per_input)", raw_sha256=raw.sha256,
                parser=f"dsn:{report.dialect}")
            continue
        try:
            events = events_for(raw, report)
        except Exception as exc:  # noqa: BLE001
            results[position] = exc.with_traceback(None)
            continue
        if not events:
            results[position] = ParseError(
                "a bounce was recognised but names no usable recipient address",
                raw_sha256=raw.sha256, parser="dsn")
            continue
        results[position] = Outcome(events=events, parser=events[0].parser)
    return results


def _check_failed_recipients(raw, mail, cap: int) -> None:
    """Refuse before the dialects run when X-Failed-Recipients alone names more recipients
    than the cap: more addresses (a 3.9 MB header made 200,000 recipient reports, +1 GB,
    before any cap), or more entries, with an "@" or not (the Exim dialect makes a recipient
    of each: "a@b, x, x, ..." with 2,000,000 "x" took 8 s and +589 MB). Entries are counted
    lazily and only up to the cap; the header is never split into a list."""
    if "x-failed-recipients" not in mail.header_names:
        return   # absent (nearly always): one look-up in the view's name index
    value = mail.get("X-Failed-Recipients")
    if not isinstance(value, str):
        return
    if "=?" in value:
        value = mail.header("X-Failed-Recipients")  # what the dialects read: encoded-words
    addresses = value.count("@")
    if addresses > cap:
        named = f"{addresses} addresses"
    elif next(islice(list_items(value), cap, None), None) is not None:
        named = f"more than {cap} entries"
    else:
        return
    raise LimitExceeded(
        f"X-Failed-Recipients names {named}, over the {cap} recipient cap "
        "(limits.max_recipients_per_input)", raw_sha256=raw.sha256, parser="dsn")


@register("dsn", family="email", order=50, detect=_always, many=handle_many)
def handle(raw, msg, settings) -> Outcome | None:
    result = handle_many([(raw, msg)], settings)[0]
    if isinstance(result, Exception):
        raise result
    return result
