"""Barracuda Spam Firewall bounces: Subject "**Message you sent blocked by our bulk email
filter**" or X-Barracuda-* headers. Standard RFC 3464 reports (facts from Sisimai
`Lhost/Barracuda.pm`, BSD-2-Clause).
"""
from __future__ import annotations

from ...mime.view import MailView
from ..model import BounceReport
from . import dialect
from ._lhost_software import dsn_report

NAME = "lhost-barracuda"


@dialect(NAME, order=338)
def inquire(mail: MailView) -> BounceReport | None:
    if not (mail.subject.startswith("**Message you sent blocked")
            or any(k.lower().startswith("x-barracuda") for k in mail.msg.keys())):
        return None
    return dsn_report(NAME, "barracuda", mail)
