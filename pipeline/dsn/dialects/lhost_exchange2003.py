"""Microsoft Exchange 2003 (and 5.5 IMS) bounces: X-MS-Embedded-Report / "Internet Mail Service".

Format facts and error-code table from go-sisimai `lhost/via-exchange2003.go` (BSD-2-Clause):
"Your message ... did not reach the following recipient(s):", one "rcpt on <date>" line per
recipient, indented error lines, and "MSEXCH:IMS:... 0 (000C05A6) Unknown Recipient" whose
hexadecimal code names the reason.
"""
from __future__ import annotations

import re

from ...mime.view import MailView
from ..model import BounceReport, RecipientReport
from . import dialect
from .kit import EMAIL, all_text, build, fold, received_text

NAME = "lhost-exchange2003"
START = "Your message"
ERROR_MARK = "did not reach the following recipient"   # "(s):" or ":"
# via-exchange2003.go `errorcodes`: MSEXCH error code -> reason ("onhold" codes are omitted:
# they leave the decision to the generic tables).
ERROR_CODES: dict[str, str] = {
    "000C05A6": "userunknown",    # Unknown Recipient
    "000C0595": "filtered",       # Ambiguous Recipient
    "00010256": "systemerror",    # Too many recipients
    "000D06B5": "systemerror",    # No proxy for recipient
    "00120270": "networkerror",   # Too Many Hops
    "00050311": "contenterror",   # Conversion to Internet format failed
    "000502CC": "contenterror",
    "000B0981": "securityerror",  # 502 Server does not support AUTH
}
_MSEXCH = re.compile(r"MSEXCH:.*?\(([0-9A-Fa-f]{8})\)\s*(.*)$")
_SMTP_EQ = re.compile(r":smtp=([^;\s@]+@[^;\s]+)", re.I)


def _is_exchange2003(mail: MailView) -> bool:
    names = mail.header_names
    if "x-ms-embedded-report" in names:
        return True
    if "x-mailer" in names and mail.header("X-Mailer").startswith((
            "Internet Mail Service (", "Microsoft Exchange Server Internet Mail Connector")):
        return True
    if "x-mimeole" in names and mail.header("X-MimeOLE").startswith(
            "Produced By Microsoft Exchange"):
        return True
    return " with Internet Mail Service (" in received_text(mail)   # any line holds it


@dialect(NAME)
def inquire(mail: MailView) -> BounceReport | None:
    if not _is_exchange2003(mail):
        return None
    text = all_text(mail)   # the notice may be any text part (go-sisimai reads the whole body)
    if START not in text:
        return None
    recipients: list[RecipientReport] = []
    other: list[str] = []
    reading = False
    for line in text.split(START, 1)[1].split("\n"):
        if not reading:
            # recipients follow "did not reach the following recipient(s):" or, in layouts
            # without it, the notice's "Sent:" line (go-sisimai: after To/Subject/Sent)
            reading = ERROR_MARK in line or line.lstrip().startswith("Sent:")
            continue
        at, on = line.find("@"), line.find(" on ")
        if 0 <= at < on and not line.startswith("    "):
            smtp = _SMTP_EQ.search(line)
            found = smtp.group(1) if smtp else (EMAIL.search(line[:on]) or [""])[0]
            recipients.append(RecipientReport(recipient=found, diagnostic=""))
            other.append("")
        elif recipients and "MSEXCH:" in line:
            recipients[-1].diagnostic = line.strip()
        elif recipients and line.strip() and ERROR_MARK not in line:
            other[-1] += " " + line.strip()
    for r, alt in zip(recipients, other):
        m = _MSEXCH.search(r.diagnostic or "")
        if m:
            reason = ERROR_CODES.get(m.group(1).upper())
            r.diagnostic = m.group(2)
            r.extra["msexch-code"] = m.group(1).upper()
            if reason:
                r.reason, r.reason_rule = reason, f"exchange2003.{m.group(1).upper()}"
                continue
        r.diagnostic = fold(f"{alt} {r.diagnostic}")
    return build(NAME, "exchange2003", mail, recipients)
