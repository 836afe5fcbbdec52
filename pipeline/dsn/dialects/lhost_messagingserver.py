"""Oracle (Sun/iPlanet) Messaging Server and PMDF bounces: Subject "Delivery Notification: ..."
or a "Boundary_(ID_" MIME boundary. Standard RFC 3464 reports (facts from go-sisimai
`lhost/via-messagingserver.go`, BSD-2-Clause); the dialect names the MTA.
"""
from __future__ import annotations

from ...mime.view import MailView
from ..model import BounceReport
from . import dialect
from .kit import dsn_report

NAME = "lhost-messagingserver"


@dialect(NAME)
def inquire(mail: MailView) -> BounceReport | None:
    if not (mail.subject.startswith("Delivery Notification: ")
            or "Boundary_(ID_" in str(mail.get("Content-Type") or "")):
        return None
    return dsn_report(NAME, "messagingserver", mail)
