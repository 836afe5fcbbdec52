"""RecipientReport + classification -> MailEvent. Shared by the DSN, ARF and auto-reply
handlers so every event is built (ids, normalisation, tags) the same way."""
from __future__ import annotations

import re
from datetime import datetime

from pipeline.version import CLASSIFIER_VERSION
from schemas.models import MailEvent, RawMessage
from schemas.vocab import SourceKind

from ..classify import Facts, Verdict
from ..classify.status_map import prefer
from ..mime.addresses import normalise_address
from ..mime.codes import reply_code_in, status_in
from ..mime.headers import fold
from ..mime.returned import TAG_HEADERS
from .model import BounceReport, RecipientReport

_HTML = re.compile(r"<html>.*?</html>", re.I | re.S)
# SMTP commands as dialects may state them ("RCPT TO", "end of DATA", "END") -> one word.
_COMMANDS = ("CONN", "EHLO", "HELO", "STARTTLS", "AUTH", "MAIL", "RCPT", "DATA", "BDAT", "QUIT")
# the commands that normalise to themselves
_AS_STATED = frozenset(_COMMANDS)
_IN_REPLY_TO = re.compile(r"in reply to (?:the )?(end of data|[a-z]+)\b", re.I)


def smtp_command(stated: str | None, diagnostic: str | None) -> str | None:
    """Normalise the failed SMTP command; fall back to Postfix's "(in reply to X command)"."""
    if stated in _AS_STATED:
        return stated  # already one word (most dialects state it so)
    text = (stated or "").strip().upper()
    guessed = False
    if not text and diagnostic:
        # cheap negative test first: "reply to" has no letter that re.I matches beyond
        # what lower() maps to it, so no hit here means no regex match
        m = _IN_REPLY_TO.search(diagnostic) if "reply to" in diagnostic.lower() else None
        text, guessed = (m.group(1).upper() if m else ""), True
    if not text:
        return None
    if text in ("END", "END OF DATA", ".") or "DATA" in text:
        return "DATA"
    for cmd in _COMMANDS:
        if text.startswith(cmd):
            return cmd
    return None if guessed else text


def clean_diagnostic(diag: str | None, reply: int | None, status: str | None) -> str | None:
    """Fold whitespace, drop inline HTML and the repeated `550-5.7.1` prefixes of multi-line
    replies (go-sisimai fact/rise.go DIAGNOSTICCODE), keeping one `550 5.7.1` at the head."""
    if not diag:
        return None
    text = fold(diag)
    if "<" in text and "<html>" in text.lower():
        text = _HTML.sub(" ", text)
    if reply and f"{reply}-" in text:
        code = str(reply)
        for sep in ("-", " "):
            if status:
                text = text.replace(f"{code}{sep}{status}", "")
            text = text.replace(f"{code}{sep}", "")
        text = fold(text)
        text = f"{code} {status or ''} {text}".replace("  ", " ").strip()
    return text or None


def facts_for(rep: RecipientReport, report: BounceReport) -> Facts:
    """The classifier's input: status preferred per go-sisimai `status.Prefer`, reply code
    from the report or the diagnostic, cleaned diagnostic."""
    diag = rep.diagnostic
    extra = rep.extra
    # the helpers answer None for no text: skip the calls (this runs on every event)
    in_text = status_in(diag) if diag else None
    reply = rep.reply_code or (reply_code_in(diag) if diag else None)
    status = prefer(rep.status, in_text, reply)
    lead = extra.get("lead-in")
    command = smtp_command(rep.command, diag) or (smtp_command(None, lead) if lead else None)
    return Facts(
        recipient=rep.recipient,
        status=status,
        reply_code=reply,
        # no Diagnostic-Code: the human-readable lead-in is the diagnostic (go-sisimai does too)
        diagnostic=clean_diagnostic(diag or extra.get("lead-in", "")[:1000], reply, status),
        diagnostic_type=(rep.diagnostic_type or "").upper(),
        action=(rep.action or "").lower() or None,
        command=command,
        remote_mta=rep.remote_mta,
        reporting_mta=rep.reporting_mta,
        given_reason=rep.reason,
        given_rule=rep.reason_rule,
        feedback_type=rep.feedback_type,
        dialect=report.dialect,
        provider=report.provider,
        extra=extra,
    )


