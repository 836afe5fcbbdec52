"""Per-provider webhook signature checks (pure functions over bytes + headers + keys).

Each `verify_*` returns None when the request is authentic and raises `SignatureError` with a
clear reason otherwise. Schemes and official test vectors: corpus SIGNATURES.md.
  SendGrid  ECDSA P-256/SHA-256 over timestamp + raw body (base64 DER signature)
  Mailgun   hex HMAC-SHA256(signing key, timestamp + token), token replay cache
  Mandrill  base64 HMAC-SHA1(key, URL + sorted POST name+value pairs)
  Resend    Svix / Standard Webhooks: base64 HMAC-SHA256(secret, id.timestamp.body), "v1,<sig>"
  Postal    RSA PKCS#1 v1.5 over the raw body, SHA256 (X-Postal-Signature-256) or SHA1 (legacy)
  others    HTTP Basic auth / bearer token (Postmark, SparkPost, Mailjet, Brevo, KumoMTA)
SNS (Amazon SES) lives in `sns.py`.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from urllib.parse import parse_qsl

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from pipeline.errors import SignatureError

DEFAULT_TOLERANCE = 300  # seconds; the Standard Webhooks reference libraries use 5 minutes


def _fail(reason: str, provider: str) -> SignatureError:
    return SignatureError(reason, parser=f"webhook.{provider}")


def _b64(value: str, provider: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _fail(f"{provider} signature is not valid base64", provider) from exc


def check_timestamp(value: str | int | float | None, provider: str, *, now: float | None,
                    tolerance: int) -> int:
    """Parse a unix-seconds timestamp and refuse it outside now ± tolerance."""
    try:
        stamp = int(str(value).strip())
    except (TypeError, ValueError) as exc:
        raise _fail(f"{provider} timestamp {value!r} is not unix seconds", provider) from exc
    current = time.time() if now is None else now
    if abs(current - stamp) > tolerance:
        raise _fail(f"{provider} timestamp {stamp} is {int(current - stamp)} s from now "
                    f"(tolerance {tolerance} s): possible replay", provider)
    return stamp


# --- SendGrid -----------------------------------------------------------------------------
def load_ec_public_key(key: str) -> ec.EllipticCurvePublicKey:
    """SendGrid shows the key as base64 DER (SubjectPublicKeyInfo); PEM is accepted too."""
    text = key.strip()
    if text.startswith("-----BEGIN"):
        loaded = serialization.load_pem_public_key(text.encode())
    else:
        loaded = serialization.load_der_public_key(base64.b64decode(text))
    if not isinstance(loaded, ec.EllipticCurvePublicKey):
        raise _fail("configured SendGrid key is not an EC public key", "sendgrid")
    return loaded


def verify_sendgrid(public_key: str | ec.EllipticCurvePublicKey, body: bytes, signature: str | None,
                    timestamp: str | None, *, now: float | None = None,
                    tolerance: int = DEFAULT_TOLERANCE) -> None:
    if not signature or not timestamp:
        raise _fail("missing X-Twilio-Email-Event-Webhook-Signature/-Timestamp header",
                    "sendgrid")
    key = load_ec_public_key(public_key) if isinstance(public_key, str) else public_key
    try:
        key.verify(_b64(signature, "sendgrid"), timestamp.encode() + body,
                   ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        raise _fail("SendGrid ECDSA signature does not match the body", "sendgrid") from exc
    check_timestamp(timestamp, "sendgrid", now=now, tolerance=tolerance)


# --- Mailgun ------------------------------------------------------------------------------
class ReplayCache:
    """Bounded, thread-safe set of recently seen tokens (oldest evicted first)."""

    def __init__(self, max_size: int = 100_000, ttl: float = 2 * DEFAULT_TOLERANCE):
        self.max_size = max_size
        self.ttl = ttl
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def check_and_add(self, token: str, now: float | None = None) -> bool:
        """True the first time a token is seen (within ttl), False on a replay."""
        current = time.monotonic() if now is None else now
        with self._lock:
            seen = self._seen.get(token)
            if seen is not None and current - seen < self.ttl:
                return False
            self._seen[token] = current
            self._seen.move_to_end(token)
            while len(self._seen) > self.max_size:
                self._seen.popitem(last=False)
            return True


def verify_mailgun(key: str, timestamp: str | None, token: str | None, signature: str | None, *,
                   now: float | None = None, tolerance: int = DEFAULT_TOLERANCE,
                   replay_cache: ReplayCache | None = None) -> None:
    if not (timestamp and token and signature):
        raise _fail("Mailgun body has no signature {timestamp, token, signature}", "mailgun")
    expected = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, str(signature).lower()):
        raise _fail("Mailgun HMAC signature does not match", "mailgun")
    check_timestamp(timestamp, "mailgun", now=now, tolerance=tolerance)
    if replay_cache is not None and not replay_cache.check_and_add(str(token)):
        raise _fail("Mailgun token already used: replayed request", "mailgun")


def mailgun_signature_fields(body: bytes, parsed: object = None) -> tuple[str | None, ...]:
    """(timestamp, token, signature) from a JSON body's `signature` object or a legacy form."""
    sig = parsed.get("signature") if isinstance(parsed, dict) else None
    if isinstance(sig, dict):
        return (str(sig.get("timestamp") or "") or None, sig.get("token"), sig.get("signature"))
    try:
        form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError:
        return None, None, None
    return form.get("timestamp"), form.get("token"), form.get("signature")


