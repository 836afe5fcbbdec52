"""Kit part for mail-provider bounces (Gmail, Yahoo, KDDI, SES, ...): robust decoding of
Japanese bodies, the body's text parts (broken multiparts included), the returned message's
headers from an attached part or from text pasted after a marker, RFC 3464 field groups
written as plain text, and the report. Used through `dialects.kit`.
"""
from __future__ import annotations

import email.message

from ....mime.view import MailView
from ....mime.returned import original_from_text as _original_from_header_block
from ....mime.codes import status_in
from ....mime.dates import parse_date
from ....mime.headers import parse_fields
from ....mime.returned import original_message, RETURNED_TYPES
from ...model import BounceReport, OriginalMessage, RecipientReport
from ...rfc3464 import recipient_report
from .views import part_text_memo

# Charsets tried, in order, when the declared one fails: Japanese carriers label Shift_JIS or
# EUC-JP bodies as ISO-2022-JP (and use NEC/IBM extensions plain iso2022_jp rejects).
_FALLBACK_CHARSETS = ("utf-8", "iso2022_jp_ext", "iso2022_jp_2", "cp932", "euc_jp")
_CHARSET_ALIASES = {"iso-2022-jp": "iso2022_jp_ext", "shift_jis": "cp932", "sjis": "cp932",
                    "x-sjis": "cp932", "unicode-1-1-utf-7": "utf-7", "x-unknown": "utf-8"}


def provider_part_text(part: email.message.Message) -> str:
    """Decoded text of one non-multipart part; never raises, newlines normalised.
    Memoised on the part: several provider dialects read the same text part."""
    return part_text_memo(part, "_dsn_part_text", fallbacks=_FALLBACK_CHARSETS,
                          aliases=_CHARSET_ALIASES)


def _walked_types(msg: email.message.Message) -> list[tuple[str, email.message.Message]] | None:
    """(content type, part) of every part of `msg` in walk() order, from the shared MailView
    (walked and typed once per message, not once per dialect); None when the view could not
    walk the message (its parts fell back to [msg]): the caller walks it itself then."""
    view = MailView.of(msg)
    parts = view.parts
    if len(parts) == 1 and msg.is_multipart():
        return None
    return view.part_types


def plain_text(mail: MailView) -> str:
    """Text of the first text/plain leaf (the whole body when the message is not multipart)."""
    msg = mail.msg
    try:
        if not msg.is_multipart():
            return provider_part_text(msg)
        typed = _walked_types(msg)
        if typed is not None:
            for ctype, part in typed:
                if ctype == "text/plain" and not part.is_multipart():
                    return provider_part_text(part)
            return ""
        for part in msg.walk():
            if part.get_content_type() == "text/plain" and not part.is_multipart():
                return provider_part_text(part)
    except Exception:  # noqa: BLE001 - pathological MIME
        return ""
    return ""


def provider_text(mail: MailView) -> str:
    """Every textual leaf of the bounce itself joined (returned messages excluded), including
    multipart parts the stdlib could not split (their payload stays a string: some carriers
    send broken multipart/alternative boundaries); Japanese charsets decoded robustly."""
    msg = mail.msg
    chunks: list[str] = []

    def visit(part: email.message.Message, depth: int) -> None:
        payload = part.get_payload()
        if isinstance(payload, str):
            if part.get_content_maintype() in ("text", "multipart"):
                chunks.append(provider_part_text(part))
            return
        if depth > 20 or part.get_content_maintype() == "message":
            return
        for sub in payload if isinstance(payload, list) else []:
            if isinstance(sub, email.message.Message):
                visit(sub, depth + 1)

    try:
        visit(msg, 0)
    except Exception:  # noqa: BLE001 - pathological MIME
        pass
    return "\n".join(chunks)


def pasted_original(text: str) -> OriginalMessage:
    """OriginalMessage from a returned message pasted as text after a marker line."""
    if not text.strip():
        return OriginalMessage()
    try:
        return _original_from_header_block(text.lstrip("\n"))
    except Exception:  # noqa: BLE001 - garbage after the marker is not fatal
        return OriginalMessage()


def provider_original(mail: MailView, tail_text: str = "") -> OriginalMessage:
    """The returned message's headers: attached part first, pasted text second."""
    msg = mail.msg
    try:
        typed = _walked_types(msg)
        if typed is None:
            found = original_message(list(msg.walk()))
        else:   # original_message() of the parts that can match: the same first part
            found = original_message([p for t, p in typed if t in RETURNED_TYPES])
    except Exception:  # noqa: BLE001
        found = OriginalMessage()
    if found.message_id or found.sender or found.subject:
        return found
    return pasted_original(tail_text) if tail_text else found


def specific_status(stated: str | None, diagnostic: str | None) -> str | None:
    """The stated Status, or a more specific code from the diagnostic when the stated one is
    missing or only a class (x.0.0)."""
    status = status_in(stated) if stated else None
    if status and not status.endswith(".0.0"):
        return status
    return status_in(diagnostic) or status


def ds_recipients(text: str) -> list[RecipientReport]:
    """Recipient reports from RFC 3464 fields, grouped by blank lines: a group without a
    recipient field is per-message; a group with one is a recipient (several when it repeats
    Final-Recipient). Field order inside a group does not matter (SES puts Action first,
    Original-Recipient follows Final-Recipient)."""
    message: dict[str, str] = {}
    blocks: list[dict[str, str]] = []
    group: list[tuple[str, str]] = []
    for name, value in parse_fields(text) + [("", "")]:
        if name:
            group.append((name, value))
            continue
        if not group:
            continue
        names = {n for n, _ in group}
        if "final-recipient" in names or "original-recipient" in names:
            block: dict[str, str] | None = None
            for n, v in group:
                if block is None or (n == "final-recipient" and n in block):
                    block = {}
                    blocks.append(block)
                if n == "diagnostic-code" and n in block:
                    block[n] = f"{block[n]} {v}"
                else:
                    block.setdefault(n, v)
        else:
            for n, v in group:
                message.setdefault(n, v)
        group = []
    out = []
    for block in blocks:
        try:
            rcpt = recipient_report(block, message)
        except Exception:  # noqa: BLE001 - one broken block must not lose the others
            rcpt = None
        if rcpt is not None:
            out.append(rcpt)
    return out


def report(dialect: str, provider: str, recipients: list[RecipientReport],
           original: OriginalMessage | None, date_header: str | None) -> BounceReport | None:
    recipients = [r for r in recipients if r.recipient]
    if not recipients:
        return None
    return BounceReport(dialect=dialect, recipients=recipients,
                        original=original or OriginalMessage(), provider=provider,
                        date=parse_date(date_header))
