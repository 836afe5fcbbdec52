"""Google Groups: "the group you tried to contact (name) may not exist, or you may not have
permission to post messages to the group", from mailer-daemon@googlemail.com, in the
sender's language. The failed group address is only in X-Failed-Recipients.

Markers and the reason rule (the four "*" bullet lines -> rejected, otherwise onhold):
Sisimai lib/Sisimai/Lhost/GoogleGroups.pm (BSD-2-Clause); sisimai/set-of-emails
lhost-googlegroups-*.
"""
from __future__ import annotations

import re

from ...mime.view import MailView
from ..model import RecipientReport
from . import dialect
from .kit import address, fold, plain_text, provider_original, report, split_at

NAME = "lhost-googlegroups"
PROVIDER = "google"

FROM_MARK = "<mailer-daemon@googlemail.com>"
SUBJECT_MARK = "Delivery Status Notification"
BOUNDARIES = ("----- Original message -----",)
# Every language version links the Groups help centre.
GROUPS_MARK = "groups.google.com"
# The four reasons Google lists (spelling, removed group, must join, closed to posting).
_BULLET = re.compile(r"^ ?\* ?", re.M)
BULLETS_FOR_REJECTED = 4


@dialect(NAME)
def inquire(mail: MailView):
    if FROM_MARK not in mail.from_.lower() or SUBJECT_MARK not in mail.subject:
        return None
    failed = mail.header("X-Failed-Recipients")
    if not failed or not mail.get("X-Google-Smtp-Source"):
        return None
    try:
        body, tail = split_at(plain_text(mail), BOUNDARIES)
        if GROUPS_MARK not in body:
            return None
        reason = "rejected" if len(_BULLET.findall(body)) == BULLETS_FOR_REJECTED else "onhold"
        paragraphs = [p for p in body.split("\n\n") if p.strip()]
        diagnostic = fold(" ".join(paragraphs[:4])) or None
        recipients = []
        for item in failed.split(","):
            rcpt = address(item)
            if rcpt:
                recipients.append(RecipientReport(
                    recipient=rcpt, action="failed", diagnostic=diagnostic, reason=reason,
                    reason_rule=f"googlegroups.{reason}"))
        return report(NAME, PROVIDER, recipients, provider_original(mail, tail), mail.header("Date"))
    except Exception:  # noqa: BLE001 - a dialect never raises
        return None
