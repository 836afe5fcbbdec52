"""Yandex.Mail bounces (mailer-daemon@yandex.ru): a Russian + English Postfix-style notice
and a standard message/delivery-status part with X-Yandex-* fields.

Markers: Sisimai lib/Sisimai/Lhost/Yandex.pm (BSD-2-Clause); sisimai/set-of-emails
lhost-yandex-*.
"""
from __future__ import annotations

import re

from ...mime.view import MailView
from ..rfc3464 import dsn_text
from . import dialect
from .kit import ds_recipients, provider_original, report, specific_status

NAME = "lhost-yandex"
PROVIDER = "yandex"

MESSAGE_START = "This is the mail system at host yandex.ru."
# "(in reply to RCPT TO command)" in the notice names the failed command (Postfix wording).
_COMMAND = re.compile(r"in reply to (RCPT TO|MAIL FROM|DATA|end of DATA|EHLO|HELO)", re.I)


@dialect(NAME)
def inquire(mail: MailView):
    if "mailer-daemon@yandex." not in mail.from_.lower() and not (
            "x-yandex-uniq" in mail.header_names and mail.get("X-Yandex-Uniq")):
        return None
    try:
        text = mail.full_text
        if MESSAGE_START not in text and "yandex" not in mail.from_.lower():
            return None
        ds = dsn_text(mail)
        if not ds:
            return None
        recipients = ds_recipients(ds)
        command = _COMMAND.search(" ".join(text.split()))
        for r in recipients:
            r.status = specific_status(r.status, r.diagnostic)
            if command:
                word = command.group(1).upper()
                r.command = "DATA" if "DATA" in word else word.split(" ")[0]
        return report(NAME, PROVIDER, recipients, provider_original(mail), mail.header("Date"))
    except Exception:  # noqa: BLE001 - a dialect never raises
        return None
