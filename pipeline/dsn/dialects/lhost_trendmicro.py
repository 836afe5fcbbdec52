"""Trend Micro InterScan Messaging Security Suite (now "Trend Vision One Email and
Collaboration Security") bounces.

Format facts from go-sisimai `lhost/via-trendmicro.go` / `via-interscanmss.go` and Sisimai
`Lhost/InterScanMSS.pm` (BSD-2-Clause). Recognised by a From display name starting
`"InterScan`, one of its subjects ("Mail could not be delivered" and two Japanese ones),
"InterScan" in the Content-Type (boundary "InterScan_NT_MIME_Boundary"), or
" InterScan " in the body. The notice has, per recipient, an SMTP transcript

    Sent <<< RCPT TO:<kijitora@example.co.jp>
    Received >>> 550 5.1.1 <kijitora@example.co.jp>... user unknown

(the "Sent" / "Received" words are localised in non-English installations: the arrows are
the markers) or "Unable to deliver message to <kijitora@neko.example.jp>" (Sisimai:
userunknown). The returned message follows a message/rfc822 part.
"""
from __future__ import annotations

import re

from ...mime.view import MailView
from ..model import BounceReport, RecipientReport
from . import dialect
from .kit import all_text, build, command_in, raw_text_has, split_at

NAME = "lhost-trendmicro"
RETURNED_MARKERS = ("Content-Type: message/rfc822",)
_LAST_ANGLE_ADDRESS = re.compile(r"<([^<>\s]+@[^<>\s]+)>[^<>]*$")
UNABLE = "Unable to deliver "
# go-sisimai via-interscanmss.go `titletable`: the notice's subjects (English and Japanese)
SUBJECTS = ("Mail could not be delivered", "メッセージを配信できません。", "メール配信に失敗しました")


@dialect(NAME)
def inquire(mail: MailView) -> BounceReport | None:
    if not (mail.header("From").lstrip().startswith('"InterScan')
            or any(s in mail.subject for s in SUBJECTS)
            or "InterScan" in mail.header("Content-Type")
            or raw_text_has(mail, " InterScan ")):
        return None
    head, tail = split_at(all_text(mail), RETURNED_MARKERS)
    recipients: list[RecipientReport] = []
    current: RecipientReport | None = None
    for line in head.split("\n"):
        line = line.strip()
        if not line:
            continue
        sent, received = line.find(" <<< "), line.find(" >>> ")
        found = _LAST_ANGLE_ADDRESS.search(line) if "@" in line else None
        if found and (sent > 0 or received > 0 or UNABLE in line):
            address = found.group(1)
            if current is None or address.lower() not in current.recipient.lower():
                current = RecipientReport(recipient=address, diagnostic="")
                recipients.append(current)
            if UNABLE in line:
                current.diagnostic = line
                current.reason, current.reason_rule = "userunknown", "trendmicro.unable"
        if current is None:
            continue
        if sent > 0:
            current.command = command_in(line[sent + 5:]) or current.command
        elif received > 0:
            current.diagnostic = line[received + 5:]
    return build(NAME, "trendmicro", mail, recipients, tail)
