"""The generic fallback (pipeline/dsn/fallback.py): evident bounces in a format no dialect
knows are read from their text; anything less evident is left alone."""
from __future__ import annotations

import pytest

from pipeline.core import process_bytes
from tests.conformance.bounce_corpus import corpus_root

# A notice in no known MTA's layout (made up here): two recipients, each with its own reply.
UNKNOWN_FORMAT = b"""\
Return-Path: <>
From: "Mail Delivery Robot" <robot@mx.gateway.example.net>
To: sender@shop.example.com
Subject: Message could not be delivered
Date: Sun, 06 Dec 2026 10:00:00 +0000
Message-ID: <ndr-1@mx.gateway.example.net>
Content-Type: text/plain; charset=us-ascii

Hello, this is the delivery robot at mx.gateway.example.net.

Your message to the following addresses could not be delivered:

  gone@dest.example.org
      remote server said: 550 5.1.1 Recipient address rejected: User unknown

  full@other.example.org
      remote server said: 452 4.2.2 Mailbox over quota, try again later

-- Original message follows --
From: sender@shop.example.com
To: gone@dest.example.org, full@other.example.org
Subject: Your order
Message-ID: <order-42@shop.example.com>

Thanks for your order.
"""

GERMAN_SUBJECT_NO_CODES = (
    "Return-Path: <>\n"
    "From: MAILER-DAEMON@mx.example.de\n"
    "To: sender@shop.example.com\n"
    "Subject: =?utf-8?q?Unzustellbar=3A_Ihre_Bestellung?=\n"
    "Content-Type: text/plain; charset=utf-8\n\n"
    "Die Nachricht konnte nicht zugestellt werden an:\n\n"
    "    kunde@ziel.example.de\n\n"
    "Grund: mailbox unavailable, user unknown\n").encode()

PERSONAL_WITH_BOUNCE_WORDS = b"""\
From: Alice <alice@example.org>
To: bob@example.net
Subject: Re: undeliverable parcel
Content-Type: text/plain

Bob, the courier says the parcel was undeliverable to carol@example.com. 550 euros lost?
"""


def _events(raw: bytes):
    out = process_bytes(raw)
    return [(e.recipient, e.category, e.reason, e.status, e.rule) for e in out.events]


def test_an_unknown_format_gives_each_recipient_its_own_reply():
    assert _events(UNKNOWN_FORMAT) == [
        ("gone@dest.example.org", "hard_bounce", "userunknown", "5.1.1", "fallback.status.5.1.1"),
        ("full@other.example.org", "soft_bounce", "mailboxfull", "4.2.2",
         "fallback.status.4.2.2"),
    ]


def test_a_localised_bounce_without_codes_is_read_from_its_words():
    # "user unknown" with no SMTP command named is Sisimai's `filtered` (its userunknown
    # probe wants the RCPT command or a 5.1.1 code; the corpus labels agree)
    ((recipient, category, reason, status, rule),) = _events(GERMAN_SUBJECT_NO_CODES)
    assert (recipient, category, reason, status) == (
        "kunde@ziel.example.de", "soft_bounce", "filtered", None)
    assert rule.startswith("fallback.")


def test_a_personal_email_with_bounce_words_is_not_a_bounce():
    out = process_bytes(PERSONAL_WITH_BOUNCE_WORDS)
    assert out.events == [] and len(out.dead_letters) == 1


@pytest.mark.skipif(corpus_root() is None, reason="../shared/corpus is absent")
def test_the_fallback_alone_reads_most_of_the_corpus():
    """Every dialect and RFC 3464 off: the floor for formats nobody has seen (issue #15
    target: category >= 85 %). Measured: 91.3 % category."""
    from tests.conformance.fallback_report import scores

    found = scores()
    assert found["rows"] > 380
    assert found["category"] >= 85.0, found["category"]
