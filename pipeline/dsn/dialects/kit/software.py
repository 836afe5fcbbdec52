"""Kit part for MTA-software bounces (lhost_postfix.py, lhost_exim.py, ...). Used through
`dialects.kit`. What software bounces need: newline-agnostic decoded text, a DSN block splitter that tolerates Postfix's
Final-Recipient-then-Original-Recipient order and missing blank lines, the returned message's
headers from an attached part or from text after a marker, and the final tidy-up of each
recipient (status and reply code from the diagnostic text when the fields lack them).
Nothing here raises on bad input.
"""
from __future__ import annotations

import email.message
import re

from ....mime.flatten import flat_text
from ....mime.view import MailView, normalise_newlines
from ...fields import value_type
from ....mime.codes import reply_code_in, status_in
from ....mime.dates import parse_date
from ....mime.headers import fold, parse_fields
from ....mime.returned import original_from_text, original_message, RETURNED_TYPES
from ....mime.transfer import message_text
from ...model import BounceReport, OriginalMessage, RecipientReport
from ...rfc3464 import block_fields
from .views import part_text_memo, view_memo

# The look-behind makes a match start only at a token boundary: linear time on long tokens.
EMAIL = re.compile(r"(?<![^\s<>\"'(),;:\[\]])[^\s<>\"'(),;:\[\]@]+@"
                   r"[A-Za-z0-9][A-Za-z0-9.\-]*[A-Za-z0-9]")
# SMTP commands as MTAs write them in an error message (go-sisimai / Sisimai::SMTP::Command
# `Detectable`, BSD-2-Clause): upper case, a bare word only between non-word characters, so
# that prose ("receiving mail too quickly", "Mail server ...") and host or address parts
# ("mta1012.mail.gq1.yahoo.com", "DATABASE@...") name none. Lower-case "mail from:" /
# "rcpt to:" count before an address only, and Exim's "after end of data" is DATA.
_COMMAND = re.compile(r"(?<![\w@.\-])(HELO|EHLO|STARTTLS|AUTH|MAIL|RCPT|"
                      r"DATA|RSET|QUIT|XFORWARD|CONN)(?![\w@.\-])"
                      r"|(?i:\b(mail from|rcpt to):\s*<)|(?i:\b(end of data)\b)")
# session order: a message naming several commands failed at the latest one (Sisimai returns
# the last one of its `Detectable` list found)
_SESSION_ORDER = {name: rank for rank, name in enumerate(
    ("CONN", "HELO", "EHLO", "STARTTLS", "AUTH", "XFORWARD", "MAIL", "RCPT", "DATA", "RSET",
     "QUIT"))}
DSN_TYPES = ("message/delivery-status", "message/global-delivery-status")
_RETURNED_TYPES = ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers",
                   "message/global", "message/global-headers", "message/partial")
_RECIPIENT_FIELDS = ("final-recipient", "original-recipient", "x-actual-recipient")
_RECIPIENT_START = frozenset(_RECIPIENT_FIELDS[:2])
# Fields RFC 3464 defines only per recipient (section 2.3): never a report's per-message field.
_PER_RECIPIENT_ONLY = frozenset({"action", "status", "remote-mta", "diagnostic-code",
                                 "last-attempt-date", "final-log-id", "will-retry-until"})


def nl(text: str) -> str:
    if text and "\r" not in text:   # nothing to change: one memchr instead of a regex pass
        return text
    return normalise_newlines(text)


def text_of(part: email.message.Message) -> str:
    """Decoded text of one leaf part, newlines normalised; never raises. Latin-1 last: these
    MTAs' bodies are ASCII or a Western charset, and latin-1 decodes any byte.
    Memoised on the part: body_text() and all_text() decode the same first text part."""
    return part_text_memo(part, "_dsn_text_of", fallbacks=("utf-8", "latin-1"))


def body_text(mail: MailView) -> str:
    """The first text part (plain preferred), or the whole body of a single-part message.
    Memoised on the view: most dialects ask for it."""
    return view_memo(mail, "_lhost_body_text", _body_text)


