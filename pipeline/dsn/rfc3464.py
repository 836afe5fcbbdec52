"""RFC 3464 delivery status notifications (multipart/report; report-type=delivery-status).

The fallback parser after every registered dialect. Tolerant by design: the
message/delivery-status part may be base64/qp encoded, use CRLF or CR newlines, lack the blank
line between per-message and per-recipient fields, or sit in a text/plain part; one report per
recipient block. The returned message (message/rfc822 or text/rfc822-headers) gives the
original Message-ID, From, Subject, To, List-Id, Feedback-ID and X- tags.
"""
from __future__ import annotations

import re

from ..mime.view import MailView, normalise_newlines
from .fields import strip_type, value_type
from ..mime.addresses import address
from ..mime.codes import reply_code_in, status_in
from ..mime.dates import parse_date
from ..mime.headers import fold, parse_fields
from ..mime.returned import original_message, RETURNED_TYPES
from ..mime.transfer import message_text
from .model import BounceReport, RecipientReport

NAME = "rfc3464"

# RFC 3464 section 2.2 (per-message) and 2.3 (per-recipient) field names, lower case.
PER_MESSAGE = {"reporting-mta", "dsn-gateway", "received-from-mta", "arrival-date",
               "original-envelope-id"}
RECIPIENT_START = {"final-recipient", "original-recipient"}
_DSN_PART_TYPES = ("message/delivery-status", "message/global-delivery-status")
_HAS_DSN_FIELDS = re.compile(r"^(?:final|original)-recipient\s*:", re.I | re.M)


def dsn_text(mail: MailView) -> str | None:
    """Text of the delivery-status part; failing that, a text part holding DSN fields."""
    parts = mail.parts_of_type(*_DSN_PART_TYPES)
    if parts:
        return "\n\n".join(message_text(p) for p in parts)
    text = normalise_newlines(mail.full_text)   # "^" of the field test needs LF line ends
    return text if _HAS_DSN_FIELDS.search(text) else None


def split_blocks(fields: list[tuple[str, str]]) -> tuple[dict[str, str], list[dict[str, str]]]:
    """Per-message fields and one dict per recipient block.

    Blank lines separate paragraphs; a paragraph without Final-/Original-Recipient holds
    per-message fields. Inside a paragraph a recipient field that the current block already
    has starts a new block (so a missing blank line between recipients is tolerated), and
    fields before the paragraph's first recipient field belong to its first block (some MTAs
    put Final-Recipient last). RFC 3464 per-message names always go to the message dict."""
    message: dict[str, str] = {}
    blocks: list[dict[str, str]] = []
    paragraph: list[tuple[str, str]] = []

    def flush() -> None:
        if not paragraph:
            return
        if not any(n in RECIPIENT_START for n, _ in paragraph):
            for n, v in paragraph:
                message.setdefault(n, v)
            paragraph.clear()
            return
        current: dict[str, str] = {}
        own: list[dict[str, str]] = []   # this paragraph's blocks
        pending: list[tuple[str, str]] = []
        started = False
        for name, value in paragraph:
            if name in PER_MESSAGE and name != "arrival-date":
                message.setdefault(name, value)
                continue
            if name in RECIPIENT_START:
                if name in current:
                    own.append(current)
                    current = {}
                started = True
                current.setdefault(name, value)
                continue
            if not started:
                pending.append((name, value))
                continue
            if name == "diagnostic-code" and name in current:
                current[name] = f"{current[name]} {value}"
            else:
                current.setdefault(name, value)
        own.append(current)
        for name, value in pending:
            own[0].setdefault(name, value)
        blocks.extend(own)
        paragraph.clear()

    for name, value in fields:
        if not name:
            flush()
            continue
        paragraph.append((name, value))
    flush()
    return message, blocks


