"""Exim bounces ("Mail delivery failed", "Message frozen", "Warning: message ... delayed").

Format facts and phrase tables from go-sisimai `lhost/via-exim.go` (BSD-2-Clause), which
quotes exim's deliver.c / route.c / transports: a plain-text notice listing each failed
address on a line indented by two spaces, its error on the following, deeper-indented lines,
then "------ This is a copy of the message, including all the headers. ------". Newer Exim
adds a message/delivery-status part; McAfee SaaS (MXLogic) runs an Exim clone.
"""
from __future__ import annotations

import re

from ...mime.view import MailView
from ..model import BounceReport, RecipientReport
from . import dialect
from .kit import (
    EMAIL,
    all_text,
    block_report as _block_report,
    build,
    command_in,
    dsn_blocks,
    first_phrase,
    fold,
    list_items,
    split_at,
    status_in,
    view_memo,
)

NAME = "lhost-exim"
SUBJECTS = ("Delivery Status Notification", "Mail delivery failed", "Mail failure",
            "Message frozen", "Warning: message ", "error(s) in forwarding or filtering")
RETURNED_MARKERS = ("------ This is a copy of the message, including all the headers. ------",
                    "----- This is a copy of the message, including all the headers. ------",
                    "------ This is a copy of the message's headers. ------",
                    "------ This is a copy of your message, including all the headers. ------",
                    "Content-Type: message/rfc822",
                    "Included is a copy of the message header:")
START_MESSAGES = ("This message was created automatically by mail delivery software.",
                  "A message that you sent was rejected by the local scannning code",
                  "A message that you sent contained one or more recipient addresses ",
                  "A message that you sent could not be delivered to all of its recipients",
                  " has been frozen", " was frozen on arrival",
                  " router encountered the following error(s):")
FROZEN = (" has been frozen", " was frozen on arrival")
# deliver.c warning_message: "A message that you sent has not yet been delivered to one or
# more of its recipients after more than ..."
WARNING_TEXT = "has not yet been delivered to one or more of its"
COMMAND_MARKERS = ("SMTP error from remote ", "LMTP error after ")
_AFTER_COMMAND = re.compile(r"error (?:from remote (?:mail )?server )?after ([A-Za-z][A-Za-z ]*?)"
                            r"(?=:|<| SIZE|$)")
# via-exim.go `messagesof`: exim's own error strings -> reason.
MESSAGES_OF: dict[str, tuple[str, ...]] = {
    "userunknown": ("user not found",),
    "hostunknown": ("all host address lookups failed permanently",
                    "all relevant MX records point to non-existent hosts",
                    "Unrouteable address"),
    "mailboxfull": ("mailbox is full", "error: quota exceed"),
    "notaccept": ("an MX or SRV record indicated no SMTP service",
                  "no host found for existing SMTP connection"),
    "syntaxerror": ("angle-brackets nested too deep", 'expected word or "<"',
                    "domain missing in source-routed address", "malformed address:"),
    "systemerror": ("delivery to file forbidden", "delivery to pipe forbidden",
                    "local delivery failed", "LMTP error after "),
    "contenterror": ('Too many "Received" headers',),
}
# via-exim.go `delayedfor`: retry.c / deliver.c / smtp.c texts of a message that timed out.
DELAYED_FOR = ("retry timeout exceeded", "No action is required on your part",
               "retry time not reached for any host after a long failure period",
               "all hosts have been failing for a long time and were last tried",
               "Delay reason: ", "has been frozen", "was frozen on arrival by ")
# Exim's own Message-IDs: "<E1P1YNN-0003AD-Ga@host>" (to 4.96), "<E1rXyZa-00000000AbC-1x2y@host>"
_EXIM_ID = re.compile(r"^<[A-Za-z0-9]{7}-[A-Za-z0-9]{6}-[A-Za-z0-9]{2}@|"
                      r"^<[A-Za-z0-9]{7}-[A-Za-z0-9]{11}-[A-Za-z0-9]{4}@")
