"""Agreement of bouncepipe with the labelled bounce corpus, overall and per source_module.

    python -m tests.conformance.bounce_report                  # summary table
    python -m tests.conformance.bounce_report --diffs          # + every disagreement
    python -m tests.conformance.bounce_report --module lhost-exim --diffs
    python -m tests.conformance.bounce_report --known > tests/conformance/bounce_known_differences.json
        (candidate known-differences: every current disagreement, keeping existing notes)
    python -m tests.conformance.bounce_report --show maildir/bsd/lhost-exim-01.eml
        (labels vs our events for one file, with rule, parser and diagnostic)

Run from the repository root. The corpus is found via BOUNCEPIPE_CORPUS or ../shared/corpus.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from collections import defaultdict

try:
    from .bounce_corpus import (all_files, classify_file, compare, corpus_root, key,
                                known_differences, labels, result_for)
except ImportError:  # run as a plain script / from pytest's rootdir-less import mode
    from bounce_corpus import (all_files, classify_file, compare, corpus_root,  # type: ignore
                               key, known_differences, labels, result_for)

SUMMARY_FIELDS = ("category", "reason", "status")


def _pct(ok: int, n: int) -> str:
    return f"{100.0 * ok / n:6.1f}%" if n else "     - "


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bounce_report", description=__doc__.split("\n")[0])
    parser.add_argument("--module", help="only source_modules starting with this")
    parser.add_argument("--diffs", action="store_true", help="list every disagreement")
    parser.add_argument("--known", action="store_true",
                        help="print candidate known-differences JSON (all current diffs)")
    parser.add_argument("--all-files", action="store_true",
                        help="also run every corpus file and report exceptions/dead letters")
    parser.add_argument("--show", metavar="FILE", help="labels and events of one corpus file")
    parser.add_argument("--json", action="store_true", help="agreement figures as JSON")
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)
    if corpus_root() is None:
        print("bounce corpus not found (set BOUNCEPIPE_CORPUS)", file=sys.stderr)
        return 2

    if args.show:
        for lab in labels():
            if lab["file"] == args.show:
                print("label:", {k: lab[k] for k in ("recipient_index", "category", "reason",
                                                      "delivery_status", "feedback_type")})
        res = result_for(args.show)
        for ev in res.events:
            print("event:", ev)
        if res.dead_letter:
            print("dead letter:", res.dead_letter)
        return 0

    rows = [lab for lab in labels() if not args.module or
            lab["source_module"].startswith(args.module)]
    per_module: dict[str, dict[str, list[int]]] = defaultdict(
        lambda: {f: [0, 0] for f in SUMMARY_FIELDS})
    total = {f: [0, 0] for f in SUMMARY_FIELDS}
    diffs: list[tuple[dict, dict, dict]] = []
    for lab in rows:
        result = result_for(lab["file"])
        cmp = compare(lab, result)
        for f in SUMMARY_FIELDS:
            if f == "status" and (not lab["delivery_status"] or
                                  lab["delivery_status"][2:4] == "0." and
                                  lab["delivery_status"][4:5] == "9"):
                continue
            for bucket in (per_module[lab["source_module"]][f], total[f]):
                bucket[1] += 1
                bucket[0] += cmp[f] is None
        if any(v is not None for v in cmp.values()):
            idx = lab["recipient_index"]
            ev = result.events[idx - 1] if 0 < idx <= len(result.events) else {}
            diffs.append((lab, cmp, ev))

    if args.known:
        existing = known_differences()
        out = {}
        for lab, cmp, ev in diffs:
            for f, v in cmp.items():
                if v is None:
                    continue
                k = key(lab, f)
                out[k] = existing.get(k) or (
                    f"want {v[0]!r} got {v[1]!r} (rule {ev.get('rule')}, "
                    f"parser {ev.get('parser')})")
        print(json.dumps(dict(sorted(out.items())), indent=1, ensure_ascii=False))
        return 0

    if args.json:
        def pct(ok_n: list[int]) -> float | None:
            return round(100.0 * ok_n[0] / ok_n[1], 2) if ok_n[1] else None
        print(json.dumps({
            "overall": {f: pct(total[f]) for f in SUMMARY_FIELDS} | {"n": total["category"][1]},
            "per_module": {m: {f: pct(v[f]) for f in SUMMARY_FIELDS} | {"n": v["category"][1]}
                           for m, v in sorted(per_module.items())},
        }, indent=1))
        return 0

    print(f"{'source_module':28} {'n':>4} " + " ".join(f"{f:>8}" for f in SUMMARY_FIELDS))
    for mod in sorted(per_module):
        m = per_module[mod]
        print(f"{mod:28} {m['category'][1]:4d} " +
              " ".join(_pct(*m[f]) + " " for f in SUMMARY_FIELDS))
    print(f"{'OVERALL':28} {total['category'][1]:4d} " +
          " ".join(_pct(*total[f]) + " " for f in SUMMARY_FIELDS))
    print("(status: over real codes only, n=%d)" % total["status"][1])

    if args.diffs:
        print()
        for lab, cmp, ev in diffs:
            bad = {f: v for f, v in cmp.items() if v is not None}
            print(f"{lab['file']}#{lab['recipient_index']} [{lab['source_module']}] {bad} "
                  f"rule={ev.get('rule')} parser={ev.get('parser')}")
            if ev.get("diagnostic"):
                print(f"    diag: {ev['diagnostic'][:200]}")

    if args.all_files:
        problems = 0
        for path in all_files():
            res = classify_file(path)
            if res.dead_letter and res.dead_letter.startswith("unexpected"):
                problems += 1
                print(f"EXCEPTION {path}: {res.dead_letter}")
        print(f"{len(all_files())} files, {problems} exceptions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
