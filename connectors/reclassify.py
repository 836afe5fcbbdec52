"""`bouncepipe reclassify`: run today's engine over the archived evidence and correct the past.

    raw_archive (+ dead letters of lakes older than the archive), in units of row groups
      -> each unit, in a worker (--jobs N; connectors/reclassify_units.py): its rows read with
         pyarrow, pipeline.core.process_stream (the same core as ingest and the worker), and
         per input a comparison with its events as they stand now (v_events_current):
           changed category / reason / recipient  -> an event_revisions row (previous kept)
           an event id the input never had         -> a new event (a dead letter that parses)
           an event the new rules no longer make   -> a withdrawn revision
      -> the changes land (or are published) a unit at a time, in unit order
      -> replay in time order through the suppression policy the current events of the
         receiving domains whose evidence changed, and compare the state with the decisions in
         force for their addresses: lift (`unsuppress`, rule `reclassified`) what only the old
         evidence held, suppress what new hard evidence asks for; decisions of a person
         (policy rule `manual.*`) are never touched
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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.settings import Settings, default_settings
from pipeline.suppression import SuppressionEngine, SuppressionPolicy, load_policy
from pipeline.version import CLASSIFIER_VERSION
from schemas.archive import EventRevision, ReclassifyRun
from schemas.ids import stable_id
from schemas.models import MailEvent, SuppressionEvent

from .duck import CURRENT_EVENTS_SQL, connect
from .lake import LakeWriter, to_arrow
from .reclassify_units import UnitAnswer, plan_units, worked
from .replay import replay_events

EXAMPLES = 5          # examples kept per kind of change in the diff
DUCKDB_MEMORY = "192MB"
REPLAY_BATCH = 10_000  # events per Arrow batch of the time-ordered suppression replay
RECLASSIFIED = "reclassified"


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

    def merge(self, answer: UnitAnswer) -> None:
        """Add one unit's answer (units merged in order give one pass's diff)."""
        for name, n in answer.counts.items():
            setattr(self, name, getattr(self, name) + n)
        self.category_changes.update(answer.category_changes)
        self.reason_changes.update(answer.reason_changes)
        for kind, item in answer.examples:
            self.example(kind, item)

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


# -- which inputs ---------------------------------------------------------------------------
def _select(con, parser: str | None, only_dead_letters: bool) -> bool:
    """Fill the temp table `_selected` with the sha256s the filters pick; False = no filter
    (every archived input)."""
    if not parser and not only_dead_letters:
        return False
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
    con.execute(f"CREATE OR REPLACE TABLE _selected AS SELECT * FROM ({sql}) t(sha)", params)
    return True


# -- suppressions ---------------------------------------------------------------------------
def _corrections(con, policy: SuppressionPolicy, now: datetime, run_id: str,
                 diff: ReclassifyDiff, batch_rows: int) -> list[SuppressionEvent]:
    """Replay the current events of the receiving domains whose evidence changed (`_scope`)
    through the policy; what differs from the decisions in force for their addresses (and the
    addresses that lost their evidence) becomes a correction.

    Why only those domains: an address's state depends on its own events and, through the
    blast-radius guard, on the other events to its receiving domain, and on nothing else; so
    the replay of those domains decides exactly what a replay of the whole lake decides for
    them, and the rest of the lake, whose evidence this run did not change, is left as it is.
    A run that changes nothing replays nothing."""
    engine = SuppressionEngine(policy)
    last_decision: dict[str, SuppressionEvent] = {}
    con.execute("""CREATE OR REPLACE TEMP VIEW _scoped_events AS SELECT * FROM _current_events
                   WHERE coalesce(nullif(recipient_domain, ''),
                                  list_last(string_split(recipient, '@')))
                         IN (SELECT domain FROM _scope_domains)""")
    for decision in replay_events(con, engine, "_scoped_events", batch_rows=batch_rows):
        last_decision[decision.key] = decision
    wanted = engine.active()
    con.register("_replayed", pa.table({"address": pa.array(list(engine.state), pa.string())}))
    in_force = {key: (action, rule, address, scope, scope_value, tenant, suppressed)
                for key, action, rule, address, scope, scope_value, tenant, suppressed
                in con.execute(_IN_FORCE_SQL).fetchall()}
    con.unregister("_replayed")
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


# the latest decision per key of the addresses in scope: replayed, or whose evidence changed
_IN_FORCE_SQL = """
SELECT key, action, policy_rule, address, scope, scope_value, tenant,
       action = 'suppress' AND (expires_at IS NULL OR expires_at > now()) AS suppressed
