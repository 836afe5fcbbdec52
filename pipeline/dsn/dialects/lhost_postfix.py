"""Postfix bounces: "Undelivered Mail Returned to Sender" and "SMTP server: errors from".

Format facts from go-sisimai `lhost/via-postfix.go` and Postfix bounce(5) (BSD-2-Clause /
IPL): the notification text ("<rcpt>: host mx[ip] said: 550 5.1.1 ... (in reply to RCPT TO
command)") complements the message/delivery-status part, whose Diagnostic-Code may be missing,
only a number, or shorter than the notice. "--- Delivery report unavailable ---" leaves only
the returned message's To:. The "errors from" notice is an SMTP transcript (In:/Out:).
"""
from __future__ import annotations

import re

from ...mime.view import MailView
from ..model import BounceReport, RecipientReport
from . import dialect
from .kit import (
    EMAIL,
    address,
    all_text,
    block_report as _block_report,
    body_text,
    build,
    command_in,
    dsn_blocks,
    fold,
    original_of,
    reply_code_in,
    status_in,
)

NAME = "lhost-postfix"
SUBJECT = "Undelivered Mail Returned to Sender"
SUBJECT_SMTPD = "SMTP server: errors from "
# "The Postfix program", "The mail system", "This is the mail system at host ..."
_START = re.compile(r"^[ \t]*(?:The .*(?:Postfix |mail system|program)|This is the .*(?:Postfix|"
                    r"mail system))", re.M)
_NOTICE = re.compile(r"^<([^<>\s]+)>(?: \(expanded from <([^<>]*)>\))?:\s*(.*)$")
_IN_REPLY = re.compile(r"\(in reply to (.+?) command\)", re.I)
_TRANSCRIPT_IN = re.compile(r"^\s*In:\s*(RCPT TO:\s*<?([^>\s]+)>?|[A-Z]+.*)$", re.I)
_TRANSCRIPT_OUT = re.compile(r"^\s*Out:\s*([245]\d\d)[ -](.*)$")


def _notices(text: str) -> tuple[dict[str, str], bool]:
    """({recipient: its error text}, delivery report unavailable) from the notification
    text: one "<rcpt>: error" paragraph per recipient, in order. Each recipient's own text
    only: a multi-recipient bounce gives each its own status (one recipient's 5.1.1 is not
    its neighbour's)."""
    m = _START.search(text)
    if not m:
        return {}, False
    found: dict[str, str] = {}
    recipient: str | None = None
    diag: list[str] = []
    unavailable = False
    rest = text[m.end():]
    # one lower() of the whole rest instead of one per line: the ASCII phrase is in some
    # line's lower() only if it is in the whole text's lower()
    maybe_unavailable = "delivery report unavailable" in rest.lower()

    def keep() -> None:
        if recipient is not None:
            found.setdefault(recipient, fold(" ".join(diag)))

    for line in rest.split("\n"):
        if maybe_unavailable and "delivery report unavailable" in line.lower():
            # bounce_notify_util.c
            unavailable = True
            continue
        if line.startswith("Reporting-MTA:") or line.startswith("Final-Recipient:"):
            break
        n = _NOTICE.match(line)
        if n and "@" in n.group(1):
            keep()
            recipient, diag = n.group(1), [n.group(3)]
            continue
        if recipient is None or not diag:
            continue
        if line.startswith("    ") or "(in reply to " in line or "command)" in line:
            diag.append(line.strip())     # the wrapped reply, indented or not
        elif not line.strip():
            keep()
            recipient, diag = None, []
    keep()
    return found, unavailable


def _own_notice(r: RecipientReport, notices: dict[str, str], alone: bool) -> str:
    """The notice paragraph of recipient `r` (by its address, case-insensitively); with a
    single recipient and a single notice, that notice (an alias the notice names by its
    expansion)."""
    wanted = (address(r.recipient) or r.recipient or "").lower()
    for rcpt, text in notices.items():
        if rcpt.lower() == wanted:
            return text
    if alone and len(notices) == 1:
        return next(iter(notices.values()))
    return ""


def _smtpd_transcript(text: str) -> list[RecipientReport]:
    """The "errors from" notice: recipients from `In: RCPT TO:<a>`, errors from `Out: 5xx`."""
    out: list[RecipientReport] = []
    current: RecipientReport | None = None
    command = None
    for line in text.split("\n"):
        m = _TRANSCRIPT_IN.match(line)
        if m:
            command = command_in(m.group(1))
            if m.group(2) and "@" in m.group(2):
                current = RecipientReport(recipient=m.group(2))
                out.append(current)
            continue
        m = _TRANSCRIPT_OUT.match(line)
        if m and current is not None and int(m.group(1)) >= 400 and not current.diagnostic:
            current.diagnostic = fold(line.split(":", 1)[1])
            current.command = command
    return out


def _merge(r: RecipientReport, notice: str, commands: list[str]) -> None:
    diag = fold(r.diagnostic)
    if notice:
        found_status = found_reply = None
        if not r.status or r.status.endswith(".0.0"):
            found_status = status_in(notice)
            if found_status and not found_status.endswith(".0.0"):
                r.status = found_status
        code = reply_code_in(notice)
        if code and code % 100:
            found_reply = code
            r.reply_code = code
        if not diag or diag.isdigit():
            diag = notice
        elif (found_status or found_reply) and diag in notice:
            diag = notice
    r.diagnostic = diag or None
    if r.diagnostic_type == "X-POSTFIX" or (not r.diagnostic_type and "host " in diag
                                             and " said:" in diag):
        r.diagnostic_type = "SMTP"        # via-postfix.go: Postfix's own type means SMTP
    if commands:
        r.command = commands[0]
    elif "refused to talk to me:" in diag:
        r.command = "HELO"


@dialect(NAME)
def inquire(mail: MailView) -> BounceReport | None:
    subject = mail.subject
    if "x-aol-ip" in mail.header_names and mail.header("X-AOL-IP"):
        return None
    if SUBJECT_SMTPD in subject:
        return build(NAME, "postfix", mail, _smtpd_transcript(body_text(mail)))
    if subject != SUBJECT:
        return None
    text = all_text(mail)
    message, blocks = dsn_blocks(text)
    recipients = [r for r in (_block_report(b, message) for b in blocks) if r is not None]
    notices, unavailable = _notices(body_text(mail) or text)
    if not recipients:
        if notices:
            recipients = [RecipientReport(recipient=rcpt) for rcpt in notices]
        elif unavailable:
            to = original_of(mail).to
            if to:
                recipients = [RecipientReport(recipient=to)]
    alone = len(recipients) == 1
    for r in recipients:
        notice = _own_notice(r, notices, alone)
        commands = [fold(c).split(" ")[0].upper() for c in _IN_REPLY.findall(notice)]
        _merge(r, notice, commands)
        if "@" not in r.recipient:
            r.recipient = address(r.recipient) or (EMAIL.search(notice or "") or [""])[0]
    return build(NAME, "postfix", mail, recipients)
