"""`bouncepipe classify` end to end (start-up included), one job and two, over ~12,000 bounce
files, with Sisimai (Perl) over the same files in the same run. By hand, never in the suite:

    .venv/bin/python bench/bench_cli.py [--copies 30] [--rounds 3] [--peer]

The files are the corpus's bounces (../shared/corpus/bounces, or $BOUNCEPIPE_CORPUS) copied
--copies times into a temporary directory (394 x 30 = 11,820), removed afterwards. Each
figure is the best of --rounds runs (the machine is shared); the outputs of one and two jobs
are compared byte for byte. Sisimai's figure is its best pass per CPU-second over the same
files read into memory (bench/sisimai_peer.pl): start-up and file reading excluded, so the
ratio is conservative.
"""
from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def corpus_emails() -> Path:
    env = os.environ.get("BOUNCEPIPE_CORPUS")
    root = Path(env) if env else ROOT.parent / "shared" / "corpus"
    return root / "bounces" / "emails"


def make_files(dest: Path, copies: int) -> list[Path]:
    source = corpus_emails()
    for n in range(copies):
        shutil.copytree(source, dest / f"copy{n:03d}")
    return sorted(p for p in dest.rglob("*") if p.is_file())


def classify_run(inputs: Path, jobs: int, out: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the command and its workers)."""
    import resource

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with out.open("wb") as fh:
        subprocess.run([sys.executable, "-m", "connectors.cli", "classify", "--jobs", str(jobs),
                        str(inputs)], stdout=fh, check=True, env=env, cwd=ROOT)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--copies", type=int, default=30)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--peer", action="store_true", help="Sisimai (Perl) in the same run")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bouncepipe-bench-cli-") as tmp:
        tmp = Path(tmp)
        files = make_files(tmp / "in", args.copies)
        print(f"{len(files)} files, {sum(f.stat().st_size for f in files) / 1e6:.0f} MB; "
              f"cores here: {len(os.sched_getaffinity(0))}")
        best: dict[int, float] = {}
        cpu_best: dict[int, float] = {}
        for _ in range(args.rounds):
            for jobs in (1, 2):
                took, cpu = classify_run(tmp / "in", jobs, tmp / f"out{jobs}.jsonl")
                best[jobs] = min(best.get(jobs, took), took)
                cpu_best[jobs] = min(cpu_best.get(jobs, cpu), cpu)
                print(f"  classify --jobs {jobs}: {took:.2f} s = {len(files) / took:,.0f} msg/s "
                      f"(CPU {cpu:.2f} s = {len(files) / cpu:,.0f} msg per CPU-second; load "
                      f"{os.getloadavg()[0]:.1f})", flush=True)
        assert filecmp.cmp(tmp / "out1.jsonl", tmp / "out2.jsonl", shallow=False), \
            "one and two jobs printed different output"
        one, two = len(files) / best[1], len(files) / best[2]
        print(f"best of {args.rounds}: one job {one:,.0f} msg/s, two jobs {two:,.0f} msg/s "
              f"({two / one:.2f}x); outputs identical; CPU-seconds: one job "
              f"{cpu_best[1]:.2f}, two jobs {cpu_best[2]:.2f} (what parallelism costs)")
        if args.peer:
            sys.path.insert(0, str(ROOT / "bench"))
            from bench_bounces import sisimai_peer
            peer = sisimai_peer(files, args.rounds)
            if peer:
                rate = peer["files"] / peer["best_cpu_s"]
                print(f"Sisimai {peer['sisimai']} (Perl), best pass per CPU-second over the same "
                      f"files: {rate:,.0f} msg/s; bouncepipe one job {one / rate:.2f}x, two jobs "
                      f"{two / rate:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
