"""`bouncepipe reclassify`: run today's engine over the archived evidence and correct the past.

    raw_archive (+ dead letters of lakes older than the archive)
      -> pipeline.core.process_stream (the same core as ingest and the worker; --jobs N)
      -> per input, compare with its events as they stand now (v_events_current):
           changed category / reason / recipient  -> an event_revisions row (previous kept)
           an event id the input never had         -> a new event (a dead letter that parses)
           an event the new rules no longer make   -> a withdrawn revision
      -> replay every current event in time order through the suppression policy and compare
         the state with the decisions in force: lift (`unsuppress`, rule `reclassified`) what
         only the old evidence held, suppress what new hard evidence asks for; decisions of a
         person (policy rule `manual.*`) are never touched
      -> a diff (counts old -> new, recovered dead letters, addresses lifted and suppressed,
         examples), printed and written as JSON, and one `reclassifications` row

Ids are deterministic (a revision hashes its event, the new classifier version and outcome),
so a second run over the same lake with the same rules changes nothing. An input the new rules
cannot read at all keeps its events (a parser regression is reported, never used to erase
evidence). `--dry-run` computes everything and writes nothing. With a `publisher` (streaming
form, `--bootstrap`), revisions, new events and corrections go to the events and suppressions
topics instead, for the sink and the CRMs; the lake then gets them through the sink.
"""
from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import islice
from pathlib import Path

import orjson
import pyarrow as pa

from pipeline.core import process_stream
from pipeline.settings import Settings, default_settings
from pipeline.suppression import SuppressionEngine, SuppressionPolicy, load_policy
from pipeline.version import CLASSIFIER_VERSION
from schemas.archive import EventRevision, ReclassifyRun
from schemas.ids import stable_id
from schemas.models import MailEvent, RawMessage, RawSource, SuppressionEvent

from .archive import read_archive, received_between
from .duck import CURRENT_EVENTS_SQL, connect
from .lake import LakeWriter

CHUNK = 1000          # inputs per classification task (what one worker process gets)
COMPARE_CHUNK = 5_000  # inputs compared per look-up of their current events (one events scan)
EXAMPLES = 5          # examples kept per kind of change in the diff
RECLASSIFIED = "reclassified"
_COMPARED = ("category", "reason", "recipient")



@dataclass
class ReclassifyDiff:
    run_id: str
    classifier_version: str
    dry_run: bool
    inputs: int = 0
    revised: int = 0
    withdrawn: int = 0
    new_events: int = 0
    dead_letters_recovered: int = 0
    now_unreadable: int = 0          # inputs that parsed before and not now: kept as they were
    category_changes: Counter = field(default_factory=Counter)   # "old -> new" -> events
    reason_changes: Counter = field(default_factory=Counter)
    suppressed: list[str] = field(default_factory=list)          # keys newly suppressed
    lifted: list[str] = field(default_factory=list)              # keys lifted
    manual_kept: int = 0             # keys a person decided: left alone
    examples: dict[str, list] = field(default_factory=dict)

    def example(self, kind: str, item: dict) -> None:
        items = self.examples.setdefault(kind, [])
        if len(items) < EXAMPLES:
            items.append(item)

    def to_json(self) -> dict:
        return {
            "run_id": self.run_id, "classifier_version": self.classifier_version,
            "dry_run": self.dry_run, "inputs": self.inputs, "revised": self.revised,
            "withdrawn": self.withdrawn, "new_events": self.new_events,
            "dead_letters_recovered": self.dead_letters_recovered,
            "now_unreadable": self.now_unreadable,
            "category_changes": dict(self.category_changes.most_common()),
            "reason_changes": dict(self.reason_changes.most_common()),
            "suppressed": len(self.suppressed), "lifted": len(self.lifted),
            "suppressed_keys": self.suppressed[:100], "lifted_keys": self.lifted[:100],
            "manual_kept": self.manual_kept, "examples": self.examples,
        }


