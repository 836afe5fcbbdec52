"""`bouncepipe reclassify --lake DIR` — run today's rules over the archived raw inputs and dead
letters and correct the past: revisions for events whose category, reason or recipient changed
(the previous classification is kept), events for dead letters that now parse, and suppression
corrections (lift what only the old evidence held, suppress what new hard evidence asks for;
decisions made by a person are never touched). Prints the diff and writes it as JSON.
With --bootstrap the revisions and corrections are published to the events and suppressions
topics (the sink lands them; CRMs consuming suppressions receive the lifts)."""
from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime, timezone

import orjson

from .worker import add_kafka_args, settings_from_args


def _day(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("reclassify", help="re-run the current rules over the archived evidence",
                       description=__doc__)
    p.add_argument("--lake", required=True, metavar="DIR")
    p.add_argument("--since", type=_day, help="inputs received at or after (ISO date/time, UTC)")
    p.add_argument("--until", type=_day, help="inputs received before (ISO date/time, UTC)")
    p.add_argument("--parser", help="only inputs an earlier run parsed (or failed) with this "
                                    "parser (prefix: dsn, dsn.postfix, webhook.ses, ...)")
    p.add_argument("--only-dead-letters", action="store_true",
                   help="only inputs that were dead-lettered")
    p.add_argument("--dry-run", action="store_true", help="show the diff, change nothing")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                   help="worker processes (default: the machine's cores)")
    p.add_argument("--out", metavar="FILE", help="write the diff as JSON here "
                   "(default: DIR/reclassify-<run>.json; '-' prints it instead of the summary)")
    add_kafka_args(p)
    p.set_defaults(func=run, publish=False)


def run(args: argparse.Namespace) -> int:
    from connectors.reclassify import reclassify

    settings = settings_from_args(args)
    publisher = None
    if args.bootstrap:
        from connectors.reclassify_publish import KafkaCorrections
        publisher = KafkaCorrections(settings)
    diff = reclassify(args.lake, settings=settings, since=args.since, until=args.until,
                      parser=args.parser, only_dead_letters=args.only_dead_letters,
                      dry_run=args.dry_run, jobs=max(1, args.jobs), publisher=publisher)
    data = diff.to_json()
    text = orjson.dumps(data, option=orjson.OPT_INDENT_2).decode()
    if args.out == "-":
        sys.stdout.write(text + "\n")
        return 0
    out = args.out or os.path.join(args.lake, f"reclassify-{diff.run_id[:12]}.json")
    with open(out, "w", encoding="utf-8") as fh:
        fh.write(text + "\n")
    w = sys.stdout.write
    w(f"{'dry run: nothing written. ' if diff.dry_run else ''}classifier {diff.classifier_version}"
      f"; {diff.inputs} inputs re-read\n")
    w(f"revised events: {diff.revised}   withdrawn: {diff.withdrawn}   new events: "
      f"{diff.new_events}   dead letters recovered: {diff.dead_letters_recovered}\n")
    for change, n in diff.category_changes.most_common(10):
        w(f"  {n:>6}  {change}\n")
    if diff.reason_changes:
        w("reasons:\n")
        for change, n in diff.reason_changes.most_common(10):
            w(f"  {n:>6}  {change}\n")
    w(f"suppressions: {len(diff.suppressed)} added, {len(diff.lifted)} lifted "
      f"(reclassified); {diff.manual_kept} manual decisions left alone\n")
    if diff.now_unreadable:
        w(f"inputs the current rules can no longer read (kept as they were): "
          f"{diff.now_unreadable}\n")
    w(f"diff: {out}\n")
    return 0
