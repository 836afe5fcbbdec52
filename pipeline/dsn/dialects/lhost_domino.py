"""IBM/HCL Domino bounces: Subject "DELIVERY FAILURE: ..." (or "DELIVERY_FAILURE"), a plain
notice, sometimes RFC 3464 fields, then the returned message.

Format facts from Sisimai `lib/Sisimai/Lhost/Domino.pm` and go-sisimai `lhost/via-domino.go`
(BSD-2-Clause), as the notice reads:

    Your message
      Subject: Test Bounce
    was not delivered to:
      kijitora@example.net
    because:
      User some.name (kijitora@example.net) not listed in Domino Directory

One "was not delivered to:" per recipient; RFC 3464 fields in the notice fill status and
remote MTA. The reason phrases (Domino's own texts in English, Spanish, French, Japanese) are
data below; a notice in a legacy charset is decoded before matching.
"""
from __future__ import annotations

import re

from ...mime.view import MailView
from ..model import BounceReport, RecipientReport
from . import dialect
from .kit import all_text, build, dsn_recipients, first_phrase, fold, split_at

NAME = "lhost-domino"
SUBJECT_PREFIX = "DELIVERY FAILURE:"
SUBJECT_MARK = "DELIVERY_FAILURE"
START = "Your message"
RETURNED_MARKERS = ("Content-Type: message/rfc822",)
MESSAGES_OF = {
    "userunknown": ("not listed in Domino Directory", "not listed in public Name & Address Book",
                    "no se encuentra en el Directorio de Domino",
                    "non répertorié dans l'annuaire Domino", "Domino ディレクトリには見つかりません"),
    "filtered": ("Cannot route mail to user",),
    "systemerror": ("Several matches found in Domino Directory",),
}
_RECIPIENT_LINE = re.compile(r"^  (\S+@\S+)$")
_FIELD = re.compile(r"^(status|remote-mta|diagnostic-code|reporting-mta)\s*:\s*(.+)$", re.I)


@dialect(NAME)
def inquire(mail: MailView) -> BounceReport | None:
    subject = mail.subject
    if not (subject.startswith(SUBJECT_PREFIX) or SUBJECT_MARK in subject):
        return None
    head, tail = split_at(all_text(mail), RETURNED_MARKERS)
    recipients = _notice_recipients(head)
    if not recipients:
        # current versions: a standard RFC 3464 report under the Domino subject
        recipients = dsn_recipients(mail)
        for r in recipients:
            if not fold(r.diagnostic):
                r.diagnostic = subject.split(":", 1)[-1].strip()
    for r in recipients:
        reason = first_phrase(r.diagnostic, MESSAGES_OF)
        if reason:
            r.reason, r.reason_rule = reason, f"domino.{reason}"
    return build(NAME, "domino", mail, recipients, tail)


def _notice_recipients(head: str) -> list[RecipientReport]:
    if START not in head:
        return []
    out: list[RecipientReport] = []
    fields: dict[str, str] = {}
    current: RecipientReport | None = None
    waiting_reason = False
    for line in head.split(START, 1)[1].split("\n"):
        if not line.strip():
            continue
        if line == "was not delivered to:":
            current = RecipientReport(recipient="")
            out.append(current)
            continue
        m = _RECIPIENT_LINE.match(line)
        if current is not None and not current.recipient and m:
            current.recipient = m.group(1).strip("<>")
            continue
        if line == "because:":
            waiting_reason = True
            continue
        if waiting_reason and current is not None:
            current.diagnostic = line.strip()
            waiting_reason = False
            continue
        f = _FIELD.match(line.strip())
        if f:
            fields.setdefault(f.group(1).lower(), f.group(2).strip())
    for r in out:
        if fields.get("diagnostic-code") and not r.diagnostic:
            r.diagnostic = fields["diagnostic-code"]
        r.status = r.status or (fields.get("status") or None)
        r.remote_mta = fields.get("remote-mta")
    return [r for r in out if r.recipient]
