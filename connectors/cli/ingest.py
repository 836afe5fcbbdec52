"""`bouncepipe ingest PATH... --lake DIR` — files, directories, .eml, mbox, maildir, JSON/JSONL
payloads, DMARC XML/.gz/.zip -> the Parquet lake (tables events, suppressions,
dmarc_aggregate, dmarc_failure, tls_reports, dead_letters). Idempotent: running it twice over
the same inputs adds no rows."""
from __future__ import annotations

import argparse
import sys

from ._common import check_paths, stderr_is_terminal


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ingest", help="classify inputs and land them in the Parquet lake",
                       description=__doc__)
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--lake", required=True, metavar="DIR", help="lake directory (created)")
    p.add_argument("--provider", help="webhook provider, when auto-detection is not wanted")
    p.add_argument("--tenant", help="tenant tag for every input")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--jobs", type=int, default=None, metavar="N",
                   help="worker processes (default: this machine's cores); the lake gets the "
                   "same rows in the same files for any N")
    p.set_defaults(func=run, _error=p.error)


def print_summary(summary, lake, out=None) -> None:
    out = out or sys.stdout
    out.write(f"inputs: {summary.inputs}   lake: {lake}\n")
    if summary.already_archived:
        out.write(f"already archived (landed before, skipped): {summary.already_archived}\n")
    out.write("events by category:\n")
    for category, n in sorted(summary.events_by_category.items(), key=lambda kv: -kv[1]):
        out.write(f"  {category:<14} {n}\n")
    if not summary.events_by_category:
        out.write("  (none)\n")
    for table, n in sorted(summary.rows_by_table.items()):
        if table != "events":
            out.write(f"{table} rows: {n}\n")
    new = ", ".join(f"{t} {n}" for t, n in sorted(summary.landed_by_table.items()) if n)
    out.write(f"new rows landed: {new or 'none (already in the lake)'}\n")
    out.write(f"suppressions decided (new): {summary.suppressions}\n")
    out.write(f"dead letters: {summary.dead_letters}\n")
    for reason, n in summary.dead_letters_by_reason.most_common(10):
        out.write(f"  {n:>5}  {reason[:160]}\n")


def run(args: argparse.Namespace) -> int:
    import pyarrow as pa

    from connectors.ingest import ingest
    from connectors.parallel import default_jobs

    check_paths(args._error, args.paths)
    if args.jobs is not None and args.jobs < 1:
        args._error("--jobs must be at least 1")
    # Arrow's buffers from the C allocator, which gives freed memory back: mimalloc (the
    # default) keeps ~10 MB more resident per run of record batches (forked --jobs
    # workers inherit the choice)
    pa.set_memory_pool(pa.system_memory_pool())
    bar = None
    if stderr_is_terminal() and not args.no_progress:
        from tqdm import tqdm
        bar = tqdm(unit=" inputs", file=sys.stderr, desc="ingest")
    summary = ingest(args.paths, args.lake, provider_hint=args.provider, tenant=args.tenant,
                     on_input=(lambda _settled: bar.update()) if bar else None,
                     jobs=args.jobs or default_jobs())
    if bar:
        bar.close()
    print_summary(summary, args.lake)
    return 0
