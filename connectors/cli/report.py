"""`bouncepipe report --lake DIR --out report.html` — a self-contained HTML report (headline
numbers, what needs attention, bounces, complaints, DMARC, TLS, suppressions, dead letters).
With --demo, first fills DIR with the demo lake (bundled examples + seeded synthetic volume)."""
from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="write a self-contained HTML report over the lake",
                       description=__doc__)
    p.add_argument("--lake", required=True, metavar="DIR")
    p.add_argument("--out", default="report.html", metavar="FILE", help="default: ./report.html")
    p.add_argument("--title", default="bouncepipe deliverability report")
    p.add_argument("--since", type=date.fromisoformat, metavar="YYYY-MM-DD",
                   help="first UTC day of the slice (inclusive)")
    p.add_argument("--until", type=date.fromisoformat, metavar="YYYY-MM-DD",
                   help="last UTC day of the slice (inclusive)")
    p.add_argument("--tenant", help="only this tenant's events ('(none)': events without one)")
    p.add_argument("--stream", help="only this stream's events")
    p.add_argument("--no-csv", action="store_true", help="do not write the CSV exports")
    p.add_argument("--demo", action="store_true",
                   help="build the demo lake in DIR first (DIR must be empty or absent)")
    p.set_defaults(func=run, _error=p.error)


def run(args: argparse.Namespace) -> int:
    try:
        from connectors.report.html import write_report
    except ImportError as exc:  # matplotlib comes with the notebooks extra
        args._error(f"the report needs matplotlib ({exc}): pip install 'bouncepipe[notebooks]'")

    lake = Path(args.lake)
    if args.demo:
        if lake.exists() and any(lake.iterdir()):
            args._error(f"--demo needs an empty or absent --lake, and {lake} has files")
        from connectors.report.demo import build_demo_lake

        build_demo_lake(lake)
    elif not lake.is_dir():
        args._error(f"no lake at {lake} (ingest something first, or use --demo)")
    from connectors.duck import Slice

    if args.since and args.until and args.since > args.until:
        args._error("--since is after --until")
    part = Slice(args.since, args.until, args.tenant, args.stream)
    out = write_report(lake, args.out, title=args.title, part=part if part.label else None,
                       csv=not args.no_csv)
    print(f"wrote {out} ({out.stat().st_size / 1024:.0f} KiB)", file=sys.stderr)
    return 0
