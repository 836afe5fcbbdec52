"""Local delivery agents (procmail, maildrop, dovecot, ...): their own error texts decide.

Source: go-sisimai lda/lib.go (BSD-2-Clause), which cites dovecot/src/deliver/deliver.c and
the quota plugin for the Dovecot texts. Applies only when no SMTP command (or DATA) failed:
the message reached the final host and the local agent refused it. An agent named without a
known error text gives mailererror.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .reasons import Facts

# agent -> marker phrases (lower case) that show the agent wrote the error
AGENTS: dict[str, tuple[str, ...]] = {
    "dovecot": ("your message to <", "> was automatically rejected:"),
    "mail.local": ("mail.local: ",),
    "procmail": ("procmail: ", "/procmail "),
    "maildrop": ("maildrop: ",),
    "vpopmail": ("vdelivermail: ",),
    "vmailmgr": ("vdeliver: ",),
}
MESSAGES: dict[str, dict[str, tuple[str, ...]]] = {
    "dovecot": {
        "mailboxfull": ("not enough disk space", "quota exceeded",
                        "quota exceeded (mailbox for user is full)"),
        "userunknown": ("mailbox doesn't exist: ",),
    },
    "mail.local": {
        "mailboxfull": ("disc quota exceeded", "mailbox full or quota exceeded"),
        "systemerror": ("temporary file write error",),
        "userunknown": (": invalid mailbox path", ": unknown user:", ": user missing home directory",
                        ": user unknown"),
    },
    "procmail": {
        "mailboxfull": ("quota exceeded while writing", "user over quota"),
        "systemerror": ("service unavailable",),
        "systemfull": ("no space left to finish writing",),
    },
    "maildrop": {
        "mailboxfull": ("maildir over quota.",),
        "userunknown": ("cannot find system user", "invalid user specified."),
    },
    "vpopmail": {
        "filtered": ("user does not exist, but will deliver to ",),
        "mailboxfull": ("domain is over quota", "user is over quota"),
        "suspend": ("account is locked email bounced",),
        "userunknown": ("sorry, no mailbox here by that name.",),
    },
    "vmailmgr": {
        "mailboxfull": ("delivery failed due to system quota violation",),
        "userunknown": ("invalid or unknown base user or domain", "invalid or unknown virtual user",
                        "user name does not refer to a virtual user"),
    },
}


# (marker, agent) in AGENTS order: one flat loop, as this runs on every bounce
_MARKS: tuple[tuple[str, str], ...] = tuple((m, a) for a, marks in AGENTS.items() for m in marks)


def lda_reason(f: "Facts") -> tuple[str, str] | None:
    """(reason, rule) when a local delivery agent's error decides, else None."""
    if not f.diagnostic and not f.extra.get("lead-in"):
        return None
    if f.command and f.command != "DATA":
        return None
    text = f.text
    for mark, agent in _MARKS:
        if mark in text:
            break
    else:
        return None
    for reason, phrases in MESSAGES[agent].items():
        if any(p in text for p in phrases):
            return reason, f"lda.{agent}.{reason}"
    return "mailererror", f"lda.{agent}"
