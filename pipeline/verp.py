"""VERP return paths: which recipient (and which message, campaign and tenant) a bounce is for,
read from the address the bounce was sent to. Pure: no I/O, the clock is a parameter.

Two schemes:

- Classic VERP (qmail, Postfix `-V`, most list managers): `prefix+local=domain@bounce.domain`,
  e.g. `bounces+alice=example.com@bounce.example.net`. Readable and unsigned: anyone can forge
  one, so it attributes a bounce but must not, on its own, suppress an address.
- Signed tokens: `prefix+<token>@bounce.domain`, the token carrying the recipient (or not:
  "detached"), the message/campaign id, the tenant, the signing time and the key id, and an
  HMAC-SHA256 tag over all of them. Verification checks the tag in constant time, finds the key
  by its id (keys rotate: old ids keep verifying while they stay in the keyring) and refuses
  tokens older than `max_age`. The token is lower-case base32, so an MTA or mailbox that folds
  the local part's case does not break it.

RFC 5321 caps a local part at 64 octets; signed tokens with the recipient embedded usually pass
that, which most receivers accept for a return path. Pass `max_local_part=64` to enforce the
cap (VerpTooLong), or detach the recipient (the DSN's own Final-Recipient supplies it) to stay
under it.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from pipeline.errors import TerminalError

TOKEN_VERSION = 1
TAG_BYTES = 16             # HMAC-SHA256 truncated to 128 bits
_MAC_CONTEXT = b"bouncepipe-verp-v1\x00"
_FIELD_MAX = 255           # each field is length-prefixed with one byte
_KEY_ID = re.compile(r"[A-Za-z0-9_.-]{1,32}")
_DOMAIN = re.compile(r"(?=.{1,253}\Z)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                     r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?")
# Local-part characters the classic scheme carries through unquoted (RFC 5322 atext and dots).
_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+")


class VerpError(TerminalError):
    """Base class: the address is not a VERP address this module can read or make."""


class NotVerp(VerpError):
    """The address does not follow the scheme (wrong prefix, no separator, no `=`...)."""


class MalformedToken(VerpError):
    """A signed token that does not decode (bad base32, truncated, unknown version)."""


class VerpTooLong(VerpError):
    """The local part would exceed the length asked for, or a field exceeds 255 bytes."""

    stage = "limits"


class BadSignature(VerpError):
    """The tag does not match: forged, altered, or signed for another recipient."""

    stage = "verify"


class UnknownKey(VerpError):
    """The token names a key id the keyring does not hold (retired or never known)."""

    stage = "verify"


class TokenExpired(VerpError):
    """Authentic but older than `max_age` (or dated in the future beyond the allowed skew).
    `token` holds what it says, for callers that still want to attribute the bounce."""

    stage = "verify"

    def __init__(self, reason: str, token: "VerpToken"):
        super().__init__(reason)
        self.token = token


@dataclass(frozen=True)
class VerpAddress:
    """A classic VERP address, read."""

    prefix: str
    recipient: str
    bounce_domain: str


@dataclass(frozen=True)
class VerpToken:
    """What a verified signed token says."""

    key_id: str
    signed_at: datetime
    tenant: str
    message_id: str                # message or campaign id, as the sender chose
    recipient: str | None          # None for a detached token: the verifier supplied it
    bounce_domain: str


def _split_address(address: str) -> tuple[str, str]:
    address = address.strip().strip("<>")
    local, at, domain = address.rpartition("@")
    if not at or not local or not _DOMAIN.fullmatch(domain):
        raise NotVerp(f"not an address: {address!r}")
    return local, domain.rstrip(".").lower()


def _check_length(local: str, max_local_part: int | None) -> None:
    if max_local_part is not None and len(local.encode()) > max_local_part:
        raise VerpTooLong(f"local part of {len(local.encode())} octets exceeds {max_local_part}")


def _strip_prefix(local: str, prefix: str, separator: str) -> str:
    head, sep, rest = local.partition(separator)
    if not sep or not rest or head.lower() != prefix.lower():
        raise NotVerp(f"local part {local!r} does not start with {prefix + separator!r}")
    return rest


# --- classic VERP ---------------------------------------------------------------------------

def encode_verp(recipient: str, *, prefix: str, bounce_domain: str, separator: str = "+",
                equals: str = "=", max_local_part: int | None = None) -> str:
    """`alice@example.com` -> `bounces+alice=example.com@bounce.example.net`."""
    local, domain = _split_address(recipient)
    if not _LOCAL.fullmatch(local) or not _LOCAL.fullmatch(prefix) or separator in prefix:
        raise NotVerp(f"cannot carry {recipient!r} with prefix {prefix!r} unquoted")
    verp_local = f"{prefix}{separator}{local}{equals}{domain}"
    _check_length(verp_local, max_local_part)
    _split_address(f"x@{bounce_domain}")
    return f"{verp_local}@{bounce_domain.rstrip('.').lower()}"


def decode_verp(address: str, *, prefix: str, separator: str = "+", equals: str = "=") -> VerpAddress:
    """`bounces+alice=example.com@bounce.example.net` -> recipient `alice@example.com`. The
    recipient's domain is what follows the LAST `equals` (a domain holds none), so local parts
    that contain the separator or `equals` themselves come back whole."""
    local, bounce_domain = _split_address(address)
    rest = _strip_prefix(local, prefix, separator)
    rlocal, eq, rdomain = rest.rpartition(equals)
    if not eq or not rlocal or not _DOMAIN.fullmatch(rdomain) or "." not in rdomain:
        raise NotVerp(f"{address!r} carries no `local{equals}domain` after the prefix")
    return VerpAddress(prefix=local.partition(separator)[0], recipient=f"{rlocal}@{rdomain.lower()}",
                       bounce_domain=bounce_domain)


# --- signed tokens --------------------------------------------------------------------------

class VerpKeyring:
    """HMAC keys by id; `current` signs, every key held verifies (rotation: add the new key,
    make it current, drop the old one once its tokens may have expired)."""

    def __init__(self, keys: dict[str, bytes], current: str):
        if current not in keys:
            raise UnknownKey(f"current key id {current!r} is not in the keyring")
        for key_id, secret in keys.items():
            if not _KEY_ID.fullmatch(key_id):
                raise VerpError(f"key id {key_id!r}: use 1-32 of A-Z a-z 0-9 _ . -")
            if len(secret) < 16:
                raise VerpError(f"key {key_id!r} is {len(secret)} bytes; use at least 16")
        self._keys = dict(keys)
        self.current = current

    def secret(self, key_id: str) -> bytes:
        try:
            return self._keys[key_id]
        except KeyError:
            raise UnknownKey(f"no key {key_id!r} in the keyring") from None


def _field(value: str, name: str) -> bytes:
    data = value.encode()
    if len(data) > _FIELD_MAX:
        raise VerpTooLong(f"{name} is {len(data)} bytes; at most {_FIELD_MAX}")
    return bytes([len(data)]) + data


def _normal_recipient(recipient: str) -> str:
    local, domain = _split_address(recipient)
    return f"{local}@{domain}".lower()   # DSNs and mailboxes do not keep the case reliably


def _tag(secret: bytes, body: bytes, recipient: str) -> bytes:
    mac = hmac.new(secret, _MAC_CONTEXT + body + _field(recipient, "recipient"), hashlib.sha256)
    return mac.digest()[:TAG_BYTES]


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode().rstrip("=").lower()


def _unb32(text: str) -> bytes:
    try:
        return base64.b32decode(text.upper() + "=" * (-len(text) % 8))
    except ValueError as why:   # binascii.Error is a ValueError
        raise MalformedToken(f"token is not base32: {why}") from None


def sign_token(keyring: VerpKeyring, *, recipient: str, message_id: str, tenant: str,
               prefix: str, bounce_domain: str, now: datetime, detached: bool = False,
               separator: str = "+", max_local_part: int | None = None) -> str:
    """The signed return path for one recipient of one message. `detached` leaves the
    recipient out of the token (shorter); the verifier must then supply it."""
    if now.tzinfo is None:
        raise VerpError("`now` must be timezone-aware")
    if not _LOCAL.fullmatch(prefix) or separator in prefix:
        raise NotVerp(f"prefix {prefix!r} cannot be used unquoted")
    rcpt = _normal_recipient(recipient)
    seconds = int(now.timestamp())
    body = (bytes([TOKEN_VERSION]) + seconds.to_bytes(5, "big") + _field(keyring.current, "key id")
            + _field(tenant, "tenant") + _field(message_id, "message id")
            + _field("" if detached else rcpt, "recipient"))
    token = _b32(body + _tag(keyring.secret(keyring.current), body, rcpt))
    local = f"{prefix}{separator}{token}"
    _check_length(local, max_local_part)
    _split_address(f"x@{bounce_domain}")
    return f"{local}@{bounce_domain.rstrip('.').lower()}"


def _read_fields(body: bytes) -> tuple[int, list[str]]:
    if len(body) < 6 or body[0] != TOKEN_VERSION:
        raise MalformedToken("unknown token version" if body else "empty token")
    seconds, pos, fields = int.from_bytes(body[1:6], "big"), 6, []
    for _ in range(4):
        if pos >= len(body):
            raise MalformedToken("token is truncated")
        size = body[pos]
        if pos + 1 + size > len(body):
            raise MalformedToken("token is truncated")
        try:
            fields.append(body[pos + 1:pos + 1 + size].decode())
        except UnicodeDecodeError:
            raise MalformedToken("token field is not UTF-8") from None
        pos += 1 + size
    if pos != len(body):
        raise MalformedToken("token has trailing bytes")
    return seconds, fields


def verify_token(address: str, keyring: VerpKeyring, *, prefix: str, now: datetime,
                 max_age: timedelta, recipient: str | None = None, separator: str = "+",
                 clock_skew: timedelta = timedelta(minutes=5)) -> VerpToken:
    """Check a signed return path and say what it carries. A detached token needs `recipient`
    (e.g. the DSN's Final-Recipient); for an embedded one, a `recipient` given must match."""
    if now.tzinfo is None:
        raise VerpError("`now` must be timezone-aware")
    local, bounce_domain = _split_address(address)
    text = _strip_prefix(local, prefix, separator)
    raw = _unb32(text)
    if _b32(raw) != text.lower():   # one token, one spelling: no stray trailing bits
        raise MalformedToken("token is not canonical base32")
    if len(raw) <= TAG_BYTES:
        raise MalformedToken("token is too short")
    body, tag = raw[:-TAG_BYTES], raw[-TAG_BYTES:]
    seconds, (key_id, tenant, message_id, embedded) = _read_fields(body)
    if embedded:
        rcpt = embedded
        if recipient is not None and _normal_recipient(recipient) != embedded:
            raise BadSignature(f"token is for {embedded!r}, not {recipient!r}")
    elif recipient is None:
        raise VerpError("detached token: the recipient must be supplied to verify it")
    else:
        rcpt = _normal_recipient(recipient)
    if not hmac.compare_digest(tag, _tag(keyring.secret(key_id), body, rcpt)):
        raise BadSignature("token tag does not match")
    token = VerpToken(key_id=key_id, signed_at=datetime.fromtimestamp(seconds, timezone.utc),
                      tenant=tenant, message_id=message_id, recipient=embedded or None,
                      bounce_domain=bounce_domain)
    if token.signed_at > now + clock_skew:
        raise TokenExpired(f"token is dated {token.signed_at.isoformat()}, in the future", token)
    if now - token.signed_at > max_age:
        raise TokenExpired(f"token signed {token.signed_at.isoformat()} is older than {max_age}", token)
    return token
