"""Courier MTA bounces: Subject "NOTICE: mail delivery status." / "WARNING: delayed mail.",
Message-ID "<courier.*". Standard RFC 3464 reports (facts from go-sisimai
`lhost/via-courier.go`, BSD-2-Clause); the dialect names the MTA.
"""
from __future__ import annotations

from ...mime.view import MailView
from ..model import BounceReport
from . import dialect
from .kit import dsn_report

NAME = "lhost-courier"
SUBJECTS = ("NOTICE: mail delivery status.", "WARNING: delayed mail.")


@dialect(NAME)
def inquire(mail: MailView) -> BounceReport | None:
    if mail.subject not in SUBJECTS and not mail.header("Message-ID").startswith("<courier."):
        return None
    return dsn_report(NAME, "courier", mail)
