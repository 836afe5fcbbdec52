"""Long fuzz run of the core: mutated inputs through `process()`, counting what goes wrong.

    python bench/fuzz.py --inputs 1000000 --seconds 3600 --jobs 1 [--seed 1]

Each job is its own process with its own seeded random stream (seed + job number), drawing
a seed input (../shared/corpus and tests/fixtures) and a mutator (tests/fuzz/mutators.py)
per input. Reported: inputs/s, exceptions (process() or its rows raised), slow inputs
(> --slow seconds, default 2), RSS growth (> --rss-mb, default 100 MB of peak RSS during
one input), silent outcomes (no event, row or dead letter) and "unexpected" reasons.
Every finding's input is saved to bench/out/fuzz/<kind>-<sha256 prefix>.bin with a .json
beside it (mutator, detail, seconds, RSS growth); the summary goes to
bench/out/fuzz/summary.json. Stops at --inputs or --seconds, whichever comes first.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import random
import resource
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

OUT = REPO / "bench" / "out" / "fuzz"
KINDS = ("exception", "silent", "unexpected", "slow", "rss")


def _reset_peak() -> bool:
    """Reset the kernel's peak-RSS mark (VmHWM), so each input's own peak is measured
    (Linux >= 4.0); False where that is not allowed (then the peak is the process's)."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


def _peak_rss_mb() -> float:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _current_rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / (1024 * 1024)


def _save(kind: str, name: str, data: bytes, detail: dict) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    stem = f"{kind}-{hashlib.sha256(data).hexdigest()[:16]}"
    path = OUT / f"{stem}.bin"
    if not path.exists():
        path.write_bytes(data)
        (OUT / f"{stem}.json").write_text(json.dumps({"kind": kind, "mutator": name,
                                                       **detail}, indent=1))


def _job(args: tuple[int, int, float, float, float]) -> dict:
    job, inputs, deadline, slow_s, rss_mb = args
    from pipeline.core import warm_up
    from tests.fuzz.harness import check
    from tests.fuzz.mutators import mutate, seeds

    warm_up()
    corpus = seeds()
    rng = random.Random(job)
    counts = dict.fromkeys(KINDS, 0)
    by_mutator: dict[str, int] = {}
    done, busy = 0, 0.0
    worst = (0.0, "")
    # a few warm-up inputs: first-use imports and caches are no finding
    for _ in range(20):
        check(mutate(random.Random(-1), corpus[0])[1])
    start_rss = _current_rss_mb()
    while done < inputs and time.time() < deadline:
        name, data = mutate(rng, rng.choice(corpus))
        _reset_peak()
        rss_before = _current_rss_mb()
        started = time.perf_counter()
        result = check(data)
        seconds = time.perf_counter() - started
        growth = max(_peak_rss_mb() - rss_before, 0.0)
        busy += seconds
        done += 1
        if seconds > worst[0]:
            worst = (seconds, name)
        found = []
        for problem in result.problems:
            found.append((problem.split(":", 1)[0], problem))
        if seconds > slow_s:
            found.append(("slow", f"{seconds:.2f} s"))
        if growth > rss_mb:
            found.append(("rss", f"+{growth:.0f} MB peak RSS"))
        if not done % 5000:   # progress a killed run still leaves behind
            OUT.mkdir(parents=True, exist_ok=True)
            (OUT / f"progress-{job}.json").write_text(json.dumps(
                {"inputs": done, "busy_seconds": round(busy, 1), "counts": counts,
                 "slowest": {"seconds": round(worst[0], 3), "mutator": worst[1]}}))
        for kind, detail in found:
            counts[kind] += 1
            by_mutator[f"{kind}:{name}"] = by_mutator.get(f"{kind}:{name}", 0) + 1
            _save(kind, name, data, {"detail": detail, "seconds": round(seconds, 3),
                                     "rss_growth_mb": round(growth, 1),
                                     "reasons": result.reasons[:3]})
    return {"inputs": done, "busy_seconds": busy, "counts": counts, "by_mutator": by_mutator,
            "slowest": {"seconds": round(worst[0], 3), "mutator": worst[1]},
            "rss_mb_start": round(start_rss), "rss_mb_end": round(_current_rss_mb())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--slow", type=float, default=2.0, help="slow-input threshold, s")
    parser.add_argument("--rss-mb", type=float, default=100.0, help="RSS growth threshold")
    args = parser.parse_args(argv)
    started = time.time()
    deadline = started + args.seconds
    per_job = [args.inputs // args.jobs + (1 if j < args.inputs % args.jobs else 0)
               for j in range(args.jobs)]
    work = [(args.seed * 1000 + j, per_job[j], deadline, args.slow, args.rss_mb)
            for j in range(args.jobs)]
    if args.jobs == 1:
        results = [_job(work[0])]
    else:
        with multiprocessing.get_context("spawn").Pool(args.jobs) as pool:
            results = pool.map(_job, work)
    elapsed = time.time() - started
    total = sum(r["inputs"] for r in results)
    counts = {k: sum(r["counts"][k] for r in results) for k in KINDS}
    by_mutator: dict[str, int] = {}
    for r in results:
        for key, n in r["by_mutator"].items():
            by_mutator[key] = by_mutator.get(key, 0) + n
    summary = {
        "command": " ".join(sys.argv), "inputs": total, "elapsed_s": round(elapsed, 1),
        "inputs_per_s": round(total / elapsed, 1) if elapsed else None,
        "counts": counts, "by_mutator": by_mutator,
        "slowest": max((r["slowest"] for r in results), key=lambda s: s["seconds"]),
        "rss_mb": [(r["rss_mb_start"], r["rss_mb_end"]) for r in results],
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "summary.json").write_text(json.dumps(summary, indent=1))
    print(json.dumps(summary, indent=1))
    return 0 if not any(counts.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
