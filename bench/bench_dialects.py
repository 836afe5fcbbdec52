"""The bounce dialects alone: `engine.read_bounces` over every corpus email, per CPU-second.

    .venv/bin/python bench/bench_dialects.py [--repeat 10] [--profile] [--per-dialect]

The emails are parsed before each pass (outside the timing: the parser is measured by
bench/bench_mime.py), fresh each pass, since the dialects memoise on the parsed message.
`--per-dialect` prints each dialect's calls, answers and CPU time (a pass of its own, with
a timer around every inquire()). Measured by hand; never a timed unit test.
"""
from __future__ import annotations

import argparse
import dataclasses
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.dsn import engine  # noqa: E402
from pipeline.dsn.dialects import dialects  # noqa: E402
from pipeline.mime.parse import parse_email  # noqa: E402
from pipeline.mime.view import MailView  # noqa: E402


def corpus_payloads() -> list[bytes]:
    base = Path(os.environ.get("BOUNCEPIPE_CORPUS") or REPO.parent / "shared" / "corpus")
    return [p.read_bytes() for p in sorted((base / "bounces" / "emails").rglob("*.eml"))]


def views(payloads: list[bytes]) -> list[MailView]:
    return [MailView.of(parse_email(p)) for p in payloads]


def per_dialect(payloads: list[bytes]) -> None:
    """Each dialect's calls, answers and time over one pass (timers add their own cost)."""
    stats: dict[str, list[float]] = {}
    originals = {}
    for d in dialects():
        def timed(mail, _inquire=d.inquire, _name=d.name):
            start = time.process_time()
            try:
                return _inquire(mail)
            finally:
                entry = stats.setdefault(_name, [0, 0, 0.0])
                entry[0] += 1
                entry[2] += time.process_time() - start
        originals[d.name] = timed
    patched = [dataclasses.replace(d, inquire=originals[d.name]) for d in dialects()]
    real = engine.dialects
    engine.dialects = lambda: patched
    try:
        found = engine.read_bounces(views(payloads))
    finally:
        engine.dialects = real
    for report in found:
        if report is not None and not isinstance(report, Exception):
            stats.setdefault(report.dialect, [0, 0, 0.0])[1] += 1
    print(f"{'dialect':28} {'calls':>6} {'hits':>5} {'ms':>8}")
    for name, (calls, hits, took) in sorted(stats.items(), key=lambda kv: -kv[1][2]):
        print(f"{name:28} {calls:6d} {hits:5d} {took * 1000:8.2f}")
    print(f"{'total':28} {sum(s[0] for s in stats.values()):6d} "
          f"{sum(s[1] for s in stats.values()):5d} "
          f"{sum(s[2] for s in stats.values()) * 1000:8.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--profile", action="store_true", help="cProfile one pass, top 30")
    parser.add_argument("--per-dialect", action="store_true")
    args = parser.parse_args()
    payloads = corpus_payloads()
    engine.read_bounces(views(payloads))   # warm-up: imports, regex compilation
    if args.per_dialect:
        per_dialect(payloads)
    if args.profile:
        mails = views(payloads)
        prof = cProfile.Profile()
        prof.enable()
        engine.read_bounces(mails)
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(30)
    cpu = 0.0
    best = float("inf")
    for _ in range(args.repeat):
        mails = views(payloads)
        start = time.process_time()
        engine.read_bounces(mails)
        took = time.process_time() - start
        cpu += took
        best = min(best, took)
        for m in mails:
            MailView.release(m.msg)
    n = len(payloads)
    print(f"read_bounces: {n} emails x {args.repeat}: {cpu / args.repeat * 1e3:.1f} ms CPU per "
          f"pass ({cpu / args.repeat / n * 1e6:.1f} us/email); best pass {best * 1e3:.1f} ms "
          f"({best / n * 1e6:.1f} us/email)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
