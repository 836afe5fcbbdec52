"""Amazon SNS message signatures (how SES notifications reach an HTTP endpoint).

Source: https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html
- string to sign: "name\\nvalue\\n" for the fields below, in this (byte) order;
- SignatureVersion 1 = SHA1withRSA, 2 = SHA256withRSA, base64 `Signature`;
- the X.509 certificate comes from `SigningCertURL`, which must be HTTPS on an SNS host
  (`sns.<region>.amazonaws.com`, `.amazonaws.com.cn` in China) and end in `.pem`.
The certificate fetcher is injectable (tests use a locally generated certificate; production
uses `urllib` with a timeout). Certificates are cached per URL.
"""
from __future__ import annotations

import base64
import binascii
import re
import threading
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from pipeline.errors import SignatureError

SIGNED_FIELDS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token",
                                 "TopicArn", "Type"),
    "UnsubscribeConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token",
                                "TopicArn", "Type"),
}
CERT_HOST = re.compile(r"^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$")
CertFetcher = Callable[[str], bytes]


def _fail(reason: str) -> SignatureError:
    return SignatureError(reason, parser="webhook.amazon_ses")


def string_to_sign(message: Mapping[str, Any]) -> bytes:
    kind = message.get("Type")
    fields = SIGNED_FIELDS.get(kind)  # type: ignore[arg-type]
    if fields is None:
        raise _fail(f"unknown SNS message Type {kind!r}")
    parts = []
    for name in fields:
        value = message.get(name)
        if value is None:
            if name == "Subject":
                continue  # only signed when present
            raise _fail(f"SNS {kind} lacks the signed field {name}")
        parts.append(f"{name}\n{value}\n")
    return "".join(parts).encode("utf-8")


def check_cert_url(url: str) -> None:
    parts = urlsplit(url or "")
    if parts.scheme != "https" or not CERT_HOST.match(parts.hostname or "") \
            or not parts.path.endswith(".pem") or parts.username or parts.port not in (None, 443):
        raise _fail(f"SigningCertURL {url!r} is not an https://sns.<region>.amazonaws.com/*.pem "
                    "certificate: refused")


def fetch_cert_https(url: str, timeout: float = 5.0) -> bytes:  # pragma: no cover - network
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (host checked)
        return response.read(64 * 1024)


class SnsVerifier:
    """Verifies SNS messages; caches parsed certificates by URL."""

    def __init__(self, fetch: CertFetcher = fetch_cert_https,
                 allowed_topics: frozenset[str] | None = None):
        self.fetch = fetch
        self.allowed_topics = allowed_topics or frozenset()
        self._certs: dict[str, rsa.RSAPublicKey] = {}
        self._lock = threading.Lock()

    def _public_key(self, url: str) -> rsa.RSAPublicKey:
        check_cert_url(url)
        with self._lock:
            key = self._certs.get(url)
        if key is not None:
            return key
        try:
            cert = x509.load_pem_x509_certificate(self.fetch(url))
        except SignatureError:
            raise
        except Exception as exc:  # noqa: BLE001 - any fetch/parse failure refuses the message
            raise _fail(f"cannot load the SNS signing certificate {url}: {exc}") from exc
        key = cert.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise _fail("SNS signing certificate does not hold an RSA key")
        with self._lock:
            self._certs[url] = key
        return key

    def verify(self, message: Mapping[str, Any]) -> None:
        version = str(message.get("SignatureVersion"))
        algorithm: hashes.HashAlgorithm
        if version == "1":
            algorithm = hashes.SHA1()
        elif version == "2":
            algorithm = hashes.SHA256()
        else:
            raise _fail(f"unsupported SNS SignatureVersion {version!r}")
        if self.allowed_topics and message.get("TopicArn") not in self.allowed_topics:
            raise _fail(f"SNS topic {message.get('TopicArn')!r} is not in webhooks.sns_topic_arns")
        signed = string_to_sign(message)
        try:
            signature = base64.b64decode(str(message.get("Signature") or ""), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise _fail("SNS Signature is not valid base64") from exc
        key = self._public_key(str(message.get("SigningCertURL") or ""))
        try:
            key.verify(signature, signed, padding.PKCS1v15(), algorithm)
        except InvalidSignature as exc:
            raise _fail("SNS signature does not match the message") from exc
