"""Category and reason accuracy of the classifier over the saved real-MTA DSNs (no MTA needed).

    PYTHONPATH=. python -m tests.integration.mta.accuracy

Prints, per MTA, how many refused recipients got the documented category and reason, then every
miss: file, recipient, expected vs got, and the reply text.
"""
from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from pipeline.core import process_bytes

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "bounces" / "real_mta"


def score(fixtures: Path = FIXTURES):
    """-> (per-MTA Counter of total/category/reason/status hits, list of misses)."""
    table = json.loads((fixtures / "expected.json").read_text())
    counts: dict[str, Counter] = {}
    misses = []
    for name, recipients in table["files"].items():
        mta = name.split("/")[0]
        got = {e.recipient: e for e in process_bytes((fixtures / name).read_bytes()).events}
        tally = counts.setdefault(mta, Counter())
        for recipient, want in recipients.items():
            event = got.get(recipient)
            tally["recipients"] += 1
            category_ok = event is not None and event.category == want["category"]
            reason_ok = event is not None and (not want["reasons"] or event.reason in want["reasons"])
            status_ok = event is not None and (not want["status"] or event.status == want["status"])
            tally["category"] += category_ok
            tally["reason"] += reason_ok
            tally["status"] += status_ok
            if not (category_ok and reason_ok and status_ok):
                misses.append((name, recipient, want, event))
    return counts, misses


def main() -> int:
    counts, misses = score()
    for mta, tally in sorted(counts.items()):
        n = tally["recipients"]
        print(f"{mta:10} recipients {n:3}  category {tally['category']}/{n} "
              f"({tally['category'] / n:.1%})  reason {tally['reason']}/{n} ({tally['reason'] / n:.1%})"
              f"  status {tally['status']}/{n}")
    for name, recipient, want, event in misses:
        got = "no event" if event is None else f"{event.category}/{event.reason} {event.status} ({event.rule})"
        print(f"- {name} {recipient}: want {want['category']}/{'|'.join(want['reasons']) or '-'} "
              f"{want['status'] or ''} got {got}\n    reply: {want['reply'].replace(chr(10), ' / ')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
