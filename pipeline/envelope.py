"""The envelope an email arrived with, and what its return path (VERP) vouches for.

Pure: the core calls `apply` on every Outcome. The envelope comes from the raw input's
headers (the SMTP/LMTP receiver writes MAIL FROM, RCPT TO, client address and HELO there; the
Kafka record contract carries them: connectors/kafka_records.py) or, for mail that a mailbox
delivered (IMAP, maildir, a spool file), from the trace headers the delivering MTA put on top
(Return-Path, X-Original-To, Delivered-To).

Policy (settings.verp): an envelope recipient in the VERP shape names the original recipient
(pipeline/verp.py). A valid signed token adds the tenant and campaign/message id; an event
whose recipient disagrees with its return path is flagged `unverified` (verp="mismatch");
with `require_signed`, a DSN whose token is missing, forged or expired is flagged too. The
suppression engine never acts on an `unverified` event (backscatter and forged DSNs would
otherwise let strangers unsubscribe customers).
"""
from __future__ import annotations

import re
from typing import NamedTuple

from schemas.models import MailEvent, RawMessage, updated_mail_event

from . import verp
from .settings import Settings

# Raw-input header names (RawMessage.headers; Kafka record headers on raw topics).
MAIL_FROM = "mail_from"
RCPT_TO = "rcpt_to"          # comma-separated when one message had several recipients
CLIENT_ADDRESS = "client_address"
HELO = "helo"
ENVELOPE_HEADERS = (MAIL_FROM, RCPT_TO, CLIENT_ADDRESS, HELO)

# Events whose input arrived at a return path (their recipient is the one a VERP names).
_RETURN_PATH_KINDS = frozenset({"dsn", "autoreply"})
_TRACE = re.compile(rb"^(return-path|x-original-to|delivered-to|received):[ \t]*(.*?)\r?$",
                    re.IGNORECASE | re.MULTILINE)
# The first line of a Received header: "from HELO (rdns [ADDRESS])" or "from HELO ([ADDRESS])"
_RECEIVED_FROM = re.compile(r"from\s+(\S+)\s+\([^)\[]*\[(?:IPv6:)?([0-9A-Fa-f:.]+)\]")
_HEADER_SCAN = 16 * 1024


class Envelope(NamedTuple):   # a tuple: built for most emails, ~3x faster than a dataclass
    mail_from: str | None = None
    rcpt_to: tuple[str, ...] = ()
    client_address: str | None = None
    helo: str | None = None


def _clean(address: str) -> str:
    return address.strip().strip("<>").strip()


def envelope_of(raw: RawMessage) -> Envelope | None:
    """The envelope from raw.headers, else from a delivered mailbox message's trace headers."""
    headers = raw.headers
    if headers and (MAIL_FROM in headers or RCPT_TO in headers):
        rcpts = tuple(r for r in (_clean(x) for x in headers.get(RCPT_TO, "").split(",")) if r)
        mail_from = headers.get(MAIL_FROM)
        return Envelope(None if mail_from is None else _clean(mail_from), rcpts,
                        headers.get(CLIENT_ADDRESS) or None, headers.get(HELO) or None)
    head = raw.payload[:_HEADER_SCAN]
    # The header block ends at the first "\n\n" or "\r\n\r\n": the form the first line
    # ending suggests is searched for first, the other only before it (not to the end).
    first_lf = head.find(b"\n")
    if first_lf > 0 and head[first_lf - 1] == 13:   # CRLF
        end = head.find(b"\r\n\r\n")
        lf = head.find(b"\n\n", 0, len(head) if end == -1 else end + 1)
        if lf != -1:
            end = lf
    else:
        end = head.find(b"\n\n")
        crlf = head.find(b"\r\n\r\n", 0, len(head) if end == -1 else end + 3)
        if crlf != -1:
            end = crlf
    block = head if end == -1 else head[:end]
    # The topmost (first) line of each trace header, found by substring search in the
    # lower-cased block (ASCII lower-casing keeps every offset): what a case-insensitive
    # line-by-line regex over the block found, at a fraction of its cost on every email.
    lowered = block.lower()
    return_path = _first_value(block, lowered, _RETURN_PATH)
    # a Received without delivery trace says nothing here
    received = _first_value(block, lowered, _RECEIVED) if return_path is not None else None
    original_to = _first_value(block, lowered, _ORIGINAL_TO)
    delivered_to = _first_value(block, lowered, _DELIVERED_TO)
    if return_path is None and original_to is None and delivered_to is None:
        return None
    rcpt = original_to or delivered_to
    client = _RECEIVED_FROM.match(received or "")
    return Envelope(return_path, (rcpt,) if rcpt else (),
                    client[2] if client else None, client[1] if client else None)


