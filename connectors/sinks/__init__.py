"""Sinks: where consumed records end up durably (the Parquet lake today; a warehouse, an S3
bucket or a CRM's database tomorrow). A sink is one module with one small class:

    class MySink(BatchingSink):
        topics(settings)                        -> the topics it consumes
        write_batch(tp, first_offset, records)  -> make these records durable (a thread; may
                                                   be called again for the same range after a
                                                   crash: write idempotently, e.g. name files
                                                   by first offset); returns rows landed
        prepare(tp, committed)                  -> optional: on assignment, undo output of
                                                   ranges at or past `committed`
        revoke(tp)                              -> optional: forget per-partition state

`SinkLoop` (base.py) drives any sink: it buffers a partition's records, flushes when the
buffer is big or old enough, and commits the partition's offset only after `write_batch`
returned, so checkpointing is the loop's and a sink never commits (as in quix-streams).
Register it in SINKS (name -> "module:Class"); `bouncepipe sink --sink NAME` runs it.
"""
from __future__ import annotations

import importlib

from .base import BatchingSink, SinkLoop

SINKS = {
    "parquet": "connectors.sinks.parquet:ParquetSink",   # output topics -> lake tables
    "archive": "connectors.sinks.archive:ArchiveSink",   # raw topics -> raw_archive
}


def sink_class(name: str) -> type[BatchingSink]:
    try:
        module, _, cls = SINKS[name].partition(":")
    except KeyError:
        raise ValueError(f"unknown sink {name!r}; known: {', '.join(sorted(SINKS))}") from None
    return getattr(importlib.import_module(module), cls)


__all__ = ["SINKS", "BatchingSink", "SinkLoop", "sink_class"]
