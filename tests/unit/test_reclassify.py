"""`bouncepipe reclassify`: a rule changes between two runs over the same lake, and the past is
corrected — exact diffs, the right addresses lifted and added, manual decisions untouched, a
second run changes nothing, dead letters of a format now supported land."""
from __future__ import annotations

import contextlib
from datetime import datetime, timezone
from pathlib import Path

import pytest

from connectors.archive import LakeArchive, prune, read_archive
from connectors.cli import main
from connectors.duck import connect
from connectors.ingest import ingest
from connectors.lake import LakeWriter
from connectors.reclassify import reclassify
from pipeline import registry
from pipeline.outcome import Outcome
from pipeline.settings import ArchiveSettings, Settings
from pipeline.suppression import SuppressionEngine, UnsuppressRequest
from schemas.models import RawMessage, RawSource
from tests.integration.generate import dsn_emails

NOW = datetime(2030, 1, 1, tzinfo=timezone.utc)   # after every test event: nothing expired early
N_DSNS = 40


def _inputs(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    for i, payload in enumerate(dsn_emails(N_DSNS, pool=N_DSNS, step_minutes=60 * 24)):
        (folder / f"dsn-{i:03d}.eml").write_bytes(payload)
    return folder


def _old_rule(outcome: Outcome | None) -> Outcome | None:
    """The 'old rules': user-unknown bounces read as mailbox full (a provider-table row that
    was wrong), as a hard -> soft confusion would."""
    if outcome is None or isinstance(outcome, Exception):
        return outcome
    outcome.events = [e.model_copy(update={"category": "soft_bounce", "reason": "mailboxfull",
                                           "rule": "test.old_rule"})
                      if e.reason == "userunknown" else e for e in outcome.events]
    return outcome


@contextlib.contextmanager
def rules(monkeypatch, kind: str):
    """Run with the DSN handler as it was: "old" (wrong table row) or "absent" (format not
    supported: every bounce dead-lettered)."""
    email = registry.handlers("email")
    if kind == "absent":
        patched = tuple(h for h in email if h.name != "dsn")
    else:
        def wrap(h):
            many = (lambda items, s: [_old_rule(o) for o in h.many(items, s)]) if h.many else None
            return registry.Handler(h.name, h.family, h.order, h.detect,
                                    lambda raw, view, s: _old_rule(h.handle(raw, view, s)), many,
                                    h.streams)
        patched = tuple(wrap(h) if h.name == "dsn" else h for h in email)
    with monkeypatch.context() as m:
        m.setitem(registry._BY_FAMILY, "email", patched)
        yield


def _state(lake: Path) -> dict[str, tuple[str, str]]:
    con = connect(lake)
    try:
        return {k: (a, r) for k, a, r in con.execute(
            "SELECT key, action, decided_by FROM v_suppression_state").fetchall()}
    finally:
        con.close()


def _current(lake: Path) -> dict[str, tuple]:
    con = connect(lake)
    try:
        return {e: (c, r) for e, c, r in con.execute(
            "SELECT event_id, category, reason FROM v_events_current").fetchall()}
    finally:
        con.close()


def _manual_unsuppress(lake: Path, address: str) -> None:
    [decision] = SuppressionEngine().unsuppress(UnsuppressRequest(
        address=address, requested_at=datetime(2029, 6, 1, tzinfo=timezone.utc), note="ops"))
    LakeWriter(lake).land("suppressions", [decision], file_stem="manual")


def _hard_bounced(lake: Path) -> set[str]:
    con = connect(lake)
    try:
        return {r for (r,) in con.execute(
            "SELECT DISTINCT recipient FROM events WHERE reason = 'userunknown'").fetchall()}
    finally:
        con.close()


def test_a_fixed_rule_revises_events_and_adds_suppressions(tmp_path, monkeypatch):
    lake = tmp_path / "lake"
    with rules(monkeypatch, "old"):
        ingest([_inputs(tmp_path)], lake)
    before = _current(lake)
    assert {c for c, _ in before.values()} == {"soft_bounce"}
    assert not any(a == "suppress" for a, _ in _state(lake).values())
    # an operator lifted one address by hand: it must stay lifted whatever the new rules say
    con = connect(lake)
    wrong = sorted(r for (r,) in con.execute(
        "SELECT DISTINCT recipient FROM events WHERE rule = 'test.old_rule'").fetchall())
    con.close()
    assert len(wrong) >= 4
    _manual_unsuppress(lake, wrong[0])

    diff = reclassify(lake, now=NOW)
    fixed = sum(1 for c, r in _current(lake).values() if r == "userunknown")
    assert diff.revised == fixed == sum(1 for _, r in before.values() if r == "mailboxfull") \
        - sum(1 for c, r in _current(lake).values() if r == "mailboxfull")
    assert diff.category_changes == {"soft_bounce -> hard_bounce": diff.revised}
    assert diff.reason_changes == {"mailboxfull -> userunknown": diff.revised}
    assert (diff.withdrawn, diff.new_events, diff.lifted) == (0, 0, [])
    assert sorted(diff.suppressed) == [f"global::{a}" for a in wrong[1:]]
    assert diff.manual_kept == 1
    state = _state(lake)
    assert state[f"global::{wrong[0]}"] == ("unsuppress", "manual.unsuppress")
    assert all(state[f"global::{a}"][0] == "suppress" for a in wrong[1:])
    # the previous classification is kept, and the run is recorded
    con = connect(lake)
    kept = con.execute("SELECT DISTINCT previous_category, previous_reason, previous_rule "
                       "FROM event_revisions").fetchall()
    runs = con.execute("SELECT revised, suppressed, lifted FROM reclassifications").fetchall()
    changes = con.execute("SELECT previous_category, category, events "
                          "FROM v_reclassification_changes").fetchall()
    con.close()
    assert kept == [("soft_bounce", "mailboxfull", "test.old_rule")]
    assert runs == [(diff.revised, len(wrong) - 1, 0)]
    assert changes == [("soft_bounce", "hard_bounce", diff.revised)]

    again = reclassify(lake, now=NOW)
    assert (again.revised, again.new_events, again.suppressed, again.lifted) == (0, 0, [], [])


def test_a_broken_rule_lifts_only_what_its_evidence_held(tmp_path, monkeypatch):
    lake = tmp_path / "lake"
    ingest([_inputs(tmp_path)], lake)
    hard = sorted(_hard_bounced(lake))
    suppressed = {k for k, (a, _) in _state(lake).items() if a == "suppress"}
    assert suppressed == {f"global::{a}" for a in hard}
    _manual_unsuppress(lake, hard[0])
    with rules(monkeypatch, "old"):   # a rule change for the worse, run as a dry run first
        dry = reclassify(lake, now=NOW, dry_run=True)
        assert sorted(dry.lifted) == [f"global::{a}" for a in hard[1:]]
        assert _state(lake)[f"global::{hard[1]}"][0] == "suppress"     # nothing written
        diff = reclassify(lake, now=NOW)
    assert diff.to_json()["lifted"] == len(hard) - 1 and diff.manual_kept == 1
    assert diff.category_changes == {"hard_bounce -> soft_bounce": diff.revised}
    state = _state(lake)
    assert all(state[f"global::{a}"] == ("unsuppress", "reclassified") for a in hard[1:])
    assert state[f"global::{hard[0]}"] == ("unsuppress", "manual.unsuppress")
    with rules(monkeypatch, "old"):
        again = reclassify(lake, now=NOW)
    assert (again.revised, again.lifted, again.suppressed) == (0, [], [])


def test_dead_letters_of_a_format_now_supported_land(tmp_path, monkeypatch):
    lake = tmp_path / "lake"
    with rules(monkeypatch, "absent"):
        summary = ingest([_inputs(tmp_path)], lake)
    assert summary.dead_letters == N_DSNS and not summary.events_by_category
    only = reclassify(lake, now=NOW, only_dead_letters=True, parser="dsn")
    assert only.inputs == 0              # "dsn" never parsed them: the filter picks none
    diff = reclassify(lake, now=NOW, only_dead_letters=True)
    assert diff.inputs == N_DSNS and diff.dead_letters_recovered == N_DSNS
    assert diff.new_events == N_DSNS and diff.revised == 0
    assert {f"global::{a}" for a in _hard_bounced(lake)} == set(diff.suppressed)
    assert len(_current(lake)) == N_DSNS


def test_reclassify_cli_with_two_jobs_gives_the_one_job_answer(tmp_path, monkeypatch, capsys):
    lakes = [tmp_path / "one", tmp_path / "two"]
    inputs = _inputs(tmp_path)
    with rules(monkeypatch, "old"):
        for lake in lakes:
            ingest([inputs], lake)
    for lake, jobs in zip(lakes, ("1", "2")):
        assert main(["reclassify", "--lake", str(lake), "--jobs", jobs, "--out",
                     str(lake / "diff.json")]) == 0
    out = capsys.readouterr().out
    assert "soft_bounce -> hard_bounce" in out and "manual decisions left alone" in out
    one, two = ((lake / "diff.json").read_text() for lake in lakes)
    import json
    a, b = json.loads(one), json.loads(two)
    for volatile in ("run_id",):
        a.pop(volatile), b.pop(volatile)
    assert a == b and a["revised"] > 0
    assert _current(lakes[0]) == _current(lakes[1])


def test_the_archive_holds_each_input_once_and_ingest_skips_it(tmp_path):
    lake = tmp_path / "lake"
    inputs = _inputs(tmp_path)
    first = ingest([inputs], lake)
    second = ingest([inputs], lake)
    assert (first.archived, first.already_archived) == (N_DSNS, 0)
    assert (second.archived, second.already_archived, second.inputs) == (0, N_DSNS, N_DSNS)
    raws = list(read_archive(lake))
    assert len(raws) == N_DSNS
    assert sorted(r.payload for r in raws) == sorted(p.read_bytes() for p in inputs.iterdir())
    assert all(r.source.path and r.source.path.startswith(str(inputs)) for r in raws)


def test_redacted_archive_drops_returned_bodies_but_keeps_ids(tmp_path):
    payload = (b"From: MAILER-DAEMON@mx.example\nTo: bounces@sender.example\n"
               b"Subject: Undelivered Mail\nMIME-Version: 1.0\n"
               b"Content-Type: multipart/report; report-type=delivery-status; boundary=B\n\n"
               b"--B\nContent-Type: text/plain\n\nUser unknown.\n"
               b"--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example\n\n"
               b"Final-Recipient: rfc822; grace@isp.example\nAction: failed\nStatus: 5.1.1\n\n"
               b"--B\nContent-Type: message/rfc822\n\nFrom: news@sender.example\n"
               b"To: grace@isp.example\nMessage-ID: <offer-9@sender.example>\n\n"
               b"Dear Grace, your account number is 12345.\n--B--\n")
    raw = RawMessage.from_bytes(payload, RawSource(transport="file", path="x.eml"))
    lake = tmp_path / "lake"
    LakeArchive(lake, ArchiveSettings(redact_returned_bodies=True)).add([raw])
    [back] = read_archive(lake)
    assert back.sha256 == raw.sha256 and back.payload != payload
    assert b"removed by bouncepipe" in back.payload
    assert b"account number" not in back.payload                 # the personal part is gone
    assert b"<offer-9@sender.example>" in back.payload           # headers the dialects read stay
    from pipeline.api import classify_message
    [event] = classify_message(back.payload)
    assert (event.recipient, event.category, event.reason) == (
        "grace@isp.example", "hard_bounce", "userunknown")


def test_prune_drops_partitions_past_retention(tmp_path):
    lake = tmp_path / "lake"
    for day in ("2026-01-01", "2026-03-01"):
        raw = RawMessage.from_bytes(day.encode(), RawSource(transport="file", path=day),
                                    datetime.fromisoformat(day + "T00:00:00+00:00"))
        LakeArchive(lake, ArchiveSettings()).add([raw])
    dropped = prune(lake, 30, today=datetime(2026, 3, 15).date())
    assert [p.name for p in dropped] == ["dt=2026-01-01"]
    assert [r.payload for r in read_archive(lake)] == [b"2026-03-01"]


@pytest.mark.parametrize("flag", ["--dry-run"])
def test_dry_run_writes_nothing(tmp_path, monkeypatch, flag, capsys):
    lake = tmp_path / "lake"
    with rules(monkeypatch, "old"):
        ingest([_inputs(tmp_path)], lake)
    files = sorted(p for p in lake.rglob("*.parquet"))
    assert main(["reclassify", "--lake", str(lake), flag, "--out", "-"]) == 0
    assert '"dry_run": true' in capsys.readouterr().out
    assert sorted(p for p in lake.rglob("*.parquet")) == files
    assert Settings().archive.enabled


def test_the_report_shows_what_the_last_reclassification_changed(tmp_path, monkeypatch):
    from connectors.report.html import write_report

    lake = tmp_path / "lake"
    with rules(monkeypatch, "old"):
        ingest([_inputs(tmp_path)], lake)
    empty = tmp_path / "before.html"
    write_report(lake, empty)
    assert "No reclassification has run on this lake." in empty.read_text()
    diff = reclassify(lake, now=NOW)
    out = tmp_path / "report.html"
    write_report(lake, out)
    html = out.read_text()
    section = html[html.index("<h2 id='reclassified'>"):html.index("<h2>Export</h2>")]
    cells = [c for c in section.replace('<td class="n">', "<td>").split("<td>")[1:]]
    values = [c.split("</td>")[0] for c in cells]
    assert values[2:9] == [str(diff.inputs), str(diff.revised), "0", "0", "0",
                           str(len(diff.suppressed)), "0"]
    assert values[9:14] == ["soft_bounce", "mailboxfull", "hard_bounce", "userunknown",
                            str(diff.revised)]


def test_two_jobs_over_many_units_give_one_jobs_diff_and_since_picks_its_inputs(
        tmp_path, monkeypatch):
    """Archive files of many small row groups, units of a few of them: the units are shared by
    two worker processes, and their answers merged in order give one job's diff exactly (the
    examples too); --since keeps only inputs received from then on."""
    from dataclasses import replace

    import pyarrow.parquet as pq

    import connectors.reclassify_units as units
    from schemas.tables import TABLES

    monkeypatch.setitem(TABLES, "raw_archive", replace(TABLES["raw_archive"], row_group_rows=3))
    monkeypatch.setattr(units, "ROWS_PER_UNIT", 6)
    lakes = [tmp_path / "one", tmp_path / "two"]
    inputs = _inputs(tmp_path)
    with rules(monkeypatch, "old"):
        for lake in lakes:
            ingest([inputs], lake)
    files = units.archive_files(lakes[0])
    assert sum(1 for f in files for _ in units.row_group_runs(f)) >= 7
    assert all(pq.ParquetFile(f).metadata.row_group(0).num_rows <= 3 for f in files)
    one, two = (reclassify(lake, now=NOW, jobs=jobs) for lake, jobs in zip(lakes, (1, 2)))
    a, b = one.to_json(), two.to_json()
    assert a.pop("run_id") != b.pop("run_id")     # the lake's path is part of the run id
    assert a == b and a["inputs"] == N_DSNS and a["revised"] > 0
    assert _current(lakes[0]) == _current(lakes[1]) and _state(lakes[0]) == _state(lakes[1])
    con = connect(lakes[0])
    received = sorted(r for (r,) in con.execute("SELECT received_at FROM raw_archive").fetchall())
    con.close()
    since = received[len(received) // 2]
    dry = reclassify(lakes[0], now=NOW, since=since, dry_run=True)
    assert dry.inputs == sum(1 for r in received if r >= since) and 0 < dry.inputs < N_DSNS


def test_decisions_whose_evidence_this_run_did_not_touch_are_left_alone(tmp_path, monkeypatch):
    """Only the receiving domains whose evidence changed are replayed: a suppression with no
    event in the lake (imported from an ESP, or its events pruned) is not lifted by a run that
    revised other domains' events, and a run that changes nothing replays nothing."""
    from pipeline.suppression.rules import make_decision

    lake = tmp_path / "lake"
    with rules(monkeypatch, "old"):
        ingest([_inputs(tmp_path)], lake)
    imported = "someone@elsewhere.example"
    LakeWriter(lake).land("suppressions", [make_decision(
        f"global::{imported}", imported, "suppress", "global", None, ["esp-import-1"],
        rule="hard_bounce.immediate", at=datetime(2029, 1, 1, tzinfo=timezone.utc))],
        file_stem="imported")
    diff = reclassify(lake, now=NOW)
    assert diff.revised > 0 and diff.suppressed and f"global::{imported}" not in diff.lifted
    assert _state(lake)[f"global::{imported}"][0] == "suppress"
    again = reclassify(lake, now=NOW)
    assert (again.revised, again.lifted, again.suppressed, again.manual_kept) == (0, [], [], 0)


def test_a_run_that_stopped_before_its_corrections_gets_them_from_the_next(tmp_path, monkeypatch):
    """Changes land a unit at a time: a run that dies after landing them and before its
    corrections leaves no `reclassifications` row, and the next run, which finds nothing left
    to revise, still makes the corrections for the evidence the stopped run changed."""
    import connectors.reclassify as module

    lake = tmp_path / "lake"
    with rules(monkeypatch, "old"):
        ingest([_inputs(tmp_path)], lake)
    with monkeypatch.context() as m:
        def stop(*args, **kwargs):
            raise KeyboardInterrupt("stopped before the corrections")
        m.setattr(module, "_corrections", stop)
        with pytest.raises(KeyboardInterrupt):
            reclassify(lake, now=NOW)
    assert _current(lake) and not any(a == "suppress" for a, _ in _state(lake).values())
    diff = reclassify(lake, now=NOW)
    assert diff.revised == 0 and diff.suppressed                 # revised by the stopped run
    assert sorted(diff.suppressed) == sorted(
        k for k, (a, _) in _state(lake).items() if a == "suppress")
    again = reclassify(lake, now=NOW)
    assert (again.revised, again.suppressed, again.lifted) == (0, [], [])


def test_archive_times_read_naive_are_the_same_instants():
    """reclassify reads received_at as naive UTC (faster in pyarrow); RawMessage makes it
    the same UTC datetime the zone-aware value gives, for any zone the column is typed in."""
    from datetime import datetime, timezone

    import pyarrow as pa

    from connectors.reclassify_units import _utc_as_naive
    from schemas.models import RawMessage, RawSource

    instants = [datetime(2026, 1, 1, 12, 0, 0, 123456, tzinfo=timezone.utc),
                datetime(1995, 6, 30, 23, 59, 59, tzinfo=timezone.utc)]
    for zone in ("UTC", "Europe/Paris", "+05:30"):
        table = pa.table({"received_at": pa.array(instants, pa.timestamp("us", tz=zone)),
                          "sha256": ["a", "b"]})
        naive = _utc_as_naive(table).column("received_at").to_pylist()
        for aware, plain in zip(table.column("received_at").to_pylist(), naive):
            mine, theirs = (RawMessage(payload=b"x", sha256="s", source=RawSource(
                transport="memory"), received_at=value).received_at for value in (plain, aware))
            assert plain.tzinfo is None and mine == theirs and mine.tzinfo is theirs.tzinfo
            assert mine.isoformat() == theirs.isoformat()
    untouched = pa.table({"received_at": pa.array(instants, pa.timestamp("us"))})
    assert _utc_as_naive(untouched) is untouched
