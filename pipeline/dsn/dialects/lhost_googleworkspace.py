"""Google Workspace: "** Message not delivered **" notices from mailer-daemon@googlemail.com
that carry no delivery-status fields (e.g. a misconfigured "Send mail as" account).

  ** Message not delivered **
  You're sending this from a different address or alias using the 'Send mail as' feature.
  ...
  The response was:
  Unspecified Error (SENT_SECOND_EHLO): Smtp server does not advertise AUTH capability

Markers: Sisimai lib/Sisimai/Lhost/GoogleWorkspace.pm and go-sisimai
lhost/via-googleworkspace.go (BSD-2-Clause); sisimai/set-of-emails lhost-googleworkspace-*.
The failed address is X-Failed-Recipients (Sisimai reads the returned message's To: instead).
"""
from __future__ import annotations

import re

from ...mime.view import MailView
from ..model import RecipientReport
from ..rfc3464 import dsn_text
from . import dialect
from .kit import (address, first_phrase, fold, list_items, plain_text, provider_original,
                  report)

NAME = "lhost-googleworkspace"
PROVIDER = "google"

FROM_MARK = "<mailer-daemon@googlemail.com>"
SUBJECT_MARK = "Delivery Status Notification"
MESSAGE_START = "** "
ERROR_STARTS = ("The response was:", "The response from the remote server was:")
# Google's own explanation -> reason (GoogleWorkspace.pm; the 'Send mail as' case is the
# sending account being refused by its own relay: rejected, as go-sisimai's results say).
MESSAGES_OF = {
    "userunknown": ["because the address couldn't be found. Check for typos or unnecessary "
                    "spaces and try again."],
    "rejected": ["using the 'Send mail as' feature", "CustomFromDenied"],
    # go-sisimai lhost/via-googleworkspace.go: the recipient domain's DNS, as Google words it
    "networkerror": [" had no relevant answers.", " responded with code NXDOMAIN"],
    "notaccept": ["Null MX"],
}
_DSN_FIELDS = re.compile(r"^(?:Final-Recipient|Diagnostic-Code):", re.I | re.M)


@dialect(NAME)
def inquire(mail: MailView):
    if FROM_MARK not in mail.from_.lower() or SUBJECT_MARK not in mail.subject:
        return None
    try:
        text = plain_text(mail)
        start = text.find(MESSAGE_START)
        if start < 0 or _DSN_FIELDS.search(dsn_text(mail) or mail.full_text):
            return None
        body = fold(text[start:])
        response = ""
        for marker in ERROR_STARTS:
            pos = body.find(marker)
            if pos >= 0:
                response = body[pos + len(marker):].strip()
                break
        original = provider_original(mail)
        rcpts = [a for a in map(address, list_items(mail.header("X-Failed-Recipients")))
                 if a] or [a for a in [original.to] if a]
        reason = first_phrase(body, MESSAGES_OF)
        recipients = [RecipientReport(recipient=r, action="failed", diagnostic=body or None,
                                      extra={"response": response} if response else {},
                                      reason=reason,
                                      reason_rule=f"googleworkspace.{reason}" if reason else None)
                      for r in rcpts]
        return report(NAME, PROVIDER, recipients, original, mail.header("Date"))
    except Exception:  # noqa: BLE001 - a dialect never raises
        return None
