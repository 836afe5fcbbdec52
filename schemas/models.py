"""The event contract: pydantic v2 models every part of bouncepipe speaks. No I/O here.

raw bytes (RawMessage) -> parsed record -> MailEvent(s) -> SuppressionEvent + lake rows,
and NotParsed for anything that could not be read (the dead-letter record).
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from . import dimensions

from .ids import sha256_hex, stable_id
from .vocab import REASONS, Category, SourceKind

SCHEMA_VERSION = 1


def _as_utc(value: datetime) -> datetime:
    """Naive datetimes are taken as UTC; aware ones are converted. The lake is UTC only."""
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


UtcDatetime = Annotated[datetime, AfterValidator(_as_utc)]


def _known_reason(value: str | None) -> str | None:
    if value is not None and value not in REASONS:
        raise ValueError(f"unknown reason {value!r}: use Sisimai's vocabulary (schemas.vocab)")
    return value


Reason = Annotated[str | None, AfterValidator(_known_reason)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=True)


class RawSource(_Frozen):
    """Where a raw input came from. Exactly the fields of its transport are set."""

    transport: Literal["file", "kafka", "http", "imap", "stdin", "memory"]
    path: str | None = None          # file path as given (file transport)
    member: str | None = None        # mbox index / zip member / maildir key inside `path`
    topic: str | None = None
    partition: int | None = None
    offset: int | None = None
    request_id: str | None = None    # HTTP receiver's request id

    @property
    def label(self) -> str:
        """Human form used in logs, CLI output and the lake's `source` column."""
        if self.transport == "kafka":
            return f"{self.topic}[{self.partition}]@{self.offset}"
        if self.transport == "http":
            return f"http:{self.request_id}"
        base = self.path or self.transport
        return f"{base}#{self.member}" if self.member else base


class RawMessage(_Frozen):
    """One raw input exactly as received: the bytes plus provenance.

    `sha256` identifies the input everywhere (event ids, dead letters, lake `raw_sha256`).
    """

    payload: bytes
    sha256: str
    source: RawSource
    received_at: UtcDatetime
    kind_hint: str | None = None      # e.g. "dsn", "dmarc", "webhook" from the topic or CLI
    provider_hint: str | None = None  # e.g. "sendgrid" from /webhooks/{provider}
    tenant: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)  # HTTP or Kafka headers

    @classmethod
    def from_bytes(
        cls,
        payload: bytes,
        source: RawSource,
        received_at: datetime | None = None,
        **extra: object,
    ) -> "RawMessage":
        # the validator itself: what cls(**fields) runs, without its keyword handling (every
        # input of every source is made here)
        return cls.__pydantic_validator__.validate_python({
            "payload": payload,
            "sha256": sha256_hex(payload),
            "source": source,
            "received_at": received_at or datetime.now(timezone.utc),
            **extra,
        })


class MailEvent(_Frozen):
    """One classified outcome for one recipient. The `events` table and topic carry these."""

    event_id: str
    raw_sha256: str
    raw_index: int = 0        # position of the event's object in a top-level JSON array; 0 otherwise
    recipient_index: int = 0  # position of the recipient inside the object / bounce (0-based)
    occurred_at: UtcDatetime
    received_at: UtcDatetime
    source_kind: SourceKind
    source: str | None = None  # RawSource.label
    parser: str                # module that parsed it, e.g. "dsn.postfix", "webhook.sendgrid"
    provider: str | None = None  # ESP / receiving provider / MTA product when known
    category: Category
    reason: Reason = None
    recipient: str | None = None          # normalised address (lower case, no brackets)
    recipient_domain: str | None = None
    sender: str | None = None             # envelope sender or original From address
    sender_domain: str | None = None
    status: str | None = None             # enhanced status code as the input states it, e.g. 5.1.1
    reply_code: int | None = None         # SMTP reply code, e.g. 550
    action: str | None = None             # DSN Action: failed / delayed / delivered / relayed / expanded
    diagnostic: str | None = None
    # The diagnostic's shape (schemas.dimensions.normalise_diagnostic): derived from
    # `diagnostic` when not given, so v_bounce_diagnostics groups a plain column.
    diagnostic_normalised: str | None = None
    remote_mta: str | None = None
    reporting_mta: str | None = None
    feedback_type: str | None = None      # ARF Feedback-Type / provider complaint type
    message_id: str | None = None         # the original message's Message-ID
    subject: str | None = None            # the original message's Subject
    provider_event_id: str | None = None  # the provider's own id for the event, for dedup/audit
    provider_message_id: str | None = None
    stream: str | None = None             # message stream / list / category tag
    campaign: str | None = None
    tenant: str | None = None
    list_id: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    # Where it was sent from, as the MTA / ESP stated it in the tags (schemas.dimensions:
    # egress_pool / pool / ip_pool; sending_ip / ip / egress_source): derived when not given.
    sending_pool: str | None = None
    sending_ip: str | None = None
    # The SMTP envelope the input arrived with (the SMTP/LMTP receiver; a mailbox's
    # Return-Path / Delivered-To), and what its return path (VERP) said about the recipient.
    envelope_from: str | None = None      # MAIL FROM ("" for a bounce's null sender)
    envelope_to: str | None = None        # the RCPT TO it was delivered to (the return path)
    client_address: str | None = None     # the sending MTA's IP address
    helo: str | None = None               # the sending MTA's HELO/EHLO name
    verp: str | None = None               # plain | verified | missing | forged | expired | mismatch
    unverified: bool = False              # the return path did not vouch for it: never suppresses
    classifier_version: str
    rule: str                             # which rule decided the category/reason

    @model_validator(mode="before")
    @classmethod
    def _derive_dimensions(cls, data: object) -> object:
        if isinstance(data, dict) and (data.get("sending_pool") is None or data.get("sending_ip") is None
                                       or data.get("diagnostic_normalised") is None):
            data = dimensions.derive(dict(data))  # a copy: the caller's dict stays as given
        return data

    @staticmethod
    def make_id(*natural_key: object) -> str:
        """Event ids hash the input's natural key, never the classification, so re-running a
        newer classifier over the same input updates rather than duplicates."""
        return stable_id("event", *natural_key)


