"""qmail (and its clones) bounces: "failure notice", Received "(qmail NNN invoked ...".

Format facts and phrase tables from go-sisimai `lhost/via-qmail.go` (BSD-2-Clause), which quotes
qmail-send.c / qmail-remote.c / qmail-local.c and the qmail-ldap patch: "Hi. This is the
qmail-send program at ..." starts the notice, "<rcpt>:" starts each recipient, its error
lines follow ("192.0.2.1 does not like recipient.", "Remote host said: 550 ..."), and
"--- Below this line is a copy of the message." ends it.
"""
from __future__ import annotations

import re

from ...mime.view import MailView
from ..model import BounceReport, RecipientReport
from . import dialect
from .kit import body_text, build, command_in, first_phrase, fold, received_text, split_at

NAME = "lhost-qmail"
SUBJECTS = ("failure notice", "Failure Notice")
RETURNED_MARKERS = ("--- Below this line is a copy of the message.",
                    "--- Below this line is a copy of the mail header.",
                    "--- Below the next line is a copy of the message.",
                    "--- Mensaje original adjunto.",
                    "Content-Type: message/rfc822",
                    "Original message follows.")
START_MESSAGES = ("Hi. This is the qmail", "He/Her is not ",
                  "unable to deliver your message to the following addresses",
                  "Su mensaje no pudo ser entregado",
                  "Sorry, we were unable to deliver your message to the following address",
                  "This is the machine generated message from mail service",
                  "This is the mail delivery agent at",
                  "Unable to deliver message to the following address",
                  "Unfortunately, your mail was not delivered to the following address:",
                  "Your mail message to the following address",
                  "Your message to the following addresses", "We're sorry.")
REMOTE_SAID = "Remote host said:"
_PROGRAM_AT = re.compile(r" program at ([A-Za-z0-9][A-Za-z0-9.-]*[A-Za-z0-9])")
RHOST_MARKERS = ("Giving up on ", "Connected to ", "remote host ")
# qmail-remote.c error texts -> the SMTP command that failed.
COMMANDS: dict[str, tuple[str, ...]] = {
    "CONN": (" but greeting failed.",),
    "EHLO": (" but my name was rejected.",),
    "MAIL": (" but sender was rejected.",),
    "RCPT": (" does not like recipient.",),
    "DATA": (" failed on DATA command", " failed after I sent the message"),
}
HAS_EXPIRED = "this message has been in the queue too long."
ONHOLD_PAIR = (" does not like recipient.", HAS_EXPIRED)
# qmail's own texts -> reason (via-qmail.go `messagesof`), most specific first.
MESSAGES_OF: dict[str, tuple[str, ...]] = {
    "hostunknown": ("Sorry, I couldn't find any host ",),
    "mailboxfull": ("disk quota exceeded",),
    "mesgtoobig": ("Message size exceeds fixed maximum message size:",),
    "networkerror": ("Sorry, I wasn't able to establish an SMTP connection",
                     "Sorry. Although I'm listed as a best-preference MX or A for that host"),
    "notaccept": ("Sorry, I couldn't find a mail exchanger or IP address",),
    "systemfull": ("Requested action not taken: mailbox unavailable (not enough free space)",),
    "userunknown": ("no mailbox here by that name",),
    "systemerror": ("bad interpreter: No such file or directory", "system error", "Unable to"),
}
# qmail-ldap-1.03-20040101.patch texts (via-qmail.go `failonldap`).
FAIL_ON_LDAP: dict[str, tuple[str, ...]] = {
    "exceedlimit": ("The message exeeded the maximum size the user accepts",),
    "suspend": ("Mailaddress is administrativly disabled",
                "Mailaddress is administrativley disabled",
                "Mailaddress is administratively disabled",
                "Mailaddress is administrativeley disabled"),
    "systemerror": ("Automatic homedir creator crashed", "Illegal value in LDAP attribute",
                    "LDAP attribute is not given but mandatory",
                    "Timeout while performing search on LDAP server",
                    "Too many results returned but needs to be unique",
                    "Permanent error while executing qmail-forward",
                    "Temporary error in automatic homedir creation",
                    "Temporary error while executing qmail-forward",
                    "Temporary failure in LDAP lookup", "Unable to contact LDAP server",
                    "Unable to login into LDAP server, bad credentials"),
    "userunknown": ("Sorry, no mailbox here by that name",),
}


def _is_qmail(mail: MailView) -> bool:
    if mail.subject in SUBJECTS:
        return True
    return "(qmail " in received_text(mail)   # = any("(qmail " in r for r in lines)


def _reason(r: RecipientReport, remote_said: str) -> None:
    diag = r.diagnostic or ""
    for command, phrases in COMMANDS.items():
        if any(p in diag for p in phrases):
            r.command = command
            break
    if r.command is None and "no SMTP connection got far enough" in diag:
        r.command = command_in(diag)
    if r.command == "EHLO":
        r.reason, r.reason_rule = "blocked", "qmail.command.ehlo"
        return
    if all(p in diag for p in ONHOLD_PAIR):
        return                      # Sisimai: onhold, let the generic tables decide
    for text in (remote_said, diag):
        if not text:
            continue
        reason = first_phrase(text, MESSAGES_OF) or first_phrase(text, FAIL_ON_LDAP)
        if reason is None and HAS_EXPIRED in text:
            reason = "expired"
        if reason:
            r.reason, r.reason_rule = reason, f"qmail.{reason}"
            return


@dialect(NAME)
def inquire(mail: MailView) -> BounceReport | None:
    if not _is_qmail(mail):
        return None
    head, tail = split_at(body_text(mail), RETURNED_MARKERS)
    starts = [p for p in (head.find(s) for s in START_MESSAGES) if p >= 0]
    if not starts:
        return None
    first_line_end = head.find("\n", min(starts))
    program_at = _PROGRAM_AT.search(head[min(starts):first_line_end if first_line_end >= 0
                                         else len(head)])
    recipients: list[RecipientReport] = []
    remote_said: list[str] = []
    for line in (head[first_line_end + 1:] if first_line_end >= 0 else "").split("\n"):
        if not line.strip():
            continue
        stripped = line.strip()
        if stripped.startswith("<") and "@" in stripped and ">:" in stripped:
            recipients.append(RecipientReport(
                recipient=stripped[1:stripped.index(">:")], diagnostic=""))
            remote_said.append("")
            continue
        if not recipients:
            continue
        r = recipients[-1]
        r.diagnostic = f"{r.diagnostic} {stripped}"
        if stripped.startswith(REMOTE_SAID):
            remote_said[-1] = stripped
        if r.remote_mta is None:
            for marker in RHOST_MARKERS:
                if marker in stripped:
                    host = stripped.split(marker, 1)[1].split(" ")[0].rstrip(".:")
                    if host:
                        r.remote_mta = host
                    break
    for r, said in zip(recipients, remote_said):
        r.diagnostic = fold(r.diagnostic)
        r.reporting_mta = program_at.group(1) if program_at else None
        _reason(r, said)
    return build(NAME, "qmail", mail, recipients, tail)