_DSN_FIELD = re.compile(r"^(?:Reporting-MTA|Action|Final-Recipient|Status|Remote-MTA|"
                        r"Diagnostic-Code|Original-Recipient|Arrival-Date|X-[A-Za-z-]+)\s*:",
                        re.I)
_ANGLE = re.compile(r"<([^<>\s@]+@[^<>\s]+)>:?\s*(.*)$")


def mxlogic_marked(mail: MailView) -> bool:
    """The McAfee SaaS (MXLogic) marks of an Exim clone. Memoised on the view: lhost-mxlogic's
    gate and _is_exim both ask, on every bounce."""
    return view_memo(mail, "_dsn_mxlogic_marked", _mxlogic_marked)


def _mxlogic_marked(mail: MailView) -> bool:
    names = mail.header_names   # the marker headers are nearly always absent: one look-up
    return bool("x-mx-bounce" in names and mail.header("X-MX-Bounce")
                or "x-mxl-hash" in names and mail.header("X-MXL-Hash")
                or "x-mxl-notehash" in names and mail.header("X-MXL-NoteHash")
                or "<mxl~" in mail.header("Message-ID"))


def _is_exim(mail: MailView) -> tuple[bool, bool]:
    """(exim, third party clone)."""
    msgid = mail.header("Message-ID")
    third = mxlogic_marked(mail)
    votes = ("Mail Delivery System" in mail.from_) + any(
        s in mail.subject for s in SUBJECTS) + bool(_EXIM_ID.match(msgid))
    return votes >= 2 or third, third


def _recipient_line(line: str, third: bool) -> tuple[str, str] | None:
    """(address, error on the same line) for "  addr", "  addr: error", "  <addr>: error",
    "  addr <other@x>: malformed address: ..." (the address in angle brackets wins)."""
    if not line.startswith("  ") or len(line) < 4 or line[2] == " ":
        return None
    if "@" not in line or "pipe to |" in line:
        return None
    if line[2] == "<" and not third:
        return None
    body = line[2:]
    m = _ANGLE.search(body)
    if m:
        return m.group(1), m.group(2)
    head, _, rest = body.partition(": ")
    found = EMAIL.search(head.rstrip(":"))
    if not found or found.start() > 0:
        return None
    return found.group(0), rest.strip()


def _notice(text: str, third: bool) -> tuple[list[RecipientReport], str]:
    """Recipients with their error text from the plain notice; extra text (frozen).
    An entry may have no address yet ("  pipe to |prog", "  save to /path"): the following
    "generated by <addr>" line, else X-Failed-Recipients, names it."""
    out: list[RecipientReport] = []
    other = ""
    in_dsn = False
    starts = [p for p in (text.find(s) for s in START_MESSAGES) if p >= 0]
    if not starts:
        return out, ""
    first = text.rfind("\n", 0, min(starts)) + 1
    start_line, _, rest = text[first:].partition("\n")
    if any(s in start_line for s in FROZEN):
        other = start_line
    # the FROZEN phrases have no newline: absent from the text, absent from every line
    maybe_frozen = any(s in rest for s in FROZEN)
    for line in rest.split("\n"):
        if not line.strip():
            continue
        if _DSN_FIELD.match(line):
            in_dsn = True
        if in_dsn:
            continue
        found = _recipient_line(line, third)
        if found is not None:
            addr, rest = found
            if out and out[-1].recipient == addr:
                continue
            if out and not out[-1].recipient and not fold(out[-1].diagnostic):
                out[-1].recipient, out[-1].diagnostic = addr, rest
            else:
                out.append(RecipientReport(recipient=addr, diagnostic=rest))
            continue
        if " (generated from " in line or " generated by " in line:
            alias = EMAIL.search(line)
            if out and alias and "@" not in out[-1].recipient:
                out[-1].recipient = alias.group(0)
            continue
        if maybe_frozen and any(s in line for s in FROZEN):
            other = f"{other} {line}"
        elif line.startswith("  <") and not third:
            continue                      # "A message sent by\n  <sender>" is not a recipient
        elif line.startswith("  ") and line[2] != " " and (not out or out[-1].recipient):
            # "  pipe to |prog", "  save to /path", "  kijitora" (no domain): no address yet
            out.append(RecipientReport(recipient="", diagnostic=line.strip()))
        elif out and line.startswith("  "):
            out[-1].diagnostic = f"{out[-1].diagnostic or ''} {line.strip()}"
    return out, fold(other)


