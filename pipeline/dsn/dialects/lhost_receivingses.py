"""Amazon SES (receiving): bounces SES inbound generates for mail sent TO an SES domain.

A multipart/report with "This message could not be delivered." and a standard
message/delivery-status part whose Reporting-MTA is inbound-smtp.<region>.amazonaws.com.
Markers: Sisimai lib/Sisimai/Lhost/ReceivingSES.pm (BSD-2-Clause); sisimai/set-of-emails
lhost-receivingses-*.
"""
from __future__ import annotations

from ...mime.view import MailView
from ..rfc3464 import dsn_text
from . import dialect
from .kit import ds_recipients, provider_original, report, specific_status

NAME = "lhost-receivingses"
PROVIDER = "amazonses"

MESSAGE_START = "This message could not be delivered."
INBOUND_MTA = "inbound-smtp."
# No phrase table: SES inbound states precise enhanced codes (5.1.1 Mailbox does not exist,
# 5.2.2 Mailbox full, 5.6.1 Message content rejected, 5.2.3 Message length exceeds limit);
# the generic classifier reads them. (Sisimai's older ReceivingSES.pm mapped "Mailbox does not
# exist" to filtered; go-sisimai's expected results say userunknown, so no override here.)


@dialect(NAME)
def inquire(mail: MailView):
    if "x-ses-outgoing" not in mail.header_names or not mail.get("X-SES-Outgoing") \
            or mail.content_type != "multipart/report":
        return None
    try:
        ds = dsn_text(mail)
        if not ds or (INBOUND_MTA not in ds and MESSAGE_START not in mail.full_text):
            return None
        recipients = ds_recipients(ds)
        for r in recipients:
            r.status = specific_status(r.status, r.diagnostic)
        return report(NAME, PROVIDER, recipients, provider_original(mail), mail.header("Date"))
    except Exception:  # noqa: BLE001 - a dialect never raises
        return None
