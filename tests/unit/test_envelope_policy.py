"""The return-path policy (pipeline/envelope.py) over pipeline/verp.py's schemes: the
envelope into the event, what a classic or signed return path vouches for, and what the
suppression engine does with an unverified event."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from pydantic import SecretStr

from pipeline import verp
from pipeline.core import process
from pipeline.envelope import Envelope, envelope_of
from pipeline.settings import Settings, VerpSettings
from pipeline.suppression import SuppressionEngine
from schemas.models import RawMessage, RawSource

KEY = "a first secret of 32 bytes......"


def test_codec_from_settings_signs_with_current_key_and_reads_both_schemes():
    settings = VerpSettings(keys={"k1": SecretStr(KEY), "k2": SecretStr(KEY[::-1])},
                            current_key="k2")
    codec = verp.Codec.from_settings(settings)
    address = codec.encode("Alice@Example.com", "b.example.net", tenant="t", ref="r")
    said = codec.decode(address.upper())          # an MTA that folds case
    assert (said.recipient, said.key_id, said.tenant, said.ref, said.status) == (
        "alice@example.com", "k2", "t", "r", "verified")
    plain = codec.encode("alice@example.com", "b.example.net", signed=False)
    assert plain == "b+alice=example.com@b.example.net"
    assert codec.decode(plain).status == "plain"
    with pytest.raises(verp.NotVerp):
        codec.decode("postmaster@b.example.net")
    with pytest.raises(verp.VerpError):
        verp.Codec.from_settings(VerpSettings()).encode("a@example.com", "b.example.net")


# -- the policy: envelope -> event, and what the suppression engine does with it ----------------
DSN = b"""From: MAILER-DAEMON@mx.example.org\r
To: {to}\r
Subject: Undelivered Mail Returned to Sender\r
MIME-Version: 1.0\r
Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r
\r
--B\r
Content-Type: text/plain\r
\r
Your message could not be delivered.\r
--B\r
Content-Type: message/delivery-status\r
\r
Reporting-MTA: dns; mx.example.org\r
\r
Final-Recipient: rfc822; {rcpt}\r
Action: failed\r
Status: 5.1.1\r
Diagnostic-Code: smtp; 550 5.1.1 <{rcpt}>: Recipient address rejected: User unknown\r
\r
--B--\r
"""


def _settings(require_signed: bool) -> Settings:
    return Settings(verp=VerpSettings(keys={"k1": SecretStr(KEY)}, require_signed=require_signed))


def _forged(settings: Settings) -> str:
    """A token signed with a key the receiver does not hold, for the right recipient."""
    other = verp.Codec(prefix="b", keys=(("k1", b"another key, 32 bytes long......"),),
                       current_key="k1")
    return other.encode("alice@example.com", "b.example.net", tenant="acme")


def _expired(settings: Settings) -> str:
    return verp.Codec.from_settings(settings.verp).encode(
        "alice@example.com", "b.example.net", now=datetime(2020, 1, 1, tzinfo=timezone.utc))


def _event(rcpt: str, envelope_to: str, settings: Settings):
    payload = DSN.replace(b"{rcpt}", rcpt.encode()).replace(b"{to}", envelope_to.encode())
    raw = RawMessage.from_bytes(payload, RawSource(transport="memory"), headers={
        "mail_from": "", "rcpt_to": envelope_to, "client_address": "192.0.2.7",
        "helo": "mx.example.org"})
    [event] = process(raw, settings).events
    return event


@pytest.mark.parametrize("required", [False, True])
def test_valid_token_fills_tenant_campaign_and_suppresses(required):
    settings = _settings(required)
    to = verp.Codec.from_settings(settings.verp).encode("alice@example.com", "b.example.net",
                                                       tenant="acme", ref="c42")
    event = _event("alice@example.com", to, settings)
    assert (event.category, event.verp, event.unverified) == ("hard_bounce", "verified", False)
    assert (event.tenant, event.campaign, event.envelope_to) == ("acme", "c42", to)
    assert (event.envelope_from, event.client_address, event.helo) == ("", "192.0.2.7",
                                                                       "mx.example.org")
    assert [d.address for d in SuppressionEngine().feed(event)] == ["alice@example.com"]


@pytest.mark.parametrize("to, required, status", [
    ("bounces@b.example.net", True, "missing"),                       # no VERP at all
    ("b+alice=example.com@b.example.net", True, "missing"),           # classic where signed required
    (_forged, False, "forged"),                                        # flagged even when not required
    (_forged, True, "forged"),
    (_expired, True, "expired"),
    ("b+aaaabbbbccccdddd@b.example.net", True, "forged"),              # malformed token
])
def test_unvouched_dsn_is_flagged_and_suppresses_nobody(to, required, status):
    settings = _settings(required)
    event = _event("alice@example.com", to if isinstance(to, str) else to(settings), settings)
    assert (event.category, event.verp, event.unverified) == ("hard_bounce", status, True)
    assert SuppressionEngine().feed(event) == []


def test_recipient_disagreeing_with_its_token_is_flagged():
    settings = _settings(False)
    to = verp.Codec.from_settings(settings.verp).encode("alice@example.com", "b.example.net")
    event = _event("victim@example.com", to, settings)
    assert (event.recipient, event.verp, event.unverified) == ("victim@example.com", "mismatch", True)
    assert SuppressionEngine().feed(event) == []


def test_plain_verp_without_policy_suppresses_and_no_envelope_changes_nothing():
    event = _event("alice@example.com", "b+alice=example.com@b.example.net", _settings(False))
    assert (event.verp, event.unverified) == ("plain", False)
    raw = RawMessage.from_bytes(DSN.replace(b"{rcpt}", b"alice@example.com").replace(
        b"{to}", b"x@example.net"), RawSource(transport="memory"))
    [bare] = process(raw, _settings(False)).events
    assert (bare.envelope_to, bare.verp, bare.unverified) == (None, None, False)


def test_mailbox_trace_headers_are_the_envelope():
    """A DSN read from a mailbox (IMAP, maildir): the delivering MTA's trace headers."""
    settings = _settings(False)
    to = verp.Codec.from_settings(settings.verp).encode("alice@example.com", "b.example.net",
                                                       tenant="acme")
    payload = (f"Return-Path: <>\r\nX-Original-To: {to}\r\nDelivered-To: bounces@b.example.net\r\n"
               "Received: from mx.example.org (mx.example.org [192.0.2.9])\r\n\tby b.example.net"
               " (Postfix) with ESMTP id 1; Sun, 6 Dec 2026 10:00:00 +0000\r\n").encode() + \
        DSN.replace(b"{rcpt}", b"alice@example.com").replace(b"{to}", to.encode())
    [event] = process(RawMessage.from_bytes(payload, RawSource(transport="memory")), settings).events
    assert (event.envelope_from, event.envelope_to, event.verp, event.tenant) == ("", to, "verified", "acme")
    assert (event.client_address, event.helo) == ("192.0.2.9", "mx.example.org")


