"""VERP encode/decode (pipeline/verp.py) and the return-path policy (pipeline/envelope.py)."""
from __future__ import annotations

import time

import pytest
from pydantic import SecretStr

from pipeline import verp
from pipeline.core import process
from pipeline.settings import Settings, VerpSettings
from pipeline.suppression import SuppressionEngine
from schemas.models import RawMessage, RawSource

KEYS = {"k1": b"first secret", "k2": b"second secret"}
NOW = 1_790_000_000


def test_plain_roundtrip_keeps_plus_and_dots():
    address = verp.encode("First.Last+tag@Example.COM", "bounces.example.net")
    assert address == "b+First.Last+tag=Example.COM@bounces.example.net"
    said = verp.decode(address)
    assert (said.recipient, said.signed, said.status) == ("first.last+tag@example.com", False, "plain")


def test_signed_roundtrip_carries_tenant_ref_and_survives_lower_casing():
    address = verp.encode("Alice@Example.com", "b.example.net", key=KEYS["k2"], key_id="k2",
                          tenant="acme", ref="spring-sale", now=NOW)
    said = verp.decode(address.lower().replace("acme", "acme"), keys={"k2": KEYS["k2"]}, now=NOW)
    # tenant/ref are signed as written: lower-casing the whole address only keeps them if they
    # were lower case already, which these are
    assert said == verp.VerpAddress("alice@example.com", True, "k2", "acme", "spring-sale", NOW)


@pytest.mark.parametrize("mutate, error", [
    (lambda a: a.replace("alice", "mallory"), verp.BadSignature),         # other recipient
    (lambda a: a.replace(".acme.", ".evil."), verp.BadSignature),         # other tenant
    (lambda a: a.replace("+k1.", "+k9."), verp.UnknownKey),               # unknown / retired key
    (lambda a: a.split("@")[0].rsplit(".", 1)[0] + ".!!!@b.example.net", verp.MalformedToken),
])
def test_forged_tokens_are_refused(mutate, error):
    address = verp.encode("alice@example.com", "b.example.net", key=KEYS["k1"], key_id="k1",
                          tenant="acme", ref="c1", now=NOW)
    with pytest.raises(error) as info:
        verp.decode(mutate(address), keys=KEYS, now=NOW)
    assert info.value.status == "forged"


def test_expiry_future_and_rotation():
    old = verp.encode("a@example.com", "b.example.net", key=KEYS["k1"], key_id="k1", now=NOW)
    assert verp.decode(old, keys=KEYS, max_age_seconds=86400, now=NOW + 3600).signed
    with pytest.raises(verp.TokenExpired):
        verp.decode(old, keys=KEYS, max_age_seconds=86400, now=NOW + 2 * 86400)
    with pytest.raises(verp.TokenExpired):
        verp.decode(old, keys=KEYS, now=NOW - 3600)        # issued an hour in the future
    with pytest.raises(verp.UnknownKey):                    # k1 retired: its tokens stop verifying
        verp.decode(old, keys={"k2": KEYS["k2"]}, now=NOW)


def test_not_verp_and_required_signature():
    with pytest.raises(verp.NotVerp):
        verp.decode("postmaster@b.example.net")
    with pytest.raises(verp.NotVerp):
        verp.decode("b+nodomain@b.example.net")
    with pytest.raises(verp.TokenMissing) as info:
        verp.decode("b+a=example.com@b.example.net", require_signed=True)
    assert info.value.status == "missing"
    with pytest.raises(verp.VerpError):
        verp.encode("a@example.com", "b.example.net", key=b"k", key_id="k1", tenant="not ok!")


def test_codec_from_settings_signs_with_current_key():
    settings = VerpSettings(keys={"k1": SecretStr("first secret"), "k2": SecretStr("second secret")},
                            current_key="k2")
    codec = verp.Codec.from_settings(settings)
    address = codec.encode("a@example.com", "b.example.net", tenant="t", ref="r")
    assert "+k2." in address and codec.decode(address).key_id == "k2"
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
    return Settings(verp=VerpSettings(keys={"k1": SecretStr("first secret")},
                                      require_signed=require_signed))


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
    ("b+alice=example.com@b.example.net", True, "missing"),           # plain where signed required
    ("b+alice=example.com+k1.tpmfa8.acme.c1.aaaaaaaaaaaaaaaa@b.example.net", False, "forged"),
    ("b+alice=example.com+k1.1.acme.c1.aaaaaaaaaaaaaaaa@b.example.net", True, "forged"),
])
def test_unvouched_dsn_is_flagged_and_suppresses_nobody(to, required, status):
    event = _event("alice@example.com", to, _settings(required))
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
                                                       tenant="acme", now=time.time())
    payload = (f"Return-Path: <>\r\nX-Original-To: {to}\r\nDelivered-To: bounces@b.example.net\r\n"
               "Received: from mx.example.org (mx.example.org [192.0.2.9])\r\n\tby b.example.net"
               " (Postfix) with ESMTP id 1; Sun, 6 Dec 2026 10:00:00 +0000\r\n").encode() + \
        DSN.replace(b"{rcpt}", b"alice@example.com").replace(b"{to}", to.encode())
    [event] = process(RawMessage.from_bytes(payload, RawSource(transport="memory")), settings).events
    assert (event.envelope_from, event.envelope_to, event.verp, event.tenant) == ("", to, "verified", "acme")
    assert (event.client_address, event.helo) == ("192.0.2.9", "mx.example.org")
