"""Deterministic synthetic workloads for the broker tests and bench/bench_streaming.py.

- SendGrid-shaped webhook batches (JSON arrays, one raw input = `per_batch` events);
- RFC 3464 DSN emails (one recipient each, Postfix-like).
Recipients come from a pool, each with one "fate" (hard / complaint / soft / unsubscribe /
healthy) so suppression decisions do not depend on how raw partitions interleave, and event
times increase with the index.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import orjson

BASE = datetime(2026, 11, 2, 8, 0, tzinfo=timezone.utc)
FATES = ("hard", "complaint", "soft", "unsubscribe", "healthy", "healthy", "healthy", "healthy")


def recipient(n: int) -> str:
    return f"user{n:06d}@d{n % 13}.example"


def _fate(n: int) -> str:
    return FATES[n % len(FATES)]


def webhook_event(i: int, rng: random.Random, pool: int, step_minutes: float = 7) -> dict:
    n = rng.randrange(pool)
    when = BASE + timedelta(minutes=step_minutes * i)   # 7 min: 10k events span ~7 weeks
    e = {"email": recipient(n), "timestamp": int(when.timestamp()), "sg_event_id": f"gen-{i}",
         "sg_message_id": f"msg-{i}.filter0001"}
    fate, roll = _fate(n), rng.random()
    if roll < 0.5 or fate == "healthy":
        e.update(event="delivered", response="250 2.0.0 OK")
    elif fate == "hard":
        e.update(event="bounce", type="bounce", status="5.1.1",
                 reason="550 5.1.1 The email account that you tried to reach does not exist.")
    elif fate == "complaint":
        e.update(event="spamreport")
    elif fate == "soft":
        e.update(event="bounce", type="blocked", status="4.2.2", reason="452 4.2.2 Mailbox full")
    else:
        e.update(event="unsubscribe", asm_group_id=1 + n % 3)
    return e


def webhook_batches(events: int, *, per_batch: int = 20, pool: int | None = None,
                    seed: int = 7, step_minutes: float = 7) -> list[bytes]:
    rng = random.Random(seed)
    pool = pool or max(10, events // 6)
    out = []
    for start in range(0, events, per_batch):
        out.append(orjson.dumps([webhook_event(i, rng, pool, step_minutes)
                                 for i in range(start, min(events, start + per_batch))]))
    return out


DSN = """\
Date: {date}
From: MAILER-DAEMON@mta1.example.com (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: bounces@news.example.com
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B{i}"
Message-Id: <gen-{i}@mta1.example.com>

--B{i}
Content-Type: text/plain; charset=us-ascii

<{rcpt}>: host mx.example.org[192.0.2.25] said: {diag}

--B{i}
Content-Type: message/delivery-status

Reporting-MTA: dns; mta1.example.com
Arrival-Date: {date}

Final-Recipient: rfc822; {rcpt}
Action: failed
Status: {status}
Remote-MTA: dns; mx.example.org
Diagnostic-Code: smtp; {diag}

--B{i}
Content-Type: text/rfc822-headers

From: News <news@news.example.com>
To: {rcpt}
Subject: Newsletter {i}
Message-ID: <orig-{i}@news.example.com>

--B{i}--
"""


def dsn_emails(count: int, *, pool: int | None = None, seed: int = 11,
               step_minutes: float = 7) -> list[bytes]:
    rng = random.Random(seed)
    pool = pool or max(10, count // 4)
    out = []
    for i in range(count):
        n = rng.randrange(pool)
        when = BASE + timedelta(minutes=step_minutes * i)
        if _fate(n) == "soft":
            status, diag = "4.2.2", "452 4.2.2 Mailbox full: quota exceeded"
        else:
            status, diag = "5.1.1", "550 5.1.1 User unknown in virtual mailbox table"
        out.append(DSN.format(i=i, rcpt=recipient(n), status=status, diag=diag,
                              date=when.strftime("%a, %d %b %Y %H:%M:%S +0000")).encode())
    return out