def _body_text(mail: MailView) -> str:
    msg = mail.msg
    try:
        if not msg.is_multipart():
            return text_of(msg)
        html = ""
        for ctype, part in mail.part_types:   # the view's parts with their types, computed once
            if part.is_multipart():
                continue
            if ctype == "text/plain":
                return text_of(part)
            if ctype == "text/html" and not html:
                html = text_of(part)
        return html
    except Exception:  # noqa: BLE001
        return ""


def all_text(mail: MailView) -> str:
    """Every text/* and delivery-status leaf joined (not the returned message), normalised.
    Memoised on the view: most dialects ask for it."""
    return view_memo(mail, "_lhost_all_text", _all_text)


def _all_text(mail: MailView) -> str:
    msg = mail.msg
    try:
        if not msg.is_multipart():
            return text_of(msg)
        chunks = []
        inside_returned = set()
        for ctype, part in mail.part_types:   # the view's parts with their types, computed once
            if id(part) in inside_returned:
                continue
            if ctype in _RETURNED_TYPES or ctype in DSN_TYPES:
                try:
                    for sub in part.walk():
                        if sub is not part:
                            inside_returned.add(id(sub))
                except Exception:  # noqa: BLE001
                    pass
                if ctype in DSN_TYPES:
                    chunks.append(nl(message_text(part)))
                continue
            if part.is_multipart():
                continue
            if ctype.startswith("text/"):
                chunks.append(text_of(part))
        return "\n".join(chunks)
    except Exception:  # noqa: BLE001
        return ""


def unquote(text: str) -> str:
    """Undo one level of "> " quoting (a bounce forwarded inline by a person)."""
    out = []
    for line in text.split("\n"):
        if line.startswith("> "):
            line = line[2:]
        elif line.startswith(">"):
            line = line[1:]
        out.append(line)
    return "\n".join(out)


def raw_text(mail: MailView) -> str:
    """The whole message as text (for MIME structures the parser could not split), in
    linear time (`flat_text`, not the stdlib's quadratic `as_string()`)."""
    return nl(flat_text(mail.msg))


def dsn_blocks(text: str) -> tuple[dict[str, str], list[dict[str, str]]]:
    """Per-message fields and per-recipient field dicts of a DSN text.

    Blank lines separate groups. A group with a recipient field (Final- or Original-
    Recipient) is per-recipient, whatever the order of its fields: the fields before its first
    recipient field belong to that recipient (Exim writes Action/Status first; Facebook and
    Symantec Email Security.cloud put Diagnostic-Code and Status before Final-Recipient).
    Inside a group the same recipient field repeated starts a new recipient, so Postfix's
    Final-then-Original order stays one block. A group without one is per-message; when such a
    group is not the first and carries fields only a recipient has (Diagnostic-Code, Status,
    Action...), a stray blank line split a recipient's block (an unindented continuation line
    re-serialised by a relay or a mail library does this), so they also lead the next recipient.
    """
    message: dict[str, str] = {}
    blocks: list[dict[str, str]] = []
    group: list[tuple[str, str]] = []
    stray: list[tuple[str, str]] = []
    seen_group = False
    for name, value in parse_fields(text) + [("", "")]:   # normalises newlines itself
        if name:
            group.append((name, value))
            continue
        if not group:
            continue
        if not any(n in _RECIPIENT_START for n, _ in group):
            for n, v in group:
                message.setdefault(n, v)
            if seen_group:   # a recipient's own fields cut off from its recipient line
                stray += [(n, v) for n, v in group if n in _PER_RECIPIENT_ONLY]
            seen_group = True
            group = []
            continue
        seen_group = True
        current: dict[str, str] | None = None
        leading: list[tuple[str, str]] = stray
        stray = []
        for n, v in group:
            if n in _RECIPIENT_START:
                if current is None or n in current:
                    current = {}
                    blocks.append(current)
                    for ln, lv in leading:
                        _add_field(current, ln, lv)
                    leading = []
                current[n] = v
            elif current is None:
                leading.append((n, v))
            else:
                _add_field(current, n, v)
        group = []
    return message, blocks


