"""Trend Micro InterScan MSS bounces: From "InterScan MSS" / boundary "InterScan_NT_MIME_Boundary".

Format facts from go-sisimai `lhost/via-trendmicro.go` / `via-interscanmss.go` (BSD-2-Clause):
"Sent <<< RCPT TO:<rcpt>" names the recipient and command, "Received >>> 550 ..." carries
the remote reply; a line "rcpt: error" is the unreachable-host form.
"""
from __future__ import annotations

import re

from ...mime.view import MailView
from ..model import BounceReport, RecipientReport
from . import dialect
from .kit import body_text, build, command_in

NAME = "lhost-trendmicro"
_SENT = re.compile(r"^Sent <<< ((?:RCPT TO|MAIL FROM|DATA|[A-Z]+))\s*:?\s*"
                   r"<?([^<>\s@]+@[^<>\s]+)?")
_RECEIVED = re.compile(r"^Received >>> (.*)$")
_UNREACHED = re.compile(r"^<?([^<>\s:@]+@[^<>\s:]+)>?:\s*(.+)$")


@dialect(NAME)
def inquire(mail: MailView) -> BounceReport | None:
    if "InterScan" not in mail.from_ and \
            "InterScan_NT_MIME_Boundary" not in str(mail.get("Content-Type") or ""):
        return None
    recipients: list[RecipientReport] = []
    command = None
    for line in body_text(mail).split("\n"):
        m = _SENT.match(line)
        if m:
            command = command_in(m.group(1))
            if m.group(2):
                recipients.append(RecipientReport(recipient=m.group(2), diagnostic="",
                                                  command=command))
            continue
        m = _RECEIVED.match(line)
        if m and recipients and not recipients[-1].diagnostic:
            recipients[-1].diagnostic = m.group(1)
            continue
        m = _UNREACHED.match(line)
        if m and not line.startswith(("Sent", "Received")):
            recipients.append(RecipientReport(recipient=m.group(1), diagnostic=m.group(2)))
    return build(NAME, "trendmicro", mail, recipients)
