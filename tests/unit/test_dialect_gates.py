"""Dialect gates (pipeline/dsn/dialects/gate.py) change no answer.

A gate is a dialect's cheap necessary condition: when it lets a bounce by, the dialect's own
`inquire` must answer None for it, without raising. Held here two ways over the corpus
emails, every .eml fixture and mutated bounces (one sample's header block over another's
body; From/Subject re-cased or RFC 2047-encoded; Received lines dropped): every dialect on
every bounce its gate turns away, and the engine's gated reports against its ungated ones.
"""
from __future__ import annotations

import base64
import random
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from pipeline.dsn import engine
from pipeline.dsn.dialects import dialects, when
from pipeline.dsn.dialects.gate import GateIndex
from pipeline.mime.parse import parse_email
from pipeline.mime.view import MailView
from tests.conformance.bounce_corpus import corpus_root

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@lru_cache(maxsize=1)
def samples() -> tuple[bytes, ...]:
    paths = sorted(FIXTURES.rglob("*.eml"))
    root = corpus_root()
    if root is not None:
        paths += sorted((root / "emails").rglob("*.eml"))
    return tuple(p.read_bytes() for p in paths)


def _split(raw: bytes) -> tuple[list[bytes], bytes]:
    """(header lines, with their folded continuations, as written; the rest)."""
    for sep in (b"\r\n\r\n", b"\n\n"):
        pos = raw.find(sep)
        if pos >= 0:
            head, body = raw[:pos], raw[pos:]
            break
    else:
        head, body = raw, b""
    lines: list[bytes] = []
    for line in head.splitlines(keepends=True):
        if lines and line[:1] in (b" ", b"\t"):
            lines[-1] += line
        else:
            lines.append(line)
    return lines, body


def _recode(lines: list[bytes], name: bytes, how: str) -> list[bytes]:
    out = []
    for line in lines:
        key, colon, value = line.partition(b":")
        if colon and key.strip().lower() == name:
            text = value.strip()
            if how == "upper":
                text = text.upper()
            elif how == "lower":
                text = text.lower()
            else:   # RFC 2047: the markers are then in the decoded value only
                text = b"=?utf-8?b?" + base64.b64encode(text) + b"?="
            line = key + b": " + text + b"\n"
        out.append(line)
    return out


def mutate(head_of: bytes, body_of: bytes, how: str) -> bytes:
    lines, _ = _split(head_of)
    _, body = _split(body_of)
    if how in ("upper", "lower", "encoded"):
        lines = _recode(_recode(lines, b"subject", how), b"from", how)
    elif how == "no-received":
        lines = [ln for ln in lines if not ln.lower().startswith(b"received:")]
    return b"".join(lines) + body


MUTATIONS = ("swap", "upper", "lower", "encoded", "no-received")


@lru_cache(maxsize=1)
def mutated() -> tuple[bytes, ...]:
    rng = random.Random(20261206)
    raws = samples()
    out = []
    for raw in raws:   # each sample re-cased / encoded / without hops, over its own body
        out.append(mutate(raw, raw, rng.choice(MUTATIONS[1:])))
    for _ in range(400):   # another sample's headers over a body
        out.append(mutate(rng.choice(raws), rng.choice(raws), rng.choice(MUTATIONS)))
    return tuple(out)


def _view(raw: bytes) -> MailView:
    return MailView.of(parse_email(raw))


def turned_away(raws) -> list[tuple[str, int]]:
    """(dialect, sample index) where the gate turned a bounce away that the dialect reads
    (or raises on): each must be empty."""
    ds = dialects()
    mails = [_view(raw) for raw in raws]
    index = GateIndex([d.gate for d in ds])
    offered = index.candidates(mails, range(len(mails)))
    wrong = []
    for k, d in enumerate(ds):
        if d.gate is None:
            continue
        let_through = set(offered[k])
        for i, mail in enumerate(mails):
            if i in let_through:
                continue
            try:
                answer = d.inquire(mail)
            except Exception:  # noqa: BLE001 - a raise is an answer the gate hid
                answer = "raised"
            if answer is not None:
                wrong.append((d.name, i))
    return wrong


def _comparable(found) -> list:
    return [repr(f) if not isinstance(f, Exception) else f"{type(f).__name__}: {f}"
            for f in found]


def same_reports(raws) -> None:
    gated = engine.read_bounces([_view(raw) for raw in raws])
    ungated = engine.read_bounces([_view(raw) for raw in raws], gated=False)
    assert _comparable(gated) == _comparable(ungated)


def test_most_dialects_have_a_gate_and_some_bounces_get_through_each():
    ds = dialects()
    gated = [d for d in ds if d.gate is not None]
    assert len(gated) >= 50
    mails = [_view(raw) for raw in samples()]
    offered = GateIndex([d.gate for d in ds]).candidates(mails, range(len(mails)))
    # a gate that lets nothing by would hide a broken gate behind "no answer anyway"
    starved = [d.name for k, d in enumerate(ds) if d.gate is not None and not offered[k]]
    assert starved == []
    assert sum(map(len, offered)) < len(gated) * len(mails) / 5   # most are turned away


def test_no_gate_turns_away_a_bounce_its_dialect_reads():
    assert turned_away(samples()) == []


def test_no_gate_turns_away_a_mutated_bounce_its_dialect_reads():
    assert turned_away(mutated()) == []


def test_gated_reports_equal_ungated_reports():
    same_reports(samples())
    same_reports(mutated())


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_gated_equals_ungated_on_random_mutations(data):
    raws = samples()
    batch = [mutate(data.draw(st.sampled_from(raws)), data.draw(st.sampled_from(raws)),
                    data.draw(st.sampled_from(MUTATIONS))) for _ in range(3)]
    assert turned_away(batch) == []
    same_reports(batch)


def test_gate_matching_rules():
    index = GateIndex([when(subject=("Returned mail",)), when(headers=("X-Thing",)),
                       when(received=("(qmail ",)), when(raw={"From": ("QUJD",)}), None])
    mail = _view(b"From: =?utf-8?b?QUJD?= <a@b.example>\nSubject: RETURNED MAIL: x\n"
                 b"x-thing: \nReceived: from a (QMAIL 1)\n\nbody\n")
    offered = index.candidates([mail], [0])
    # subject: lower-cased; header: present though empty; received: exact case (no match);
    # raw: the undecoded value; the ungated dialect is not listed (the engine offers it all)
    assert offered == [[0], [0], [], [0], []]


def test_a_needle_the_gate_cannot_match_exactly_is_refused():
    with pytest.raises(ValueError):
        when(subject="not a tuple")
    with pytest.raises(ValueError):
        when(subject=("ΣIGMA",))
