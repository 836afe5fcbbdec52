"""Amazon SES (sending): bounces relayed by SES, as email or as SNS JSON notifications.

Three shapes (sisimai/set-of-emails lhost-amazonses-*):
- 2011-era multipart/report with "The following message to <rcpt> was undeliverable." and a
  message/delivery-status part whose Status is only 5.0.0; the real code is quoted inside
  the Diagnostic-Code ("5.1.0 - Unknown address error 550-'5.7.1 ... Access denied'").
- 2016+ multipart/report ("An error occurred while trying to deliver the mail to the
  following recipients:") with a standard delivery-status part.
- SNS notification bodies: JSON (optionally wrapped in an SNS envelope whose "Message" is the
  JSON string) with notificationType Bounce / Complaint / Delivery.
Markers and the bounceType table: Sisimai lib/Sisimai/Lhost/AmazonSES.pm (BSD-2-Clause) and
https://docs.aws.amazon.com/ses/latest/dg/notification-contents.html.
"""
from __future__ import annotations

import json
import re

from ...mime.view import MailView
from ...mime.returned import TAG_HEADERS
from ..model import OriginalMessage, RecipientReport
from ..rfc3464 import dsn_text
from . import dialect
from .kit import (
    address,
    ds_recipients,
    first_phrase,
    fold,
    plain_text,
    provider_original,
    reply_code_in,
    report,
    specific_status,
    status_in,
)

NAME = "lhost-amazonses"
PROVIDER = "amazonses"

# Headers SES adds to everything it sends (AmazonSES.pm headerlist).
SES_HEADERS = ("X-SES-Outgoing", "X-AWS-Outgoing", "x-amz-sns-message-id")
SES_NAMES = tuple(h.lower() for h in SES_HEADERS)  # as MailView.header_names holds them
# First line of the human-readable part (AmazonSES.pm $StartingOf->{message}).
MESSAGE_STARTS = ("The following message to <",
                  "An error occurred while trying to deliver the mail ")
# bounceSubType -> reason (AWS notification-contents doc; Sisimai AmazonSES.pm and go-sisimai
# lhost/via-amazonses.go). "General"/"NoEmail"/"Undetermined" are absent on purpose: the
# status and diagnostic decide those.
BOUNCE_SUBTYPES: dict[str, str] = {
    "MailboxFull": "mailboxfull",
    "MessageTooLarge": "mesgtoobig",
    "ContentRejected": "contenterror",
    "AttachmentRejected": "securityerror",
    "Suppressed": "suppressed",
    "OnAccountSuppressionList": "suppressed",
}
# Phrases in the diagnostic that decide the reason (AmazonSES.pm $MessagesOf, plus SES's own
# expiry text which wraps the last remote reply: "Message expired: unable to deliver in 840
# minutes.<421 4.4.2 Connection timed out>").
MESSAGES_OF = {"expired": ["Delivery expired", "Message expired: unable to deliver"]}

# SES 2011: 550-'5.7.1 <...>... Access denied' -> the quoted remote reply carries the code.
_QUOTED_REPLY = re.compile(r"[\"'](\d\.\d{1,3}\.\d{1,3}.+?)[\"']")
# SES expiry: "...minutes.<421 4.4.2 Connection timed out>" -> the last remote reply.
_WRAPPED_REPLY = re.compile(r"<([245]\d\d)[ -]([245]\.\d{1,3}\.\d{1,3})\b[^>]*>")


def _is_workmail(mail: MailView) -> bool:
    return "x-mailer" in mail.header_names and \
        "amazon workmail" in mail.header("X-Mailer").lower()


def _refine(rcpt: RecipientReport) -> RecipientReport:
    diag = rcpt.diagnostic or ""
    if rcpt.status is None or rcpt.status.endswith(".0.0"):
        quoted = _QUOTED_REPLY.search(diag)
        rcpt.status = specific_status(rcpt.status, quoted.group(1) if quoted else diag)
    wrapped = _WRAPPED_REPLY.search(diag)
    if wrapped:
        rcpt.reply_code = int(wrapped.group(1))
        rcpt.status = wrapped.group(2)
    elif rcpt.reply_code is None:
        rcpt.reply_code = reply_code_in(diag)
    reason = first_phrase(diag, MESSAGES_OF)
    if reason:
        rcpt.reason, rcpt.reason_rule = reason, f"amazonses.{reason}"
    return rcpt


def _json_payload(text: str) -> dict | None:
    """The SES notification object from a body starting with '{' (SNS-wrapped or bare)."""
    start = text.find("{")
    if start < 0 or text[:start].strip():
        return None
    try:
        obj, _ = json.JSONDecoder().raw_decode(text[start:])
    except ValueError:
        # Some relays fold long lines with a trailing '!' (AmazonSES.pm); undo and retry.
        joined = re.sub(r"!\n ?", "", text[start:].split("\n--\n")[0])
        try:
            obj, _ = json.JSONDecoder().raw_decode(joined)
        except ValueError:
            return None
    if isinstance(obj, dict) and isinstance(obj.get("Message"), str):
        try:
            obj = json.loads(obj["Message"])
        except ValueError:
            return None
    return obj if isinstance(obj, dict) and "notificationType" in obj else None


