"""`bouncepipe reclassify` end to end through the CLI, as users run it, over an archive of N raw
bounces (default 100,000), with one job and with two; archive size per 1,000 bounces; peak RSS.

    .venv/bin/python bench/bench_reclassify.py [--bounces 100000] [--keep]

The archive is built once (bench/out/reclassify-lake, reused unless its size differs) by
`bouncepipe ingest` over copies of every corpus bounce (BOUNCEPIPE_CORPUS or ../shared/corpus),
each made unique by one added header line (`X-Bench-Copy: N`, after an mbox "From " line),
so every input has its own sha256 and the engine does its full work on each. Then `bouncepipe reclassify --dry-run` (no
writes: the same run every time) with --jobs 1 and --jobs 2; each is timed from process start
to exit and its peak RSS read from the kernel (rusage of the child). Such a run changes no
evidence, so it replays no suppressions (only the receiving domains whose evidence changed are
replayed); the last line times the replay of every event of the lake, what a rule change that
touches every domain costs on top.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"
BIN = Path(sys.executable).with_name("bouncepipe")


def corpus_bounces() -> list[bytes]:
    base = Path(os.environ.get("BOUNCEPIPE_CORPUS") or REPO.parent / "shared" / "corpus")
    return [p.read_bytes() for p in sorted((base / "bounces" / "emails").rglob("*.eml"))]


def unique_copy(payload: bytes, n: int) -> bytes:
    """`payload` with the header line `X-Bench-Copy: n` added: first, or after the mbox
    "From " line a file may start with (above it, that line would sit inside the header
    block: malformed mail, which the parser hands to the slow stdlib path; ~5 % of the corpus
    starts so, and no real archive holds such inputs)."""
    if payload.startswith(b"From "):
        from_line = re.match(rb"[^\r\n]*(\r\n|\r|\n)", payload)
        if from_line:   # the added line ends as the file's lines do (CR-only files too)
            end = from_line.end()
            return payload[:end] + b"X-Bench-Copy: %d" % n + from_line[1] + payload[end:]
    return b"X-Bench-Copy: %d\n" % n + payload


def build(lake: Path, count: int) -> None:
    # the marker names the way copies are made: a lake of an older way is built again
    marker = lake / f".bounces-{count}-after-from-line"
    if marker.exists():
        return
    shutil.rmtree(lake, ignore_errors=True)
    src = OUT / "reclassify-inputs"
    shutil.rmtree(src, ignore_errors=True)
    src.mkdir(parents=True)
    originals = corpus_bounces()
    for n in range(count):
        (src / f"{n:07d}.eml").write_bytes(unique_copy(originals[n % len(originals)], n))
    t0 = time.monotonic()
    subprocess.run([str(BIN), "ingest", str(src), "--lake", str(lake), "--no-progress"],
                   check=True, stdout=subprocess.DEVNULL)
    print(f"built the archive: {count:,} bounces ingested in {time.monotonic() - t0:.1f}s")
    shutil.rmtree(src)
    marker.touch()


def run(lake: Path, jobs: int) -> tuple[float, float, float, str]:
    """(wall seconds, CPU seconds of the process tree, its peak RSS in MiB, stdout)."""
    t0 = time.monotonic()
    proc = subprocess.Popen([str(BIN), "reclassify", "--lake", str(lake), "--dry-run", "--jobs",
                             str(jobs), "--out", "-"], stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)   # this child's own rusage (its workers' too)
    took = time.monotonic() - t0
    if status:
        raise SystemExit(f"reclassify failed: {status}")
    return took, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out


REPLAY = """
import sys, time
from connectors.duck import connect
from connectors.replay import replay_events
from pipeline.suppression import SuppressionEngine
con = connect(sys.argv[1], analytics=False, config={"threads": 1})
con.execute("SET memory_limit = '192MB'")
engine = SuppressionEngine()
decisions = sum(1 for _ in replay_events(con, engine, "v_events_current"))
print(sum(1 for _ in con.execute("SELECT 1 FROM v_events_current WHERE recipient IS NOT NULL").fetchall()))
"""


def run_replay(lake: Path) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, events) of the suppression replay of the whole lake."""
    t0 = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-c", REPLAY, str(lake)], stdout=subprocess.PIPE,
                            text=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if status:
        raise SystemExit(f"replay failed: {status}")
    return time.monotonic() - t0, usage.ru_utime + usage.ru_stime, int(out)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bounces", type=int, default=100_000)
    ap.add_argument("--keep", action="store_true", help="keep the lake in bench/out")
    args = ap.parse_args()
    lake = OUT / "reclassify-lake"
    build(lake, args.bounces)
    on_disk = sum(p.stat().st_size for p in (lake / "raw_archive").rglob("*.parquet"))
    print(f"archive: {on_disk / 1e6:.1f} MB on disk for {args.bounces:,} bounces = "
          f"{on_disk / args.bounces * 1000 / 1e6:.2f} MB per 1,000 bounces")
    import json
    for jobs in (1, 2):
        took, cpu, peak_mb, out = run(lake, jobs)
        inputs = json.loads(out)["inputs"]
        print(f"reclassify --jobs {jobs}: {inputs:,} inputs in {took:.1f}s = "
              f"{inputs / took:,.0f} msg/s end to end (start-up included); "
              f"{inputs / cpu:,.0f} msg per CPU-second; peak RSS {peak_mb:.0f} MiB "
              f"(largest process)")
    took, cpu, events = run_replay(lake)
    print(f"suppression replay of every event ({events:,}, as when every domain's evidence "
          f"changed): {took:.1f}s, {events / cpu:,.0f} events per CPU-second")
    if not args.keep:
        shutil.rmtree(lake)
    return 0


if __name__ == "__main__":
    sys.exit(main())