# --- Mandrill -----------------------------------------------------------------------------
def mandrill_signature(key: str, url: str, params: Mapping[str, str]) -> str:
    signed = url + "".join(f"{name}{params[name]}" for name in sorted(params))
    digest = hmac.new(key.encode(), signed.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def verify_mandrill(key: str, url: str, body: bytes, signature: str | None) -> None:
    if not signature:
        raise _fail("missing X-Mandrill-Signature header", "mandrill")
    try:
        params = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError as exc:
        raise _fail("Mandrill body is not UTF-8 form data", "mandrill") from exc
    expected = mandrill_signature(key, url, params)
    if not hmac.compare_digest(expected, signature.strip()):
        raise _fail(f"Mandrill HMAC-SHA1 signature does not match (signed URL {url!r})",
                    "mandrill")


# --- Resend / Svix / Standard Webhooks ----------------------------------------------------
def svix_signature(secret: str, msg_id: str, timestamp: str, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify_svix(secret: str, headers: Mapping[str, str], body: bytes, *,
                now: float | None = None, tolerance: int = DEFAULT_TOLERANCE) -> None:
    msg_id = headers.get("svix-id") or headers.get("webhook-id")
    stamp = headers.get("svix-timestamp") or headers.get("webhook-timestamp")
    given = headers.get("svix-signature") or headers.get("webhook-signature")
    if not (msg_id and stamp and given):
        raise _fail("missing svix-id / svix-timestamp / svix-signature headers", "resend")
    expected = svix_signature(secret, msg_id, stamp, body).encode()
    if not any(hmac.compare_digest(expected, candidate.encode())
               for candidate in given.split() if candidate.startswith("v1,")):
        raise _fail("Svix signature does not match", "resend")
    check_timestamp(stamp, "resend", now=now, tolerance=tolerance)


# --- Postal -------------------------------------------------------------------------------
def load_rsa_public_key(pem_or_b64: str) -> rsa.RSAPublicKey:
    text = pem_or_b64.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_public_key(text.encode())
    else:  # Postal's UI shows the bare base64 of the SubjectPublicKeyInfo
        key = serialization.load_der_public_key(base64.b64decode(text))
    if not isinstance(key, rsa.RSAPublicKey):
        raise _fail("configured Postal key is not an RSA public key", "postal")
    return key


def verify_postal(public_key: str | rsa.RSAPublicKey, body: bytes,
                  headers: Mapping[str, str]) -> None:
    key = load_rsa_public_key(public_key) if isinstance(public_key, str) else public_key
    sig256 = headers.get("x-postal-signature-256")
    sig1 = headers.get("x-postal-signature")
    if not (sig256 or sig1):
        raise _fail("missing X-Postal-Signature-256 / X-Postal-Signature header", "postal")
    algorithm: hashes.HashAlgorithm = hashes.SHA256() if sig256 else hashes.SHA1()
    try:
        key.verify(_b64(sig256 or sig1 or "", "postal"), body, padding.PKCS1v15(), algorithm)
    except InvalidSignature as exc:
        raise _fail(f"Postal RSA-{algorithm.name.upper()} signature does not match the body",
                    "postal") from exc


# --- Basic auth / bearer token ------------------------------------------------------------
def verify_basic_or_bearer(provider: str, authorization: str | None, *,
                           basic: str | None = None, bearer: str | None = None) -> None:
    """Accept the request when its Authorization header matches a configured credential."""
    if not authorization:
        raise _fail(f"{provider}: missing Authorization header (basic auth / bearer token)",
                    provider)
    scheme, _, value = authorization.strip().partition(" ")
    scheme = scheme.lower()
    if scheme == "basic" and basic:
        try:
            given = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
            raise _fail(f"{provider}: malformed Basic credentials", provider) from exc
        if hmac.compare_digest(given.encode(), basic.encode()):
            return
    if scheme == "bearer" and bearer and hmac.compare_digest(value.strip().encode(),
                                                             bearer.encode()):
        return
    raise _fail(f"{provider}: credentials do not match", provider)
