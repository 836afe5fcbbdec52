"""Barracuda Spam Firewall bounces: Subject "**Message you sent blocked by our bulk email
filter**" or X-Barracuda-* headers. Standard RFC 3464 reports (facts from Sisimai
`Lhost/Barracuda.pm`, BSD-2-Clause).
"""
from __future__ import annotations

from ...mime.view import MailView
from ..model import BounceReport
from . import dialect
from .kit import dsn_report, has_header_prefix

NAME = "lhost-barracuda"


@dialect(NAME)
def inquire(mail: MailView) -> BounceReport | None:
    if not (mail.subject.startswith("**Message you sent blocked")
            or has_header_prefix(mail, "x-barracuda")):
        return None
    return dsn_report(NAME, "barracuda", mail)
