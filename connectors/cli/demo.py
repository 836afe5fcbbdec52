"""`bouncepipe demo [--lake DIR]` — ingest the bundled example inputs (a DSN of each kind, a
complaint, an auto-reply, a DMARC report, SendGrid webhooks, KumoMTA log records and one
file that is none of these) into a lake, then show what landed."""
from __future__ import annotations

import argparse

from .ingest import print_summary
from .query import print_table

SHOW = (
    ("events", "SELECT category, reason, recipient, parser FROM events ORDER BY category, recipient"),
    ("suppressions", "SELECT address, action, scope, reason, policy_rule FROM suppressions ORDER BY address"),
    ("dmarc_aggregate", "SELECT header_from, source_ip, message_count, dmarc_aligned FROM dmarc_aggregate ORDER BY source_ip"),
    ("dead_letters", "SELECT source, error_type, reason FROM dead_letters"),
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="ingest the bundled examples into a lake and show it",
                       description=__doc__)
    p.add_argument("--lake", default="demo-lake", metavar="DIR", help="default: ./demo-lake")
    p.set_defaults(func=run, _error=p.error)


def run(args: argparse.Namespace) -> int:
    import duckdb

    from connectors.duck import connect
    from connectors.ingest import ingest
    from pipeline.examples import EXAMPLES_DIR

    summary = ingest([EXAMPLES_DIR], args.lake)
    print_summary(summary, args.lake)
    con = connect(args.lake)
    for title, sql in SHOW:
        print(f"\n== {title}")
        try:
            cur = con.execute(sql)
        except duckdb.Error as exc:  # a table whose columns are not there yet
            print(f"(not available: {str(exc).splitlines()[0]})")
            continue
        print_table([d[0] for d in cur.description], cur.fetchall())
    print(f"\nQuery it yourself: bouncepipe query --lake {args.lake} "
          "\"select category, count(*) from events group by 1\"")
    return 0
