"""Bigfoot (bigfoot.com forwarding) bounces: a sendmail DSN from a bigfoot.com host.

Format facts from Sisimai `lib/Sisimai/Lhost/Bigfoot.pm` (BSD-2-Clause): the From address
ends "@bigfoot.com>" or a Received hop names a ".bigfoot.com " host; after "   ----- Transcript
of session follows -----" come RFC 3464 fields and the session (">>> " command, "<<< "
reply); the returned message is a message/partial part. The SMTP command is the transcript's
last ">>> " line (EHLO when there is only a reply).
"""
from __future__ import annotations

from ...mime.view import MailView
from ..model import BounceReport
from . import dialect
from .kit import all_text, command_in, dsn_recipients, ds_recipients, build, received_text

NAME = "lhost-bigfoot"
TRANSCRIPT = "   ----- Transcript of session follows -----"


@dialect(NAME)
def inquire(mail: MailView) -> BounceReport | None:
    if not ("@bigfoot.com>" in mail.from_ or ".bigfoot.com " in received_text(mail)):
        return None
    text = all_text(mail)
    pos = text.find(TRANSCRIPT)
    if pos < 0:
        return None
    command = replied = None
    for line in text[pos:].split("\n"):
        if line.startswith(">>> "):
            command = command_in(line[4:]) or command
        elif line.startswith("<<< "):
            replied = True
    recipients = dsn_recipients(mail) or ds_recipients(text[pos:])
    for r in recipients:
        r.command = r.command or command or ("EHLO" if replied else None)
    return build(NAME, "bigfoot", mail, recipients)