def _json_original(payload: dict) -> OriginalMessage:
    mail = payload.get("mail") if isinstance(payload.get("mail"), dict) else {}
    headers = {str(h.get("name", "")).lower(): str(h.get("value", ""))
               for h in mail.get("headers", []) if isinstance(h, dict)}
    common = mail.get("commonHeaders") if isinstance(mail.get("commonHeaders"), dict) else {}
    tags = {k: v for k, v in headers.items() if k in TAG_HEADERS or (
        k.startswith("x-") and any(w in k for w in ("campaign", "stream", "tenant")))}
    to = headers.get("to") or ", ".join(common.get("to", []) or [])
    return OriginalMessage(
        message_id=(headers.get("message-id") or mail.get("messageId") or "").strip("<>")
        or None,
        sender=address(headers.get("from") or ", ".join(common.get("from", []) or []))
        or address(mail.get("source")),
        subject=headers.get("subject") or common.get("subject"),
        to=address(to),
        tags=tags,
    )


def _from_json(payload: dict) -> list[RecipientReport]:
    kind = payload.get("notificationType")
    out: list[RecipientReport] = []
    if kind == "Bounce":
        bounce = payload.get("bounce") or {}
        default = BOUNCE_SUBTYPES.get(str(bounce.get("bounceSubType", "")))
        mta = fold(str(bounce.get("reportingMTA") or "")).removeprefix("dsn;").strip() or None
        for item in bounce.get("bouncedRecipients") or []:
            rcpt = address(str(item.get("emailAddress") or ""))
            if not rcpt:
                continue
            diag = fold(str(item.get("diagnosticCode") or ""))
            diag = re.sub(r"^\s*smtp\s*;\s*", "", diag, flags=re.I) or None
            r = RecipientReport(recipient=rcpt, action=item.get("action") or "failed",
                                status=status_in(item.get("status")) or status_in(diag),
                                reply_code=reply_code_in(diag), diagnostic=diag,
                                reporting_mta=mta)
            if default:
                r.reason, r.reason_rule = default, "amazonses.bounce-type"
            r.extra = {"bounce-type": str(bounce.get("bounceType", "")),
                       "bounce-subtype": str(bounce.get("bounceSubType", ""))}
            out.append(r)
    elif kind == "Complaint":
        complaint = payload.get("complaint") or {}
        for item in complaint.get("complainedRecipients") or []:
            rcpt = address(str(item.get("emailAddress") or ""))
            if rcpt:
                out.append(RecipientReport(
                    recipient=rcpt, reason="feedback", reason_rule="amazonses.complaint",
                    feedback_type=complaint.get("complaintFeedbackType") or "abuse"))
    elif kind == "Delivery":
        delivery = payload.get("delivery") or {}
        response = fold(str(delivery.get("smtpResponse") or "")) or None
        for item in delivery.get("recipients") or []:
            rcpt = address(str(item))
            if rcpt:
                out.append(RecipientReport(
                    recipient=rcpt, action="delivered", status=status_in(response),
                    reply_code=reply_code_in(response), diagnostic=response,
                    reporting_mta=delivery.get("reportingMTA"), reason="delivered",
                    reason_rule="amazonses.delivery"))
    return out


@dialect(NAME)
def inquire(mail: MailView):
    msg = mail.msg
    # = any(mail.get(h) for h in SES_HEADERS) on every bounce: an absent header (nearly
    # always) costs one look-up in the view's name index, and no generator
    names = mail.header_names
    if not (SES_NAMES[0] in names and mail.get(SES_HEADERS[0])
            or SES_NAMES[1] in names and mail.get(SES_HEADERS[1])
            or SES_NAMES[2] in names and mail.get(SES_HEADERS[2])) or _is_workmail(mail):
        return None
    try:
        if mail.get("x-amz-sns-message-id") and not msg.is_multipart():
            payload = _json_payload(plain_text(mail))
            if payload is None:
                return None
            return report(NAME, PROVIDER, _from_json(payload), _json_original(payload),
                          mail.header("Date"))
        text = mail.full_text
        if not any(marker in text for marker in MESSAGE_STARTS):
            return None
        ds = dsn_text(mail)
        if not ds:
            return None
        recipients = ds_recipients(ds)
        return report(NAME, PROVIDER, [_refine(r) for r in recipients], provider_original(mail),
                      mail.header("Date"))
    except Exception:  # noqa: BLE001 - a dialect never raises; the next one may cope
        return None
