"""The Kafka record contract, both directions, in one place.

Raw topics (`bouncepipe.raw.*`): the record value is the input exactly as received; headers
carry its provenance. Every producer (the webhook receiver, `bouncepipe publish`, the SMTP and
IMAP sources) writes them with `raw_record_headers`, and the classify stage reads them back with
`raw_message_from_record`:

    provider     the webhook provider or other hint for the parser        (optional)
    tenant       the sending customer the input belongs to                (optional)
    kind         family hint: "webhook", "mta_log", "dmarc" or "email"    (optional; the
                 topic implies one; "kind_hint" is the name receivers before 2026-12 wrote)
    request_id   the receiver's id for the HTTP/SMTP request              (optional)
    received_at  ISO-8601 arrival time at the edge; else the record timestamp
    source       where a published file came from                         (optional)
    mail_from, rcpt_to, client_address, helo
                 the SMTP envelope (the SMTP/LMTP receiver; `envelope_record_headers`);
                 rcpt_to is comma-separated; pipeline/envelope.py reads them into the event

Dead letters (`bouncepipe.deadletter`): the value is the ORIGINAL bytes; headers say why and
where (`dead_letter_headers`), and the sink reads them back into a `NotParsed` row
(`dead_letter_from_record`). The webhook receiver's form (a NotParsed JSON whose body is in
`payload_b64`, written when the body never reached a raw topic) is read too.

Records on the events topic that are not events carry `bouncepipe-command` (`command_of`):
"unsuppress" (`bouncepipe unsuppress`: an UnsuppressRequest the suppress stage applies) and
"revision" (`bouncepipe reclassify --bootstrap`: an EventRevision the sink lands in
event_revisions; the suppress stage skips it, the run publishes its own corrections) and
"correction" (the same run: a SuppressionEvent it published on the suppressions topic, keyed
by address; the suppress stage records it in its state and decides nothing; the sink skips it).
"""
from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

import orjson

from pipeline.envelope import CLIENT_ADDRESS, HELO, MAIL_FROM, RCPT_TO
from schemas.ids import sha256_hex, stable_id
from schemas.models import NotParsed, RawMessage, RawSource

PROVIDER = "provider"
TENANT = "tenant"
KIND = "kind"
LEGACY_KIND = "kind_hint"
REQUEST_ID = "request_id"
RECEIVED_AT = "received_at"
SOURCE = "source"
COMMAND = "bouncepipe-command"

Headers = list[tuple[str, bytes]]


def header_dict(headers: Any) -> dict[str, str]:
    """Kafka headers (a list of (name, bytes)) -> {name: text}; a repeated name keeps its last
    value, a null value is skipped."""
    return {k: v.decode("utf-8", "replace") for k, v in (headers or ()) if v is not None}


def encode_headers(values: Mapping[str, str | None]) -> Headers:
    return [(k, v.encode("utf-8", "replace")) for k, v in values.items() if v]


