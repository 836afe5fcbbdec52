"""SurfControl E-mail Filter bounces: X-SEF-Processed / X-Mailer "SurfControl E-mail Filter".
Standard RFC 3464 reports (facts from Sisimai `Lhost/SurfControl.pm`, BSD-2-Clause).
"""
from __future__ import annotations

from ...mime.view import MailView
from ..model import BounceReport
from . import dialect
from .kit import dsn_report

NAME = "lhost-surfcontrol"


@dialect(NAME)
def inquire(mail: MailView) -> BounceReport | None:
    if mail.get("X-SEF-Processed") is None and \
            mail.header("X-Mailer") != "SurfControl E-mail Filter":
        return None
    return dsn_report(NAME, "surfcontrol", mail)
