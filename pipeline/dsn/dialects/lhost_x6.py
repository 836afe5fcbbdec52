"""Unknown MTA #6 (Sisimai "X6"): Subject "There was an error sending your mail".

Format facts from Sisimai / go-sisimai `lhost/via-x6.go` (BSD-2-Clause): the notice starts
"We had trouble delivering your message. Full details follow:", names the original
"Date: '...'", then one line per failed recipient, either

    SMTP Server <mx.example.jp> rejected recipient <kijitora@example.jp> (Error following
    RCPT command). It responded as follows: [550 5.1.1 User unknown]

(the recipient is the last "<...>" of the line's first part; the reply may wrap onto the next
lines) or "The following recipients returned permanent errors: neko@example.jp."; the
returned headers follow "The attachment contains the original mail headers".
"""
from __future__ import annotations

import re

from ...mime.view import MailView
from ..model import BounceReport, RecipientReport
from . import dialect
from .kit import EMAIL, all_text, build, command_in, split_at

NAME = "lhost-x6"
SUBJECT = "There was an error sending your mail"
START = "We had trouble delivering your message. Full details follow:"
RETURNED_MARKERS = ("The attachment contains the original mail headers",)
_SERVER = re.compile(r"^SMTP Server <([^<>]*)> rejected recipient <([^<>\s]+@[^<>\s]+)>")
_PERMANENT = "The following recipients returned permanent errors: "
_ERROR_COMMAND = re.compile(r"Error following ([A-Z][A-Z ]*?) command")


@dialect(NAME)
def inquire(mail: MailView) -> BounceReport | None:
    if not mail.subject.startswith(SUBJECT):
        return None
    head, tail = split_at(all_text(mail), RETURNED_MARKERS)
    if START in head:
        head = head.split(START, 1)[1]
    recipients: list[RecipientReport] = []
    current: RecipientReport | None = None
    for line in head.split("\n"):
        stripped = line.strip()
        if not stripped:
            current = None   # a reply wraps onto the following lines until a blank one
            continue
        m = _SERVER.match(stripped)
        if m:
            current = RecipientReport(recipient=m.group(2), diagnostic=stripped,
                                      remote_mta=m.group(1) or None)
            recipients.append(current)
        elif stripped.startswith(_PERMANENT):
            for found in EMAIL.finditer(stripped[len(_PERMANENT):]):
                recipients.append(RecipientReport(recipient=found.group(0).rstrip("."),
                                                  diagnostic=stripped))
            current = recipients[-1] if recipients else None
        elif current is not None:
            current.diagnostic = f"{current.diagnostic} {stripped}"
    for r in recipients:
        named = _ERROR_COMMAND.search(r.diagnostic or "")
        r.command = command_in(named.group(1)) if named else None
        # the remote reply is the bracketed part: "It responded as follows: [550 5.1.1 ...]"
        if "responded as follows:" in (r.diagnostic or ""):
            r.diagnostic = r.diagnostic.split("responded as follows:", 1)[1].strip(" []")
    return build(NAME, "x6", mail, recipients, tail)
