"""Signature verification: every official vector in the corpus verifies; tampered bodies,
wrong keys, stale timestamps and replays are refused. Locally generated keys cover the schemes
without public vectors (Postal, SNS)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from urllib.parse import urlencode

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from pipeline.errors import SignatureError
from pipeline.webhooks import signatures as sig
from tests.conftest import corpus_root

WEBHOOKS = (corpus_root() / "webhooks") if corpus_root() else None
needs_corpus = pytest.mark.skipif(WEBHOOKS is None, reason="shared corpus not found")


def _load(rel: str) -> dict:
    return json.loads((WEBHOOKS / rel).read_text())


# --- SendGrid (official SDK vectors) ------------------------------------------------------
@needs_corpus
@pytest.mark.parametrize("name", ["signed_vector_single", "signed_vector_multi"])
def test_sendgrid_official_vectors_verify(name):
    meta = _load(f"sendgrid/{name}.json")
    body = (WEBHOOKS / "sendgrid" / meta["body_file"]).read_bytes()
    stamp = meta["headers"]["X-Twilio-Email-Event-Webhook-Timestamp"]
    sig.verify_sendgrid(meta["public_key_b64_der"], body,
                        meta["headers"]["X-Twilio-Email-Event-Webhook-Signature"], stamp,
                        now=int(stamp))


@needs_corpus
@pytest.mark.parametrize("case", ["wrong_public_key", "wrong_signature", "wrong_timestamp",
                                  "wrong_body", "tampered_body", "stale"])
def test_sendgrid_negative_cases_refused(case):
    meta = _load("sendgrid/signed_vector_single.json")
    body = (WEBHOOKS / "sendgrid" / meta["body_file"]).read_bytes()
    key = meta["public_key_b64_der"]
    signature = meta["headers"]["X-Twilio-Email-Event-Webhook-Signature"]
    stamp = meta["headers"]["X-Twilio-Email-Event-Webhook-Timestamp"]
    now = int(stamp)
    neg = meta["negative_cases"]
    if case == "wrong_public_key":
        key = neg["wrong_public_key"]
    elif case == "wrong_signature":
        signature = neg["wrong_signature"]
    elif case == "wrong_timestamp":
        stamp = neg["wrong_timestamp"]
    elif case == "wrong_body":
        body = neg["wrong_body"].encode()
    elif case == "tampered_body":
        body = body.replace(b"Bounced Address", b"Bounced Addresz")
    elif case == "stale":
        now = int(stamp) + 301
    with pytest.raises(SignatureError):
        sig.verify_sendgrid(key, body, signature, stamp, now=now)


def test_sendgrid_local_key_roundtrip_and_window():
    private = ec.generate_private_key(ec.SECP256R1())
    der = private.public_key().public_bytes(serialization.Encoding.DER,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)
    body, stamp = b'[{"event":"delivered"}]\r\n', "1700000000"
    signature = base64.b64encode(private.sign(stamp.encode() + body,
                                              ec.ECDSA(hashes.SHA256()))).decode()
    key = base64.b64encode(der).decode()
    sig.verify_sendgrid(key, body, signature, stamp, now=1700000000 + 299)
    with pytest.raises(SignatureError, match="tolerance"):
        sig.verify_sendgrid(key, body, signature, stamp, now=1700000000 - 301)
    with pytest.raises(SignatureError, match="missing"):
        sig.verify_sendgrid(key, body, None, stamp, now=1700000000)


# --- Mailgun (Symfony vectors) ------------------------------------------------------------
@needs_corpus
def test_mailgun_vectors_verify_and_bodies_carry_them():
    meta = _load("mailgun/signature_vectors_symfony.json")
    assert len(meta["vectors"]) == 6
    for vector in meta["vectors"]:
        body = (WEBHOOKS / "mailgun" / vector["file"]).read_bytes()
        fields = sig.mailgun_signature_fields(body, json.loads(body))
        assert fields == (vector["timestamp"], vector["token"], vector["signature"])
        sig.verify_mailgun(meta["webhook_signing_key"], *fields, now=int(vector["timestamp"]))


@needs_corpus
def test_mailgun_refuses_wrong_key_tamper_stale_and_replay():
    meta = _load("mailgun/signature_vectors_symfony.json")
    v = meta["vectors"][2]
    key, ts, token, s = meta["webhook_signing_key"], v["timestamp"], v["token"], v["signature"]
    with pytest.raises(SignatureError, match="does not match"):
        sig.verify_mailgun("key-wrong", ts, token, s, now=int(ts))
    with pytest.raises(SignatureError, match="does not match"):
        sig.verify_mailgun(key, str(int(ts) + 1), token, s, now=int(ts))
    with pytest.raises(SignatureError, match="tolerance"):
        sig.verify_mailgun(key, ts, token, s, now=int(ts) + 301)
    cache = sig.ReplayCache(10)
    sig.verify_mailgun(key, ts, token, s, now=int(ts), replay_cache=cache)
    with pytest.raises(SignatureError, match="replay"):
        sig.verify_mailgun(key, ts, token, s, now=int(ts), replay_cache=cache)


def test_replay_cache_is_bounded():
    cache = sig.ReplayCache(max_size=2, ttl=100)
    assert cache.check_and_add("a", now=0) and cache.check_and_add("b", now=0)
    assert not cache.check_and_add("a", now=1)
    assert cache.check_and_add("c", now=1)       # evicts the oldest ("a")
    assert not cache.check_and_add("b", now=2)   # still remembered
    assert cache.check_and_add("a", now=2)       # forgotten (bounded memory)
    assert cache.check_and_add("b", now=200)     # expired after ttl


# --- Mandrill (Symfony vectors + the documented empty test ping) --------------------------
@needs_corpus
def test_mandrill_vectors_verify():
    meta = _load("mandrill/signature_vectors_symfony.json")
    assert len(meta["vectors"]) >= 3
    for v in meta["vectors"]:
        body = urlencode({v["post_param"]: v["post_value"]}).encode()
        sig.verify_mandrill(v["webhook_key"], v["url"], body, v["X-Mandrill-Signature"])
        with pytest.raises(SignatureError):
            sig.verify_mandrill(v["webhook_key"], v["url"], body.replace(b"foo", b"fop"),
                                v["X-Mandrill-Signature"])
        with pytest.raises(SignatureError):
            sig.verify_mandrill("wrong-key", v["url"], body, v["X-Mandrill-Signature"])
        with pytest.raises(SignatureError):
            sig.verify_mandrill(v["webhook_key"], "http://localhost/other", body,
                                v["X-Mandrill-Signature"])


def test_mandrill_empty_test_ping():
    # SIGNATURES.md: key "test-webhook", data "http://localhost/mandrill_events[]"
    body = urlencode({"mandrill_events": "[]"}).encode()
    sig.verify_mandrill("test-webhook", "http://localhost/", body, "QANhYzyeonX51wyzKImgnLZ27CE=")


# --- Resend / Svix (Standard Webhooks reference vector) -----------------------------------
@needs_corpus
def test_standard_webhooks_vector():
    v = _load("resend/standard_webhooks_vector.json")
    body = v["body"].encode()
    now = int(v["headers"]["svix-timestamp"])
    sig.verify_svix(v["secret"], v["headers"], body, now=now)
    # also under the spec's webhook-* header names, and in a list with another version
    spec = {k.replace("svix-", "webhook-"): val for k, val in v["headers"].items()}
    spec["webhook-signature"] = "v2,xxxx " + spec["webhook-signature"]
    sig.verify_svix(v["secret"], spec, body, now=now)
    for bad_body, bad_secret, bad_now in ((body + b" ", v["secret"], now),
                                          (body, "whsec_" + base64.b64encode(b"x" * 24).decode(),
                                           now),
                                          (body, v["secret"], now + 301),
                                          (body, v["secret"], now - 301)):
        with pytest.raises(SignatureError):
            sig.verify_svix(bad_secret, v["headers"], bad_body, now=bad_now)


# --- Postal (RSA SHA1 + SHA256, locally generated key) ------------------------------------
@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem(private) -> str:
    return private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


@pytest.mark.parametrize("header,algorithm", [("x-postal-signature-256", hashes.SHA256()),
                                              ("x-postal-signature", hashes.SHA1())])
def test_postal_rsa_signatures(rsa_key, header, algorithm):
    body = b'{"event":"MessageSent","payload":{}}'
    signature = base64.b64encode(rsa_key.sign(body, padding.PKCS1v15(), algorithm)).decode()
    sig.verify_postal(_pem(rsa_key), body, {header: signature})
    b64_der = "".join(_pem(rsa_key).splitlines()[1:-1])  # Postal UI shows the bare base64
    sig.verify_postal(b64_der, body, {header: signature})
    with pytest.raises(SignatureError, match="does not match"):
        sig.verify_postal(_pem(rsa_key), body + b" ", {header: signature})
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(SignatureError, match="does not match"):
        sig.verify_postal(_pem(other), body, {header: signature})
    with pytest.raises(SignatureError, match="missing"):
        sig.verify_postal(_pem(rsa_key), body, {})


# --- Basic auth / bearer ------------------------------------------------------------------
def test_basic_and_bearer():
    good = "Basic " + base64.b64encode(b"user:pa:ss").decode()
    sig.verify_basic_or_bearer("postmark", good, basic="user:pa:ss")
    sig.verify_basic_or_bearer("brevo", "Bearer tok-123", bearer="tok-123")
    for header in (None, "Basic " + base64.b64encode(b"user:nope").decode(), "Bearer tok-124",
                   "Basic !!!", "Digest abc"):
        with pytest.raises(SignatureError):
            sig.verify_basic_or_bearer("postmark", header, basic="user:pa:ss", bearer="tok-123")


def test_hmac_helpers_match_reference_formulas():
    assert sig.mandrill_signature("k", "http://x/", {"b": "2", "a": "1"}) == base64.b64encode(
        hmac.new(b"k", b"http://x/a1b2", hashlib.sha1).digest()).decode()


# --- The official vectors through the settings-driven WebhookVerifier ---------------------
@needs_corpus
def test_official_vectors_through_webhook_verifier():
    from pipeline.settings import WebhookSettings
    from pipeline.webhooks.verify import WebhookVerifier

    sg = _load("sendgrid/signed_vector_multi.json")
    body = (WEBHOOKS / "sendgrid" / sg["body_file"]).read_bytes()
    headers = {k.lower(): v for k, v in sg["headers"].items()}
    stamp = int(headers["x-twilio-email-event-webhook-timestamp"])
    verifier = WebhookVerifier(WebhookSettings(secrets={"sendgrid": sg["public_key_b64_der"]}),
                               clock=lambda: stamp)
    assert verifier.verify("sendgrid", body, headers).method == "signature"

    mg = _load("mailgun/signature_vectors_symfony.json")
    vector = mg["vectors"][0]
    body = (WEBHOOKS / "mailgun" / vector["file"]).read_bytes()
    verifier = WebhookVerifier(WebhookSettings(secrets={"mailgun": mg["webhook_signing_key"]}),
                               clock=lambda: int(vector["timestamp"]))
    assert verifier.verify("mailgun", body, {}).delivery_id == vector["token"]
    with pytest.raises(SignatureError, match="replay"):
        verifier.verify("mailgun", body, {})

    sw = _load("resend/standard_webhooks_vector.json")
    verifier = WebhookVerifier(WebhookSettings(secrets={"resend": sw["secret"]}),
                               clock=lambda: int(sw["headers"]["svix-timestamp"]))
    result = verifier.verify("resend", sw["body"].encode(), sw["headers"])
    assert result.delivery_id == sw["headers"]["svix-id"]
