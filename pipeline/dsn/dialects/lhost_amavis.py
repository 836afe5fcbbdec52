"""amavisd-new bounces: From "\"Content-filter at <host>\" <postmaster@...>".
Standard RFC 3464 reports (facts from Sisimai `Lhost/Amavis.pm`, BSD-2-Clause).
"""
from __future__ import annotations

from ...mime.view import MailView
from ..model import BounceReport
from . import dialect
from .kit import dsn_report

NAME = "lhost-amavis"


@dialect(NAME)
def inquire(mail: MailView) -> BounceReport | None:
    if not mail.from_.lstrip('"').startswith("Content-filter at "):
        return None
    return dsn_report(NAME, "amavis", mail)
