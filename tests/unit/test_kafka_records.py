"""The one Kafka record contract: what producers write, the classify stage and the sink read."""
from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace

from connectors.kafka_records import (
    command_headers,
    dead_letter_from_record,
    encode_headers,
    is_command,
    raw_headers_of,
    raw_message_from_record,
    raw_record_headers,
)
from connectors.streaming.classify import dead_letter_record, kind_hints, raw_from_record
from pipeline.errors import ParseError, dead_letter
from pipeline.settings import Settings
from schemas.models import RawMessage, RawSource

TS = 1_763_400_000_000   # 2025-11-17T17:20:00Z


def record(value: bytes, headers, *, topic="bouncepipe.raw.webhook", offset=7):
    return SimpleNamespace(topic=topic, partition=2, offset=offset, timestamp=TS, key=None,
                           value=value, headers=headers)


def test_the_classify_stage_keeps_the_receivers_request_id_and_arrival_time():
    """The bug: the production decoder dropped `request_id` and `received_at`."""
    arrived = datetime(2026, 12, 1, 8, 30, tzinfo=timezone.utc)
    headers = encode_headers(raw_record_headers(provider="mailjet", tenant="t-1", kind="webhook",
                                                request_id="req-42", received_at=arrived))
    raw = raw_from_record(record(b'{"event": "sent"}', headers), kind_hints(Settings()))
    assert raw.source.request_id == "req-42"
    assert raw.received_at == arrived
    assert (raw.provider_hint, raw.tenant, raw.kind_hint) == ("mailjet", "t-1", "webhook")
    assert (raw.source.topic, raw.source.partition, raw.source.offset) == (
        "bouncepipe.raw.webhook", 2, 7)


def test_without_headers_the_topic_and_the_record_timestamp_decide():
    raw = raw_message_from_record(record(b"x", None, topic="bouncepipe.raw.dmarc"), "dmarc")
    assert raw.kind_hint == "dmarc"
    assert raw.received_at == datetime.fromtimestamp(TS / 1000, timezone.utc)
    assert raw.source.request_id is None


def test_the_legacy_kind_hint_header_is_still_read_and_a_bad_time_falls_back():
    headers = [(b"kind_hint".decode(), b"mta_log"), ("received_at", b"yesterday")]
    raw = raw_message_from_record(record(b"{}", headers), "webhook")
    assert raw.kind_hint == "mta_log"
    assert raw.received_at == datetime.fromtimestamp(TS / 1000, timezone.utc)


def test_published_provenance_round_trips():
    raw = RawMessage.from_bytes(b"body", RawSource(transport="file", path="/in/a.eml"),
                                kind_hint="email", provider_hint="p", tenant="t")
    back = raw_message_from_record(record(b"body", raw_headers_of(raw)), None)
    assert (back.kind_hint, back.provider_hint, back.tenant) == ("email", "p", "t")
    assert back.headers["source"] == raw.source.label
    assert back.sha256 == raw.sha256


def test_a_dead_letter_round_trips_with_its_original_bytes():
    raw = RawMessage.from_bytes(b"not a report", RawSource(transport="kafka", topic="t",
                                                          partition=1, offset=9))
    nat = dead_letter(raw, ParseError("bad", raw_sha256=raw.sha256, parser="dsn"))
    out = dead_letter_record(raw, nat, "bouncepipe.deadletter")
    assert out.value == b"not a report" and out.key == raw.sha256.encode()
    row = dead_letter_from_record(SimpleNamespace(topic="bouncepipe.deadletter", partition=0,
                                                  offset=3, timestamp=TS, value=out.value,
                                                  headers=out.headers))
    assert (row.dead_letter_id, row.raw_sha256, row.reason, row.parser, row.error_type) == (
        nat.dead_letter_id, raw.sha256, nat.reason, "dsn", "ParseError")
    assert row.payload == b"not a report" and row.received_at == nat.received_at


def test_commands_are_marked():
    assert is_command(SimpleNamespace(headers=command_headers("unsuppress")))
    assert not is_command(SimpleNamespace(headers=[("provider", b"x")]))
    assert not is_command(SimpleNamespace(headers=None))
