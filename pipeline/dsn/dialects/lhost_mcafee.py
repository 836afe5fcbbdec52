"""McAfee Email Gateway bounces: X-NAI-Header "Modified by McAfee ...", Subject "Delivery
Status". Standard RFC 3464 reports (facts from Sisimai `Lhost/McAfee.pm`, BSD-2-Clause).
"""
from __future__ import annotations

from ...mime.view import MailView
from ..model import BounceReport
from . import dialect
from .kit import dsn_report

NAME = "lhost-mcafee"


@dialect(NAME)
def inquire(mail: MailView) -> BounceReport | None:
    if "Modified by McAfee " not in mail.header("X-NAI-Header"):
        return None
    return dsn_report(NAME, "mcafee", mail)
