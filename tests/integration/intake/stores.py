"""Where `bouncepipe smtp` stores what it accepts, for the real-MTA tests: the Kafka-free spool
(then `ingest` into the lake) or the embedded broker (then the raw topic into the lake with
`ingest_raw`, as the worker would). Each can fail for real while an MTA delivers:

- spool: its email/ directory is replaced by a plain file, so creating the day directory
  fails (NotADirectoryError) as a full or read-only disk would;
- broker: the Tansu process is frozen (SIGSTOP): connections stay open, nothing is
  acknowledged, the receiver's publish times out. (Stopping it for good would do the same to
  the receiver, but the embedded broker keeps memory only: a restart would drop the records
  landed before it, and the "exactly once over the whole run" check with them.)
"""
from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from connectors.cli.smtp import build_receiver
from connectors.duck import connect
from connectors.ingest import ingest, ingest_raw
from pipeline.settings import Settings


class SpoolStore:
    name = "spool"

    def __init__(self, root: Path, settings: Settings):
        self.spool = root / "spool"
        self.settings = settings

    def receiver(self):
        return build_receiver(self.settings, spool=str(self.spool), port=0)

    def stored(self) -> int:
        email = self.spool / "email"
        return len(list(email.rglob("*.eml"))) if email.is_dir() else 0

    def outage(self) -> None:
        (self.spool / "email").rename(self.spool / "email.moved")
        (self.spool / "email").write_bytes(b"")

    def recover(self) -> None:
        (self.spool / "email").unlink()
        (self.spool / "email.moved").rename(self.spool / "email")

    def land(self, lake: Path) -> None:
        ingest([self.spool], lake, settings=self.settings)

    def close(self) -> None:
        pass


class BrokerStore:
    name = "broker"

    def __init__(self, root: Path, settings: Settings):
        from connectors.broker import EmbeddedBroker
        from connectors.kafka import create_topics, with_overrides

        self.broker = EmbeddedBroker(log_path=root / "tansu.log")
        try:
            self.broker.start()
        except RuntimeError as exc:
            pytest.skip(f"embedded broker unavailable: {exc}")
        self.settings = with_overrides(settings, bootstrap=self.broker.bootstrap,
                                       api_version="2.5", topic_prefix="mta")
        create_topics(self.settings, default=1)
        self.frozen = False

    def receiver(self):
        return build_receiver(self.settings, port=0)

    def records(self) -> list:
        from tests.integration.conftest import read_topic

        return read_topic(self.settings, self.settings.topics.raw_email)

    def stored(self) -> int:
        return len(self.records())

    def outage(self) -> None:
        os.kill(self.broker.proc.pid, signal.SIGSTOP)
        self.frozen = True

    def recover(self) -> None:
        os.kill(self.broker.proc.pid, signal.SIGCONT)
        self.frozen = False

    def land(self, lake: Path) -> None:
        from connectors.kafka_records import raw_message_from_record

        ingest_raw([raw_message_from_record(r) for r in self.records()], lake,
                   settings=self.settings)

    def close(self) -> None:
        if self.frozen and self.broker.proc is not None:
            self.recover()   # a frozen process ignores SIGTERM until continued
        self.broker.stop()


STORES = {"spool": SpoolStore, "broker": BrokerStore}


def lake_rows(lake: Path):
    """(events, suppressed addresses) as the lake holds them."""
    con = connect(lake)
    events = con.execute(
        "SELECT recipient, category, verp, unverified, tenant, campaign, envelope_from, "
        "envelope_to, client_address, helo FROM events ORDER BY recipient").fetchall()
    suppressed = con.execute("SELECT address FROM suppressions WHERE action = 'suppress' "
                             "ORDER BY address").fetchall()
    return events, [a for (a,) in suppressed]