# -- raw topics --------------------------------------------------------------------------------
def raw_record_headers(*, provider: str | None = None, tenant: str | None = None,
                       kind: str | None = None, request_id: str | None = None,
                       received_at: datetime | None = None, source: str | None = None,
                       extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The provenance headers of a raw record, as text (encode with `encode_headers`)."""
    values = {PROVIDER: provider, TENANT: tenant, KIND: kind, REQUEST_ID: request_id,
              RECEIVED_AT: received_at.isoformat() if received_at else None, SOURCE: source}
    out = {k: v for k, v in values.items() if v}
    for name, value in (extra or {}).items():
        out.setdefault(name, value)
    return out


def envelope_record_headers(*, mail_from: str | None, rcpt_to: list[str],
                            client_address: str | None = None,
                            helo: str | None = None) -> dict[str, str]:
    """The envelope headers of a raw email record (for `raw_record_headers(extra=...)`).
    MAIL FROM is written even when empty: a bounce's null sender is information."""
    out = {MAIL_FROM: mail_from or "", RCPT_TO: ",".join(rcpt_to)}
    if client_address:
        out[CLIENT_ADDRESS] = client_address
    if helo:
        out[HELO] = helo
    return out


def raw_headers_of(raw: RawMessage) -> Headers:
    """The headers that carry a RawMessage's provenance through a raw topic."""
    return encode_headers(raw_record_headers(
        provider=raw.provider_hint, tenant=raw.tenant, kind=raw.kind_hint,
        request_id=raw.source.request_id, source=raw.source.label))


def _received_at(meta: Mapping[str, str], timestamp_ms: int | None) -> datetime | None:
    text = meta.get(RECEIVED_AT)
    if text:
        try:
            when = datetime.fromisoformat(text)
            return when if when.tzinfo else when.replace(tzinfo=timezone.utc)
        except ValueError:
            pass   # a producer's bad header: the broker's timestamp is the next best time
    if timestamp_ms is not None:
        return datetime.fromtimestamp(timestamp_ms / 1000, timezone.utc)
    return None


def raw_message_from_record(record: Any, topic_kind: str | None = None) -> RawMessage:
    """A consumed raw record (aiokafka or kafka-python: .value .headers .topic .partition
    .offset .timestamp) -> the RawMessage the core processes. `topic_kind` is the family the
    topic implies, used when no `kind` header says otherwise. A replay of the same record
    builds the same RawMessage (same times, so the same events)."""
    meta = header_dict(record.headers)
    return RawMessage.from_bytes(
        record.value or b"",
        RawSource(transport="kafka", topic=record.topic, partition=record.partition,
                  offset=record.offset, request_id=meta.get(REQUEST_ID)),
        _received_at(meta, record.timestamp),
        kind_hint=meta.get(KIND) or meta.get(LEGACY_KIND) or topic_kind,
        provider_hint=meta.get(PROVIDER), tenant=meta.get(TENANT), headers=meta)


# -- dead letters ------------------------------------------------------------------------------
def dead_letter_headers(raw: RawMessage, record: NotParsed) -> Headers:
    src = raw.source
    return encode_headers({
        "reason": record.reason, "stage": record.stage, "error_type": record.error_type,
        "raw_sha256": raw.sha256, "source_topic": src.topic or "",
        "source_partition": str(src.partition), "source_offset": str(src.offset),
        "dead_letter_id": record.dead_letter_id, "raw_index": str(record.raw_index),
        "parser": record.parser or "", "retryable": "true" if record.retryable else "false",
        "received_at": record.received_at.isoformat(), "source": record.source or "",
    })


def dead_letter_from_record(record: Any) -> NotParsed:
    """A `deadletter` record (original bytes + headers, or the receiver's JSON form) -> the
    dead_letters table row."""
    h = header_dict(record.headers)
    payload = record.value or b""
    if "dead_letter_id" not in h and payload[:1] == b"{":
        try:
            data = orjson.loads(payload)
            if isinstance(data, dict) and "dead_letter_id" in data:
                body = base64.b64decode(data.pop("payload_b64", "") or "")
                fields = {k: v for k, v in data.items() if k in NotParsed.model_fields}
                return NotParsed.model_validate({**fields, "payload": body})
        except (ValueError, TypeError):
            pass   # not the receiver's form after all: the bytes are the original input
    received = _received_at(h, record.timestamp)
    return NotParsed(
        dead_letter_id=h.get("dead_letter_id") or stable_id("deadletter", record.topic,
                                                            record.partition, record.offset),
        raw_sha256=h.get("raw_sha256") or sha256_hex(payload), raw_index=int(h.get("raw_index") or 0),
        source=h.get("source") or None, stage=h.get("stage") or "parse",
        parser=h.get("parser") or None, error_type=h.get("error_type") or "Unknown",
        reason=h.get("reason") or "(no reason header)", retryable=h.get("retryable") == "true",
        received_at=received, payload=payload, payload_size=len(payload))


# -- commands ----------------------------------------------------------------------------------
def command_headers(command: str) -> Headers:
    return [(COMMAND, command.encode())]


def command_of(record: Any) -> str | None:
    for name, value in record.headers or ():
        if name == COMMAND:
            return (value or b"").decode("utf-8", "replace")
    return None


def is_command(record: Any) -> bool:
    return command_of(record) is not None
