"""How fast could the bounce path get from smarter dispatch alone? A ceiling, measured.

    .venv/bin/python bench/bounce_ceiling.py [--repeat 5] [--rounds 3]

`bench_bounces.py` runs every email through the email handlers in order (DMARC report,
DMARC failure, ARF, auto-reply, then DSN) and, inside the DSN handler, through the dialects
in order until one reads the message. A routing index could skip some of those "not mine"
tests. This script measures the best any such index could do: an *oracle* that already knows,
from a first pass, which handler and which dialect will answer each message, and runs only
those. The outputs must stay the same (checked), so the difference between the two timings is
everything that dispatch costs, and the oracle's figure is the throughput a perfect router
would reach with the present parse, dialect and classify code.

The variants alternate in one process (`--rounds`), best pass per CPU-second each, so the
machine's load affects them alike. A third variant is the path ingest and the streaming worker
take: `process_stream`, the same per-input answers worked out in batches, stage by stage.
Measured by hand; never a timed unit test.

It then splits the one-by-one time of the emails the bounce engine answers into stages, from whole
passes that each add one stage (no timer inside the loop): the MIME parse; the answering
dialect (or RFC 3464) with the view's memos it fills; the events (facts, classification,
validated MailEvents); and the rest, which is dispatch (the handlers and dialects that said
"not mine") plus `process()` itself. It shows where a faster bounce path would have to come
from.
"""
from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_bounces import corpus_files, corpus_raws  # noqa: E402
from pipeline import core, registry  # noqa: E402
from pipeline.core import process, process_stream  # noqa: E402
from pipeline.dsn import engine, rfc3464  # noqa: E402
from pipeline.mime.view import MailView  # noqa: E402
from pipeline.dsn.dialects import dialects  # noqa: E402


def outcome_key(outcome) -> tuple:
    """What must not change between the two variants: every event and dead letter."""
    return (tuple(e.model_dump_json() for e in outcome.events),
            tuple(d.reason for d in outcome.dead_letters))


def oracle_run(plan: dict[int, tuple[list, list]]):
    """`run(raws, outcomes=None)`: process each raw message offering only its planned email
    handlers and dialects (`plan[id(raw)]` = (handlers, dialects)); given a dict, keep each
    outcome's key in it. Dispatch is patched only while `run` runs."""
    current: list = [None]
    all_handlers = registry.handlers

    def handlers(family):
        return current[0][0] if family == "email" else all_handlers(family)

    def run(raws, outcomes: dict | None = None) -> None:
        with mock.patch.object(core.registry, "handlers", handlers), \
                mock.patch.object(engine, "dialects", lambda: current[0][1]):
            for raw in raws:
                current[0] = plan[id(raw)]
                out = process(raw)
                if outcomes is not None:
                    outcomes[id(raw)] = outcome_key(out)

    return run


def best_pass(run, raws, repeat: int) -> float:
    run(raws)
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        run(raws)
        best = min(best, time.process_time() - start)
    return best


def stage_split(bounces: list, repeat: int, rounds: int) -> dict[str, float]:
    """Seconds per email of each stage over `bounces` [(raw, answering dialect or None for
    RFC 3464)]: best pass of each cumulative variant, differences between them."""
    def parse(batch):
        for raw, _ in batch:
            core.parse_email(raw.payload)

    def read(batch):
        for raw, dialect in batch:
            mail = MailView.of(core.parse_email(raw.payload))
            dialect.inquire(mail) if dialect else rfc3464.inquire(mail)

    def read_and_classify(batch):
        for raw, dialect in batch:
            mail = MailView.of(core.parse_email(raw.payload))
            report = dialect.inquire(mail) if dialect else rfc3464.inquire(mail)
            engine.events_for(raw, report)

    def whole(batch):
        for raw, _ in batch:
            process(raw)

    variants = {"parse": parse, "read": read, "classify": read_and_classify, "whole": whole}
    best = dict.fromkeys(variants, float("inf"))
    for _ in range(rounds):
        for name, run in variants.items():
            best[name] = min(best[name], best_pass(run, bounces, repeat))
    n = len(bounces)
    return {"MIME parse": best["parse"] / n,
            "answering dialect": (best["read"] - best["parse"]) / n,
            "events (facts, classify, MailEvent)": (best["classify"] - best["read"]) / n,
            "dispatch and process()": (best["whole"] - best["classify"]) / n,
            "total": best["whole"] / n}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    files = corpus_files()
    if not files:
        print("no corpus (set BOUNCEPIPE_CORPUS or put ../shared beside the repo)")
        return 1
    raws = corpus_raws(files, datetime.now(timezone.utc))

    # First pass, normal dispatch: who answers each message, and what it answers.
    email_handlers = registry.handlers("email")
    by_name = {d.name: d for d in dialects()}
    expected, plan = {}, {}
    for raw in raws:
        out = process(raw)
        expected[id(raw)] = outcome_key(out)
        parser_name = out.parser or ""
        if parser_name.startswith("dsn"):
            dialect = parser_name.partition(".")[2]
            # the answering dialect alone, or none when RFC 3464 answered
            plan[id(raw)] = ([h for h in email_handlers if h.name == "dsn"],
                             [by_name[dialect]] if dialect in by_name else [])
        else:
            plan[id(raw)] = (email_handlers, dialects())  # not a bounce: keep everything

    def normal(batch):
        for raw in batch:
            process(raw)

    def batched(batch):
        for _ in process_stream(batch):
            pass

    oracle = oracle_run(plan)
    # the oracle must give the same outcomes, or its timing says nothing
    seen: dict[int, tuple] = {}
    oracle(raws, seen)
    differing = sum(seen[key] != value for key, value in expected.items())
    variants = {"normal dispatch": normal, "oracle dispatch": oracle, "batched": batched}
    timings = dict.fromkeys(variants, float("inf"))
    for _ in range(args.rounds):  # alternate, so load changes hit all alike
        for name, run in variants.items():
            timings[name] = min(timings[name], best_pass(run, raws, args.repeat))
    print(f"{len(raws)} corpus emails; outcomes differing under the oracle: {differing}")
    for name, seconds in timings.items():
        print(f"  {name:16s} {seconds / len(raws) * 1e6:6.0f} us/msg  "
              f"{len(raws) / seconds:7,.0f} msg/s  (best pass, CPU time)")
    saved = 1 - timings["oracle dispatch"] / timings["normal dispatch"]
    print(f"  a perfect router would save {saved:.0%} of the time per message, one by one;")
    print(f"  working in batches (process_stream, as ingest and the worker do) saves "
          f"{1 - timings['batched'] / timings['normal dispatch']:.0%}")

    bounces = [(raw, dialects_of[0] if dialects_of else None)
               for raw in raws
               for handlers_of, dialects_of in [plan[id(raw)]]
               if handlers_of is not email_handlers]
    print(f"where the time goes, over the {len(bounces)} emails the bounce engine answers:")
    for stage, seconds in stage_split(bounces, args.repeat, args.rounds).items():
        print(f"  {stage:38s} {seconds * 1e6:6.0f} us/msg")
    return 0


if __name__ == "__main__":
    sys.exit(main())
