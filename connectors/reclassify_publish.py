"""The streaming form of `bouncepipe reclassify`: its outputs published instead of written.

Revisions travel on the events topic as `revision` commands (the sink lands them in
event_revisions; the suppress stage skips them), new events as events, corrections on the
compacted suppressions topic keyed like every decision, so CRMs receive the lifts. Each
correction also travels on the events topic as a `correction` command keyed by its address
(the partition of that address's events): the streaming suppress stage records it in its
state without deciding anything, so it does not go on believing a lifted address is still
suppressed (a later hard bounce for it would otherwise decide nothing).
"""
from __future__ import annotations

from pipeline.settings import Settings
from schemas.archive import EventRevision
from schemas.models import MailEvent, SuppressionEvent

from .kafka import make_producer
from .kafka_records import command_headers


class KafkaCorrections:
    def __init__(self, settings: Settings, producer=None):
        self.settings = settings
        self.producer = producer
        self.published = 0

    def __call__(self, revisions: list[EventRevision], events: list[MailEvent],
                 corrections: list[SuppressionEvent]) -> None:
        topics = self.settings.topics
        own = self.producer is None
        producer = self.producer or make_producer(self.settings)
        try:
            for revision in revisions:
                key = (revision.recipient or revision.previous_recipient or revision.event_id)
                producer.send(topics.events, revision.model_dump_json().encode(),
                              key=key.encode(), headers=command_headers("revision"))
            for event in events:
                key = event.recipient or f"raw:{event.raw_sha256}"
                producer.send(topics.events, event.model_dump_json().encode(), key=key.encode())
            for decision in corrections:
                value = decision.model_dump_json().encode()
                producer.send(topics.suppressions, value, key=decision.key.encode())
                producer.send(topics.events, value, key=decision.address.encode(),
                              headers=command_headers("correction"))
            producer.flush()   # every record acknowledged (acks=all) before the run is recorded
            self.published += len(revisions) + len(events) + len(corrections)
        finally:
            if own:
                producer.close()
