"""The suppression views on the shapes their fast paths treat apart: a key with several decisions
(a tie on decided_at), a decision with several evidence ids, one with none, and an event that is
in the lake twice with different categories (a copy landed by a second writer)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from connectors.lake import LakeWriter
from connectors.views import open_lake


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=timezone.utc)


def event(event_id, day, hour, category, source_kind):
    return dict(event_id=event_id, raw_sha256="0" * 64, occurred_at=at(day, hour),
                received_at=at(day, hour), source_kind=source_kind, parser="test",
                category=category, recipient="a@x.com", recipient_domain="x.com",
                classifier_version="t", rule="t")


def decision(sid, address, decided, evidence, action="suppress"):
    return dict(suppression_id=sid, key=f"global::{address}", address=address,
                address_domain=address.split("@")[1], action=action, scope="global",
                policy_rule="hard_bounce", decided_at=decided, evidence_event_ids=evidence)


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    lake = tmp_path_factory.mktemp("lake")
    w = LakeWriter(lake)
    w.write("events", [event("E1", 10, 12, "hard_bounce", "dsn"),
                       event("E2", 11, 9, "complaint", "arf")], file_stem="a")
    w.write("events", [event("E1", 10, 13, "soft_bounce", "dsn")], file_stem="b")  # the copy
    w.write("suppressions", [
        decision("D1", "a@x.com", at(10), ["E1"]),
        decision("D2", "a@x.com", at(10), ["E2", "E1", "nope"]),  # same key, same time: D2 wins
        decision("D3", "b@x.com", at(11), [], action="unsuppress"),
    ], file_stem="s")
    connection = open_lake(lake)
    yield connection
    connection.close()


def audit(con) -> dict[str, tuple]:
    return {r[0]: r[1:] for r in con.execute(
        "SELECT suppression_id, is_current, evidence_count, evidence_found, evidence_missing, "
        "evidence_first_at, evidence_last_at, evidence_categories, evidence_kinds "
        "FROM v_suppression_audit").fetchall()}


def test_audit_folds_evidence_per_decision(con):
    assert audit(con) == {
        # one id matching two rows (the copy): counted per match, both categories, first/last
        # over the copies
        "D1": (False, 2, 2, 0, at(10, 12), at(10, 13), ["hard_bounce", "soft_bounce"], ["dsn"]),
        "D2": (True, 4, 3, 1, at(10, 12), at(11, 9), ["complaint", "hard_bounce", "soft_bounce"],
               ["arf", "dsn"]),
        "D3": (True, 0, 0, 0, None, None, [], []),
    }


def test_filtered_audit_equals_the_full_audit_row(con):
    full = audit(con)
    for address, sid in (("a@x.com", "D1"), ("b@x.com", "D3")):
        got = {r[0]: r[1:] for r in con.execute(
            "SELECT suppression_id, is_current, evidence_count, evidence_found, evidence_missing, "
            "evidence_first_at, evidence_last_at, evidence_categories, evidence_kinds "
            "FROM v_suppression_audit WHERE address = ?", [address]).fetchall()}
        assert got[sid] == full[sid]


def test_state_takes_the_highest_id_on_a_tie(con):
    assert sorted(con.execute("SELECT key, suppression_id, action, suppressed "
                              "FROM v_suppression_state").fetchall()) == [
        ("global::a@x.com", "D2", "suppress", True),
        ("global::b@x.com", "D3", "unsuppress", False),
    ]
