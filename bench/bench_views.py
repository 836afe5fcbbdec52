"""Query time of the headline analytics views on a generated lake (default 10M events).

    .venv/bin/python bench/bench_views.py                     # 10M events in /tmp/bouncepipe-bench-lake
    .venv/bin/python bench/bench_views.py --events 1000000 --lake /tmp/lake1m --regenerate

The lake is written by `connectors.report.synth` (seeded, vectorised numpy/pyarrow, explicit
schemas, Hive-partitioned by dt like connectors.lake) once and reused while its marker file
says it has the requested size/seed. Each view is fully materialised (`SELECT * ...` fetched as Arrow)
`--runs` times on a fresh connection from `connectors.views.open_lake`; the table shows the
first (cold-ish, OS cache warm) and best run, and the CPU seconds (user+sys of every DuckDB
thread) of the best run: on a shared machine wall time depends on the load, CPU time much less.
Target: < 1 s per view.
"""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from connectors.views import open_lake  # noqa: E402
from connectors.report.synth import SynthSpec, write_synthetic_lake  # noqa: E402
from schemas.tables import TABLES  # noqa: E402

HEADLINE_VIEWS = (
    "v_headline",
    "v_delivery_daily",
    "v_slice_daily",
    "v_pool_daily",
    "v_provider_daily",
    "v_provider_status",
    "v_bounce_diagnostics",
    "v_incidents",
    "v_bounce_rate_daily",
    "v_bounce_reason_mix",
    "v_bounce_trend",
    "v_complaint_rate",
    "v_complaint_status",
    "v_complaint_rate_7d",
    "v_dmarc_pass_rate_domain",
    "v_dmarc_sources",
    "v_dmarc_new_sources",
    "v_dmarc_readiness",
    "v_dmarc_source_readiness",
    "v_tls_failures",
    "v_suppression_state",
    "v_suppression_audit",
)
# How the audit is used: one address (or key) at a time. {address} = the first suppressed one.
EXTRA_QUERIES = {
    "one tenant's slices, 7 days": "SELECT * FROM v_slice_daily WHERE tenant = 'globex' "
                                   "AND day > (SELECT max(day) FROM v_slice_daily) - 7",
    "audit of one address": "SELECT * FROM v_suppression_audit WHERE address = '{address}'",
    "evidence of one address": "SELECT * FROM v_suppression_evidence WHERE address = '{address}'",
}


def _cpu_seconds() -> float:
    """user + sys of this process, all threads (DuckDB runs its workers in-process)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def ensure_lake(lake: Path, spec: SynthSpec, regenerate: bool) -> None:
    marker = lake / "_synthetic.json"
    # the events columns too: a lake written before a column existed is regenerated
    wanted = {"events": spec.events, "days": spec.days, "seed": spec.seed,
              "events_columns": TABLES["events"].schema.names}
    if not regenerate and marker.exists() and json.loads(marker.read_text()) == wanted:
        print(f"reusing {lake} ({spec.events:,} events)")
        return
    shutil.rmtree(lake, ignore_errors=True)
    lake.mkdir(parents=True)
    t0 = time.perf_counter()
    written = write_synthetic_lake(lake, spec)
    took = time.perf_counter() - t0
    marker.write_text(json.dumps(wanted))
    size = sum(p.stat().st_size for p in lake.rglob("*.parquet"))
    print(f"generated {lake} in {took:.1f} s ({size / 2**20:.0f} MiB parquet): "
          + ", ".join(f"{k} {v:,}" for k, v in written.items()))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lake", default="/tmp/bouncepipe-bench-lake", type=Path)
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0, help="DuckDB threads (0: DuckDB's default)")
    ap.add_argument("--regenerate", action="store_true")
    ap.add_argument("--views", nargs="*", default=list(HEADLINE_VIEWS))
    args = ap.parse_args(argv)

    spec = SynthSpec(events=args.events, days=args.days, seed=args.seed, spoofer_ips=40,
                     dmarc_reporters=6)
    ensure_lake(args.lake, spec, args.regenerate)
    con = open_lake(args.lake)
    address = con.execute("SELECT address FROM suppressions ORDER BY suppression_id LIMIT 1").fetchall()
    con.close()
    queries = {view: f"SELECT * FROM {view}" for view in args.views}
    if address and args.views == list(HEADLINE_VIEWS):
        queries.update({k: v.format(address=address[0][0]) for k, v in EXTRA_QUERIES.items()})
    print(f"{'view':28} {'rows':>8} {'first s':>8} {'best s':>8} {'median s':>9} {'cpu s':>6}")
    slow = []
    for label, sql in queries.items():
        times, cpu, n = [], [], 0
        for _ in range(args.runs):
            con = open_lake(args.lake)
            if args.threads:
                con.execute(f"SET threads = {args.threads}")
            c0, t0 = _cpu_seconds(), time.perf_counter()
            n = con.sql(sql).to_arrow_table().num_rows
            times.append(time.perf_counter() - t0)
            cpu.append(_cpu_seconds() - c0)
            con.close()
        best = min(times)
        slow += [label] if best >= 1.0 else []
        print(f"{label:28} {n:>8,} {times[0]:>8.3f} {best:>8.3f} {statistics.median(times):>9.3f} "
              f"{cpu[times.index(best)]:>6.2f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MiB; views at or over 1 s (best run): {', '.join(slow) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