@dataclass
class _Changes:
    revisions: list[EventRevision] = field(default_factory=list)
    new_events: list[MailEvent] = field(default_factory=list)


# -- which inputs ---------------------------------------------------------------------------
def _selected_shas(con, parser: str | None, only_dead_letters: bool) -> list[str] | None:
    """None = every archived input; else the sha256s the filters pick."""
    if not parser and not only_dead_letters:
        return None
    if only_dead_letters:
        sql = ("SELECT DISTINCT raw_sha256 FROM dead_letters WHERE raw_sha256 NOT IN "
               "(SELECT raw_sha256 FROM events)")
        params: list = []
        if parser:
            sql += " AND parser LIKE ?"
            params.append(parser + "%")
    else:
        sql = ("SELECT raw_sha256 FROM events WHERE parser LIKE ? UNION "
               "SELECT raw_sha256 FROM dead_letters WHERE parser LIKE ?")
        params = [parser + "%", parser + "%"]
    return [row[0] for row in con.execute(sql, params).fetchall()]


def _dead_letter_raws(con, shas: list[str] | None, since, until) -> Iterator[RawMessage]:
    """Dead-lettered inputs the archive does not hold (lakes older than the archive), from the
    dead letter's own copy of the bytes (only when it kept them whole)."""
    where, params = received_between(since, until)
    where += ["payload IS NOT NULL", "NOT payload_truncated",
              "raw_sha256 NOT IN (SELECT sha256 FROM raw_archive)"]
    if shas is not None:
        con.register("_dl_wanted", pa.table({"s": pa.array(shas, pa.string())}))
        where.append("raw_sha256 IN (SELECT s FROM _dl_wanted)")
    rows = con.execute(
        "SELECT raw_sha256, any_value(payload) AS payload, min(received_at) AS received_at, "
        "any_value(source) AS source FROM dead_letters WHERE " + " AND ".join(where)
        + " GROUP BY raw_sha256 ORDER BY received_at, raw_sha256", params).fetchall()
    for sha, payload, received_at, source in rows:
        raw = RawMessage.from_bytes(payload, RawSource(transport="file", path=source or sha),
                                    received_at)
        if raw.sha256 == sha:
            yield raw


# -- classification, one or many processes --------------------------------------------------
def _classify_chunk(raws: list[RawMessage]) -> list[tuple[list[MailEvent], bool]]:
    """(events, dead-lettered?) per input: what a worker process sends back."""
    return [(list(outcome.events), bool(outcome.dead_letters) and not outcome.events)
            for _, outcome in process_stream(raws)]


def _chunks(raws: Iterable[RawMessage], size: int) -> Iterator[list[RawMessage]]:
    it = iter(raws)
    while chunk := list(islice(it, size)):
        yield chunk


def _classified(raws: Iterable[RawMessage], jobs: int
                ) -> Iterator[tuple[list[RawMessage], list[tuple[list[MailEvent], bool]]]]:
    """(chunk, its answers) in input order; with jobs > 1 the chunks are worked out in worker
    processes, at most 2 per worker in flight (memory stays bounded)."""
    if jobs <= 1:
        for chunk in _chunks(raws, CHUNK):
            yield chunk, _classify_chunk(chunk)
        return
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        pending: list = []
        for chunk in _chunks(raws, CHUNK):
            pending.append((chunk, pool.submit(_classify_chunk, chunk)))
            if len(pending) >= 2 * jobs:
                first, future = pending.pop(0)
                yield first, future.result()
        for chunk, future in pending:
            yield chunk, future.result()


