"""Courier MTA bounces: From "Courier mail server at HOST", Subject "NOTICE: mail delivery
status." / "WARNING: delayed mail.", Message-ID "<courier.*".

Format facts from go-sisimai `lhost/via-courier.go` (BSD-2-Clause): a standard RFC 3464 report
after "UNDELIVERABLE MAIL" / "DELAYS IN DELIVERING YOUR MESSAGE"; the SMTP command is the
transcript's ">>> " line; Courier's own DNS wordings name the reason ("No such domain." ->
hostunknown, "This domain's DNS violates RFC 1035." -> systemerror, "DNS lookup failed." ->
networkerror).
"""
from __future__ import annotations

from ...mime.view import MailView
from ..model import BounceReport
from . import dialect
from .kit import all_text, build, command_in, dsn_recipients, first_phrase

NAME = "lhost-courier"
SENDER = "Courier mail server at "
SUBJECTS = ("NOTICE: mail delivery status.", "WARNING: delayed mail.")
MESSAGES_OF = {
    "hostunknown": ("No such domain.",),
    "systemerror": ("This domain's DNS violates RFC 1035.",),
    "networkerror": ("DNS lookup failed.",),
}


@dialect(NAME)
def inquire(mail: MailView) -> BounceReport | None:
    if mail.subject not in SUBJECTS and not mail.header("Message-ID").startswith("<courier.") \
            and SENDER not in mail.from_:
        return None
    recipients = dsn_recipients(mail)
    if not recipients:
        return None
    command = None
    for line in all_text(mail).split("\n"):
        if line.startswith(">>> "):
            command = command_in(line[4:]) or command
    for r in recipients:
        r.command = r.command or command
        reason = first_phrase(r.diagnostic, MESSAGES_OF)
        if reason:
            r.reason, r.reason_rule = reason, f"courier.{reason}"
    return build(NAME, "courier", mail, recipients)
