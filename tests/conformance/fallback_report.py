"""What the generic fallback alone scores on the labelled bounce corpus: every DSN dialect
and the RFC 3464 parser switched off, so each bounce is read by pipeline/dsn/fallback.py (or
by nothing). This is the floor for bounce formats nobody has written a dialect for.

    python -m tests.conformance.fallback_report            # summary
    python -m tests.conformance.fallback_report --diffs    # + every disagreement
    python -m tests.conformance.fallback_report --json

ARF reports and auto-replies keep their own handlers (they are not bounce dialects). Run
from the repository root; the corpus is found via BOUNCEPIPE_CORPUS or ../shared/corpus.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from contextlib import contextmanager
from unittest import mock

try:
    from .bounce_corpus import classify_file, compare, corpus_root, labels
except ImportError:  # run as a plain script
    from bounce_corpus import classify_file, compare, corpus_root, labels  # type: ignore

FIELDS = ("category", "reason", "status")
BOUNCE_KINDS = ("lhost", "rhost", "rfc3464")   # source_kind of the rows the fallback may read


@contextmanager
def fallback_only():
    """Every dialect and RFC 3464 switched off in the bounce engine (for measurement)."""
    from pipeline.dsn import engine

    class _NoRfc3464:
        @staticmethod
        def inquire(mail):
            return None

    with mock.patch.object(engine, "dialects", lambda: []), \
            mock.patch.object(engine, "rfc3464", _NoRfc3464):
        yield


def scores() -> dict:
    """{"rows": n, "files_read": k, field: percent agreement} over the bounce rows."""
    ok = dict.fromkeys(FIELDS, 0)
    n = dict.fromkeys(FIELDS, 0)
    diffs = []
    results = {}
    with fallback_only():
        for label in labels():
            if label["source_kind"] not in BOUNCE_KINDS:
                continue
            result = results.get(label["file"])
            if result is None:
                result = results[label["file"]] = classify_file(corpus_root() / "emails" /
                                                                label["file"])
            compared = compare(label, result)
            for field in FIELDS:
                if field == "status" and not label["delivery_status"]:
                    continue
                n[field] += 1
                if compared[field] is None:
                    ok[field] += 1
                else:
                    diffs.append((label["file"], label["recipient_index"], field,
                                  compared[field]))
    out = {"rows": n["category"],
           "files_read": sum(1 for r in results.values() if r.events)}
    out.update({f: round(100.0 * ok[f] / n[f], 1) if n[f] else None for f in FIELDS})
    out["diffs"] = diffs
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fallback_report", description=__doc__.split("\n")[0])
    parser.add_argument("--diffs", action="store_true", help="list every disagreement")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)
    if corpus_root() is None:
        print("bounce corpus not found (set BOUNCEPIPE_CORPUS)", file=sys.stderr)
        return 2
    found = scores()
    if args.json:
        print(json.dumps({k: v for k, v in found.items() if k != "diffs"}))
        return 0
    if args.diffs:
        for file, index, field, (want, got) in found["diffs"]:
            print(f"{file} #{index} {field}: want {want!r} got {got!r}")
    print(f"fallback alone (every dialect and RFC 3464 off), {found['rows']} bounce "
          f"recipients, {found['files_read']} files read:")
    print("  " + "  ".join(f"{f} {found[f]:.1f}%" for f in FIELDS))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
