"""Unknown MTA #4 (Sisimai "X4"): a qmail clone ("Your mail message to the following
address(es) could not be delivered."). Parsed by the qmail dialect's reader (format facts in
lhost_qmail.py); only the dialect name differs.
"""
from __future__ import annotations

from ...mime.view import MailView
from ..model import BounceReport
from . import dialect
from . import lhost_qmail
from .kit import body_text

NAME = "lhost-x4"
START = "Your mail message to the following address(es) could not be delivered."


@dialect(NAME)
def inquire(mail: MailView) -> BounceReport | None:
    if not lhost_qmail._is_qmail(mail) or START not in body_text(mail):
        return None
    report = lhost_qmail.inquire(mail)
    if report is None:
        return None
    report.dialect, report.provider = NAME, "x4"
    return report
