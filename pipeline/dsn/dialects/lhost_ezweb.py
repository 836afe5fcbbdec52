"""au EZweb (ezweb.ne.jp / au.com) "Mail System Error - Returned Mail" bounces.

ISO-2022-JP (often really Shift_JIS) Japanese text with English lines Sisimai keys on:
  The user(s) account is disabled.
  <this-local-part-does-not-exist-on-the-site@ezweb.ne.jp>
  -- or --
  Each of the following recipients was rejected by a remote mail server.
      Recipient: <...@ezweb.ne.jp>
      >>> RCPT TO:<...@ezweb.ne.jp>
      <<< 550 <...@ezweb.ne.jp>: User unknown
  -- or --
  Your message was not delivered within 0 days and 1 hours.

Markers, phrases and rules (X-SPASIGN: NG -> filtered; rejected at RCPT -> userunknown):
Sisimai lib/Sisimai/Lhost/EZweb.pm (BSD-2-Clause); sisimai/set-of-emails lhost-ezweb-*.
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
    provider_original,
    provider_text,
    received_text,
    reply_code_in,
    report,
    split_at,
    status_in,
)

NAME = "lhost-ezweb"
PROVIDER = "ezweb"

SUBJECT = "Mail System Error - Returned Mail"
BOUNDARIES = ("--------------------------------------------------", "Content-Type: message/rfc822")
MESSAGE_MARKS = ("The user(s) ", "Your message ", "Each of the following", "<")
# EZweb.pm $refailures. The bare "rejected by a remote mail server" line is Sisimai's "onhold",
# i.e. "no idea": it marks diagnostic lines but decides no reason (the remote reply does).
REFAILURES = {
    "mailboxfull": ["The user(s) account is temporarily over quota"],
    "suspend": ["The user(s) account is disabled.",
                "The user(s) account is temporarily limited."],
    "expired": ["Your message was not delivered within "],
    "onhold": ["Each of the following recipients was rejected by a remote mail server"],
}
CARRIER_DOMAINS = ("@ezweb.ne.jp", "@au.com")
_RECIPIENT = re.compile(r"^(?:<([^ ]+@[^ ]+?)>:?(.*)|\s+Recipient: <([^ ]+@[^ ]+?)>.*)$")
_COMMAND = re.compile(r">>> (RCPT|MAIL|DATA|EHLO|HELO)\b", re.I)


def _matches(mail: MailView) -> int:
    sender = mail.from_
    score = ("Postmaster@ezweb.ne.jp" in sender) + ("Postmaster@au.com" in sender)
    score += mail.subject == SUBJECT
    received = received_text(mail)   # "in" the joined lines = in any one of them
    score += "ezweb.ne.jp (EZweb Mail) with" in received
    score += ".au.com (" in received
    msgid = mail.header("Message-ID")
    score += msgid.endswith(".ezweb.ne.jp>") or msgid.endswith(".au.com>")
    return score


@dialect(NAME)
def inquire(mail: MailView):
    if "ezweb" not in mail.from_.lower() and "au.com" not in mail.from_.lower() and \
            mail.subject != SUBJECT:
        return None
    if _matches(mail) < 2:
        return None
    try:
        body, tail = split_at(provider_text(mail), BOUNDARIES)
        records: list[dict] = [{"diag": [], "alt": []}]
        reading = False
        for line in body.split("\n"):
            if not reading:
                reading = any(m in line for m in MESSAGE_MARKS)
            if not reading or not line.strip():
                continue
            m = _RECIPIENT.match(line)
            if m and address(m.group(1) or m.group(3)):
                if records[-1].get("rcpt"):
                    records.append({"diag": [], "alt": []})
                records[-1]["rcpt"] = address(m.group(1) or m.group(3))
                continue
            if not line.isascii():
                continue
            command = _COMMAND.search(line)
            if command:
                records[-1]["command"] = command.group(1).upper()
            elif first_phrase(line, REFAILURES):
                records[-1]["diag"].append(line.strip())
            else:
                records[-1]["alt"].append(line.strip())
        spam_ng = mail.header("X-SPASIGN").upper() == "NG"
        recipients = []
        for rec in records:
            if not rec.get("rcpt"):
                continue
            diag = fold(" ".join(rec["diag"])) or fold(" ".join(rec["alt"]))
            remote = diag[diag.find("<<<") + 3:].strip() if "<<<" in diag else diag
            r = RecipientReport(recipient=rec["rcpt"], action="failed", diagnostic=diag or None,
                                command=rec.get("command"), status=status_in(remote),
                                reply_code=reply_code_in(remote) if "<<<" in diag else None)
            if spam_ng:
                r.reason, r.reason_rule = "filtered", "ezweb.x-spasign-ng"
            elif r.command == "RCPT":
                r.reason, r.reason_rule = "userunknown", "ezweb.rejected-at-rcpt"
            else:
                reason = first_phrase(diag, REFAILURES)
                reason = None if reason == "onhold" else reason
                if reason is None and r.command is None and not any(
                        d in r.recipient for d in CARRIER_DOMAINS):
                    reason = "userunknown"     # EZweb.pm: unexplained, non-carrier recipient
                if reason:
                    r.reason, r.reason_rule = reason, f"ezweb.{reason}"
            recipients.append(r)
        return report(NAME, PROVIDER, recipients, provider_original(mail, tail), mail.header("Date"))
    except Exception:  # noqa: BLE001 - a dialect never raises
        return None
