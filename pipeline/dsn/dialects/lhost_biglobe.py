"""BIGLOBE (and the cable ISPs on its platform: inacatv, tmtv, ttv) "Returned mail:" bounces:

     ----- The following addresses had delivery problems -----
  ********@***.biglobe.ne.jp
     ----- Non-delivered information -----
  The number of messages in recipient's mailbox exceeded the local limit.

Markers and phrases: Sisimai lib/Sisimai/Lhost/Biglobe.pm (BSD-2-Clause); sisimai/set-of-emails
lhost-biglobe-*.
"""
from __future__ import annotations

import re

from ...mime.view import MailView
from ..model import RecipientReport
from . import dialect
from .kit import address, first_phrase, fold, provider_original, provider_text, report, split_at

NAME = "lhost-biglobe"
PROVIDER = "biglobe"

DOMAINS = ("biglobe", "inacatv", "tmtv", "ttv")
BOUNDARIES = ("Content-Type: message/rfc822",)
MESSAGE_START = "----- The following addresses had delivery problems -----"
MESSAGES_OF = {                                            # Biglobe.pm $messagesof
    "filtered": ["Mail Delivery Failed... User unknown"],
    "mailboxfull": ["The number of messages in recipient's mailbox exceeded the local limit."],
}
_RECIPIENT = re.compile(r"^([^ ]+@[^ ]+)$")


@dialect(NAME)
def inquire(mail: MailView):
    sender = mail.from_.lower()
    if "postmaster@" not in sender or not any(f"@{d}.ne.jp" in sender for d in DOMAINS):
        return None
    if not mail.subject.startswith("Returned mail:"):
        return None
    try:
        body, tail = split_at(provider_text(mail), BOUNDARIES)
        start = body.find(MESSAGE_START)
        if start < 0:
            return None
        recipients: list[RecipientReport] = []
        diags: list[list[str]] = []
        for line in body[start + len(MESSAGE_START):].split("\n"):
            line = line.strip()
            if not line:
                continue
            m = _RECIPIENT.match(line)
            if m and address(m.group(1)):
                recipients.append(RecipientReport(recipient=address(m.group(1)),
                                                  action="failed"))
                diags.append([])
            elif diags and re.match(r"\w", line):
                diags[-1].append(line)
        for r, own in zip(recipients, diags):
            r.diagnostic = fold(" ".join(own)) or None
            reason = first_phrase(r.diagnostic, MESSAGES_OF)
            if reason:
                r.reason, r.reason_rule = reason, f"biglobe.{reason}"
        return report(NAME, PROVIDER, recipients, provider_original(mail, tail), mail.header("Date"))
    except Exception:  # noqa: BLE001 - a dialect never raises
        return None