# -- comparing ------------------------------------------------------------------------------
_CHUNK_EVENTS_SQL = """
WITH ev AS (
    SELECT raw_sha256, event_id, category, reason, recipient, rule, classifier_version, parser
    FROM {events} WHERE raw_sha256 IN (SELECT s FROM _chunk_shas)),
rev AS (
    SELECT * FROM {revisions} WHERE event_id IN (SELECT event_id FROM ev)
    QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY revised_at DESC, revision_id DESC) = 1)
SELECT ev.raw_sha256, ev.event_id, coalesce(rev.category, ev.category),
       CASE WHEN rev.event_id IS NULL THEN ev.reason ELSE rev.reason END,
       CASE WHEN rev.event_id IS NULL THEN ev.recipient ELSE rev.recipient END,
       coalesce(rev.rule, ev.rule), coalesce(rev.classifier_version, ev.classifier_version),
       ev.parser
FROM ev LEFT JOIN rev USING (event_id)
WHERE NOT coalesce(rev.withdrawn, false)
"""


def _current_events(con, shas: list[str]) -> dict[str, dict[str, dict]]:
    """raw sha256 -> event id -> the event as it stands now (compared columns + rule): the
    v_events_current definition, narrowed to these inputs' events before the revision join
    (the whole view per chunk was most of a run's time)."""
    con.register("_chunk_shas", pa.table({"s": pa.array(shas, pa.string())}))
    rows = con.execute(_CHUNK_EVENTS_SQL.format(events="events",
                                                revisions="event_revisions")).fetchall()
    out: dict[str, dict[str, dict]] = {}
    for sha, event_id, category, reason, recipient, rule, version, parser in rows:
        out.setdefault(sha, {})[event_id] = {
            "category": category, "reason": reason, "recipient": recipient, "rule": rule,
            "classifier_version": version, "parser": parser}
    return out


def _compare(raw: RawMessage, events: list[MailEvent], unreadable: bool,
             before: dict[str, dict], was_dead: bool, run_id: str, now: datetime,
             diff: ReclassifyDiff, changes: _Changes) -> None:
    if unreadable and before:
        diff.now_unreadable += 1
        diff.example("now_unreadable", {"raw_sha256": raw.sha256, "source": raw.source.label})
        return
    seen = set()
    for event in events:
        seen.add(event.event_id)
        old = before.get(event.event_id)
        if old is None:
            changes.new_events.append(event)
            diff.new_events += 1
            if was_dead:
                diff.example("recovered", {"raw_sha256": raw.sha256, "recipient": event.recipient,
                                           "category": event.category, "reason": event.reason})
            continue
        if tuple(old[k] for k in _COMPARED) == (event.category, event.reason, event.recipient):
            continue
        changes.revisions.append(_revision(event.event_id, raw.sha256, old, event, run_id, now))
        diff.revised += 1
        diff.category_changes[f"{old['category']} -> {event.category}"] += 1
        diff.reason_changes[f"{old['reason']} -> {event.reason}"] += 1
        diff.example(f"{old['category']} -> {event.category}", {
            "event_id": event.event_id, "recipient": event.recipient,
            "before": [old["category"], old["reason"]], "after": [event.category, event.reason],
            "rule": event.rule})
    for event_id, old in before.items():
        if event_id not in seen:
            changes.revisions.append(_revision(event_id, raw.sha256, old, None, run_id, now))
            diff.withdrawn += 1
            diff.category_changes[f"{old['category']} -> (withdrawn)"] += 1
    if was_dead and events and not before:
        diff.dead_letters_recovered += 1


def _revision(event_id: str, sha: str, old: dict, new: MailEvent | None, run_id: str,
              now: datetime) -> EventRevision:
    outcome = (new.category, new.reason, new.recipient) if new else ("withdrawn",)
    return EventRevision(
        revision_id=EventRevision.make_id(event_id, CLASSIFIER_VERSION, *outcome),
        event_id=event_id, raw_sha256=sha, revised_at=now, run_id=run_id,
        classifier_version=CLASSIFIER_VERSION,
        previous_classifier_version=old["classifier_version"], withdrawn=new is None,
        previous_category=old["category"], previous_reason=old["reason"],
        previous_recipient=old["recipient"], previous_rule=old["rule"],
        category=new.category if new else None, reason=new.reason if new else None,
        recipient=new.recipient if new else None,
        recipient_domain=new.recipient_domain if new else None,
        status=new.status if new else None, rule=new.rule if new else None,
        event_json=new.model_dump_json() if new else None)


