"""McAfee SaaS / MXLogic bounces: an Exim clone marked by X-MX-Bounce / X-MXL-* / <mxl~...>.

Format facts from go-sisimai `lhost/via-exim.go` (its "third party" branch) and Sisimai's Perl
`Lhost/MXLogic.pm` (BSD-2-Clause): the Exim notice, recipients written as "  <rcpt>: error",
and "Included is a copy of the message header:" before the returned headers. Parsed by the
Exim dialect's reader; only the dialect name differs.
"""
from __future__ import annotations

from ...mime.view import MailView
from ..model import BounceReport
from . import dialect
from . import lhost_exim

NAME = "lhost-mxlogic"


@dialect(NAME)
def inquire(mail: MailView) -> BounceReport | None:
    if not lhost_exim.mxlogic_marked(mail):
        return None
    report = lhost_exim.inquire(mail)
    if report is None:
        return None
    report.dialect, report.provider = NAME, "mxlogic"
    return report