def _reason(r: RecipientReport) -> None:
    diag = r.diagnostic or ""
    if any(m in diag for m in COMMAND_MARKERS):
        # the command exim names right after "after " (deliver.c: "SMTP error from remote mail
        # server after RCPT TO:<...>", "after end of data", "after initial connection"); not
        # the last command-like word of the whole text ("mta1.mail.example" holds "MAIL")
        named = _AFTER_COMMAND.search(diag)
        r.command = command_in(named.group(1) if named else
                               diag.split("error from remote", 1)[-1])
    if r.command in ("EHLO", "HELO"):
        r.reason, r.reason_rule = "blocked", "exim.command.helo"
        return
    if r.command == "MAIL":
        return                     # Sisimai: onhold, i.e. let the generic tables decide
    reason = first_phrase(diag, MESSAGES_OF)
    if reason:
        r.reason, r.reason_rule = reason, f"exim.{reason}"
    elif any(p in diag for p in DELAYED_FOR):
        # after a remote server's reply ("... after end of data: 451 4.3.0 ...: retry timeout
        # exceeded") the reply says why; expiry only says retrying stopped, so the classifier
        # lets the reply's reason win (classify.reasons.REPLY_FIRST_RULES)
        replied = "SMTP error from remote " in diag
        r.reason = "expired"
        r.reason_rule = "exim.expired.after-reply" if replied else "exim.expired"
    elif "pipe to |" in diag:
        r.reason, r.reason_rule = "mailererror", "exim.mailererror"


@dialect(NAME)
def inquire(mail: MailView) -> BounceReport | None:
    is_exim, third = _is_exim(mail)
    if not is_exim:
        return None
    text = all_text(mail).replace("\n----- This ", "\n------ This ")
    head, tail = split_at(text, RETURNED_MARKERS)
    warning = mail.subject.startswith("Warning: message ") or WARNING_TEXT in head
    recipients, other = _notice(head, third)
    message, blocks = dsn_blocks(head)
    dsn = [r for r in (_block_report(b, message) for b in blocks) if r is not None]
    block_status = [status_in(b.get("status")) for b in blocks]
    if not recipients:
        recipients = dsn
        dsn = []
    failed = list(list_items(mail.header("X-Failed-Recipients")))  # <= the cap: dsn/handler
    for r in recipients:
        if "@" not in r.recipient and failed:
            r.recipient = failed.pop(0)
    if not recipients:
        recipients = [RecipientReport(recipient=a) for a in failed]
    by_address = {d.recipient.lower(): d for d in dsn}
    for i, r in enumerate(recipients):
        d = by_address.get(r.recipient.lower()) or (dsn[i] if i < len(dsn) else None)
        if d is not None:
            r.status = r.status or d.status
            r.remote_mta = d.remote_mta
            r.reporting_mta = d.reporting_mta
            r.action = d.action
            r.arrival_date = d.arrival_date
            if not fold(r.diagnostic) and d.diagnostic:
                r.diagnostic = d.diagnostic
        elif i < len(block_status) and not r.status:
            r.status = block_status[i]       # Final-Recipient: rfc822;/path or |pipe
        if not fold(r.diagnostic) and recipients[0].diagnostic:
            r.diagnostic = recipients[0].diagnostic
        if other and (not fold(r.diagnostic) or fold(r.diagnostic).lower() in other.lower()):
            r.diagnostic = other
        r.diagnostic = fold(r.diagnostic) or None
        if r.action is None:
            # deliver.c: a delay warning ("has not yet been delivered") is not a failure
            r.action = "delayed" if warning else "failed"
        _reason(r)
    if "Message-ID" not in tail and "Message-Id" not in tail and not tail.strip():
        tail = ""
    return build(NAME, "exim", mail, recipients, tail)