def _add_field(block: dict[str, str], name: str, value: str) -> None:
    if name == "diagnostic-code" and name in block:
        block[name] = f"{block[name]} {value}"
    else:
        block.setdefault(name, value)


def block_report(block: dict[str, str], message: dict[str, str]) -> RecipientReport | None:
    """rfc3464.block_fields plus the diagnostic type, also kept in `extra` (no x- fields, no
    reply code: these MTAs' classifier input is the diagnostic itself)."""
    fields = block_fields(block, message)
    if fields is None:
        return None
    raw_diag = block.get("diagnostic-code", "")
    extra = {"diagnostic-type": value_type(raw_diag)} if raw_diag else {}
    return RecipientReport(**fields, diagnostic_type=extra.get("diagnostic-type") or None,
                           extra=extra)


def dsn_recipients(mail: MailView) -> list[RecipientReport]:
    """Recipients of the message/delivery-status part(s); [] when there is none."""
    out: list[RecipientReport] = []
    try:
        for part in mail.parts_of_type(*DSN_TYPES):
            message, blocks = dsn_blocks(message_text(part))
            out.extend(r for r in (block_report(b, message) for b in blocks) if r)
    except Exception:  # noqa: BLE001
        return out
    return out


_HEADER_LINE = re.compile(r"^[A-Za-z][A-Za-z0-9-]*:[ \t]")
_RETURNED_HEADER_START = re.compile(
    r"^(?:Received|Return-Path|From|Message-ID|Date|Subject|To|X-[A-Za-z0-9-]+):[ \t]", re.I)


def _from_first_header(text: str) -> str:
    """`text` from its first header-like line (skips "-----" rules and blank lines)."""
    # only the first 20 lines are candidates: split no further (the text may be a whole
    # returned message); the 21st piece is the rest, so the join below is unchanged
    lines = text.lstrip("\n").split("\n", 20)
    for i, line in enumerate(lines[:20]):
        if _HEADER_LINE.match(line):
            return "\n".join(lines[i:])
    return ""


def _returned_texts(mail: MailView) -> list[str]:
    """Returned headers the MIME parser did not recognise as such: a message/rfc822 part
    whose header block is empty (an extra blank line), or a later text part that starts
    with message headers (e.g. an attached "mailheaders.txt")."""
    out: list[str] = []
    first_text = True
    for ctype, part in mail.part_types:
        payload = part.get_payload()
        if ctype in _RETURNED_TYPES and isinstance(payload, list) and payload:
            inner = payload[0]
            if isinstance(inner, email.message.Message) and not inner.keys():
                body = inner.get_payload()
                if isinstance(body, str):
                    out.append(nl(body))
        elif ctype == "text/plain" and not part.is_multipart():
            if not first_text:
                text = text_of(part)
                if _RETURNED_HEADER_START.match(text.lstrip("\n")):
                    out.append(text)
            first_text = False
    return out


def original_of(mail: MailView, tail_text: str = "") -> OriginalMessage:
    """The returned message's headers: attached part first, then text after the dialect's
    marker, then headers the MIME parser did not recognise."""
    try:
        # the view's precomputed part types: the same parts, in order, as scanning mail.parts
        found = original_message(mail.parts_of_type(*RETURNED_TYPES))
    except Exception:  # noqa: BLE001
        found = OriginalMessage()
    if found.message_id or found.sender or found.subject:
        return found
    parsed = _original_in_text(tail_text)
    if parsed is not None:
        return parsed
    try:  # only when the dialect's own text had none: this walks every part
        candidates = _returned_texts(mail)
    except Exception:  # noqa: BLE001
        candidates = []
    for candidate in candidates:
        parsed = _original_in_text(candidate)
        if parsed is not None:
            return parsed
    return found