def _domain(address: str | None) -> str | None:
    return address.rsplit("@", 1)[1] if address and "@" in address else None


def _tag(report: BounceReport, kind: str) -> str | None:
    for name, value in report.original.tags.items():
        if TAG_HEADERS.get(name) == kind or (name not in TAG_HEADERS and kind in name):
            return value or None
    return None


# "<prefix>.<dialect>" names the parser of an event
_PARSER_PREFIX = {kind: "dsn" if kind == SourceKind.DSN else kind.value for kind in SourceKind}


class ReportFields:
    """What every event of one report shares (sender, tags, provenance...), worked out once
    per report rather than once per recipient; `event()` adds the recipient's own fields."""

    __slots__ = ("raw", "report", "fields")

    def __init__(self, raw: RawMessage, report: BounceReport, source_kind: SourceKind) -> None:
        original = report.original
        sender = normalise_address(original.sender)
        tags = {k: v for k, v in original.tags.items() if v} if original.tags else {}
        if original.feedback_id:
            tags["feedback-id"] = original.feedback_id
        has_tags = bool(original.tags)  # the tag look-ups below only when there are any
        self.raw = raw
        self.report = report
        self.fields = {
            "raw_sha256": raw.sha256,
            "received_at": raw.received_at,
            "source_kind": source_kind,
            "source": raw.source.label,
            "parser": f"{_PARSER_PREFIX.get(source_kind) or source_kind.value}.{report.dialect}",
            "sender": sender,
            "sender_domain": _domain(sender),
            "message_id": original.message_id,
            "subject": original.subject,
            "stream": _tag(report, "stream") if has_tags else None,
            "campaign": _tag(report, "campaign") if has_tags else None,
            "tenant": raw.tenant or (_tag(report, "tenant") if has_tags else None),
            "list_id": original.list_id,
            "tags": tags,
            "classifier_version": CLASSIFIER_VERSION,
        }

    def event(self, rep: RecipientReport, index: int, facts: Facts, verdict: Verdict, *,
              occurred_at: datetime | None = None,
              normalised_recipient: str | None = None) -> MailEvent:
        """`normalised_recipient`: `normalise_address(rep.recipient)` when the caller has it."""
        recipient = (normalised_recipient or normalise_address(rep.recipient)
                     or (rep.recipient or "").strip("<> ").lower())
        report = self.report
        shared = self.fields
        tags = shared["tags"]
        if rep.extra:
            arf = None  # a plain loop: most extras hold no arf.* field, and this runs per event
            for k, v in rep.extra.items():
                if k.startswith("arf.") and v:
                    if arf is None:
                        arf = {}
                    arf[k] = v
            if arf:
                tags = {**tags, **arf}  # validation copies the dict: the shared one stays as is
        # The validator itself: the same validation as MailEvent(**fields) or
        # MailEvent.model_validate(fields), without their Python-level argument handling
        return MailEvent.__pydantic_validator__.validate_python({
            **shared,
            "event_id": MailEvent.make_id(self.raw.sha256, index, recipient),
            "recipient_index": index,
            "occurred_at": (occurred_at or rep.arrival_date or rep.last_attempt or report.date
                            or self.raw.received_at),
            "provider": verdict.provider or report.provider,
            "category": verdict.category,
            "reason": verdict.reason,
            "recipient": recipient or None,
            "recipient_domain": _domain(recipient),
            "status": facts.status,
            "reply_code": facts.reply_code,
            "action": facts.action,
            "diagnostic": facts.diagnostic,
            "remote_mta": rep.remote_mta,
            "reporting_mta": rep.reporting_mta,
            "feedback_type": rep.feedback_type,
            "tags": tags,
            "rule": verdict.rule,
        })

