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


def run(args: argparse.Namespace) -> int:
    from connectors.sources.files import iter_raw_messages
    from pipeline.core import process_stream

    check_paths(args._error, args.paths)
    out = sys.stdout
    if args.format == "table":
        out.write("source\tindex\trecipient\tcategory\treason\tstatus\treply_code\trule\n")
    for raw, outcome in process_stream(iter_raw_messages(args.paths, provider_hint=args.provider)):
        for line in lines_for(raw, outcome):
            if args.format == "jsonl":
                out.write(orjson.dumps(line).decode() + "\n")
            else:
                out.write(_table_line(line) + "\n")
    out.flush()
    return 0
