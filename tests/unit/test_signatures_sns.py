"""SNS message signatures with a locally generated certificate (no network), and the
settings-driven WebhookVerifier dispatch."""
from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from pipeline.errors import SignatureError
from pipeline.settings import WebhookSettings
from pipeline.webhooks import sns
from pipeline.webhooks.verify import WebhookVerifier

CERT_URL = "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-local.pem"


@pytest.fixture(scope="module")
def signer():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256()))
    return key, cert.public_bytes(serialization.Encoding.PEM)


def _signed(key, message: dict, version: str = "1") -> dict:
    message = {**message, "SignatureVersion": version, "SigningCertURL": CERT_URL}
    algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()
    signature = key.sign(sns.string_to_sign(message), padding.PKCS1v15(), algorithm)
    return {**message, "Signature": base64.b64encode(signature).decode()}


NOTIFICATION = {
    "Type": "Notification", "MessageId": "m-1", "TopicArn": "arn:aws:sns:us-west-2:1:ses",
    "Message": json.dumps({"notificationType": "Bounce", "mail": {}, "bounce": {
        "bounceType": "Permanent", "bounceSubType": "General",
        "bouncedRecipients": [{"emailAddress": "a@example.com"}]}}),
    "Timestamp": "2026-11-23T09:00:00.000Z",
}
CONFIRMATION = {
    "Type": "SubscriptionConfirmation", "MessageId": "m-2", "Token": "tok",
    "TopicArn": "arn:aws:sns:us-west-2:1:ses", "Message": "You have chosen to subscribe",
    "SubscribeURL": "https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription",
    "Timestamp": "2026-11-23T09:00:00.000Z",
}


class Fetcher:
    def __init__(self, pem: bytes):
        self.pem, self.calls = pem, []

    def __call__(self, url: str) -> bytes:
        self.calls.append(url)
        return self.pem


@pytest.mark.parametrize("version", ["1", "2"])
@pytest.mark.parametrize("template", [NOTIFICATION, CONFIRMATION,
                                      {**NOTIFICATION, "Subject": "Amazon SES Email Event"}])
def test_sns_signatures_verify_and_cert_is_cached(signer, version, template):
    key, pem = signer
    fetch = Fetcher(pem)
    verifier = sns.SnsVerifier(fetch)
    message = _signed(key, template, version)
    verifier.verify(message)
    verifier.verify(message)
    assert fetch.calls == [CERT_URL]  # fetched once, then cached


@pytest.mark.parametrize("change", [
    {"Message": "tampered"}, {"TopicArn": "arn:aws:sns:us-west-2:1:other"},
    {"SignatureVersion": "3"}, {"Signature": "not base64!"},
])
def test_sns_tampering_refused(signer, change):
    key, pem = signer
    message = {**_signed(key, NOTIFICATION), **change}
    with pytest.raises(SignatureError):
        sns.SnsVerifier(Fetcher(pem)).verify(message)


@pytest.mark.parametrize("url", [
    "http://sns.us-west-2.amazonaws.com/cert.pem",             # not https
    "https://sns.us-west-2.amazonaws.com.evil.example/c.pem",  # look-alike host
    "https://evil.example/sns.us-west-2.amazonaws.com/c.pem",
    "https://s3.amazonaws.com/cert.pem",
    "https://sns.us-west-2.amazonaws.com/cert.txt",
    "https://user@sns.us-west-2.amazonaws.com/cert.pem",
])
def test_sns_cert_host_pattern_enforced_before_fetching(signer, url):
    key, pem = signer
    fetch = Fetcher(pem)
    message = _signed(key, NOTIFICATION)
    message["SigningCertURL"] = url
    with pytest.raises(SignatureError, match="SigningCertURL"):
        sns.SnsVerifier(fetch).verify(message)
    assert fetch.calls == []


def test_sns_wrong_certificate_refused(signer):
    key, _ = signer
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "x")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(other.public_key()).serial_number(1).not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=1)).sign(other, hashes.SHA256()))
    with pytest.raises(SignatureError, match="does not match"):
        sns.SnsVerifier(Fetcher(cert.public_bytes(serialization.Encoding.PEM))).verify(
            _signed(key, NOTIFICATION))


