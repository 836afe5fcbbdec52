"""Webhook authenticity: one entry point per request, secrets from `WebhookSettings`.

`WebhookVerifier.verify(provider, body, headers, url=...)` returns a `Verified` or raises
`SignatureError`. Which check runs is the provider module's `SIGNATURE` (contract.py); here:
- the provider's signature check when it signs and its secret is configured
  (`webhooks.secrets.<provider>`), or always when its scheme needs no secret (SES via SNS);
- HTTP Basic (`webhooks.basic_auth.<provider>` = "user:password") and/or bearer token
  (`webhooks.bearer_tokens.<provider>`) whenever configured, for any provider;
- nothing configured: refused while `webhooks.require_signature` is true (the default).
No provider is named in this module: adding one never touches it.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from pipeline.errors import SignatureError
from pipeline.settings import WebhookSettings

from . import registry, signatures
from .contract import SignedRequest, Verified, public_url

__all__ = ["SNS_POLICIES", "Verified", "WebhookVerifier"]

SNS_POLICIES = ("log", "publish", "reject")


def _secret(mapping: Mapping[str, Any], name: str) -> str | None:
    value = mapping.get(name)
    if value is None:
        return None
    return value.get_secret_value() if hasattr(value, "get_secret_value") else str(value)


class WebhookVerifier:
    """Runs the provider's declared scheme; holds what checks share across requests (replay
    cache, parsed public keys, a scheme's own state such as SNS certificates: `shared`).
    `sns_fetch` replaces the SNS certificate download (tests)."""

    def __init__(self, settings: WebhookSettings, *,
                 sns_fetch: Callable[[str], bytes] | None = None,
                 clock: Callable[[], float] | None = None):
        if settings.sns_subscription_policy not in SNS_POLICIES:
            raise ValueError(f"webhooks.sns_subscription_policy must be one of {SNS_POLICIES}")
        self.settings = settings
        self.clock = clock
        self.tolerance = settings.timestamp_tolerance_seconds
        self.replay = signatures.ReplayCache(settings.replay_cache_size, ttl=2 * self.tolerance)
        self.sns_fetch = sns_fetch
        self.keys: dict[tuple[str, str | None], Any] = {}  # parsed public keys
        self._shared: dict[str, Any] = {}
        self._lock = threading.Lock()

    def shared(self, name: str, make: Callable[[WebhookVerifier], Any]) -> Any:
        """One object per scheme `name` for this verifier's life, made on first use."""
        with self._lock:
            value = self._shared.get(name)
            if value is None:
                value = self._shared[name] = make(self)
            return value

    def verify(self, provider: str, body: bytes, headers: Mapping[str, str], *,
               url: str = "") -> Verified:
        """`headers` must have lower-case names. `url` = the URL the provider called."""
        module = registry.provider_for(provider)
        if module is None:
            raise SignatureError(f"unknown provider {provider!r}")
        name, scheme = module.NAME, module.SIGNATURE
        auth_method = self._check_auth(name, headers.get("authorization"))
        secret = _secret(self.settings.secrets, name)
        if scheme.runs_with(secret):
            assert scheme.check is not None
            verified = scheme.check(SignedRequest(
                provider=name, secret=secret, body=body, headers=headers, url=url,
                public_url=public_url(url, self.settings.public_url),
                now=self.clock() if self.clock else None, tolerance=self.tolerance, state=self))
            if verified is not None:
                return verified
        if auth_method:
            return Verified(name, auth_method)
        if self.settings.require_signature:
            raise SignatureError(self._missing(name, scheme), parser=f"webhook.{name}")
        return Verified(name, "none")

    @staticmethod
    def _missing(name: str, scheme: Any) -> str:
        if scheme.check is not None and scheme.secret is None:
            return (f"{name} body is not a signed {scheme.name} message and no basic/bearer "
                    "credentials are configured")
        what = f"webhooks.secrets.{name} ({scheme.secret})" if scheme.secret else \
            f"webhooks.basic_auth.{name} or webhooks.bearer_tokens.{name}"
        return (f"{name}: no credentials configured ({what}) and webhooks.require_signature "
                "is on")

    def _check_auth(self, name: str, authorization: str | None) -> str | None:
        basic = _secret(self.settings.basic_auth, name)
        bearer = _secret(self.settings.bearer_tokens, name)
        if not (basic or bearer):
            return None
        signatures.verify_basic_or_bearer(name, authorization, basic=basic, bearer=bearer)
        return "basic" if (authorization or "").lower().startswith("basic") else "bearer"
