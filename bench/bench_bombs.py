"""Every bomb class of issue #21 through the core: refused in < 100 ms with < 20 MB growth?

    python bench/bench_bombs.py [--max-ms 100] [--max-mb 20]

Each bomb runs in a fresh subprocess after a warm-up (start-up imports and caches are no
growth): wall time of `process()` plus consuming its rows (the target; the process's CPU
time beside it, for a loaded machine), and the growth of peak RSS (VmHWM, reset before the
run) over the RSS at the start. The payload is built before the start: growth is what
handling it costs beyond the input's own bytes. Prints one line per bomb with the
dead letter's reason; exits 1 when any bomb misses a target. Results: bench/out/bombs.json.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

# name -> Python expression building the payload (evaluated in the subprocess)
BOMBS = {
    "zip member, bzip2, 256 MiB, lying sizes": f"bomb('zip', {zipfile.ZIP_BZIP2}, True)",
    "zip member, LZMA, 256 MiB, lying sizes": f"bomb('zip', {zipfile.ZIP_LZMA}, True)",
    "zip member, deflate, 256 MiB, lying sizes": f"bomb('zip', {zipfile.ZIP_DEFLATED}, True)",
    "zip member, bzip2, 256 MiB, honest sizes": f"bomb('zip', {zipfile.ZIP_BZIP2}, False)",
    "zip member, stored, 8 MiB of blanks": f"bomb('zip', {zipfile.ZIP_STORED}, True)",
    "gzip, 1 GiB of blanks": "bomb('gzip')",
    "gzip of zip (bzip2 member)": f"bomb('gzip-of-zip', {zipfile.ZIP_BZIP2}, True)",
    "gzip of zip (deflate member)": f"bomb('gzip-of-zip', {zipfile.ZIP_DEFLATED}, True)",
    "zip of gzip": "bomb('zip-of-gzip')",
    "gzip of identical records (~400x)": "bomb('records')",
    "zip of 20,000 members": "bomb('members')",
    "nested containers, 7 levels": "nested(7)",
    "billion laughs": "ENTITY[0]",
    "external entity": "ENTITY[1]",
    "malformed XML over the fallback cap": "fallback_bomb()",
    "X-Failed-Recipients, 200,000 addresses": "recipients(200_000)",
    "MIME nested 2,000 deep": "deep_mime(Pick(3), b'')",
    "message/rfc822 nested 2,000 deep": "deep_rfc822(Pick(3), b'')",
    "50,000 MIME parts": "many_parts(Pick(2), b'')",
    "CR-only bounce, 40,000 DSN blocks": "many_delivery_blocks(Pick(2, nl=1), b'')",
    "X1 bounce, 1 MiB header": "x1_header(1 << 20)",
    "XML nested 100,000 deep": "xml_nest(Pick(3), b'')",
    "JSON nested 10,000 deep": "json_nest(Pick(2), b'')",
}

# Not bombs but inputs that used to take quadratic time: they must parse, within the targets.
PARSES = {"X1 bounce, 1 MiB header"}

CHILD = r'''
import gzip, json, os, resource, sys, time, zipfile
sys.path.insert(0, {repo!r})
from pipeline.core import process, warm_up
from pipeline.errors import BouncepipeError, dead_letter
from schemas.models import RawMessage, RawSource
from tests.fuzz.mutators import (bomb, deep_mime, deep_rfc822, many_parts,
    many_delivery_blocks, xml_nest, json_nest, _ENTITY_ATTACKS as ENTITY, _zip, _RECORD,
    _REPORT_HEAD)

class Pick:
    def __init__(self, index, nl=0):
        self.index, self.nl = index, nl
        self.calls = 0
    def choice(self, options):
        self.calls += 1
        return options[self.nl if self.calls == 2 else min(self.index, len(options) - 1)]

def nested(levels):
    data = _REPORT_HEAD + _RECORD + b"</feedback>"
    for i in range(levels):
        data = gzip.compress(data) if i % 2 else _zip({{"r.xml": data}}, zipfile.ZIP_DEFLATED)
    return data

def fallback_bomb():
    head = _REPORT_HEAD.replace(b"<org_name>x</org_name>", b"<org_name>x & y</org_name>")
    return head + _RECORD * (32 * 1024 * 1024 // len(_RECORD)) + b"</feedback>"

def recipients(n):
    failed = ", ".join(f"user{{i}}@example.com" for i in range(n))
    return (f"From: Mail Delivery System <Mailer-Daemon@mx.example.net>\nSubject: Mail "
            f"delivery failed\nX-Failed-Recipients: {{failed}}\n\nThe following address(es) "
            "failed:\n\n    550 5.1.1 User unknown\n").encode()

def x1_header(size):
    return (b"From: Mail Deliver System <x@x.example>\nSubject: Returned Mail: x\nX-Junk: "
            + b"w" * size + b"\n\n---The following addresses had delivery errors---\n\n"
            b"u@example.com [550 User unknown]\n")

def statm_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20

def hwm_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024

warm_up()
process(RawMessage.from_bytes(nested(2), RawSource(transport="memory")))
payload = {expr}
raw = RawMessage.from_bytes(payload, RawSource(transport="memory"))
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
start = statm_mb()
t = time.perf_counter()
cpu = time.process_time()
out = process(raw)
reasons = [d.reason for d in out.dead_letters]
rows = 0
try:
    for table in out.rows.values():
        for _ in table:
            rows += 1
except BouncepipeError as exc:
    # all or nothing per input: every consumer (ingest, the worker) drops the rows an input
    # yielded before its refusal and dead-letters it instead
    reasons.append(exc.reason)
    rows = 0
seconds = time.perf_counter() - t
cpu = time.process_time() - cpu
print(json.dumps({{"bytes": len(payload), "ms": round(seconds * 1000, 1),
                  "cpu_ms": round(cpu * 1000, 1),
                  "growth_mb": round(hwm_mb() - start, 1), "events": len(out.events),
                  "rows": rows, "reasons": reasons}}))
'''


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-ms", type=float, default=100.0)
    parser.add_argument("--max-mb", type=float, default=20.0)
    parser.add_argument("--only", action="append", help="substring of the bomb names")
    args = parser.parse_args(argv)
    results, missed = {}, []
    for name, expr in BOMBS.items():
        if args.only and not any(part in name for part in args.only):
            continue
        child = subprocess.run([sys.executable, "-c", CHILD.format(repo=str(REPO), expr=expr)],
                               capture_output=True, text=True, cwd=REPO, timeout=600)
        if child.returncode:
            print(f"{name}: child failed\n{child.stderr[-2000:]}")
            missed.append(name)
            continue
        found = json.loads(child.stdout.strip().splitlines()[-1])
        if name in PARSES:
            answered = found["events"] + found["rows"] > 0 and not found["reasons"]
        else:
            answered = found["events"] == 0 and found["rows"] == 0 and len(found["reasons"]) == 1
        ok = answered and found["ms"] < args.max_ms and found["growth_mb"] < args.max_mb
        if not ok:
            missed.append(name)
        results[name] = {**found, "ok": ok}
        reason = (found["reasons"][0][:90] if found["reasons"] else
                  f"parsed: {found['events']} events" if name in PARSES else "NOT REFUSED")
        print(f"{'ok  ' if ok else 'MISS'} {name:42s} {found['bytes']:>10,} B "
              f"{found['ms']:8.1f} ms ({found['cpu_ms']:6.1f} CPU) {found['growth_mb']:6.1f} MB  "
              f"{reason}", flush=True)
    out = REPO / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "bombs.json").write_text(json.dumps(results, indent=1))
    print(f"{len(results) - len(missed)}/{len(results)} answered within "
          f"{args.max_ms:g} ms and {args.max_mb:g} MB")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
