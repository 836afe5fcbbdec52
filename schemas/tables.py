"""The lake's tables: one line per table (model, Arrow schema, primary key, partition date).

Table names are a public interface (DuckDB views, notebooks, the sink): do not rename.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa
from pydantic import BaseModel

from . import arrow, dimensions
from .models import MailEvent, NotParsed, SuppressionEvent


@dataclass(frozen=True)
class LakeTable:
    name: str
    model: type[BaseModel]
    schema: pa.Schema
    key: str            # primary key column: landing is idempotent on it
    date_field: str     # UTC timestamp column whose date names the Hive partition dt=YYYY-MM-DD
    # Rows per Parquet row group, for tables of large binary values (raw payloads): a reader
    # holds a whole row group's column in memory, so small groups keep its memory flat.
    row_group_rows: int | None = None
    # Fills the columns a row given as a plain dict (not a model) may lack but the model would
    # have derived on validation (events: schemas.dimensions.derive), in place.
    derive: Callable[[dict], dict] | None = None


TABLES: dict[str, LakeTable] = {}


def register_table(table: LakeTable) -> LakeTable:
    TABLES[table.name] = table
    return table


register_table(LakeTable("events", MailEvent, arrow.EVENTS, "event_id", "occurred_at",
                         derive=dimensions.derive))
register_table(LakeTable("suppressions", SuppressionEvent, arrow.SUPPRESSIONS, "suppression_id", "decided_at"))
register_table(LakeTable("dead_letters", NotParsed, arrow.DEAD_LETTERS, "dead_letter_id", "received_at",
                         row_group_rows=500))

# DMARC / TLS-RPT tables are defined in schemas/dmarc.py (registered here so that importing
# `schemas.tables` always yields every table); analysts' observation tables and the archive
# register themselves on import.
from . import dmarc as _dmarc  # noqa: E402

_dmarc.register_tables()
from . import observations as _observations  # noqa: E402,F401
from . import archive as _archive  # noqa: E402,F401  (raw archive, revisions: reclassify)