@pytest.mark.parametrize("head, expected", [
    # names in any case; the topmost of each; blanks after the colon and one CR dropped
    (b"X-Spam: 1\nRETURN-PATH:\t <b@x.example>\r\nreturn-path: <c@x.example>\n"
     b"received: from h.example (h [192.0.2.1])\r\ndelivered-to: Box@x.example\r\r\n",
     Envelope("b@x.example", ("Box@x.example",), "192.0.2.1", "h.example")),
    # a Received without a Return-Path says nothing; X-Original-To wins over Delivered-To
    (b"Received: from h.example ([192.0.2.1])\nDelivered-To: d@x.example\n"
     b"X-Original-To: <o@x.example>\n", Envelope(None, ("o@x.example",))),
    (b"Received: from h.example ([192.0.2.1])\nX-Return-Path: <a@x.example>\n", None),
    # only the header block counts, and only a line that starts with the name
    (b"Subject: x\n return-path: <a@x.example>\n\nReturn-Path: <b@x.example>\n", None),
    (b"Return-Path:", Envelope("", ())),
    (b"Return-Path: <>\r\n\r\nDelivered-To: a@x.example\r\n", Envelope("", ())),
    # the block ends at the first blank line, whichever line endings come before it
    (b"Subject: x\r\n\nReturn-Path: <a@x.example>\r\n", None),
    (b"Subject: x\nReturn-Path: <a@x.example>\r\n\r\nDelivered-To: d@x.example\n",
     Envelope("a@x.example", ())),
])
def test_trace_headers_read_from_the_raw_header_block(head, expected):
    raw = RawMessage.from_bytes(head + b"\nbody\n", RawSource(transport="memory"))
    assert envelope_of(raw) == expected


