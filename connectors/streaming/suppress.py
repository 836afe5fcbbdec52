"""Suppression stage: events (keyed by recipient) -> one SuppressionEngine per events partition.

State lives in a compacted changelog topic partitioned exactly like `events` (record partition
= the events partition). Each state record is {"offset": o, "state": ...}: the state includes
every event of that key up to offset o of its events partition. Per batch:

    decisions + alerts -> acked  ->  changed state records -> acked  ->  commit events offsets

After a crash the engine is restored from the changelog and events at or below a key's stored
offset are skipped (their decisions were acknowledged before the state was written); later
ones are applied again, giving the same decisions with the same deterministic ids.
"""
from __future__ import annotations

import logging

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

from connectors.kafka import aiokafka_config, alerts_topic, state_topic
from connectors.kafka_records import command_of  # an `events` record that is a command
from pipeline.settings import Settings
from pipeline.suppression import SuppressionEngine, SuppressionPolicy, UnsuppressRequest
from pipeline.suppression.engine import DOMAIN_PREFIX
from schemas.models import MailEvent, SuppressionEvent

from .classify import Out

log = logging.getLogger(__name__)

class SuppressStage:
    def __init__(self, settings: Settings, policy: SuppressionPolicy):
        self.settings, self.policy = settings, policy
        self.state_topic = state_topic(settings.topics)
        self.alerts_topic = alerts_topic(settings.topics)
        self.engines: dict[int, SuppressionEngine] = {}
        self.applied: dict[int, dict[str, int]] = {}

    async def restore(self, partitions: set[TopicPartition]) -> None:
        """Rebuild the engines of newly assigned events partitions from the changelog."""
        wanted = [TopicPartition(self.state_topic, tp.partition) for tp in partitions
                  if tp.partition not in self.engines]
        for tp in wanted:
            self.engines[tp.partition] = SuppressionEngine(self.policy)
            self.applied[tp.partition] = {}
        if not wanted:
            return
        consumer = AIOKafkaConsumer(enable_auto_commit=False, **aiokafka_config(self.settings.kafka))
        await consumer.start()
        try:
            consumer.assign(wanted)
            await consumer.seek_to_beginning(*wanted)
            ends = await consumer.end_offsets(wanted)
            pending = {tp for tp in wanted if ends[tp] > await consumer.position(tp)}
            n = 0
            while pending:
                batch = await consumer.getmany(*pending, timeout_ms=500, max_records=10_000)
                for tp, records in batch.items():
                    for r in records:
                        self.load_record(tp.partition, r.key, r.value)
                        n += 1
                for tp in list(pending):
                    if await consumer.position(tp) >= ends[tp]:
                        pending.discard(tp)
            log.info("restored %d suppression state records for %s", n, sorted(t.partition for t in wanted))
        finally:
            await consumer.stop()
        for tp in wanted:   # drop the engine's dirty set: the loaded state is already stored
            self.engines[tp.partition].take_dirty()

    def load_record(self, partition: int, key: bytes, value: bytes) -> None:
        """Apply one changelog record (restore)."""
        data = orjson.loads(value)
        self.engines[partition].load(key.decode(), data["state"])
        self.applied[partition][key.decode()] = data["offset"]

    async def revoke(self, partitions: set[TopicPartition]) -> None:
        for tp in partitions:
            self.engines.pop(tp.partition, None)
            self.applied.pop(tp.partition, None)

    def handle(self, batch) -> list[list[Out]]:
        topics = self.settings.topics
        decisions_out: list[Out] = []
        state_out: list[Out] = []
        for tp, records in batch.items():
            engine = self.engines.get(tp.partition)
            if engine is None:   # assigned without restore (should not happen): start empty
                engine = self.engines[tp.partition] = SuppressionEngine(self.policy)
                self.applied[tp.partition] = {}
            applied = self.applied[tp.partition]
            for r in records:
                decisions = self._apply(engine, applied, r)
                decisions_out += [Out(topics.suppressions, d.key.encode(),
                                      d.model_dump_json().encode(),
                                      kind=("decision", d.policy_rule, d.action))
                                  for d in decisions]
            decisions_out += [Out(self.alerts_topic, a.domain.encode(), a.model_dump_json().encode())
                              for a in engine.alerts]
            engine.alerts.clear()
            last = records[-1].offset
            for key, state in engine.take_dirty().items():
                applied[key] = last
                state_out.append(Out(self.state_topic, key.encode(),
                                     orjson.dumps({"offset": last, "state": state}),
                                     partition=tp.partition))
        return [decisions_out, state_out]

    @staticmethod
    def _apply(engine: SuppressionEngine, applied: dict[str, int], record) -> list:
        command = command_of(record)
        if command == "correction":   # reclassify published it; the state must know it
            decision = SuppressionEvent.model_validate_json(record.value)
            if applied.get(decision.address, -1) < record.offset:
                engine.record_decision(decision)
            return []
        if command is not None and command != "unsuppress":
            return []   # a revision (reclassify): its corrections are published by the run
        if command == "unsuppress":
            request = UnsuppressRequest.model_validate_json(record.value)
            if applied.get(request.address.strip().lower(), -1) >= record.offset:
                return []
            return engine.unsuppress(request)
        event = MailEvent.model_validate_json(record.value)
        if not event.recipient or applied.get(event.recipient, -1) >= record.offset:
            return []
        domain = event.recipient_domain or event.recipient.rpartition("@")[2]
        return engine.feed(event, observe_domain=applied.get(DOMAIN_PREFIX + domain, -1) < record.offset)
