"""Shared by the bounce corpus conformance test and the `bounce_report` script: find the
corpus, load its labels, run the Python API over each file, compare per labelled recipient.

Compared fields (per labelled recipient, by position):
  category       corpus `not_a_bounce` == our delivered / other (or no event for maildir/not);
  reason         Sisimai renames folded together (mesgtoobig == emailtoolarge;
                 toomanyconn == speeding == ratelimited);
  status         only where the label is a real code (Sisimai's X.0.9NN pseudo codes skipped);
  recipients     our event count for the file == the label's `recipients_in_file`;
  feedback_type  on ARF rows.
"""
from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FIELDS = ("category", "reason", "status", "recipients", "feedback_type")
PSEUDO_STATUS = re.compile(r"^[245]\.0\.9\d\d$")
_REASON_ALIASES = {"emailtoolarge": "mesgtoobig", "toomanyconn": "ratelimited",
                   "speeding": "ratelimited"}
NOT_A_BOUNCE = {"delivered", "other"}
KNOWN_DIFFERENCES = Path(__file__).with_name("bounce_known_differences.json")


def corpus_root() -> Path | None:
    """The bounce corpus directory (with labels.jsonl), or None when absent."""
    env = os.environ.get("BOUNCEPIPE_CORPUS")
    candidates = [Path(env)] if env else []
    candidates.append(REPO.parent / "shared" / "corpus")
    for base in candidates:
        for path in (base / "bounces", base):
            if (path / "labels.jsonl").is_file() and (path / "emails").is_dir():
                return path
    return None


@lru_cache(maxsize=1)
def labels() -> list[dict]:
    root = corpus_root()
    if root is None:
        return []
    with open(root / "labels.jsonl", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def all_files() -> list[Path]:
    root = corpus_root()
    return sorted((root / "emails").rglob("*.eml")) if root else []


def norm_reason(reason: str | None) -> str | None:
    return _REASON_ALIASES.get(reason, reason) if reason else reason


def norm_category(category: str | None) -> str | None:
    return "not_a_bounce" if category in NOT_A_BOUNCE else category


@dataclass
class FileResult:
    events: list[dict]          # per event: category, reason, status, recipient, feedback_type
    dead_letter: str | None     # dead-letter reason when no events


def classify_file(path: Path) -> FileResult:
    """Run the pure core over one corpus file (no Kafka, no CLI), through the product's file
    source so an mbox file holding several messages (rhost-cox-01) is split exactly as
    `bouncepipe classify` splits it; events of all its messages, in order."""
    from connectors.sources.files import iter_raw_messages
    from pipeline.core import process

    events: list[dict] = []
    dead_letters: list[str] = []
    for raw in iter_raw_messages([path]):
        out = process(raw)
        events.extend(
            {"category": e.category, "reason": e.reason, "status": e.status,
             "recipient": e.recipient, "feedback_type": e.feedback_type, "rule": e.rule,
             "parser": e.parser, "diagnostic": e.diagnostic}
            for e in out.events
        )
        dead_letters.extend(d.reason for d in out.dead_letters)
    dead = dead_letters[0] if dead_letters and not events else None
    return FileResult(events, dead)


@lru_cache(maxsize=None)
def result_for(file: str) -> FileResult:
    root = corpus_root()
    assert root is not None
    return classify_file(root / "emails" / file)


def compare(label: dict, result: FileResult) -> dict[str, tuple[object, object] | None]:
    """Per field: None when it agrees (or is not compared), else (expected, got)."""
    out: dict[str, tuple[object, object] | None] = dict.fromkeys(FIELDS)
    index = label["recipient_index"]
    if index == 0:  # maildir/not: must decode to nothing (a dead letter with a reason)
        got = norm_category(result.events[0]["category"]) if result.events else None
        if got not in (None, "not_a_bounce"):
            out["category"] = ("not_a_bounce", got)
        return out
    event = result.events[index - 1] if len(result.events) >= index else None
    if len(result.events) != label["recipients_in_file"]:
        out["recipients"] = (label["recipients_in_file"], len(result.events))
    got_cat = norm_category(event["category"]) if event else None
    if got_cat != label["category"]:
        out["category"] = (label["category"], got_cat)
    got_reason = event["reason"] if event else None
    if norm_reason(got_reason) != norm_reason(label["reason"]):
        out["reason"] = (label["reason"], got_reason)
    want_status = label["delivery_status"]
    if want_status and not PSEUDO_STATUS.match(want_status):
        got_status = event["status"] if event else None
        if got_status != want_status:
            out["status"] = (want_status, got_status)
    if label["feedback_type"]:
        got_ft = event["feedback_type"] if event else None
        if got_ft != label["feedback_type"]:
            out["feedback_type"] = (label["feedback_type"], got_ft)
    return out


def key(label: dict, field: str) -> str:
    return f"{label['file']}|{label['recipient_index']}|{field}"


def known_differences() -> dict[str, str]:
    if not KNOWN_DIFFERENCES.is_file():
        return {}
    return json.loads(KNOWN_DIFFERENCES.read_text(encoding="utf-8"))


def iter_comparisons() -> Iterator[tuple[dict, FileResult, dict]]:
    for label in labels():
        result = result_for(label["file"])
        yield label, result, compare(label, result)