def test_updated_event_is_model_copy():
    """pipeline/envelope.py copies events with schemas.models.updated_mail_event: the same
    event, fields set included, as pydantic's model_copy(update=...)."""
    from schemas.models import updated_mail_event

    settings = _settings(False)
    [event] = process(RawMessage.from_bytes(DSN.replace(b"{rcpt}", b"a@example.com").replace(
        b"{to}", b"x@example.net"), RawSource(transport="memory")), settings).events
    update = {"envelope_to": "b+a=example.com@b.example.net", "verp": "plain", "tenant": "t"}
    mine, theirs = updated_mail_event(event, update), event.model_copy(update=update)
    assert mine == theirs and list(mine.__dict__) == list(theirs.__dict__)
    assert mine.model_fields_set == theirs.model_fields_set != event.model_fields_set
    assert mine.model_dump_json() == theirs.model_dump_json()
    assert event.verp is None and mine.verp == "plain"   # the original is left as it was


def _envelope_by_block(payload: bytes) -> Envelope | None:
    """The definition envelope_of answers as: cut the header block (up to the first "\\n\\n"
    or "\\r\\n\\r\\n" in the first 16 KiB), then the first line of it that starts with each
    trace header's name (any case)."""
    import re

    head = payload[:16 * 1024]
    ends = [i for i in (head.find(b"\n\n"), head.find(b"\r\n\r\n")) if i >= 0]
    block = head[:min(ends)] if ends else head

    def first(name: bytes) -> str | None:
        for line in block.split(b"\n"):
            if line.lower().startswith(name + b":"):
                value = re.match(rb"[ \t]*(.*)", line[len(name) + 1:], re.S)[1]
                if value.endswith(b"\r"):
                    value = value[:-1]
                return value.decode("utf-8", "replace").strip().strip("<>").strip()
        return None

    return_path = first(b"return-path")
    received = first(b"received") if return_path is not None else None
    original_to, delivered_to = first(b"x-original-to"), first(b"delivered-to")
    if return_path is None and original_to is None and delivered_to is None:
        return None
    rcpt = original_to or delivered_to
    client = re.match(r"from\s+(\S+)\s+\([^)\[]*\[(?:IPv6:)?([0-9A-Fa-f:.]+)\]", received or "")
    return Envelope(return_path, (rcpt,) if rcpt else (),
                    client[2] if client else None, client[1] if client else None)


_LINES = [b"Return-Path: <a@x.example>", b"return-path:<>", b"RETURN-PATH:\t b@y.example",
          b"Received: from h.example (h [192.0.2.1])", b"received: from g ([192.0.2.7])",
          b"X-Original-To: o@x.example", b"Delivered-To: d@x.example", b"Subject: x",
          b" return-path: folded", b"X-Return-Path: <n@x.example>", b"From MAILER-DAEMON",
          b"", b"Return-Path: \xff\xfe"]


@given(st.lists(st.tuples(st.sampled_from(_LINES), st.sampled_from([b"\n", b"\r\n", b"\r\r\n",
                                                                      b"\r", b""])),
                max_size=12),
       st.binary(max_size=40))
@hypothesis_settings(max_examples=3000, deadline=None)
def test_envelope_of_is_the_block_definition(lines, tail):
    payload = b"".join(line + end for line, end in lines) + tail
    raw = RawMessage.from_bytes(payload, RawSource(transport="memory"))
    assert envelope_of(raw) == _envelope_by_block(payload)


def test_envelope_of_is_the_block_definition_on_the_corpus_and_fixtures():
    from pathlib import Path

    from tests.conftest import corpus_root

    roots = [Path(__file__).resolve().parents[1] / "fixtures"]
    if corpus_root() is not None:
        roots.append(corpus_root() / "bounces")
    found = 0
    for root in roots:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            payload = path.read_bytes()
            want = _envelope_by_block(payload)
            assert envelope_of(RawMessage.from_bytes(payload, RawSource(
                transport="memory"))) == want, path
            found += want is not None
    assert found > 50
