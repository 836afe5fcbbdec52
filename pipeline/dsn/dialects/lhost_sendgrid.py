"""SendGrid: bounces SendGrid generates for mail it relayed (2012-era MIME-tools format).

"This is an automatically generated message from SendGrid." plus a message/delivery-status
part with X-SendGrid-* fields, a Diagnostic-Code without the "smtp;" type and an Arrival-Date
like "2012-10-31 04-46-42". Markers: Sisimai lib/Sisimai/Lhost/SendGrid.pm (BSD-2-Clause);
sisimai/set-of-emails lhost-sendgrid-*.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone

from ...mime.view import MailView
from ..rfc3464 import dsn_text
from . import dialect
from .kit import ds_recipients, full_text_has, provider_original, report, specific_status

NAME = "lhost-sendgrid"
PROVIDER = "sendgrid"

MESSAGE_START = "This is an automatically generated message from SendGrid."
_SENDGRID_DATE = re.compile(r"Arrival-Date:\s*(\d{4})-(\d\d)-(\d\d) (\d\d)-(\d\d)-(\d\d)", re.I)
# "... User Unknown  in RCPT TO" (SendGrid appends the failed SMTP command)
_COMMAND = re.compile(r"\bin (RCPT TO|MAIL FROM|DATA|EHLO|HELO)\b", re.I)


@dialect(NAME)
def inquire(mail: MailView):
    if "sendgrid.net" not in str(mail.get("Return-Path") or "").lower() and not \
            mail.from_.lower().startswith("mailer-daemon"):
        return None
    try:
        if not full_text_has(mail, MESSAGE_START):   # cheap: most bounces have From
            return None                               # MAILER-DAEMON, few are SendGrid's
        text = mail.full_text
        ds = dsn_text(mail)
        if not ds:
            return None
        recipients = ds_recipients(ds)
        arrival = _SENDGRID_DATE.search(ds)
        for r in recipients:
            r.status = specific_status(r.status, r.diagnostic)
            if arrival and r.arrival_date is None:
                y, mo, d, h, mi, s = (int(x) for x in arrival.groups())
                try:
                    r.arrival_date = datetime(y, mo, d, h, mi, s, tzinfo=timezone.utc)
                except ValueError:
                    pass
            command = _COMMAND.search(text)
            if command:
                r.command = command.group(1).split(" ")[0].upper()
        return report(NAME, PROVIDER, recipients, provider_original(mail), mail.header("Date"))
    except Exception:  # noqa: BLE001 - a dialect never raises
        return None
