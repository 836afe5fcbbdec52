"""Unknown MTA #5 (Sisimai "X5"): From "Mail Delivery Subsystem" encoded in ISO-2022-JP
base64 (=?iso-2022-jp?B?TWFpbCBEZWxpdmVyeSBTdWJzeXN0ZW0=?=) with a standard RFC 3464 part
(facts from Sisimai `Lhost/X5.pm`, BSD-2-Clause).
"""
from __future__ import annotations

from ...mime.view import MailView
from ..model import BounceReport
from . import dialect
from .kit import dsn_report

NAME = "lhost-x5"
ENCODED_FROM = "TWFpbCBEZWxpdmVyeSBTdWJzeXN0ZW0"


@dialect(NAME)
def inquire(mail: MailView) -> BounceReport | None:
    if ENCODED_FROM not in str(mail.get("From") or ""):
        return None
    return dsn_report(NAME, "x5", mail)
