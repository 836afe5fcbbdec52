"""Amazon WorkMail: bounces sent through SES with X-Mailer: Amazon WorkMail.

A multipart/mixed whose text/plain part says "An error occurred while trying to deliver the
mail to the following recipients:" followed by "Technical report:" and RFC 3464 fields
inline (no message/delivery-status part), then message/rfc822 and an ms-tnef part.
Markers: Sisimai lib/Sisimai/Lhost/AmazonWorkMail.pm (BSD-2-Clause); sisimai/set-of-emails
lhost-amazonworkmail-*.
"""
from __future__ import annotations

import re

from ...mime.view import MailView
from . import dialect
from .kit import ds_recipients, first_phrase, provider_original, report, specific_status

NAME = "lhost-amazonworkmail"
PROVIDER = "amazonworkmail"

MESSAGE_START = "Technical report:"
# WorkMail (like SES) wraps the last remote reply on expiry:
# "554 4.4.7 Message expired: unable to deliver in 840 minutes.<421 4.4.2 Connection timed out>"
MESSAGES_OF = {"expired": ["Message expired: unable to deliver"]}
_WRAPPED_REPLY = re.compile(r"<([245]\d\d)[ -]([245]\.\d{1,3}\.\d{1,3})\b[^>]*>")


@dialect(NAME)
def inquire(mail: MailView):
    if "x-mailer" not in mail.header_names or \
            "amazon workmail" not in mail.header("X-Mailer").lower():
        return None
    if not (mail.get("X-SES-Outgoing") or mail.get("X-AWS-Outgoing")):
        return None
    try:
        text = mail.full_text
        pos = text.find(MESSAGE_START)
        if pos < 0:
            return None
        recipients = ds_recipients(text[pos + len(MESSAGE_START):])
        for r in recipients:
            r.status = specific_status(r.status, r.diagnostic)
            wrapped = _WRAPPED_REPLY.search(r.diagnostic or "")
            if wrapped:
                r.reply_code, r.status = int(wrapped.group(1)), wrapped.group(2)
            reason = first_phrase(r.diagnostic, MESSAGES_OF)
            if reason:
                r.reason, r.reason_rule = reason, f"amazonworkmail.{reason}"
        return report(NAME, PROVIDER, recipients, provider_original(mail), mail.header("Date"))
    except Exception:  # noqa: BLE001 - a dialect never raises
        return None
