"""Gmail (consumer, pre-2016 plain-text DSN from mailer-daemon@googlemail.com).

  Delivery to the following recipient failed permanently:
       userunknown@example.jp
  Technical details of permanent failure:
  Google tried to deliver your message, but it was rejected by the server for the recipient
  domain example.jp by mx.example.jp. [192.0.2.153].
  The error that the other server returned was:
  550 5.1.1 <userunknown@example.jp>... User Unknown
  ----- Original message -----

Newer Google bounces (multipart/report with a delivery-status part) are left to the RFC 3464
parser and the receiving-provider (rhost) rules. Markers, the "(state N)" table and phrases:
Sisimai lib/Sisimai/Lhost/Gmail.pm and go-sisimai lhost/via-gmail.go (BSD-2-Clause).
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
    split_at,
    status_in,
)

NAME = "lhost-gmail"
PROVIDER = "google"

FROM_MARK = "<mailer-daemon@googlemail.com>"
SUBJECT_MARK = "Delivery Status Notification"
BOUNDARIES = ("----- Original message -----", "----- Message header follows -----")
MESSAGE_START = "Delivery to the following recipient"
ERROR_START = "The error that the other server returned was:"
# "(state N)" at the end of the remote reply -> (SMTP command, reason) (via-gmail.go).
STATE_TABLE: dict[str, tuple[str, str]] = {
    "6": ("MAIL", "failedstarttls"),
    "8": ("AUTH", "systemerror"),
    "9": ("AUTH", "failedstarttls"),
    "12": ("AUTH", "norelaying"),     # Sisimai says "relayingdenied": norelaying in our vocab
    "13": ("EHLO", "blocked"),
    "14": ("RCPT", "userunknown"),
    "15": ("DATA", "filtered"),
    "17": ("DATA", "filtered"),
    "18": ("DATA", "filtered"),
}
# Google's own wording when there is no state code (via-gmail.go messagesof), plus the
# account-level wording Gmail uses for its own mailboxes.
MESSAGES_OF = {
    "expired": ["DNS Error: Could not contact DNS servers",
                "Delivery to the following recipient has been delayed",
                "The recipient server did not accept our requests to connect"],
    "hostunknown": ["DNS Error: Domain name not found",
                    "DNS Error: DNS server returned answer with no data"],
    "userunknown": ["The email account that you tried to reach does not exist"],
    "mailboxfull": ["The email account that you tried to reach is over quota"],
    "suspend": ["The email account that you tried to reach is disabled"],
}
# States whose reason stands even when the reply carries a specific enhanced code: a blocked
# session answers with whatever 5.7.x the remote likes.
STATUS_PROOF_RULES = frozenset({"gmail.state-13"})
_STATE = re.compile(r"\(state (\d+)\)")
_REMOTE_HOST = re.compile(r" by ([A-Za-z0-9][A-Za-z0-9.-]*?)\.? \[([0-9A-Fa-f.:]+)\]\.")


def _recipient(line: str) -> str | None:
    if not line.startswith(" ") or "@" not in line:
        return None
    return address(line.strip())


@dialect(NAME)
def inquire(mail: MailView):
    if FROM_MARK not in mail.from_.lower() or SUBJECT_MARK not in mail.subject:
        return None
    try:
        if any(p.get_content_type() in ("message/delivery-status", "message/rfc822")
               for p in mail.parts[1:]):
            return None      # a structured Google DSN: RFC 3464 + rhost rules handle it
        body, tail = split_at(plain_text(mail), BOUNDARIES)
        start = body.find(MESSAGE_START)
        if start < 0:
            return None
        delayed = "has been delayed" in body[start:start + 80]
        recipients: list[RecipientReport] = []
        lines: list[list[str]] = []
        for line in body[start:].split("\n"):
            rcpt = _recipient(line)
            if rcpt:
                recipients.append(RecipientReport(recipient=rcpt,
                                                  action="delayed" if delayed else "failed"))
                lines.append([])
            elif line.strip():
                if lines:
                    lines[-1].append(line.strip())
                elif recipients == []:
                    continue
        for r, own in zip(recipients, lines):
            text = fold(" ".join(own))
            pos = text.find(ERROR_START)
            remote = text[pos + len(ERROR_START):].strip() if pos >= 0 else ""
            r.diagnostic = remote or text or None
            r.status = status_in(remote or text)
            r.reply_code = reply_code_in(remote) if remote else None
            host = _REMOTE_HOST.search(text)
            if host:
                r.remote_mta = host.group(1)
            state = _STATE.search(text)
            reason = None
            if state and state.group(1) in STATE_TABLE:
                r.command, reason = STATE_TABLE[state.group(1)]
                rule = f"gmail.state-{state.group(1)}"
            else:
                reason = first_phrase(text, MESSAGES_OF)
                rule = f"gmail.{reason}"
            # Like Sisimai: a specific enhanced code in the remote reply outranks the table,
            # except where the state says the session itself was refused (state 13: EHLO).
            specific = bool(r.status and ".0" not in r.status[1:])
            if reason and (not specific or rule in STATUS_PROOF_RULES):
                r.reason, r.reason_rule = reason, rule
        return report(NAME, PROVIDER, recipients, provider_original(mail, tail), mail.header("Date"))
    except Exception:  # noqa: BLE001 - a dialect never raises
        return None
