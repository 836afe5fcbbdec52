"""Send the reply table through one MTA and collect what comes back.

One single-recipient message per reply row (`plan`; what record.py saves as fixtures), or, for
the live tests, every row once in batched messages (`batched_plan`: each message carries one
DATA-stage row and a share of the RCPT-stage rows, so a run submits about a third of the
messages), plus the multi-recipient messages of `replies.MULTI_RECIPIENT`. Every recipient is `<row id>+<mta>-<message tag>@<row domain>`, so a
DSN names the row and the message each of its recipients came from, and the To: header names
no recipient (only a report can). The DSNs come back to `sender+<run nonce>@bounces.test` at the server.
"""
from __future__ import annotations

import re
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime
from datetime import datetime, timezone

from pipeline.core import process_bytes
from tests.integration.mta.base import MTA
from tests.integration.mta.replies import BY_ID, DATA, MULTI_RECIPIENT, REPLIES, Reply
from tests.integration.mta.server import SINK_DOMAIN, ReplyTableServer

SENDER_LOCAL = "sender"


@dataclass(frozen=True)
class Sent:
    tag: str                      # "s" (single) or "m<n>"
    recipients: tuple[str, ...]
    rows: tuple[Reply | None, ...]   # None: a recipient that is delivered


@dataclass
class Campaign:
    mta: str
    version: str
    sent: list[Sent]
    dsns: list[bytes]
    # recipient -> the events the classifier made for it, over every DSN
    events: dict[str, list] = field(default_factory=lambda: defaultdict(list))

    def dsn_tags(self, dsn: bytes) -> set[str]:
        return set(re.findall(rf"\+{self.mta}-(s|[mb]\d+)@".encode(), dsn))

    def sent_with(self, row_id: str) -> tuple[Sent, str]:
        """The single-recipient or batched message that carried the row, and its recipient."""
        for item in self.sent:
            if item.tag[0] in "sb":
                for recipient, row in zip(item.recipients, item.rows):
                    if row is not None and row.id == row_id:
                        return item, recipient
        raise KeyError(row_id)


def address(row_id: str, mta: str, tag: str, domain: str) -> str:
    return f"{row_id}+{mta}-{tag}@{domain}"


def message(subject: str, sender: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Reply table test <{sender}>"
    msg["To"] = "undisclosed-recipients:;"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime.now(timezone.utc))
    msg["Message-ID"] = f"<{subject.replace(' ', '.')}@client.test>"
    msg.set_content("A test message for bouncepipe's real-MTA harness.\n")
    return bytes(msg)


def plan(mta: str) -> list[Sent]:
    sent = [Sent("s", (address(row.id, mta, "s", row.domain),), (row,)) for row in REPLIES]
    return sent + multi_recipient(mta)


def batched_plan(mta: str) -> list[Sent]:
    """Every row once: message b<n> holds the n-th DATA-stage row (one DATA reply answers
    for a whole transaction, so one such row per message) and its share of the RCPT-stage
    rows, which are refused one by one before DATA. A temporary DATA-stage row goes alone:
    Exim defers a 4xx after DATA when the same delivery also failed addresses at RCPT, and
    bounces it only at a later queue run (the run would wait for a DSN that never comes)."""
    data = [row for row in REPLIES if row.stage == DATA and not row.temporary]
    rcpt = [row for row in REPLIES if row.stage != DATA]
    alone = [row for row in REPLIES if row.stage == DATA and row.temporary]
    groups = max(len(data), 1)
    share = -(-len(rcpt) // groups)
    sent = []
    for n in range(groups):
        rows = tuple(rcpt[n * share:(n + 1) * share]) + tuple(data[n:n + 1])
        if rows:
            tag = f"b{n + 1}"
            sent.append(Sent(tag, tuple(address(r.id, mta, tag, r.domain) for r in rows), rows))
    for row in alone:
        tag = f"b{len(sent) + 1}"
        sent.append(Sent(tag, (address(row.id, mta, tag, row.domain),), (row,)))
    return sent + multi_recipient(mta)


def multi_recipient(mta: str) -> list[Sent]:
    sent = []
    for n, members in enumerate(MULTI_RECIPIENT, 1):
        recipients, rows = [], []
        for member in members:
            if "@" in member:   # a recipient that is delivered ("accept@<domain>")
                local, domain = member.split("@")
                recipients.append(address(local, mta, f"m{n}", domain))
                rows.append(None)
            else:
                row = BY_ID[member]
                recipients.append(address(row.id, mta, f"m{n}", row.domain))
                rows.append(row)
        sent.append(Sent(f"m{n}", tuple(recipients), tuple(rows)))
    return sent


def run_campaign(mta: MTA, server: ReplyTableServer, timeout: float = 60.0,
                 batched: bool = False) -> Campaign:
    server.handler.take_dsns()
    # The run's own bounce address: DSNs for it are this run's (see wait_for_dsns).
    sender = f"{SENDER_LOCAL}+{secrets.token_hex(4)}@{SINK_DOMAIN}"
    sent = (batched_plan if batched else plan)(mta.name)
    for item in sent:
        if item.tag == "s":
            subject = f"{mta.name} {item.rows[0].id}"
            for rcpt in item.recipients:
                mta.submit(sender, [rcpt], message(subject, sender))
        else:
            mta.submit(sender, list(item.recipients), message(f"{mta.name} {item.tag}", sender))
    refused = {r for item in sent for r, row in zip(item.recipients, item.rows) if row is not None}
    received = server.handler.wait_for_dsns(refused, sender, timeout)
    server.handler.take_dsns()
    campaign = Campaign(mta.name, mta.version, sent, [r.data for r in received])
    for dsn in campaign.dsns:
        for event in process_bytes(dsn, source=f"{mta.name}.eml").events:
            campaign.events[(event.recipient or "").lower()].append(event)
    return campaign
