"""Active!hunter (TransWARE) bounces: boundary "_Active!Hunter_", Subject "FAILURE NOTICE :"
or an X-AHMailID header (go-sisimai's only gate).

Format facts from go-sisimai `lhost/via-activehunter.go` (BSD-2-Clause): "  ----- The following
addresses had permanent fatal errors -----", ">>> rcpt <rcpt>" per recipient, then "  -----
Transcript of session follows -----" with the remote reply.
"""
from __future__ import annotations

from ...mime.view import MailView
from ..model import BounceReport, RecipientReport
from . import dialect
from .kit import EMAIL, body_text, build, fold

NAME = "lhost-activehunter"
START = "  ----- The following addresses had permanent fatal errors -----"
TRANSCRIPT = "----- Transcript of session follows -----"


@dialect(NAME)
def inquire(mail: MailView) -> BounceReport | None:
    if "_Active!Hunter_" not in str(mail.get("Content-Type") or "") and \
            not mail.subject.startswith("FAILURE NOTICE :") and \
            "x-ahmailid" not in mail.header_names:
        return None
    text = body_text(mail)
    if START not in text:
        return None
    recipients: list[RecipientReport] = []
    transcript: list[str] = []
    in_transcript = False
    for line in text.split(START, 1)[1].split("\n"):
        if TRANSCRIPT in line:
            in_transcript = True
        elif in_transcript and line.strip():
            transcript.append(line.strip())
        elif line.startswith(">>> ") and EMAIL.search(line):
            recipients.append(RecipientReport(recipient=EMAIL.search(line).group(0)))
    for r in recipients:
        r.diagnostic = fold(" ".join(transcript))
    return build(NAME, "activehunter", mail, recipients)
