"""fml mailing-list manager rejections: X-MLServer, From "*-admin@", Message-ID "*.FML*".

Format facts and phrase tables from go-sisimai `lhost/via-fml.go` (BSD-2-Clause): the notice
names the list address in angle brackets ("You are not a member of this mailing list
<list@example.org>."), "Original mail as follows:" precedes the returned message; the reason
comes from the notice text, else from the Subject.
"""
from __future__ import annotations

import re

from ...mime.view import MailView
from ..model import BounceReport, RecipientReport
from . import dialect
from .kit import body_text, build, first_phrase, split_at

NAME = "lhost-fml"
RETURNED_MARKERS = ("Original mail as follows:",)
# via-fml.go `errortable` (notice text) and `errortitle` (Subject).
ERROR_TABLE: dict[str, tuple[str, ...]] = {
    "rejected": (" header may cause mail loop", "NOT MEMBER article from ", "reject mail from ",
                 "reject spammers:", "You are not a member of this mailing list"),
    "notcompliantrfc": ("Duplicated Message-ID",),
    "securityerror": ("Security alert:",),
    "systemerror": (" has detected a loop condition so that", "Loop Back Warning:"),
}
ERROR_TITLE: dict[str, tuple[str, ...]] = {
    "rejected": (" are not member", "NOT MEMBER article from ", "reject mail ",
                 "Spam mail from a spammer is rejected"),
    "systemerror": ("fml system error message", "Loop Alert: ", "Loop Back Warning: ",
                    "WARNING: UNIX FROM Loop"),
    "securityerror": ("Security Alert",),
}
_ANGLE = re.compile(r"<([^<>\s@]+@[^<>\s]+)>")


@dialect(NAME)
def inquire(mail: MailView) -> BounceReport | None:
    if not mail.header("X-MLServer") or mail.from_.find("-admin@") < 1:
        return None
    if mail.header("Message-ID").find(".FML") < 2:
        return None
    head, tail = split_at(body_text(mail), RETURNED_MARKERS)
    recipients: list[RecipientReport] = []
    for line in head.split("\n"):
        if not line.strip():
            continue
        m = _ANGLE.search(line)
        if m:
            recipients.append(RecipientReport(recipient=m.group(1), diagnostic=line))
        elif recipients:
            recipients[-1].diagnostic = f"{recipients[-1].diagnostic} {line.strip()}"
    for r in recipients:
        reason = first_phrase(r.diagnostic, ERROR_TABLE) or first_phrase(mail.subject,
                                                                         ERROR_TITLE)
        if reason:
            r.reason, r.reason_rule = reason, f"fml.{reason}"
    return build(NAME, "fml", mail, recipients, tail)
