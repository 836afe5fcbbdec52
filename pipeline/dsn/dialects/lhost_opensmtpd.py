"""OpenSMTPD bounces: "Delivery status notification: error|failed|delayed".

Format facts and phrase table from go-sisimai `lhost/via-opensmtpd.go` (BSD-2-Clause), which
quotes opensmtpd's bounce.c / mta.c / queue.c: an indented notice ("    This is the
MAILER-DAEMON, please DO NOT REPLY to this e-mail."), one unindented "rcpt: error" line per
recipient, then "    Below is a copy of the original message:". Newer versions add a
message/delivery-status part whose Status is only a class (5.0.0): the notice line is better.
"""
from __future__ import annotations

import re

from ...mime.view import MailView
from ..model import BounceReport, RecipientReport
from . import dialect
from .kit import body_text, build, dsn_recipients, first_phrase, received_text, split_at

NAME = "lhost-opensmtpd"
START = "    This is the MAILER-DAEMON, please DO NOT REPLY to this"
RETURNED_MARKERS = ("    Below is a copy of the original message:",)
# via-opensmtpd.go `messagesof` (smtpd/mta.c, smtpd/queue.c failstr texts).
MESSAGES_OF: dict[str, tuple[str, ...]] = {
    "expired": ("Envelope expired",),
    "securityerror": ("Could not retrieve credentials",),
    "hostunknown": ("Invalid domain name", "Domain does not exist"),
    "networkerror": ("Address family mismatch on destination MXs",
                     "All routes to destination blocked", "bad DNS lookup error code",
                     "Could not retrieve source address", "Loop detected",
                     "Network error on destination MXs", "No valid route to remote MX",
                     "No valid route to destination", "Temporary failure in MX lookup"),
    "notaccept": ("Destination seem to reject all mails", "No MX found for domain",
                  "No MX found for destination"),
}
_RCPT_LINE = re.compile(r"^([^\s:@]+@[^\s:]+):\s*(.*)$")
# A multi-line reply as smtpd/mta_session.c mta_io() keeps it: the first line whole
# ("550-5.7.26 Unauthenticated ... domain's"), then each further line appended with no
# separator after dropping its "550-" and an enhanced code of exactly "d.d.d " -- a longer
# one ("5.7.26 ") stays, glued to the previous line's last word ("domain's5.7.26 DMARC").
_MULTILINE_HEAD = re.compile(r"^\d{3}-(\d\.\d{1,3}\.\d{1,3}) ")


def _unglued(reply: str) -> str:
    """The reply with the enhanced code repeated at each glued line turned back into the
    space that separated the lines, so that phrases spanning a line break match."""
    head = _MULTILINE_HEAD.match(reply)
    if head is None or len(head.group(1)) == 5:   # "d.d.d": mta_io dropped those itself
        return reply
    rest = reply[head.end():].replace(f"{head.group(1)} ", " ")
    return reply[:head.end()] + rest


def _is_opensmtpd(mail: MailView) -> bool:
    votes = mail.subject.startswith("Delivery status notification") + \
        mail.from_.startswith("Mailer Daemon <")
    if votes == 0:
        return False
    return votes == 2 or " (OpenSMTPD) with " in received_text(mail)   # in any line


@dialect(NAME)
def inquire(mail: MailView) -> BounceReport | None:
    if not _is_opensmtpd(mail):
        return None
    head, tail = split_at(body_text(mail), RETURNED_MARKERS)
    recipients: list[RecipientReport] = []
    reading = False
    for line in head.split("\n"):
        if not reading:
            reading = line.startswith(START)
            continue
        m = _RCPT_LINE.match(line)
        if m:
            recipients.append(RecipientReport(recipient=m.group(1),
                                              diagnostic=_unglued(m.group(2))))
    if not recipients:
        return None
    dsn = {r.recipient.lower(): r for r in dsn_recipients(mail)}
    for r in recipients:
        d = dsn.get(r.recipient.lower())
        if d is not None:
            r.status, r.action = d.status, d.action
            r.reporting_mta, r.remote_mta = d.reporting_mta, d.remote_mta
            r.arrival_date, r.last_attempt = d.arrival_date, d.last_attempt
        reason = first_phrase(r.diagnostic, MESSAGES_OF)
        if reason:
            r.reason, r.reason_rule = reason, f"opensmtpd.{reason}"
    return build(NAME, "opensmtpd", mail, recipients, tail)