# -- suppressions ---------------------------------------------------------------------------
def _corrections(con, policy: SuppressionPolicy, now: datetime, run_id: str,
                 diff: ReclassifyDiff, batch_rows: int) -> list[SuppressionEvent]:
    """Replay the current events through the policy; what differs from the decisions in
    force becomes a correction."""
    engine = SuppressionEngine(policy)
    last_decision: dict[str, SuppressionEvent] = {}
    cols = ", ".join(MailEvent.model_fields)
    reader = con.sql(f"SELECT {cols} FROM _current_events WHERE recipient IS NOT NULL "
                     "ORDER BY occurred_at, event_id").to_arrow_reader(batch_rows)
    for batch in reader:
        for row in batch.to_pylist():
            row["tags"] = dict(row["tags"]) if row["tags"] else {}
            for decision in engine.feed(MailEvent.model_validate(row)):
                last_decision[decision.key] = decision
    wanted = engine.active()
    in_force = {key: (action, rule, address, scope, scope_value, tenant, suppressed)
                for key, action, rule, address, scope, scope_value, tenant, suppressed
                in con.execute(_IN_FORCE_SQL).fetchall()}
    out: list[SuppressionEvent] = []
    for key, (action, rule, address, scope, scope_value, tenant, suppressed) in sorted(
            in_force.items()):
        if rule.startswith("manual"):
            diff.manual_kept += 1
            continue
        decision = last_decision.get(key)
        still = wanted.get(key) == "suppress" and decision is not None and (
            decision.expires_at is None or decision.expires_at > now)
        if suppressed and not still:
            out.append(SuppressionEvent(
                suppression_id=stable_id("suppression", key, RECLASSIFIED, run_id),
                key=key, address=address, address_domain=address.rpartition("@")[2],
                action="unsuppress", scope=scope, scope_value=scope_value,
                policy_rule=RECLASSIFIED, decided_at=now, tenant=tenant,
                note=f"lifted by bouncepipe reclassify ({CLASSIFIER_VERSION}): the evidence "
                     f"that suppressed it no longer supports it"))
            diff.lifted.append(key)
    for key, decision in sorted(last_decision.items()):
        action = in_force.get(key)
        expired = decision.expires_at is not None and decision.expires_at <= now
        if wanted.get(key) == "suppress" and decision.action == "suppress" and not expired \
                and not (action and (action[6] or action[1].startswith("manual"))):
            out.append(decision.model_copy(update={"decided_at": max(decision.decided_at, now)}))
            diff.suppressed.append(key)
    return out


_IN_FORCE_SQL = """
SELECT key, action, policy_rule, address, scope, scope_value, tenant,
       action = 'suppress' AND (expires_at IS NULL OR expires_at > now()) AS suppressed
FROM suppressions
QUALIFY row_number() OVER (PARTITION BY key ORDER BY decided_at DESC, suppression_id DESC) = 1
"""


# -- the run --------------------------------------------------------------------------------
Publisher = Callable[[list[EventRevision], list[MailEvent], list[SuppressionEvent]], None]


