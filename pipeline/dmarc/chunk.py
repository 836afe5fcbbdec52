"""A chunk of one aggregate report's records, held as values per record (no dict per row).

The streaming parser (aggregate.py) reads a report's records into chunks; a consumer that
wants columns (the lake's staging, connectors/staging.py) takes `columns()`, one that wants
rows takes `rows()`: the same dicts, key for key and in the same order, as a row built per
record. The column names are the DmarcAggregateRow model's (schemas/dmarc.py); a test holds
REPORT columns + ROW_KEY_COLUMNS + RECORD_COLUMNS to exactly the model's fields.
"""
from __future__ import annotations

from collections.abc import Iterator

from schemas.dmarc import aggregate_row_id, aggregate_row_ids

# The per-record values `aggregate.record_values` returns, in this order.
RECORD_COLUMNS = ("source_ip", "message_count", "disposition", "policy_dkim", "policy_spf",
                  "dmarc_aligned", "override_reasons", "header_from", "header_from_org_domain",
                  "envelope_from", "envelope_to", "dkim_results", "spf_results")
# Derived from the report's identity and the record's position.
ROW_KEY_COLUMNS = ("row_id", "record_index")


def row_of(base: dict, index: int, values: tuple) -> dict:
    """One row dict: the report's shared columns, then the record's (RECORD_COLUMNS order)."""
    (source_ip, message_count, disposition, policy_dkim, policy_spf, dmarc_aligned, reasons,
     header_from, header_from_org, envelope_from, envelope_to, dkim, spf) = values
    row = base.copy()
    row["row_id"] = aggregate_row_id(base["report_key"], index)
    row["record_index"] = index
    row["source_ip"] = source_ip
    row["message_count"] = message_count
    row["disposition"] = disposition
    row["policy_dkim"] = policy_dkim
    row["policy_spf"] = policy_spf
    row["dmarc_aligned"] = dmarc_aligned
    row["override_reasons"] = reasons
    row["header_from"] = header_from
    row["header_from_org_domain"] = header_from_org
    row["envelope_from"] = envelope_from
    row["envelope_to"] = envelope_to
    row["dkim_results"] = dkim
    row["spf_results"] = spf
    return row


class RecordChunk:
    """Records start .. start+len-1 of one report: its shared columns (`base`) and one
    tuple of RECORD_COLUMNS values per record."""

    __slots__ = ("base", "start", "records")

    def __init__(self, base: dict, start: int, records: list[tuple]):
        self.base, self.start, self.records = base, start, records

    def __len__(self) -> int:
        return len(self.records)

    def rows(self) -> Iterator[dict]:
        base, start = self.base, self.start
        for offset, values in enumerate(self.records):
            yield row_of(base, start + offset, values)

    def columns(self) -> tuple[dict, dict[str, list]]:
        """(the columns every row shares: name -> value, the others: name -> values)."""
        count = len(self.records)
        columns: dict[str, list] = {
            "row_id": aggregate_row_ids(self.base["report_key"], self.start, count),
            "record_index": list(range(self.start, self.start + count)),
        }
        if count:
            columns.update(zip(RECORD_COLUMNS, map(list, zip(*self.records))))
        else:
            columns.update((name, []) for name in RECORD_COLUMNS)
        return self.base, columns
