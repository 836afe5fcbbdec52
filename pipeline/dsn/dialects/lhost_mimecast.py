"""Mimecast's own bounces: Subject "[Postmaster] Email Delivery Failure", Message-ID "@...mimecast.lan>".

Format facts from go-sisimai `lhost/via-mimecast.go` (BSD-2-Clause):

    An email that you attempted to send to the following address could not be delivered:
    -- sabineko@neko.example.org
    The problem appears to be :
    -- Recipient email address is possibly incorrect
    Additional information follows :
    -- 5.4.1 Recipient address rejected: Access denied.

a "-- " line holding only an address names a recipient, every other "-- " line is error text;
RFC 3464 fields (Status, Diagnostic-Code, Remote-MTA) may follow and take precedence.
"""
from __future__ import annotations

from ...mime.view import MailView
from ..model import BounceReport, RecipientReport
from . import dialect
from .kit import EMAIL, all_text, build, dsn_recipients, fold

NAME = "lhost-mimecast"
SUBJECT = "Email Delivery Failure"
MESSAGE_ID_END = ".mimecast.lan>"


@dialect(NAME)
def inquire(mail: MailView) -> BounceReport | None:
    if SUBJECT not in mail.subject and not mail.header("Message-ID").rstrip().endswith(
            MESSAGE_ID_END):
        return None
    recipients: list[RecipientReport] = []
    errors: list[str] = []
    for line in all_text(mail).split("\n"):
        if not line.startswith("-- "):
            continue
        rest = line[3:].strip()
        if rest and " " not in rest and EMAIL.fullmatch(rest.strip("<>")):
            recipients.append(RecipientReport(recipient=rest.strip("<>")))
        elif rest:
            errors.append(rest)
    if not recipients:
        return None
    dsn = {d.recipient.lower(): d for d in dsn_recipients(mail)}
    for r in recipients:
        r.diagnostic = fold(" ".join(errors)) or None
        d = dsn.get(r.recipient.lower()) or (next(iter(dsn.values())) if len(dsn) == 1 else None)
        if d is not None:
            r.status, r.action, r.remote_mta = d.status, d.action, d.remote_mta
            r.reporting_mta = d.reporting_mta
            if fold(d.diagnostic):
                r.diagnostic = d.diagnostic
    return build(NAME, "mimecast", mail, recipients)
