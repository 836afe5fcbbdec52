"""Return paths that say who bounced (VERP): pure encode/decode, no I/O.

Two schemes share one shape, `{prefix}+{recipient as local=domain}[+{token}]@{bounce domain}`:

- plain (the common VERP): `b+alice=example.com@bounces.example.net` names alice@example.com.
  Anyone can forge it, so it fills in a recipient but vouches for nothing.
- signed: `b+alice=example.com+k1.mhx2a1.acme.spring-sale.3jq5vz2kc4xyn6ba@bounces.example.net`
  adds a token `{key id}.{timestamp base36}.{tenant}.{ref}.{signature}` where the signature is
  HMAC-SHA256 (key = `verp.keys[key id]`) over the version, key id, lower-cased recipient, ref
  (campaign or message id), tenant and timestamp, truncated to 80 bits, base32. The key id lets
  keys rotate (every configured key verifies; `current_key` signs); tokens expire after
  `max_age_days`.

Why the recipient stays readable: MTAs and humans debug bounces by the return path, and the
recipient must survive a receiving MTA that lower-cases local parts (the signature covers the
lower-cased form; base32 and base36 are case-free). Tenant and ref are limited to
[A-Za-z0-9_-] (up to 64 characters) so the token never needs quoting in a local part.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from dataclasses import dataclass
from typing import Literal

TOKEN_VERSION = "v1"
SIGNATURE_BYTES = 10
_FIELD = re.compile(r"[A-Za-z0-9_-]{0,64}\Z")
_KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,16}\Z")
_TOKEN = re.compile(r"(?P<kid>[A-Za-z0-9_-]{1,16})\.(?P<ts>[0-9a-z]{1,10})\."
                    r"(?P<tenant>[A-Za-z0-9_-]{0,64})\.(?P<ref>[A-Za-z0-9_-]{0,64})\."
                    r"(?P<sig>[a-z2-7]{16})\Z", re.IGNORECASE)
# Seconds a token's timestamp may lie in the future (clock skew between sender and receiver).
FUTURE_SKEW_SECONDS = 600


class VerpError(ValueError):
    """Base class: the address could not be decoded or verified. `status` is the event's
    `verp` value for this failure."""

    status = "forged"


class NotVerp(VerpError):
    """The address is not in the configured VERP shape (no prefix, no local=domain)."""

    status = "missing"


class TokenMissing(VerpError):
    """Plain VERP where a signed token was required."""

    status = "missing"


class MalformedToken(VerpError):
    status = "forged"


class UnknownKey(VerpError):
    """Signed with a key id this receiver does not hold (forged, or a key already retired)."""

    status = "forged"


class BadSignature(VerpError):
    status = "forged"


class TokenExpired(VerpError):
    status = "expired"


@dataclass(frozen=True)
class VerpAddress:
    """What a return path says."""

    recipient: str                       # the original recipient, lower-cased
    signed: bool = False
    key_id: str | None = None
    tenant: str | None = None
    ref: str | None = None               # campaign or message id
    issued_at: int | None = None         # epoch seconds

    @property
    def status(self) -> Literal["plain", "verified"]:
        return "verified" if self.signed else "plain"


def _b36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rem = divmod(number, 36)
        out = digits[rem] + out
        if not number:
            return out


def _signature(key: bytes, key_id: str, recipient: str, ref: str, tenant: str, ts: int) -> str:
    message = "\x00".join((TOKEN_VERSION, key_id, recipient.lower(), ref, tenant, str(ts)))
    digest = hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()[:SIGNATURE_BYTES]
    return base64.b32encode(digest).decode("ascii").lower()


def _split_recipient(recipient: str) -> tuple[str, str]:
    local, at, domain = recipient.strip().strip("<>").rpartition("@")
    if not at or not local or not domain or "=" in domain:
        raise VerpError(f"not an email address: {recipient!r}")
    return local, domain


def encode(recipient: str, bounce_domain: str, *, prefix: str = "b",
           key: bytes | None = None, key_id: str | None = None, tenant: str = "",
           ref: str = "", now: float | None = None) -> str:
    """The return path for mail to `recipient`: plain VERP, or signed when `key` is given."""
    local, domain = _split_recipient(recipient)
    address = f"{prefix}+{local}={domain}"
    if key is not None:
        if not key_id or not _KEY_ID.match(key_id):
            raise VerpError(f"key id must be 1-16 of [A-Za-z0-9_-]: {key_id!r}")
        for name, value in (("tenant", tenant), ("ref", ref)):
            if not _FIELD.match(value):
                raise VerpError(f"{name} must be up to 64 of [A-Za-z0-9_-]: {value!r}")
        ts = int(time.time() if now is None else now)
        sig = _signature(key, key_id, f"{local}@{domain}", ref, tenant, ts)
        address += f"+{key_id}.{_b36(ts)}.{tenant}.{ref}.{sig}"
    return f"{address}@{bounce_domain}"


def decode(address: str, *, prefix: str = "b", keys: dict[str, bytes] | None = None,
           max_age_seconds: float | None = None, require_signed: bool = False,
           now: float | None = None) -> VerpAddress:
    """What `address` (an envelope recipient) says. A token is verified against `keys`;
    raises a VerpError subclass when the address is not VERP, or its token is malformed,
    forged (unknown key, bad signature), expired, or absent while `require_signed`."""
    text = address.strip().strip("<>")
    local, at, _bounce_domain = text.rpartition("@")
    head, plus, rest = local.partition("+")
    if not at or not plus or head.lower() != prefix.lower():
        raise NotVerp(f"not a {prefix}+... return path: {address!r}")
    token = None
    body, _, last = rest.rpartition("+")
    if body and "=" not in last and "." in last:
        rest, token = body, last
    verp_local, eq, verp_domain = rest.rpartition("=")
    if not eq or not verp_local or not verp_domain or "." not in verp_domain:
        raise NotVerp(f"no local=domain in the return path: {address!r}")
    recipient = f"{verp_local}@{verp_domain}".lower()
    if token is None:
        if require_signed:
            raise TokenMissing(f"the return path carries no signed token: {address!r}")
        return VerpAddress(recipient)
    match = _TOKEN.match(token)
    if match is None:
        raise MalformedToken(f"malformed VERP token {token!r}")
    kid, tenant, ref = match["kid"], match["tenant"], match["ref"]
    ts = int(match["ts"].lower(), 36)
    key = (keys or {}).get(kid)
    if key is None:
        raise UnknownKey(f"VERP token signed with unknown key id {kid!r}")
    expected = _signature(key, kid, recipient, ref, tenant, ts)
    if not hmac.compare_digest(expected, match["sig"].lower()):
        raise BadSignature(f"VERP token signature does not match (key {kid!r})")
    clock = time.time() if now is None else now
    if ts > clock + FUTURE_SKEW_SECONDS:
        raise TokenExpired(f"VERP token issued in the future ({ts} > {int(clock)})")
    if max_age_seconds is not None and clock - ts > max_age_seconds:
        raise TokenExpired(f"VERP token expired: issued {int((clock - ts) // 86400)} days ago")
    return VerpAddress(recipient, signed=True, key_id=kid, tenant=tenant or None,
                       ref=ref or None, issued_at=ts)


@dataclass(frozen=True)
class Codec:
    """encode/decode with the settings' prefix, keys and policy (`Codec.from_settings`)."""

    prefix: str = "b"
    keys: tuple[tuple[str, bytes], ...] = ()
    current_key: str | None = None
    max_age_seconds: float | None = 60 * 86400
    require_signed: bool = False

    @classmethod
    def from_settings(cls, verp) -> "Codec":
        keys = tuple((kid, secret.get_secret_value().encode("utf-8"))
                     for kid, secret in verp.keys.items())
        current = verp.current_key or (keys[0][0] if len(keys) == 1 else None)
        return cls(prefix=verp.prefix, keys=keys, current_key=current,
                   max_age_seconds=verp.max_age_days * 86400, require_signed=verp.require_signed)

    def encode(self, recipient: str, bounce_domain: str, *, tenant: str = "", ref: str = "",
               signed: bool = True, now: float | None = None) -> str:
        if not signed:
            return encode(recipient, bounce_domain, prefix=self.prefix)
        if self.current_key is None:
            raise VerpError("no signing key: set verp.keys (and verp.current_key when several)")
        key = dict(self.keys).get(self.current_key)
        if key is None:
            raise VerpError(f"verp.current_key {self.current_key!r} is not in verp.keys")
        return encode(recipient, bounce_domain, prefix=self.prefix, key=key,
                      key_id=self.current_key, tenant=tenant, ref=ref, now=now)

    def decode(self, address: str, *, now: float | None = None) -> VerpAddress:
        return decode(address, prefix=self.prefix, keys=dict(self.keys),
                      max_age_seconds=self.max_age_seconds,
                      require_signed=self.require_signed, now=now)