FROM suppressions
WHERE address IN (SELECT address FROM _replayed UNION ALL SELECT address FROM _scope_addresses)
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
    # One thread: DuckDB's work here (the snapshot, a look-up per unit) is small next to the
    # engine's, and its parallel scans cost more CPU in all than one thread does; the cores
    # are the workers' (--jobs).
    con = connect(lake, analytics=False, config={"threads": 1})
    # DuckDB may use this much and spills the rest (the time-ordered replay, the snapshot of
    # current events, this run's staged changes) to a temporary directory: memory stays flat
    # in the lake's size instead of growing to 80 % of the machine, DuckDB's default.
    con.execute(f"SET memory_limit = '{DUCKDB_MEMORY}'")
    con.execute("SET preserve_insertion_order = false")
    writer = LakeWriter(lake)
    stem = f"reclassify-{run_id[:20]}"
    try:
        con.execute("CREATE OR REPLACE TEMP VIEW _current_events AS SELECT * FROM v_events_current")
        selected = _select(con, parser, only_dead_letters)
        # the evidence a run that never finished changed: its corrections were never made
        addresses, domains = _unfinished_runs(con, lake)
        landed = 0
        for answer in worked(plan_units(lake, con, selected, since, until, run_id, now), jobs):
            diff.merge(answer)
            if not (answer.revisions or answer.new_events):
                continue
            addresses |= answer.addresses
            domains |= answer.domains
            # the changes go out a unit at a time (memory stays flat), and are staged for the
            # replay in DuckDB (on a dry run or when published, that is their only copy here)
            if not dry_run:
                if publisher is not None:
                    publisher(answer.revisions, answer.new_events, [])
                else:
                    writer.land("event_revisions", answer.revisions, file_stem=f"{stem}-{landed:05d}")
                    writer.land("events", answer.new_events, file_stem=f"{stem}-{landed:05d}")
            _stage(con, answer, first=landed == 0)
            landed += 1
        con.register("_scope_addresses", pa.table({"address": pa.array(sorted(addresses), pa.string())}))
        con.register("_scope_domains", pa.table({"domain": pa.array(sorted(domains), pa.string())}))
        if landed:
            _stage_changes(con)
        corrections = _corrections(con, policy or load_policy(settings), now, run_id, diff,
                                   REPLAY_BATCH) if domains else []   # no evidence changed
        if not dry_run:
            if publisher is not None:
                publisher([], [], corrections)
            else:
                writer.land("suppressions", corrections, file_stem=stem)
            writer.land("reclassifications", [ReclassifyRun(
                run_id=run_id, started_at=now, classifier_version=CLASSIFIER_VERSION,
                dry_run=False, inputs=diff.inputs, revised=diff.revised,
                withdrawn=diff.withdrawn, new_events=diff.new_events,
                dead_letters_recovered=diff.dead_letters_recovered,
                suppressed=len(diff.suppressed), lifted=len(diff.lifted),
                diff_json=orjson.dumps(diff.to_json()).decode())], file_stem=stem)
    finally:
        con.close()
    return diff


def _unfinished_runs(con, lake) -> tuple[set[str], set[str]]:
    """Addresses and receiving domains whose evidence a run that has no `reclassifications`
    row changed: it landed (or published) changes a unit at a time and stopped before its
    corrections, which this run then makes. Its revisions carry its run id; its new events
    are found by their files' names (`reclassify-<run>-<n>`)."""
    addresses: set[str] = set()
    domains: set[str] = set()
    finished = {r for (r,) in con.execute("SELECT run_id FROM reclassifications").fetchall()}
    rows = con.execute("SELECT previous_recipient, recipient, recipient_domain "
                       "FROM event_revisions WHERE run_id NOT IN "
                       "(SELECT run_id FROM reclassifications)").fetchall()
    prefixes = {r[:20] for r in finished}
    for path in sorted(Path(lake).glob("events/dt=*/reclassify-*.parquet")):
        if path.stem.split("-")[1] not in prefixes:
            table = pq.read_table(path, columns=["recipient", "recipient_domain"])
            rows.extend((None, *row) for row in zip(*table.to_pydict().values()))
    for previous, recipient, domain in rows:
        for address in (previous, recipient):
            if address:
                addresses.add(address)
                domains.add(address.rpartition("@")[2])
        if domain:
            domains.add(domain)
    return addresses, domains


def _stage(con, answer: UnitAnswer, first: bool) -> None:
    """Append one unit's revisions and new events to this run's DuckDB tables."""
    for table, rows in (("_run_revisions", to_arrow("event_revisions", answer.revisions)),
                        ("_run_events", to_arrow("events", answer.new_events))):
        con.register("_unit_rows", rows)
        if first:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM _unit_rows")
        else:
            con.execute(f"INSERT INTO {table} SELECT * FROM _unit_rows")
        con.unregister("_unit_rows")


def _stage_changes(con) -> None:
    """Make the replay see this run's revisions and new events: re-point `_current_events`
    at the lake plus them (the lake itself was already written, unless this is a dry run or
    the publisher owns the writes; the union is deduplicated on event id either way)."""
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
