"""Zoho Mail bounces (X-ZohoMail header):

  This message was created automatically by mail delivery software.
  A message that you sent could not be delivered to one or more of its recipients. ...
  mikeneko@example.co.jp Invalid Address, ERROR_CODE :550, ERROR_CODE :5.2.1 <...>... User Unknown
  -- or --
  [Status: Error, Address: <kijitora@6kaku.example.co.jp>, ResponseCode 421, , Host not reachable.]

Markers and phrases: Sisimai lib/Sisimai/Lhost/Zoho.pm (BSD-2-Clause); sisimai/set-of-emails
lhost-zoho-*.
"""
from __future__ import annotations

import re

from ...mime.view import MailView
from ..model import RecipientReport
from . import dialect
from .kit import (
    address,
    first_phrase,
    fold,
    plain_text,
    provider_original,
    reply_code_in,
    report,
    status_in,
)

NAME = "lhost-zoho"
PROVIDER = "zoho"

MESSAGE_START = "This message was created automatically by mail delivery"
MESSAGES_OF = {"expired": ["Host not reachable"]}            # Zoho.pm $messagesof
# The returned message's headers follow "Received:from mail.zoho.com by mx.zohomail.com".
_BOUNDARY = re.compile(r"^Received: ?from \S+ by mx\.zohomail\.com", re.M)
_ERROR_LINE = re.compile(r"^(\S+@\S+) (.*ERROR_CODE :.*)$")
_STATUS_LINE = re.compile(r"^\[Status: .*?<([^<>\s]+@[^<>\s]+)>.*\]$")
_ERROR_CODES = re.compile(r"ERROR_CODE :([^,]*)")


@dialect(NAME)
def inquire(mail: MailView):
    if "x-zohomail" not in mail.header_names or not mail.get("X-ZohoMail"):
        return None
    try:
        text = plain_text(mail)
        cut = _BOUNDARY.search(text)
        body, tail = (text[:cut.start()], text[cut.start():]) if cut else (text, "")
        start = body.find(MESSAGE_START)
        if start < 0:
            return None
        recipients: list[RecipientReport] = []
        for line in body[start:].split("\n"):
            line = line.strip()
            error = _ERROR_LINE.match(line)
            status = _STATUS_LINE.match(line) if not error else None
            if not (error or status):
                continue
            rcpt = address(error.group(1) if error else status.group(1))
            if not rcpt:
                continue
            detail = fold(error.group(2) if error else line)
            codes = [c.strip() for c in _ERROR_CODES.findall(detail)]
            reply = reply_code_in(codes[0]) if codes else reply_code_in(detail)
            message = fold(detail[detail.rfind("ERROR_CODE :") + 12:]) if codes else detail
            r = RecipientReport(recipient=rcpt, action="failed", diagnostic=detail,
                                status=status_in(message), reply_code=reply)
            r.extra["message"] = message.lstrip(", ")
            reason = first_phrase(detail, MESSAGES_OF)
            if reason:
                r.reason, r.reason_rule = reason, f"zoho.{reason}"
            recipients.append(r)
        return report(NAME, PROVIDER, recipients, provider_original(mail, tail), mail.header("Date"))
    except Exception:  # noqa: BLE001 - a dialect never raises
        return None
