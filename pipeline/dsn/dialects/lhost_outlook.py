"""Microsoft Outlook.com / Hotmail (the pre-2016 consumer service) bounces.

"This is an automatically generated Delivery Status Notification." plus a standard
message/delivery-status part; the Diagnostic-Code is sometimes absent (connection failures).
Markers and phrases: Sisimai lib/Sisimai/Lhost/Outlook.pm (BSD-2-Clause); sisimai/set-of-emails
lhost-outlook-*.
"""
from __future__ import annotations

from ...mime.view import MailView
from ..rfc3464 import dsn_text
from . import dialect
from .kit import (
    ds_recipients,
    first_phrase,
    provider_original,
    received_text,
    report,
    specific_status,
)

NAME = "lhost-outlook"
PROVIDER = "outlook"

MESSAGE_START = "This is an automatically generated Delivery Status Notification"
# Outlook.pm $MessagesOf: Hotmail's own wording.
MESSAGES_OF = {
    "hostunknown": ["The mail could not be delivered to the recipient because the domain is "
                    "not reachable"],
    "userunknown": ["Requested action not taken: mailbox unavailable"],
}
# When no Diagnostic-Code is given, Hotmail's text part says why (Outlook.pm pseudo text).
NO_CONNECT = ("Unable to deliver message to the following recipients, due to being unable to "
              "connect successfully to the destination mail server.")
_HOTMAIL_HOSTS = (".hotmail.com", ".outlook.com")


def _looks_like_outlook(mail: MailView) -> bool:
    score = 0
    if "Delivery Status Notification" in mail.subject:
        score += 1
    if mail.get("X-Message-Delivery") or mail.get("X-Message-Info"):
        score += 1
    if any(h in received_text(mail) for h in _HOTMAIL_HOSTS):   # in any Received line
        score += 1
    elif any(h in mail.header("Message-ID").lower() for h in _HOTMAIL_HOSTS):
        score += 1
    return score >= 2


@dialect(NAME)
def inquire(mail: MailView):
    if "postmaster@" not in mail.from_.lower() or not _looks_like_outlook(mail):
        return None
    try:
        text = mail.full_text
        if MESSAGE_START not in text:
            return None
        ds = dsn_text(mail)
        if not ds:
            return None
        recipients = ds_recipients(ds)
        for r in recipients:
            r.status = specific_status(r.status, r.diagnostic)
            if not r.diagnostic and NO_CONNECT[:40] in text:
                r.diagnostic = NO_CONNECT
            reason = first_phrase(r.diagnostic, MESSAGES_OF)
            if reason:
                r.reason, r.reason_rule = reason, f"outlook.{reason}"
        return report(NAME, PROVIDER, recipients, provider_original(mail), mail.header("Date"))
    except Exception:  # noqa: BLE001 - a dialect never raises
        return None