def block_fields(block: dict[str, str], message: dict[str, str]) -> dict | None:
    """The RecipientReport fields every reader of a delivery-status block fills the same way
    (recipient, action, status, diagnostic, MTAs, dates); None when it names no recipient.
    Per-recipient fields fall back to the per-message block (`message`)."""
    get = block.get
    recipient = address(get("final-recipient"))
    if not recipient or "." not in recipient.rpartition("@")[2]:
        # no Final-Recipient, or one at an MTA-internal pseudo domain (Sun/Oracle Messaging
        # Server's "user@ims_daemon", "user@sims-ms-daemon"): the Original-Recipient is the
        # address the sender wrote
        original = address(get("original-recipient"))
        if original and (not recipient or "." in original.rpartition("@")[2]):
            recipient = original
    if not recipient:
        return None
    raw_diag = get("diagnostic-code", "")
    status = get("status")
    action = get("action")
    # absent fields skip the fold/regex helpers: they would all give None
    remote_mta = get("remote-mta")
    reporting_mta = get("reporting-mta") or message.get("reporting-mta")
    last_attempt = get("last-attempt-date")
    return {
        "recipient": recipient,
        "action": (fold(action).lower().split(" ")[0] or None) if action else None,
        "status": status_in(status) if status else None,
        "diagnostic": strip_type(raw_diag) or None if raw_diag else None,
        "remote_mta": strip_type(remote_mta) or None if remote_mta else None,
        "reporting_mta": strip_type(reporting_mta) or None if reporting_mta else None,
        "arrival_date": parse_date(get("arrival-date") or message.get("arrival-date")),
        "last_attempt": parse_date(last_attempt) if last_attempt else None,
    }


def recipient_report(block: dict[str, str], message: dict[str, str]) -> RecipientReport | None:
    fields = block_fields(block, message)
    if fields is None:
        return None
    raw_diag = block.get("diagnostic-code", "")
    diagnostic = fields["diagnostic"]
    extra = {k: fold(v) for k, v in block.items() if k.startswith("x-")}
    extra.update({f"msg.{k}": fold(v) for k, v in message.items() if k.startswith("x-")})
    if block.get("original-recipient"):
        extra["original-recipient"] = address(block["original-recipient"]) or ""
    return RecipientReport(
        **fields,
        reply_code=reply_code_in(diagnostic) if diagnostic else None,
        diagnostic_type=value_type(raw_diag) if raw_diag else None,
        extra=extra,
    )


def parse_dsn_text(text: str) -> tuple[dict[str, str], list[RecipientReport]]:
    message, blocks = split_blocks(parse_fields(text))
    reports = [r for r in (recipient_report(b, message) for b in blocks) if r is not None]
    return message, reports


# go-sisimai rfc3464/lib.go: lines of the human-readable part that are boilerplate, not an error.
_DONT_APPEND = ("Content-", "This is a MIME", "This is a multi", "This is an auto",
                "This multi-part", "###", "***", "--")


_FIRST_DSN_FIELD = re.compile(r"^(?:reporting-mta|final-recipient|original-recipient)\s*:",
                              re.I | re.M)


def _lead_in_lines(text: str) -> str:
    chunks = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(_DONT_APPEND):
            continue
        if "--- The follow" in line or "--- Transcript" in line:
            continue
        chunks.append(line)
    return fold(" ".join(chunks))[:4000]   # fold(): the same whitespace collapse, faster


def lead_in(mail: MailView) -> str:
    """The human-readable text before the delivery-status part (boilerplate lines dropped).

    With a single recipient go-sisimai classifies this text together with the
    Diagnostic-Code: some MTAs put the real reason only there."""
    chunks: list[str] = []
    inside_returned = False
    for ctype, part in mail.part_types:
        if ctype in _DSN_PART_TYPES:
            break
        if ctype in RETURNED_TYPES:
            inside_returned = True
        if inside_returned or ctype != "text/plain" or part.is_multipart():
            continue
        chunks.append(_lead_in_lines(message_text(part)))
        if sum(map(len, chunks)) > 4000:
            break
    return " ".join(c for c in chunks if c)[:4000]


def inquire(mail: MailView) -> BounceReport | None:
    """Parse a standard DSN; None when the message has no per-recipient DSN fields."""
    text = dsn_text(mail)
    if not text:
        return None
    message, reports = parse_dsn_text(text)
    if not reports:
        return None
    if len(reports) == 1:
        if mail.parts_of_type(*_DSN_PART_TYPES):
            context = lead_in(mail)
        else:  # DSN fields inside a text body: the lead-in is the text before them
            m = _FIRST_DSN_FIELD.search(text)
            context = _lead_in_lines(text[: m.start()] if m else "")
        if context:
            reports[0].extra["lead-in"] = context
    return BounceReport(
        dialect=NAME,
        recipients=reports,
        original=original_message(mail.parts_of_type(*RETURNED_TYPES)),
        date=parse_date(message.get("arrival-date")) or parse_date(mail.header("Date")),
    )
