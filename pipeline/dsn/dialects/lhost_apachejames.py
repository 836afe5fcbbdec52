"""Apache James bounces (the Java Apache Mail Enterprise Server's notify mailets).

Format facts from Sisimai `lib/Sisimai/Lhost/ApacheJames.pm` and go-sisimai
`lhost/via-apachejames.go` (BSD-2-Clause), which cite James 2.3.2's
`transport/mailets/AbstractNotify.java`. Recognised by Subject "[BOUNCE]", a Message-ID with
".JavaMail.", or a Received header naming "JAMES SMTP Server". The notice:

    Error message below:
    550 - Requested action not taken: no such user here

    Message details:
      Subject: Nyaaan
      Sent date: Thu Apr 29 01:20:50 JST 2015
      MAIL FROM: shironeko@example.jp
      RCPT TO: kijitora@example.org
      ...

the first recipient on the "  RCPT TO: " line, each further one on a line of its own indented
by 11 spaces (AbstractNotify.getMessage in James' own source, Apache-2.0); the subject is the
Bounce mailet's "[BOUNCE]" prefix; the returned message follows in a message/rfc822 part.
"""
from __future__ import annotations

from ...mime.view import MailView
from ..model import BounceReport, RecipientReport
from . import dialect
from .kit import all_text, build, fold, received_text, split_at

NAME = "lhost-apachejames"
RETURNED_MARKERS = ("Content-Type: message/rfc822",)
ERROR_START = "Error message below:"
DETAILS_START = "Message details:"
RCPT = "  RCPT TO: "
MORE_RCPT = " " * 11


@dialect(NAME)
def inquire(mail: MailView) -> BounceReport | None:
    if not (mail.subject.startswith("[BOUNCE]") or ".JavaMail." in mail.header("Message-ID")
            or "JAMES SMTP Server" in received_text(mail)):
        return None
    head, tail = split_at(all_text(mail), RETURNED_MARKERS)
    error: list[str] = []
    recipients: list[RecipientReport] = []
    in_error = in_rcpt = False
    for line in head.split("\n"):
        if line.startswith(ERROR_START):
            in_error = True
            continue
        if line.startswith(DETAILS_START):
            in_error = False
            continue
        if line.startswith(RCPT):
            recipients.append(RecipientReport(recipient=line[len(RCPT):].strip()))
            in_rcpt = True
            continue
        if in_rcpt and line.startswith(MORE_RCPT) and "@" in line:
            recipients.append(RecipientReport(recipient=line.strip()))
            continue
        in_rcpt = False
        if in_error and line.strip():
            error.append(line.strip())
    for r in recipients:
        r.diagnostic = fold(" ".join(error)) or None
    return build(NAME, "apachejames", mail, recipients, tail)
