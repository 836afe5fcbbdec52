"""`bouncepipe classify [--format jsonl|table] PATH...` — one line per event, no lake.

The jsonl form is a public interface: keys source, index, recipient, category, reason, status,
reply_code, feedback_type, provider, rule (always present), more may follow. An input that
cannot be parsed prints one line with category null and `error`; DMARC/TLS reports (which
produce rows, not events) print one line with category null and `rows`.
"""
from __future__ import annotations

import argparse
import sys

import orjson

from ._common import check_paths

KEYS = ("source", "index", "recipient", "category", "reason", "status", "reply_code",
        "feedback_type", "provider", "rule")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("classify", help="print one classified line per event (no lake)",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or directories (recursive)")
    p.add_argument("--format", choices=("jsonl", "table"), default="jsonl")
    p.add_argument("--provider", help="webhook provider, when auto-detection is not wanted")
    p.add_argument("--jobs", type=int, default=None, metavar="N",
                   help="worker processes (default: this machine's cores); the output is the "
                   "same, in the same order, for any N")
    p.set_defaults(func=run, _error=p.error)


def lines_for(raw, outcome) -> list[dict]:
    source = raw.source.path or raw.source.label
    member = {"member": raw.source.member} if raw.source.member else {}
    out = []
    for e in outcome.events:
        out.append({
            "source": source, "index": e.raw_index, "recipient": e.recipient,
            "category": e.category, "reason": e.reason, "status": e.status,
            "reply_code": e.reply_code, "feedback_type": e.feedback_type,
            "provider": e.provider, "rule": e.rule, **member,
            "recipient_index": e.recipient_index, "parser": e.parser, "event_id": e.event_id,
        })
    rows = {}
    for table, table_rows in outcome.rows.items():
        rows[table] = sum(1 for _ in table_rows)
    if rows:
        out.append({"source": source, "index": 0, **{k: None for k in KEYS[2:]},
                     "provider": None, "rule": None, **member, "rows": rows,
                     "parser": outcome.parser})
    for d in outcome.dead_letters:
        out.append({"source": source, "index": d.raw_index, **{k: None for k in KEYS[2:]},
                    **member, "error": d.reason, "error_type": d.error_type, "stage": d.stage})
    return out


def _table_line(line: dict) -> str:
    what = line.get("error") or (f"rows {line['rows']}" if "rows" in line else None)
    if what:
        return f"{line['source']}\t{line['index']}\t-\t{'ERROR' if 'error' in line else 'REPORT'}\t{what}"
    return "\t".join(str(line[k]) if line[k] is not None else "-" for k in
                     ("source", "index", "recipient", "category", "reason", "status",
                      "reply_code", "rule"))


def classify_unit(unit: list[tuple[str, str]], *, fmt: str, provider: str | None) -> str:
    """The output text of a run of files (connectors/parallel.py work unit)."""
    from connectors.sources.files import raw_messages_of_file
    from pipeline.core import process_stream

    # the file path as the unit holds it (str): raw_messages_of_file needs no Path
    raws = (raw for file, label in unit
            for raw in raw_messages_of_file(file, label, provider_hint=provider))
    text = []
    for raw, outcome in process_stream(raws):
        for line in lines_for(raw, outcome):
            text.append(orjson.dumps(line).decode() if fmt == "jsonl" else _table_line(line))
    return "\n".join(text) + "\n" if text else ""


def run(args: argparse.Namespace) -> int:
    from functools import partial

    from connectors.parallel import default_jobs, map_ordered, work_units

    check_paths(args._error, args.paths)
    if args.jobs is not None and args.jobs < 1:
        args._error("--jobs must be at least 1")
    out = sys.stdout
    if args.format == "table":
        out.write("source\tindex\trecipient\tcategory\treason\tstatus\treply_code\trule\n")
    work = partial(classify_unit, fmt=args.format, provider=args.provider)
    for text in map_ordered(work, work_units(args.paths), args.jobs or default_jobs()):
        out.write(text)
    out.flush()
    return 0
