"""Why the hot path parses mail with fastparse (the stdlib's compat32 tree), not flanker.

Parses every bounce email of the corpus with bouncepipe's `mime.fastparse` (the stdlib's
compat32 algorithm over one string), the stdlib itself (compat32 and default policies) and
flanker.mime.from_string (+ its bounce detector), one core, and prints messages/s of each
and the ratios against fastparse measured in this one run.

    .venv/bin/python bench/bench_mime.py [--corpus ../shared/corpus] [--repeat 3]
"""
from __future__ import annotations

import argparse
import email
import email.policy
import logging
import os
import time
from pathlib import Path


def load(corpus: Path) -> list[bytes]:
    return [p.read_bytes() for p in sorted((corpus / "bounces" / "emails").rglob("*.eml"))]


def timed(fn, payloads: list[bytes], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for p in payloads:
            fn(p)
        best = min(best, time.perf_counter() - start)
    return len(payloads) / best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=os.environ.get("BOUNCEPIPE_CORPUS", "../shared/corpus"))
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    logging.disable(logging.WARNING)  # flanker's ply grammar warnings
    from flanker import mime
    from flanker.mime import bounce

    from pipeline.mime import fastparse

    payloads = load(Path(args.corpus))

    def bouncepipe_fastparse(p: bytes):
        m = fastparse.parse_bytes(p)
        return [part.get_content_type() for part in m.walk()]

    def stdlib_compat32(p: bytes):
        m = email.message_from_bytes(p, policy=email.policy.compat32)
        return [part.get_content_type() for part in m.walk()]

    def stdlib_default(p: bytes):
        m = email.message_from_bytes(p, policy=email.policy.default)
        return [part.get_content_type() for part in m.walk()]

    def flanker_parse(p: bytes):
        m = mime.from_string(p)
        return [part.content_type for part in m.walk()]

    def flanker_bounce(p: bytes):
        return bounce.detect(mime.from_string(p))

    results = {}
    for name, fn in (("bouncepipe fastparse", bouncepipe_fastparse),
                     ("stdlib compat32", stdlib_compat32), ("stdlib default policy", stdlib_default),
                     ("flanker parse+walk", flanker_parse), ("flanker bounce.detect", flanker_bounce)):
        errors = 0

        def safe(p, fn=fn):
            nonlocal errors
            try:
                fn(p)
            except Exception:  # noqa: BLE001 - count, don't stop: that is a finding too
                errors += 1

        results[name] = timed(safe, payloads, args.repeat)
        print(f"{name:<24} {results[name]:>9,.0f} msg/s   errors: {errors // args.repeat}")
    base = results["bouncepipe fastparse"]
    for name, rate in list(results.items())[1:]:
        print(f"  fastparse / {name}: {base / rate:.1f}x")
    print(f"({len(payloads)} corpus emails, best of {args.repeat})")


if __name__ == "__main__":
    main()
