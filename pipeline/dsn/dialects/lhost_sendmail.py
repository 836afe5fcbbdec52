"""Sendmail (V8) bounces: "Returned mail: see transcript for details" / "Warning: ...".

Format facts from go-sisimai `lhost/via-sendmail.go` (BSD-2-Clause): the subject, the
"----- Transcript of session follows -----" start line, the ">>> COMMAND" / "<<< reply" SMTP
transcript lines, "... while talking to host:" and "<rcpt>... Deferred: ..." error lines. The
RFC 3464 part carries the recipients; the transcript supplies the remote server's reply where
the Diagnostic-Code is missing or only a number (a local mailer's exit status).
"""
from __future__ import annotations

import re

from ...mime.view import MailView
from ..model import BounceReport, RecipientReport
from . import dialect
from .kit import (
    address,
    all_text,
    block_report as _block_report,
    build,
    command_in,
    dsn_blocks,
    fold,
    reply_code_in,
    status_in,
    unquote,
)

NAME = "lhost-sendmail"
TRANSCRIPT = "----- Transcript of session follows -----"
WHILE_TALKING = "... while talking to "
_REPLY_STATUS = re.compile(r"^\s*[245]\d\d[ -]+[245]\.\d{1,3}\.\d{1,3}\b")
_RCPT_ERROR = re.compile(r"^<([^<>\s@]+@[^<>\s]+)>\.\.\.\s*(.*)$")
_REPLY = re.compile(r"(?<![\d.])([245]\d\d)(?![\d.])")
_COMMAND = re.compile(r"^>>>\s*([A-Za-z]+(?: (?:FROM|TO))?)", re.I)


def _is_sendmail(mail: MailView) -> bool:
    if "x-aol-ip" in mail.header_names and mail.header("X-AOL-IP"):
        return False
    subject = mail.subject
    return subject.startswith("Warning: ") or subject.endswith("see transcript for details")


def _transcript(text: str) -> tuple[list[str], str | None, str, str | None]:
    """(server replies, first client command, other error text, status in that text)."""
    replies: list[str] = []
    command: str | None = None
    other: list[str] = []
    other_status: str | None = None
    talking = False
    started = False
    for line in text.split("\n"):
        if not started:
            started = TRANSCRIPT in line
            continue
        if not line or line[0] == " " or line[0] == "\t":
            continue
        if line.startswith(">>> "):
            m = _COMMAND.match(line)
            if m and command is None:
                command = m.group(1).split(" ")[0].upper()
        elif line.startswith("<<< "):
            if line[4:] not in replies:
                replies.append(line[4:])
        elif not talking:
            if line.startswith(WHILE_TALKING):
                talking = True
                continue
            m = _RCPT_ERROR.match(line)
            if m:
                other = [m.group(2)]
            elif _REPLY_STATUS.match(line):
                other_status = status_in(line)
                other.append(line)
            elif line.startswith(("Message: ", "Warning: ")):
                other.append(line)
    return replies, command, fold(" ".join(other)), other_status


def _reply_matching(text: str, status: str | None) -> int | None:
    """First reply code in text of the status's class (a transcript may hold a 4xx retry
    before the 5xx that failed), else the first one."""
    codes = [int(c) for c in _REPLY.findall(text or "")]
    for code in codes:
        if status and str(code)[0] == status[0]:
            return code
    return codes[0] if codes else None


@dialect(NAME)
def inquire(mail: MailView) -> BounceReport | None:
    if not _is_sendmail(mail):
        return None
    text = all_text(mail)
    if TRANSCRIPT not in text:
        return None
    if f"> {TRANSCRIPT}" in text or f">    {TRANSCRIPT}" in text:
        text = unquote(text)     # forwarded inline by a person
    message, blocks = dsn_blocks(text.split(TRANSCRIPT, 1)[1])
    recipients: list[RecipientReport] = [
        r for r in (_block_report(b, message) for b in blocks) if r is not None]
    if not recipients:
        return None
    replies, command, other, other_status = _transcript(text)
    for r in recipients:
        diag = fold(r.diagnostic)
        if diag and not diag.isdigit():
            r.reply_code = reply_code_in(diag)     # what the Diagnostic-Code field states
        if other and (not diag or diag.isdigit()):
            diag = other
        if replies and len(recipients) == 1:
            diag = fold(" ".join(replies) + " " + diag)
        r.diagnostic = diag or None
        # A reply with no command sent yet is the greeting: via-sendmail.go calls it EHLO.
        r.command = command or command_in(diag) or ("EHLO" if replies else None)
        if other_status and not r.status:
            r.status = other_status
        if r.reply_code is None:
            r.reply_code = _reply_matching(diag, r.status)
        if r.recipient.startswith("@"):
            r.recipient = address(diag) or r.recipient
    return build(NAME, "sendmail", mail, recipients)
