"""Sisimai's own agreement with the bounce corpus labels, scored exactly as ours is.

    .venv/bin/python bench/peer_accuracy.py          # Sisimai (Perl) vs bouncepipe, one table

Runs Sisimai (Perl; Debian: `apt-get install libsisimai-perl`) over every labelled corpus file
(bench/sisimai_peer.pl --dump), turns each decoded recipient into the fields our conformance
test compares (category by the corpus' own rules in manifest.json: delivered/vacation ->
not_a_bounce; feedback -> complaint, or auth_failure / not_a_bounce by Feedback-Type;
authfailure -> auth_failure; Sisimai's hard/soft flag otherwise) and scores it with
`tests.conformance.bounce_corpus.compare`, next to bouncepipe's own score.

The labels come from go-sisimai's tests (2025); an older Sisimai disagrees with them wherever
Sisimai itself has changed since, so read its figure as "the Sisimai you can install here",
not as Sisimai's current accuracy.
"""
from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.conformance.bounce_corpus import (  # noqa: E402
    PSEUDO_STATUS, FileResult, compare, corpus_root, labels, result_for)

FIELDS = ("category", "reason", "status")


def sisimai_category(row: dict) -> str:
    reason = row["reason"]
    if reason in ("delivered", "vacation"):
        return "not_a_bounce"
    if reason == "feedback":
        kind = (row.get("feedbacktype") or "").lower()
        return {"auth-failure": "auth_failure", "not-spam": "not_a_bounce"}.get(kind, "complaint")
    if reason == "authfailure":
        return "auth_failure"
    return "hard_bounce" if row["softbounce"] == 0 else "soft_bounce"


def sisimai_results(root: Path, files: list[str]) -> tuple[str, dict[str, FileResult]]:
    script = Path(__file__).with_name("sisimai_peer.pl")
    done = subprocess.run(["perl", str(script), "--dump"], capture_output=True, text=True,
                          input="\n".join(str(root / "emails" / f) for f in files), check=True)
    header, *lines = done.stdout.splitlines()
    version = json.loads(header)["sisimai"]
    events: dict[str, list[dict]] = defaultdict(list)
    prefix = str(root / "emails") + "/"
    for line in lines:
        row = json.loads(line)
        events[row["file"].removeprefix(prefix)].append({
            "category": sisimai_category(row), "reason": row["reason"],
            "status": row["status"] or None, "feedback_type": row.get("feedbacktype") or None})
    return version, {f: FileResult(events.get(f, []), None) for f in files}


def score(results) -> dict[str, tuple[int, int]]:
    totals = {f: [0, 0] for f in FIELDS}
    for label in labels():
        differences = compare(label, results(label["file"]))
        for field in FIELDS:
            if field == "status" and (not label["delivery_status"]
                                      or PSEUDO_STATUS.match(label["delivery_status"])):
                continue  # as the conformance report: only real status codes
            totals[field][1] += 1
            totals[field][0] += differences[field] is None
    return {f: (ok, n) for f, (ok, n) in totals.items()}


def main() -> int:
    root = corpus_root()
    if root is None:
        print("bounce corpus not found (set BOUNCEPIPE_CORPUS)", file=sys.stderr)
        return 2
    files = sorted({label["file"] for label in labels()})
    try:
        version, peer = sisimai_results(root, files)
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"Sisimai did not run ({exc}); Debian: apt-get install libsisimai-perl",
              file=sys.stderr)
        return 2
    rows = {f"Sisimai {version} (Perl)": score(peer.__getitem__),
            "bouncepipe": score(result_for)}
    print(f"{len(labels())} labelled recipients in {len(files)} files")
    print(f"{'':24s}" + "".join(f"{f:>18s}" for f in FIELDS))
    for name, figures in rows.items():
        print(f"{name:24s}" + "".join(
            f"{100 * ok / n:8.1f} % ({ok:3d}/{n:3d})" for ok, n in figures.values()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