# Each trace header as (its name and colon, the same after a line end): found at the start of
# the block or of a line
_RETURN_PATH = (b"return-path:", b"\nreturn-path:")
_RECEIVED = (b"received:", b"\nreceived:")
_ORIGINAL_TO = (b"x-original-to:", b"\nx-original-to:")
_DELIVERED_TO = (b"delivered-to:", b"\ndelivered-to:")
# a value: blanks after the colon skipped, the rest of the line
_VALUE = re.compile(rb"[ \t]*([^\n]*)")


def _first_value(block: bytes, lowered: bytes, field: tuple[bytes, bytes]) -> str | None:
    """The cleaned value of the first line of `block` that starts with `field` ("name:",
    lower case, and the same after a line end; `lowered` is block.lower()): blanks after
    the colon skipped, one CR before the line's end dropped. None when no line starts
    with it."""
    name, after_newline = field
    if lowered.startswith(name):
        at = len(name)
    else:
        at = lowered.find(after_newline)
        if at < 0:
            return None
        at += len(after_newline)
    value = _VALUE.match(block, at)[1]
    if value[-1:] == b"\r":
        value = value[:-1]
    return _clean(value.decode("utf-8", "replace"))


_CODECS: dict[int, tuple[object, verp.Codec]] = {}


def _codec(settings_verp) -> verp.Codec:
    """One Codec per settings object (settings are frozen; the dict holds the object so its
    id is never reused while cached)."""
    cached = _CODECS.get(id(settings_verp))
    if cached is None or cached[0] is not settings_verp:
        if len(_CODECS) > 16:
            _CODECS.clear()
        cached = _CODECS[id(settings_verp)] = (settings_verp, verp.Codec.from_settings(settings_verp))
    return cached[1]


def _vouch(envelope: Envelope, codec: verp.Codec, recipient: str | None = None
           ) -> verp.Reading | verp.VerpError | None:
    """The first envelope recipient's VERP reading: what it says, the error its token
    raised, or None when no recipient is in a VERP shape. `recipient` verifies a detached
    token (one that leaves the recipient to the DSN)."""
    first_error: verp.VerpError | None = None
    for rcpt in envelope.rcpt_to:
        if "+" not in rcpt:
            continue   # codec.decode raises NotVerp: no "+" after a prefix in the local part
        try:
            return codec.decode(rcpt, recipient=recipient)
        except verp.NotVerp:
            continue
        except verp.VerpError as exc:
            first_error = first_error or exc
    return first_error


def apply(raw: RawMessage, events: list[MailEvent], settings: Settings) -> list[MailEvent]:
    """`events` with the envelope and the return path's verdict filled in (the same list
    object when the input has no envelope and no policy applies)."""
    if not events:
        return events
    envelope = envelope_of(raw)
    required = settings.verp.require_signed
    if envelope is None and not required:
        return events
    envelope = envelope or Envelope()
    codec = _codec(settings.verp)
    said = _vouch(envelope, codec)
    out = []
    for event in events:
        update: dict = {}
        if envelope.mail_from is not None:
            update["envelope_from"] = envelope.mail_from
        if envelope.rcpt_to:
            update["envelope_to"] = envelope.rcpt_to[0]
        if envelope.client_address:
            update["client_address"] = envelope.client_address
        if envelope.helo:
            update["helo"] = envelope.helo
        at_return_path = event.source_kind in _RETURN_PATH_KINDS
        if type(said) is verp.VerpError and event.recipient:   # a detached token
            said = _vouch(envelope, codec, event.recipient)
        if isinstance(said, verp.Reading) and said.recipient:
            update["envelope_to"] = next(
                (r for r in envelope.rcpt_to if r.lower().startswith(codec.prefix.lower() + "+")),
                envelope.rcpt_to[0])
            update["verp"] = said.status
            if not event.recipient:
                update["recipient"] = said.recipient
                update["recipient_domain"] = said.recipient.rpartition("@")[2]
            elif event.recipient.lower() != said.recipient:
                update["verp"] = "mismatch"
                update["unverified"] = True
            if said.tenant and not event.tenant:
                update["tenant"] = said.tenant
            if said.ref and not event.campaign:
                update["campaign"] = said.ref
            if required and not said.signed and at_return_path:
                update["verp"] = "missing"
                update["unverified"] = True
        elif isinstance(said, verp.VerpError):
            status = verp.status_of(said)
            update["verp"] = status
            update["unverified"] = at_return_path and (required or status in ("forged", "expired"))
        elif required and at_return_path:   # no VERP (or a detached token: not carried here)
            update["verp"] = "missing"
            update["unverified"] = True
        out.append(updated_mail_event(event, update) if update else event)
    return out
