"""Yahoo! Mail (yahoo.com, yahoo.co.jp, AOL via Yahoo) "Failure Notice" plain-text bounces.

  Sorry, we were unable to deliver your message to the following address.
  <kijitora@example.org>:
  Remote host said: 550 5.1.1 <kijitora@example.org>... User Unknown [RCPT_TO]
  --- Below this line is a copy of the message.

Markers: Sisimai lib/Sisimai/Lhost/Yahoo.pm (BSD-2-Clause); sisimai/set-of-emails
lhost-yahoo-*. Detection: Yahoo's X-YMailISG header (as in Yahoo.pm), or MAILER-DAEMON@yahoo.*
with Subject "Failure Notice" (relays strip X- headers); the body marker is required either way.
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

NAME = "lhost-yahoo"
PROVIDER = "yahoo"

BOUNDARIES = ("--- Below this line is a copy of the message.",)
MESSAGE_START = "Sorry, we were unable to deliver your message"
REMOTE_SAID = "Remote host said:"
# Yahoo's own texts for failures it decided itself (no remote reply). Reasons as in
# go-sisimai's expected results for lhost-yahoo-09 and -13.
MESSAGES_OF = {
    "notaccept": ["No mx record found for domain="],
    "systemerror": ["Unable to deliver message after multiple retries, giving up."],
}
# "[RCPT_TO]" / "[MAIL_FROM]" / "[DATA]" tag after the remote reply.
_COMMAND_TAG = re.compile(r"\[(RCPT_TO|MAIL_FROM|DATA|EHLO|HELO|BODY)\]")
_RECIPIENT_LINE = re.compile(r"^<([^<>\s]+@[^<>\s]+)>:\s*$")


@dialect(NAME)
def inquire(mail: MailView):
    sender = mail.from_.lower()
    if not ("x-ymailisg" in mail.header_names and mail.get("X-YMailISG")) and not (
            "mailer-daemon@yahoo" in sender and mail.subject == "Failure Notice"):
        return None
    try:
        body, tail = split_at(plain_text(mail), BOUNDARIES)
        start = body.find(MESSAGE_START)
        if start < 0:
            return None
        recipients: list[RecipientReport] = []
        texts: list[list[str]] = []
        for line in body[start:].split("\n")[1:]:
            m = _RECIPIENT_LINE.match(line.strip())
            if m:
                recipients.append(RecipientReport(recipient=m.group(1), action="failed"))
                texts.append([])
            elif line.strip() and texts:
                texts[-1].append(line.strip())
        for r, own in zip(recipients, texts):
            text = fold(" ".join(own))
            tag = _COMMAND_TAG.search(text)
            if tag:
                r.command = tag.group(1).split("_")[0]
                text = fold(_COMMAND_TAG.sub("", text))
            diag = text.removeprefix(REMOTE_SAID).strip()
            r.diagnostic = diag or None
            r.status = status_in(diag)
            r.reply_code = reply_code_in(diag)
            if r.command is None and address(diag):
                r.command = "RCPT"
            reason = first_phrase(diag, MESSAGES_OF)
            if reason:
                r.reason, r.reason_rule = reason, f"yahoo.{reason}"
        return report(NAME, PROVIDER, recipients, provider_original(mail, tail), mail.header("Date"))
    except Exception:  # noqa: BLE001 - a dialect never raises
        return None
