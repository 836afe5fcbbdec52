"""DragonFly Mail Agent (dma) bounces: "Mail delivery failed", Received "(DragonFly Mail Agent".

Format facts from go-sisimai `lhost/via-dragonfly.go` (BSD-2-Clause), which quotes dma's
mail.c / net.c / dma.c: "This is the DragonFly Mail Agent ..." starts the notice, "There was an
error delivering your mail to <rcpt>." names each recipient, "<host> [<ip>] did not like our
RCPT TO:" precedes the server reply, "Original message follows." ends the notice.
"""
from __future__ import annotations

import re

from ...mime.view import MailView
from ..model import BounceReport, RecipientReport
from . import dialect
from .kit import address, body_text, build, command_in, first_phrase, received_text, split_at

NAME = "lhost-dragonfly"
START = "This is the DragonFly Mail Agent "
RECIPIENT = "There was an error delivering your mail to <"
RETURNED_MARKERS = ("Original message follows.", "Message headers follow")
# via-dragonfly.go `messagesof` (dma.c:372, net.c:663).
MESSAGES_OF: dict[str, tuple[str, ...]] = {
    "expired": ("Could not deliver for the last ",),
    "hostunknown": ("DNS lookup failure: host ",),
}
_AGENT_AT = re.compile(r" at ([A-Za-z0-9][A-Za-z0-9.-]*[A-Za-z0-9])\.?\s*$")
_DID_NOT_LIKE = re.compile(r"^(\S+)(?: \[([^\]]+)\])? did not like our ([A-Z]+(?: [A-Z]+)?)")


@dialect(NAME)
def inquire(mail: MailView) -> BounceReport | None:
    if "Mail delivery failed" not in mail.subject:
        return None
    if " (DragonFly Mail Agent" not in received_text(mail):   # in no Received line
        return None
    head, tail = split_at(body_text(mail), RETURNED_MARKERS)
    recipients: list[RecipientReport] = []
    reading = False
    agent_at = None
    for line in head.split("\n"):
        if not reading:
            reading = line.startswith(START)
            agent_at = _AGENT_AT.search(line) if reading else None
            continue
        if not line.strip():
            continue
        if line.startswith(RECIPIENT):
            reporting = agent_at.group(1) if agent_at else None
            recipients.append(RecipientReport(recipient=address(line[line.index("<"):]) or "",
                                              diagnostic="", reporting_mta=reporting))
            continue
        if not recipients:
            continue
        r = recipients[-1]
        r.diagnostic = f"{r.diagnostic} {line.strip()}"
        m = _DID_NOT_LIKE.match(line)
        if m and r.remote_mta is None:
            r.remote_mta = m.group(1) if "." in m.group(1) else m.group(2)
            r.command = command_in(m.group(3))
    for r in recipients:
        reason = first_phrase(r.diagnostic, MESSAGES_OF)
        if reason:
            r.reason, r.reason_rule = reason, f"dragonfly.{reason}"
    return build(NAME, "dragonfly", mail, recipients, tail)
