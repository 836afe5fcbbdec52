"""Bounce parse+classify throughput on one core, peak RSS, and one synthetic 15 MB bounce.

    .venv/bin/python bench/bench_bounces.py [--repeat 5] [--profile] [--peer]

Runs `pipeline.core.process_stream` (sniff -> email handlers -> dialects/RFC 3464 ->
classify -> MailEvent, in batches as ingest, `classify` and the streaming worker run it) over
every corpus email file (BOUNCEPIPE_CORPUS or ../shared/corpus), N times, in this one
process. Measured by hand; never a timed unit test. `bench/bounce_ceiling.py` also times
the one-at-a-time `process`.

`--peer` also runs Sisimai (Perl; Debian: `apt-get install libsisimai-perl`) over the same
files in the same way (bench/sisimai_peer.pl: files in memory, best pass per CPU-second) and
prints the ratio measured in this one run.
"""
from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import resource
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.core import process, process_stream, warm_up  # noqa: E402
from schemas.models import RawMessage, RawSource  # noqa: E402


def corpus_files() -> list[Path]:
    base = Path(os.environ.get("BOUNCEPIPE_CORPUS") or REPO.parent / "shared" / "corpus")
    return sorted((base / "bounces" / "emails").rglob("*.eml"))


def corpus_raws(files: list[Path], received_at: datetime) -> list[RawMessage]:
    """The corpus files as raw inputs, read into memory before any timing."""
    return [RawMessage.from_bytes(p.read_bytes(), RawSource(transport="file", path=str(p)),
                                  received_at=received_at) for p in files]


def synthetic_large_bounce(size: int = 15 * 1024 * 1024) -> bytes:
    """A Postfix-style DSN whose returned message carries a ~15 MB base64 attachment."""
    line = b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAx\n"
    attachment = line * (size // len(line))
    return b"".join([
        b"From: MAILER-DAEMON@mx.sender.example\nTo: bounces@sender.example\n",
        b"Subject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\n",
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n",
        b"--B\nContent-Type: text/plain\n\nThe mail system could not deliver it.\n\n",
        b"--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.sender.example\n\n",
        b"Final-Recipient: rfc822; big@example.org\nAction: failed\nStatus: 5.3.4\n",
        b"Diagnostic-Code: smtp; 552 5.3.4 Message size exceeds fixed maximum message size\n\n",
        b"--B\nContent-Type: message/rfc822\n\nFrom: a@sender.example\nTo: big@example.org\n",
        b"Subject: huge\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"C\"\n\n",
        b"--C\nContent-Type: text/plain\n\nsee attachment\n--C\n",
        b"Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n",
        attachment, b"--C--\n\n--B--\n",
    ])


def run(raws: list[RawMessage]) -> tuple[int, int, int]:
    """One pass, as `ingest` and the streaming worker do it: `process_stream` (batches of
    inputs through `process_batch`)."""
    events = dead = 0
    for _, out in process_stream(raws):
        events += len(out.events)
        dead += len(out.dead_letters)
    return len(raws), events, dead


def sisimai_peer(files: list[Path], repeat: int) -> dict | None:
    """Sisimai's figures over `files` (bench/sisimai_peer.pl), or None when Perl or Sisimai
    is missing (the reason is printed)."""
    script = Path(__file__).with_name("sisimai_peer.pl")
    try:
        done = subprocess.run(["perl", str(script), str(repeat)], capture_output=True,
                              text=True, input="\n".join(str(p) for p in files), check=False)
    except FileNotFoundError:
        print("peer: perl not found", file=sys.stderr)
        return None
    if done.returncode != 0:
        print(f"peer: Sisimai did not run: {done.stderr.strip()[:300]}", file=sys.stderr)
        return None
    return json.loads(done.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="cProfile one pass, top 25")
    parser.add_argument("--peer", action="store_true",
                        help="also run Sisimai (Perl) over the same files, same run")
    args = parser.parse_args()
    now = datetime.now(timezone.utc)
    files = corpus_files()
    if not files:
        print("corpus not found (BOUNCEPIPE_CORPUS)", file=sys.stderr)
        return 2
    raws = corpus_raws(files, now)
    run(raws)  # warm-up: imports, dialect discovery, regex compilation
    warm_up()  # as the worker, ingest and classify start (gc.freeze of start-up)
    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        run(raws)
        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
    start, cpu_start = time.perf_counter(), time.process_time()
    total = events = dead = 0
    best_pass = float("inf")
    for _ in range(args.repeat):
        pass_start = time.process_time()
        n, e, d = run(raws)
        best_pass = min(best_pass, time.process_time() - pass_start)
        total, events, dead = total + n, events + e, dead + d
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu_start  # CPU seconds: fair on a shared, loaded machine
    print(f"corpus: {len(files)} files x {args.repeat} = {total} messages in {elapsed:.2f} s "
          f"wall / {cpu:.2f} s CPU -> {total / elapsed:,.0f} msg/s wall, "
          f"{total / cpu:,.0f} msg/s per CPU-second; best pass {len(raws) / best_pass:,.0f} "
          f"msg/s ({events // args.repeat} events, {dead // args.repeat} dead letters per pass)")

    if args.peer:
        peer = sisimai_peer(files, args.repeat)
        if peer is not None:
            peer_rate = peer["files"] / peer["best_cpu_s"]
            print(f"peer: Sisimai {peer['sisimai']} (Perl) best pass {peer_rate:,.0f} msg/s "
                  f"({peer['results']} recipients decoded); bouncepipe/Sisimai = "
                  f"{len(raws) / best_pass / peer_rate:.2f}x, measured in this run")
    print(f"peak RSS after the corpus passes: "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    big = synthetic_large_bounce()
    raw = RawMessage.from_bytes(big, RawSource(transport="memory", path="synthetic-15MB"),
                                received_at=now)
    start = time.perf_counter()
    out = process(raw)
    took = time.perf_counter() - start
    ev = out.events[0] if out.events else None
    print(f"synthetic bounce: {len(big) / 1e6:.1f} MB parsed in {took:.2f} s -> "
          f"{(ev.recipient, ev.category, ev.reason) if ev else out.dead_letters[0].reason}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"peak RSS after the 15 MB bounce: {peak / 1024:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