def reclassify(lake: str | os.PathLike[str], *, settings: Settings | None = None,
               since: datetime | None = None, until: datetime | None = None,
               parser: str | None = None, only_dead_letters: bool = False,
               dry_run: bool = False, jobs: int = 1, publisher: Publisher | None = None,
               policy: SuppressionPolicy | None = None,
               now: datetime | None = None) -> ReclassifyDiff:
    settings = settings or default_settings()
    now = now or datetime.now(timezone.utc)
    run_id = stable_id("reclassify", str(Path(lake).resolve()), CLASSIFIER_VERSION,
                       now.isoformat())
    diff = ReclassifyDiff(run_id, CLASSIFIER_VERSION, dry_run)
    con = connect(lake, analytics=False)
    writer = LakeWriter(lake)
    changes = _Changes()
    try:
        con.execute("CREATE OR REPLACE TEMP VIEW _current_events AS SELECT * FROM v_events_current")
        shas = _selected_shas(con, parser, only_dead_letters)
        dead = {row[0] for row in con.execute(
            "SELECT DISTINCT raw_sha256 FROM dead_letters").fetchall()}
        raws = _inputs(lake, con, shas, since, until)
        pending: list = []

        def compare_pending() -> None:
            before = _current_events(con, [raw.sha256 for raw, _ in pending])
            for raw, (events, unreadable) in pending:
                diff.inputs += 1
                _compare(raw, events, unreadable, before.get(raw.sha256, {}),
                         raw.sha256 in dead, run_id, now, diff, changes)
            pending.clear()

        for chunk, answers in _classified(raws, jobs):
            pending.extend(zip(chunk, answers))
            if len(pending) >= COMPARE_CHUNK:
                compare_pending()
        if pending:
            compare_pending()
        if not dry_run and publisher is None:
            stem = f"reclassify-{run_id[:20]}"
            writer.land("event_revisions", changes.revisions, file_stem=stem)
            writer.land("events", changes.new_events, file_stem=stem)
        # the suppression replay sees the revised evidence (on a dry run: staged in memory)
        if changes.revisions or changes.new_events:
            _stage_changes(con, changes)
        corrections = _corrections(con, policy or load_policy(settings), now, run_id, diff,
                                   settings.lake.rows_per_file)
        if not dry_run:
            if publisher is not None:
                publisher(changes.revisions, changes.new_events, corrections)
            else:
                writer.land("suppressions", corrections, file_stem=f"reclassify-{run_id[:20]}")
            writer.land("reclassifications", [ReclassifyRun(
                run_id=run_id, started_at=now, classifier_version=CLASSIFIER_VERSION,
                dry_run=False, inputs=diff.inputs, revised=diff.revised,
                withdrawn=diff.withdrawn, new_events=diff.new_events,
                dead_letters_recovered=diff.dead_letters_recovered,
                suppressed=len(diff.suppressed), lifted=len(diff.lifted),
                diff_json=orjson.dumps(diff.to_json()).decode())],
                file_stem=f"reclassify-{run_id[:20]}")
    finally:
        con.close()
    return diff


def _inputs(lake, con, shas, since, until) -> Iterator[RawMessage]:
    yield from read_archive(lake, since=since, until=until, shas=shas)
    yield from _dead_letter_raws(con, shas, since, until)


def _stage_changes(con, changes: _Changes) -> None:
    """Make the replay see this run's revisions and new events: re-point `_current_events`
    at the lake plus them (the lake itself was already written, unless this is a dry run or
    the publisher owns the writes; the union is deduplicated on event id either way)."""
    from .lake import to_arrow
    con.register("_run_revisions", to_arrow("event_revisions", changes.revisions))
    con.register("_run_events", to_arrow("events", changes.new_events))
    con.execute("""
        CREATE OR REPLACE TEMP VIEW _all_revisions AS
        SELECT * EXCLUDE (dt) FROM event_revisions UNION ALL BY NAME SELECT * FROM _run_revisions""")
    con.execute("""
        CREATE OR REPLACE TEMP VIEW _all_events AS
        SELECT * FROM (SELECT * EXCLUDE (dt) FROM events UNION ALL BY NAME SELECT * FROM _run_events)
        QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY received_at) = 1""")
    sql = (CURRENT_EVENTS_SQL.replace("FROM event_revisions", "FROM _all_revisions")
           .replace("FROM events e", "FROM _all_events e").replace("e.* EXCLUDE (dt)", "e.*"))
    con.execute(f"CREATE OR REPLACE TEMP VIEW _current_events AS {sql}")
