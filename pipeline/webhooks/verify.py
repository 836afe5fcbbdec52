"""Webhook authenticity: one entry point per request, secrets from `WebhookSettings`.

`WebhookVerifier.verify(provider, body, headers, url=...)` returns a `Verified` or raises
`SignatureError`. Which check runs (corpus SIGNATURES.md):
- a payload signature when the provider signs and a secret is configured
  (`webhooks.secrets.<provider>`: SendGrid public key, Mailgun signing key, Mandrill webhook
  key, Resend `whsec_...` secret, Postal public key); Amazon SES via SNS needs no secret;
- HTTP Basic (`webhooks.basic_auth.<provider>` = "user:password") and/or bearer token
  (`webhooks.bearer_tokens.<provider>`) whenever configured, for any provider;
- nothing configured: refused while `webhooks.require_signature` is true (the default).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from pipeline.errors import SignatureError
from pipeline.settings import WebhookSettings

from . import registry, signatures
from .sns import CertFetcher, SnsVerifier, fetch_cert_https

SIGNING_PROVIDERS = frozenset({"sendgrid", "mailgun", "mandrill", "resend", "postal"})
SNS_POLICIES = ("log", "publish", "reject")


@dataclass(frozen=True)
class Verified:
    provider: str
    method: str                   # "signature", "sns", "basic", "bearer", "none"
    sns_type: str | None = None   # Notification / SubscriptionConfirmation / ...
    delivery_id: str | None = None  # provider's id for this delivery, when it has one


def _secret(mapping: Mapping[str, Any], name: str) -> str | None:
    value = mapping.get(name)
    if value is None:
        return None
    return value.get_secret_value() if hasattr(value, "get_secret_value") else str(value)


class WebhookVerifier:
    def __init__(self, settings: WebhookSettings, *, sns_fetch: CertFetcher | None = None,
                 clock: Callable[[], float] | None = None):
        if settings.sns_subscription_policy not in SNS_POLICIES:
            raise ValueError(f"webhooks.sns_subscription_policy must be one of {SNS_POLICIES}")
        self.settings = settings
        self.clock = clock
        self.tolerance = settings.timestamp_tolerance_seconds
        self.replay = signatures.ReplayCache(settings.replay_cache_size, ttl=2 * self.tolerance)
        self.sns = SnsVerifier(sns_fetch or fetch_cert_https,
                               frozenset(settings.sns_topic_arns) or None)
        self._keys: dict[str, Any] = {}  # parsed public keys, by provider

    def _now(self) -> float | None:
        return self.clock() if self.clock else None

    def verify(self, provider: str, body: bytes, headers: Mapping[str, str], *,
               url: str = "") -> Verified:
        """`headers` must have lower-case names. `url` = the URL the provider called."""
        module = registry.provider_for(provider)
        if module is None:
            raise SignatureError(f"unknown provider {provider!r}")
        name = module.NAME
        h = headers
        auth_method = self._check_auth(name, h.get("authorization"))
        secret = _secret(self.settings.secrets, name)
        if name == "amazon_ses":
            return self._verify_sns(body, auth_method)
        if name in SIGNING_PROVIDERS and secret:
            delivery = self._verify_signed(name, secret, body, h, url)
            return Verified(name, "signature", delivery_id=delivery)
        if auth_method:
            return Verified(name, auth_method)
        if self.settings.require_signature:
            what = f"webhooks.secrets.{name}" if name in SIGNING_PROVIDERS else \
                f"webhooks.basic_auth.{name} or webhooks.bearer_tokens.{name}"
            raise SignatureError(f"{name}: no credentials configured ({what}) and "
                                 "webhooks.require_signature is on", parser=f"webhook.{name}")
        return Verified(name, "none")

    def _check_auth(self, name: str, authorization: str | None) -> str | None:
        basic = _secret(self.settings.basic_auth, name)
        bearer = _secret(self.settings.bearer_tokens, name)
        if not (basic or bearer):
            return None
        signatures.verify_basic_or_bearer(name, authorization, basic=basic, bearer=bearer)
        return "basic" if (authorization or "").lower().startswith("basic") else "bearer"

    def _verify_sns(self, body: bytes, auth_method: str | None) -> Verified:
        try:
            message = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise SignatureError("SNS body is not JSON", parser="webhook.amazon_ses") from exc
        if isinstance(message, dict) and "SigningCertURL" in message:
            self.sns.verify(message)
            return Verified("amazon_ses", "sns", sns_type=message.get("Type"),
                            delivery_id=message.get("MessageId"))
        if auth_method:  # bare SES events posted by the operator's own relay
            return Verified("amazon_ses", auth_method)
        if self.settings.require_signature:
            raise SignatureError("amazon_ses body is not a signed SNS message and no basic/"
                                 "bearer credentials are configured", parser="webhook.amazon_ses")
        return Verified("amazon_ses", "none")

    def _verify_signed(self, name: str, secret: str, body: bytes, h: Mapping[str, str],
                       url: str) -> str | None:
        now, tol = self._now(), self.tolerance
        if name == "sendgrid":
            key = self._keys.get(name) or signatures.load_ec_public_key(secret)
            self._keys[name] = key
            signatures.verify_sendgrid(
                key, body, h.get("x-twilio-email-event-webhook-signature"),
                h.get("x-twilio-email-event-webhook-timestamp"), now=now, tolerance=tol)
            return None
        if name == "mailgun":
            try:
                parsed = orjson.loads(body)
            except orjson.JSONDecodeError:
                parsed = None
            stamp, token, sig = signatures.mailgun_signature_fields(body, parsed)
            signatures.verify_mailgun(secret, stamp, token, sig, now=now, tolerance=tol,
                                      replay_cache=self.replay)
            return token
        if name == "mandrill":
            signed_url = self._public_url(url)
            signatures.verify_mandrill(secret, signed_url, body, h.get("x-mandrill-signature"))
            return None
        if name == "resend":
            signatures.verify_svix(secret, h, body, now=now, tolerance=tol)
            return h.get("svix-id") or h.get("webhook-id")
        if name == "postal":
            key = self._keys.get(name) or signatures.load_rsa_public_key(secret)
            self._keys[name] = key
            signatures.verify_postal(key, body, h)
            return None
        raise SignatureError(f"{name}: no signature scheme")  # pragma: no cover

    def _public_url(self, url: str) -> str:
        """Mandrill signs the URL exactly as configured there; behind a proxy that differs from
        what we see, so `webhooks.public_url` (scheme://host[:port]) replaces our origin."""
        base = self.settings.public_url
        if not base:
            return url
        from urllib.parse import urlsplit
        parts = urlsplit(url)
        tail = parts.path + (f"?{parts.query}" if parts.query else "")
        return base.rstrip("/") + tail