def test_sns_topic_allow_list(signer):
    key, pem = signer
    verifier = sns.SnsVerifier(Fetcher(pem), frozenset({"arn:aws:sns:us-west-2:1:other"}))
    with pytest.raises(SignatureError, match="sns_topic_arns"):
        verifier.verify(_signed(key, NOTIFICATION))


# --- WebhookVerifier (settings-driven dispatch) -------------------------------------------
def test_verifier_sns_path_and_types(signer):
    key, pem = signer
    verifier = WebhookVerifier(WebhookSettings(), sns_fetch=Fetcher(pem))
    body = json.dumps(_signed(key, CONFIRMATION, "2")).encode()
    result = verifier.verify("ses", body, {})
    assert (result.provider, result.method, result.sns_type) == (
        "amazon_ses", "sns", "SubscriptionConfirmation")
    with pytest.raises(SignatureError, match="not a signed SNS"):
        verifier.verify("amazon_ses", b'{"notificationType":"Bounce","mail":{}}', {})


def test_verifier_requires_credentials_by_default():
    verifier = WebhookVerifier(WebhookSettings())
    for provider in ("postmark", "sendgrid", "kumomta"):
        with pytest.raises(SignatureError, match="no credentials configured"):
            verifier.verify(provider, b"{}", {})
    with pytest.raises(SignatureError, match="unknown provider"):
        verifier.verify("nosuch", b"{}", {})
    open_verifier = WebhookVerifier(WebhookSettings(require_signature=False))
    assert open_verifier.verify("postmark", b"{}", {}).method == "none"


def test_verifier_basic_auth_and_signature_both_enforced():
    private = ec.generate_private_key(ec.SECP256R1())
    der = private.public_key().public_bytes(serialization.Encoding.DER,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)
    settings = WebhookSettings(secrets={"sendgrid": base64.b64encode(der).decode()},
                               basic_auth={"sendgrid": "u:p", "postmark": "u:p"})
    verifier = WebhookVerifier(settings, clock=lambda: 1700000000)
    body, stamp = b"[]\r\n", "1700000000"
    signature = base64.b64encode(private.sign(stamp.encode() + body,
                                              ec.ECDSA(hashes.SHA256()))).decode()
    headers = {"x-twilio-email-event-webhook-signature": signature,
               "x-twilio-email-event-webhook-timestamp": stamp,
               "authorization": "Basic " + base64.b64encode(b"u:p").decode()}
    assert verifier.verify("sendgrid", body, headers).method == "signature"
    with pytest.raises(SignatureError, match="credentials do not match"):
        verifier.verify("sendgrid", body, {**headers, "authorization": "Basic eDp5"})
    with pytest.raises(SignatureError, match="does not match"):
        verifier.verify("sendgrid", b"[1]\r\n", headers)
    assert verifier.verify("postmark", b"{}", headers).method == "basic"


def test_verifier_mandrill_uses_public_url():
    from urllib.parse import urlencode

    from pipeline.webhooks.signatures import mandrill_signature
    body = urlencode({"mandrill_events": "[]"}).encode()
    good = mandrill_signature("k", "https://hooks.example.com/webhooks/mandrill",
                              {"mandrill_events": "[]"})
    verifier = WebhookVerifier(WebhookSettings(secrets={"mandrill": "k"},
                                               public_url="https://hooks.example.com"))
    verifier.verify("mandrill", body, {"x-mandrill-signature": good},
                    url="http://127.0.0.1:8025/webhooks/mandrill")
    with pytest.raises(SignatureError):
        WebhookVerifier(WebhookSettings(secrets={"mandrill": "k"})).verify(
            "mandrill", body, {"x-mandrill-signature": good},
            url="http://127.0.0.1:8025/webhooks/mandrill")


def test_corpus_sns_placeholders_are_refused_without_network():
    from tests.conftest import corpus_root
    root = corpus_root()
    if root is None:
        pytest.skip("shared corpus not found")

    def no_network(url):
        raise AssertionError(f"tried to fetch {url}")

    files = sorted((root / "webhooks" / "amazon_ses").glob("*sns*.json"))
    assert len(files) >= 3
    for path in files:
        with pytest.raises(SignatureError):
            sns.SnsVerifier(no_network).verify(json.loads(path.read_text()))
