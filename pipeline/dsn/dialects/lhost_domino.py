"""IBM/HCL Domino bounces: Subject "DELIVERY FAILURE: ..." / "DELIVERY_FAILURE: ...".
Standard RFC 3464 reports in current versions (facts from go-sisimai `lhost/via-domino.go`,
BSD-2-Clause); the Subject carries the error when the Diagnostic-Code is missing.
"""
from __future__ import annotations

from ...mime.view import MailView
from ..model import BounceReport
from . import dialect
from .kit import dsn_report

NAME = "lhost-domino"
SUBJECTS = ("DELIVERY FAILURE:", "DELIVERY_FAILURE:")


@dialect(NAME)
def inquire(mail: MailView) -> BounceReport | None:
    subject = mail.subject
    if not subject.startswith(SUBJECTS):
        return None
    return dsn_report(NAME, "domino", mail, subject.split(":", 1)[1].strip())