def unvalidated_mail_event(values: dict) -> MailEvent:
    """A MailEvent from values already valid (built by validated code, or read back from the
    lake that validated events wrote), without validating again: the core of
    `MailEvent.model_construct` minus its per-field loop (that loop was 45 % of the webhook
    normaliser's profile, and validation most of the suppression replay). The event holds
    exactly `values`' fields: one left out raises AttributeError when read, never a default."""
    return _assembled(MailEvent, values, set(values))


def updated_mail_event(event: MailEvent, update: dict) -> MailEvent:
    """`event.model_copy(update=update)` (no validation; `update` names fields) without its
    generic path: the same __dict__, fields set, extra and private, at half its cost (the core
    copies most events once, to add the envelope: pipeline/envelope.py)."""
    if event.__pydantic_extra__ is not None or event.__pydantic_private__ is not None:
        return event.model_copy(update=update)   # not a MailEvent this module built
    return _assembled(type(event), {**event.__dict__, **update},
                      event.__pydantic_fields_set__ | update.keys())


def _assembled(cls: type[MailEvent], values: dict, fields_set: set[str]) -> MailEvent:
    """An instance of `cls` holding `values` as they are (no extra, no private state)."""
    event = object.__new__(cls)
    object.__setattr__(event, "__dict__", values)
    object.__setattr__(event, "__pydantic_fields_set__", fields_set)
    object.__setattr__(event, "__pydantic_extra__", None)
    object.__setattr__(event, "__pydantic_private__", None)
    return event


class SuppressionEvent(_Frozen):
    """A suppression decision. Published compacted, keyed by `key` (scope + address)."""

    suppression_id: str
    key: str                  # compaction key: "{scope}:{scope_value}:{address}"
    address: str
    address_domain: str
    action: Literal["suppress", "unsuppress", "hold"]
    scope: Literal["global", "tenant", "stream"]
    scope_value: str | None = None
    reason: Reason = None
    category: Category | None = None
    policy_rule: str                      # which policy rule decided
    decided_at: UtcDatetime
    expires_at: UtcDatetime | None = None
    evidence_event_ids: list[str] = Field(default_factory=list)
    tenant: str | None = None
    note: str | None = None

    @staticmethod
    def make_key(scope: str, scope_value: str | None, address: str) -> str:
        return f"{scope}:{scope_value or ''}:{address}"


class NotParsed(_Frozen):
    """The dead-letter record: what could not be read, where it stopped, and why."""

    dead_letter_id: str
    raw_sha256: str
    raw_index: int = 0
    source: str | None = None
    stage: Literal["sniff", "parse", "classify", "verify", "limits", "land"]
    parser: str | None = None    # parser(s) tried
    error_type: str              # exception class name, e.g. "NotSupported", "LimitExceeded"
    reason: str                  # a clear, human sentence
    retryable: bool = False      # transient (retry) vs terminal (dead-letter for good)
    received_at: UtcDatetime
    payload: bytes | None = None  # original bytes (possibly capped: see payload_truncated)
    payload_size: int = 0
    payload_truncated: bool = False

    @staticmethod
    def make_id(raw_sha256: str, raw_index: int, stage: str, error_type: str) -> str:
        return stable_id("deadletter", raw_sha256, raw_index, stage, error_type)


__all__ = [
    "SCHEMA_VERSION",
    "Category",
    "SourceKind",
    "RawSource",
    "RawMessage",
    "MailEvent",
    "SuppressionEvent",
    "NotParsed",
    "UtcDatetime",
]
