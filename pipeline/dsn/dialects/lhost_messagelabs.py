"""Symantec Email Security.cloud (formerly MessageLabs) bounces: X-Msg-Ref header, From
"MAILER-DAEMON@messagelabs.com", Subject "Mail Delivery Failure".

Format facts from Sisimai `lib/Sisimai/Lhost/MessageLabs.pm` (BSD-2-Clause): a standard
RFC 3464 report (text/rfc822-headers for the returned message). The reporting MTA is a
*.messagelabs.com host, so the reason phrases Sisimai keeps for MessageLabs ("No such user",
"542 ", " Rejected" -> userunknown; "Please turn on SMTP Authentication in your mail client" ->
securityerror) apply through classify/rhosts/messagelabs.py, as in go-sisimai.
"""
from __future__ import annotations

from ...mime.view import MailView
from ..model import BounceReport
from . import dialect
from .kit import dsn_report

NAME = "lhost-messagelabs"
SENDER = "mailer-daemon@messagelabs.com"
SUBJECT = "Mail Delivery Failure"


@dialect(NAME)
def inquire(mail: MailView) -> BounceReport | None:
    if "x-msg-ref" not in mail.header_names or SENDER not in mail.from_.lower() \
            or not mail.subject.startswith(SUBJECT):
        return None
    return dsn_report(NAME, "messagelabs", mail)
