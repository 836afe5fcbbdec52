"""The contract: deterministic ids, JSON Schemas without drift, Arrow schemas = models."""
from __future__ import annotations

import types
import typing
from datetime import datetime, timedelta, timezone
from enum import Enum

import pyarrow as pa
import pytest
from pydantic import BaseModel, ValidationError

from schemas import generate
from schemas.ids import stable_id
from schemas.models import MailEvent, RawMessage, RawSource
from schemas.tables import TABLES


def _event(**overrides) -> MailEvent:
    fields = dict(
        event_id=MailEvent.make_id("abc", 0, 0, "a@example.org"),
        raw_sha256="abc", occurred_at=datetime(2026, 11, 17, 9, 0, tzinfo=timezone.utc),
        received_at=datetime(2026, 11, 17, 9, 1, tzinfo=timezone.utc), source_kind="dsn",
        parser="dsn.rfc3464", category="hard_bounce", reason="userunknown",
        recipient="a@example.org", classifier_version="t", rule="status.5.1.1",
    )
    fields.update(overrides)
    return MailEvent(**fields)


def test_event_id_is_pinned_across_runs_and_machines():
    # A literal: if this changes, every lake and topic keyed by event_id would duplicate.
    assert MailEvent.make_id("abc", 0, 0, "a@example.org") == "39058781a213690569caf16606c72665"
    assert stable_id("a", "bc") != stable_id("ab", "c")
    assert stable_id("x", None) == stable_id("x", "")


def test_same_bytes_give_same_raw_sha_and_event_ids():
    from pipeline.core import process_bytes
    from pipeline.examples import EXAMPLES_DIR

    payload = (EXAMPLES_DIR / "dsn-userunknown.eml").read_bytes()
    first = process_bytes(payload, received_at=datetime(2026, 1, 1, tzinfo=timezone.utc))
    second = process_bytes(payload, received_at=datetime(2026, 2, 2, tzinfo=timezone.utc))
    assert [e.event_id for e in first.events] == [e.event_id for e in second.events]
    assert first.events, "the example DSN must give an event"


def test_datetimes_are_normalised_to_utc():
    cet = timezone(timedelta(hours=1))
    event = _event(occurred_at=datetime(2026, 11, 17, 10, 0, tzinfo=cet),
                   received_at=datetime(2026, 11, 17, 10, 0))
    assert event.occurred_at == datetime(2026, 11, 17, 9, 0, tzinfo=timezone.utc)
    assert event.received_at.tzinfo == timezone.utc


def test_unknown_reason_and_category_are_refused():
    with pytest.raises(ValidationError, match="unknown reason"):
        _event(reason="doesnotexist")
    with pytest.raises(ValidationError):
        _event(category="bounced")


def test_models_are_frozen_and_closed():
    with pytest.raises(ValidationError):
        _event(unexpected_field=1)
    with pytest.raises(ValidationError):
        _event().category = "complaint"  # type: ignore[misc]


def test_raw_message_hashes_its_payload():
    raw = RawMessage.from_bytes(b"hello", RawSource(transport="file", path="x.eml", member="3"))
    assert raw.sha256 == "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    assert raw.source.label == "x.eml#3"
    kafka = RawSource(transport="kafka", topic="t", partition=2, offset=41)
    assert kafka.label == "t[2]@41"


def test_json_schema_files_match_the_models():
    on_disk = {p.name: p.read_text() for p in generate.OUT_DIR.glob("*.json")}
    expected = generate.rendered()
    assert sorted(on_disk) == sorted(expected), "run: python -m schemas.generate"
    for name, text in expected.items():
        assert on_disk[name] == text, f"{name} drifted from its model: run python -m schemas.generate"


# --- Arrow schema = model -----------------------------------------------------------------

def _arrow_kind(annotation) -> str:
    """Reduce a model annotation to the Arrow type family it must land as."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _arrow_kind(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _arrow_kind(args[0])
    if origin is typing.Literal:
        return "string"
    if origin is list:
        return "list"
    if origin is dict:
        return "map"
    if isinstance(annotation, type):
        if issubclass(annotation, bool):
            return "bool"
        if issubclass(annotation, Enum) or issubclass(annotation, str):
            return "string"
        if issubclass(annotation, int):
            return "int"
        if issubclass(annotation, float):
            return "float"
        if issubclass(annotation, datetime):
            return "timestamp"
        if issubclass(annotation, bytes):
            return "binary"
        if issubclass(annotation, BaseModel):
            return "struct"
    if annotation is datetime:
        return "timestamp"
    raise AssertionError(f"no Arrow mapping for {annotation!r}")


def _arrow_family(t: pa.DataType) -> str:
    if pa.types.is_boolean(t):
        return "bool"
    if pa.types.is_integer(t):
        return "int"
    if pa.types.is_floating(t):
        return "float"
    if pa.types.is_timestamp(t):
        assert t.tz == "UTC", "lake timestamps are UTC"
        return "timestamp"
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "string"
    if pa.types.is_binary(t):
        return "binary"
    if pa.types.is_list(t):
        return "list"
    if pa.types.is_map(t):
        return "map"
    if pa.types.is_struct(t):
        return "struct"
    if pa.types.is_date(t):
        return "date"
    raise AssertionError(f"unexpected Arrow type {t}")


@pytest.mark.parametrize("table", sorted(TABLES))
def test_arrow_schema_equals_model(table):
    spec = TABLES[table]
    model_fields = spec.model.model_fields
    assert list(spec.schema.names) == list(model_fields), f"{table}: columns != model fields"
    for name, info in model_fields.items():
        hint = typing.get_type_hints(spec.model, include_extras=True)[name]
        kind = _arrow_kind(hint)
        family = _arrow_family(spec.schema.field(name).type)
        if kind == "timestamp" and family == "date":
            continue  # a DATE column fed from a date-valued field
        assert family == kind, f"{table}.{name}: model says {kind}, Arrow says {family}"
    assert spec.key in spec.schema.names and spec.date_field in spec.schema.names
