"""Facebook's own bounces: From "Facebook <mailer-daemon@mx.facebook.com>", Subject "Sorry,
your message could not be delivered", "This message was created automatically by Facebook."

Format facts from Sisimai `lib/Sisimai/Lhost/Facebook.pm` (BSD-2-Clause): RFC 3464 fields
whose Diagnostic-Code carries Facebook's response label (RCP-P1, POL-T2 ...; the list is
https://www.facebook.com/postmaster/response_codes). The label decides the reason, with the
table go-sisimai keeps in rhost/for-facebook.go (classify/rhosts/facebook.py), so that a bounce
read here and one read through a relay's DSN agree; an unlisted INT-T label is a Facebook
system error.
"""
from __future__ import annotations

import re

from ...classify.rhosts.facebook import ERROR_CODES
from ...mime.view import MailView
from ..model import BounceReport
from . import dialect
from .kit import all_text, build, dsn_recipients, ds_recipients

NAME = "lhost-facebook"
SENDER = "mailer-daemon@mx.facebook.com"
SUBJECT = "Sorry, your message could not be delivered"
START = "This message was created automatically by Facebook."
_LABEL = re.compile(r"\b([A-Z]{3}-[PT]\d)\b")


@dialect(NAME)
def inquire(mail: MailView) -> BounceReport | None:
    if SENDER not in mail.from_.lower() or not mail.subject.startswith(SUBJECT):
        return None
    text = all_text(mail)
    pos = text.find(START)
    if pos < 0:
        return None
    recipients = dsn_recipients(mail) or ds_recipients(text[pos:])
    for r in recipients:
        label = _LABEL.search(r.diagnostic or "")
        if label is None:
            continue
        reason = ERROR_CODES.get(label.group(1))
        if reason is None and label.group(1).startswith("INT-T"):
            reason = "systemerror"
        if reason:
            r.reason, r.reason_rule = reason, f"facebook.{label.group(1)}"
    return build(NAME, "facebook", mail, recipients)
