"""Smail 3 bounces, and Deutsche Telekom / T-Online's Smail-derived ones (Sisimai calls the
module after the infrastructure owner: "DeutscheTelekom").

Format facts: smail-3.2.0.108 src/notify.c (its banners) and go-sisimai
`lhost/via-deutschetelekom.go` (BSD-2-Clause):

    |------------------------- Message log follows: -------------------------|
    no valid recipients were found for this message
    |------------------------- Failed addresses follow: ---------------------|
     kijitora@neko.example.com ... unknown host                    (Smail 3)
     <example@t-online.de>                                         (T-Online)
       552 5.2.2 <example@t-online.de> Quota exceeded (mailbox for user is full)
    |------------------------- Message text follows: ------------------------|
    (T-Online: "|------------------------- Message header follows: ----------------------|")
"""
from __future__ import annotations

import re

from ...mime.view import MailView
from ..model import BounceReport, RecipientReport
from . import dialect
from .kit import all_text, build, fold, raw_text_has, split_at

NAME = "lhost-deutschetelekom"
LOG_BANNER = "|------------------------- Message log follows: -------------------------|"
FAILED_BANNER = "|------------------------- Failed addresses follow: ---------------------|"
HEADER_BANNER = "|------------------------- Message header follows: ----------------------|"
TEXT_BANNER = "|------------------------- Message text follows: ------------------------|"
# The banners' common start: some copies lose the leading "|" or trim the dashes.
_BANNER_START = "------------------------- "
_ANGLE_RECIPIENT = re.compile(r"^\s*<([^<>\s]+@[^<>\s]+)>\s*$")
_SMAIL_RECIPIENT = re.compile(r"^\s*<?([^<>\s]+@[^<>\s]+?)>? \.\.\. (.*)$")


@dialect(NAME)
def inquire(mail: MailView) -> BounceReport | None:
    if not raw_text_has(mail, "Failed addresses follow:"):   # cheap: decodes nothing
        return None
    text = all_text(mail)
    if "Failed addresses follow:" not in text or _BANNER_START not in text:
        return None
    head, tail = split_at(text, (TEXT_BANNER, HEADER_BANNER, _BANNER_START + "Message text",
                                 _BANNER_START + "Message header"))
    before, _, failed = head.partition("Failed addresses follow:")
    log = fold(before.split(LOG_BANNER, 1)[1] if LOG_BANNER in before else "")
    recipients: list[RecipientReport] = []
    for line in failed.split("\n")[1:]:
        if not line.strip():
            continue
        angle = _ANGLE_RECIPIENT.match(line)
        smail = None if angle else _SMAIL_RECIPIENT.match(line)
        if angle:
            recipients.append(RecipientReport(recipient=angle.group(1), diagnostic=""))
        elif smail:
            recipients.append(RecipientReport(recipient=smail.group(1),
                                              diagnostic=fold(f"{log} {smail.group(2)}")))
        elif recipients:
            recipients[-1].diagnostic = fold(f"{recipients[-1].diagnostic} {line}")
    return build(NAME, "deutschetelekom", mail, recipients, tail)