def _original_in_text(candidate: str) -> OriginalMessage | None:
    """The returned headers pasted in `candidate`, if they name a message id, sender or
    subject."""
    text = _from_first_header(candidate or "")
    if not text:
        return None
    try:
        parsed = original_from_text(text)
    except Exception:  # noqa: BLE001
        return None
    if parsed.message_id or parsed.sender or parsed.subject:
        return parsed
    return None


# What every match of _COMMAND contains: one of its upper-case words, or (case-insensitively)
# one of its phrases. Most diagnostics hold none, and testing that first is ~4x cheaper than
# the regex's scan (its leading look-behind leaves it no fast first-character skip).
_COMMAND_WORDS = tuple(_SESSION_ORDER)
_COMMAND_PHRASES = ("mail from", "rcpt to", "end of data")


def _may_name_command(text: str) -> bool:
    """False only when _COMMAND cannot match `text`. Non-ASCII text always says True: the
    regex's IGNORECASE also matches some non-ASCII letters (dotless "ı" for "i", ...)."""
    for word in _COMMAND_WORDS:
        if word in text:
            return True
    if not text.isascii():
        return True
    low = text.lower()
    return any(phrase in low for phrase in _COMMAND_PHRASES)


def command_in(text: str | None) -> str | None:
    """The SMTP command an error message names (`... after RCPT TO:<a@b>` -> RCPT)."""
    if not text or not _may_name_command(text):
        return None
    return latest_command(text)


def latest_command(text: str) -> str | None:
    """The latest command in session order among every match of _COMMAND in `text`: what
    command_in answers once its pre-test lets the text through (the test holds the two equal)."""
    latest = None
    for bare, address_form, end_of_data in _COMMAND.findall(text):
        name = bare or address_form.split(" ")[0].upper() or (end_of_data and "DATA")
        if latest is None or _SESSION_ORDER[name] > _SESSION_ORDER[latest]:
            latest = name
    return latest


# A diagnostic is an SMTP reply (a few lines; RFC 5321 caps a line at 512 octets) and a
# sentence or two around it. A dialect that reads "the text after the address" can be handed the
# rest of a hostile message for every recipient: past this many characters the text is no reply,
# and reading it per recipient made such input quadratic (a fuzz finding: 501 recipients of a
# 138 KB bounce took 4 s).
MAX_DIAGNOSTIC_CHARS = 4_000


def finish(r: RecipientReport) -> RecipientReport:
    """Fold the diagnostic; take status / reply code from it where the fields lack them."""
    if r.diagnostic and len(r.diagnostic) > MAX_DIAGNOSTIC_CHARS:
        r.diagnostic = r.diagnostic[:MAX_DIAGNOSTIC_CHARS]
    r.diagnostic = fold(r.diagnostic) or None
    r.recipient = (r.recipient or "").strip("<>.,;: ")
    if r.reply_code is None:
        r.reply_code = reply_code_in(r.diagnostic)
    if r.status is None:
        r.status = status_in(r.diagnostic)
    if r.command is None and r.diagnostic:
        r.command = command_in(r.diagnostic)
    return r


def build(dialect: str, provider: str, mail: MailView, recipients: list[RecipientReport],
          tail_text: str = "") -> BounceReport | None:
    recipients = [finish(r) for r in recipients if r.recipient and "@" in r.recipient]
    if not recipients:
        return None
    return BounceReport(dialect=dialect, recipients=recipients,
                        original=original_of(mail, tail_text), provider=provider,
                        date=parse_date(mail.header("Date")))


def dsn_report(dialect: str, provider: str, mail: MailView,
               notice: str = "") -> BounceReport | None:
    """A report from the message/delivery-status part, for MTAs whose bounces are standard
    RFC 3464; `notice` (the MTA's own error text) fills a missing Diagnostic-Code."""
    recipients = dsn_recipients(mail)
    for r in recipients:
        if not fold(r.diagnostic) and notice:
            r.diagnostic = notice
    return build(dialect, provider, mail, recipients)
