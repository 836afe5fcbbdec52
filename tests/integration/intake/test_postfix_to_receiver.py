"""A real Postfix (the mta-harness's private instance) relays to a test server that refuses
with documented real-world replies; the DSNs Postfix generates go back to the signed or classic
VERP return path, which its transport routes to `bouncepipe smtp` (Kafka, acks=all). The events
carry the envelope and what the return path vouched for; a forged DSN suppresses nobody; with
the broker stopped the receiver answers 451, Postfix retries, and the DSN lands once."""
from __future__ import annotations

import time
from email.message import EmailMessage

import pytest
from pydantic import SecretStr

from connectors.cli.smtp import build_receiver
from connectors.kafka_records import raw_message_from_record
from pipeline.core import process
from pipeline.settings import Settings, SmtpSettings, VerpSettings
from pipeline.suppression import SuppressionEngine
from pipeline.verp import Codec
from tests.integration.mta.base import MTAUnavailable
from tests.integration.mta.postfix import Postfix
from tests.integration.mta.server import ReplyTableServer, row_for

from .test_smtp_receiver import Running, dsn

DOMAIN = "bounces.example.net"


class BounceDomainPostfix(Postfix):
    """The harness's Postfix, with the bounce domain routed to bouncepipe (README's transport
    line) and DSNs kept and retried for an hour (the harness bounces at the first 4xx)."""

    def __init__(self, relay_port: int, receiver_port: int):
        super().__init__(relay_port)
        self.receiver_port = receiver_port

    def _main_cf(self) -> str:
        cf = super()._main_cf()
        route = (f"transport_maps = inline:{{ {{ {DOMAIN} = smtp:[127.0.0.1]:{self.receiver_port} }},"
                 f" {{ * = smtp:[127.0.0.1]:{self.relay_port} }} }}")
        lines = [route if line.startswith("transport_maps") else line for line in cf.splitlines()]
        return "\n".join(l for l in lines if not l.startswith("bounce_queue_lifetime")) + \
            "\nbounce_queue_lifetime = 1h\n"


def _message(sender: str, to: str) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, "spring sale"
    msg["Message-ID"] = f"<{to.split('@')[0]}@sender.example>"
    msg.set_content("hello")
    return msg.as_bytes()


def _records(settings, want: int, timeout: float = 60.0) -> list:
    from tests.integration.conftest import read_topic

    deadline = time.monotonic() + timeout
    records: list = []
    while time.monotonic() < deadline and len(records) < want:
        records = read_topic(settings, settings.topics.raw_email)
        time.sleep(0.5)
    return records


class GatedPublisher:
    """The Kafka publisher behind a gate: closed, publish fails as a down broker does (the
    broker itself is stopped in test_smtp_receiver; a memory broker restarted here would lose
    the first DSNs, and reading its fresh topic proved unreliable)."""

    def __init__(self, inner):
        self.inner, self.open = inner, True

    ready = property(lambda self: self.inner.ready)

    async def start(self):
        await self.inner.start()

    async def stop(self):
        await self.inner.stop()

    async def publish(self, topic, value, headers, key=None):
        if not self.open:
            from pipeline.errors import TransientError
            raise TransientError("broker unavailable (gate closed)")
        return await self.inner.publish(topic, value, headers, key)


@pytest.mark.skip(reason="unfinished (issue #17): Postfix delivers all three DSNs to the receiver "
                  "(250 stored, in its log), but reading them back from the embedded broker "
                  "is not reliable yet (read_topic saw fewer / hung); not yet diagnosed")
def test_postfix_dsns_through_the_receiver(tmp_path_factory):
    from connectors.broker import EmbeddedBroker
    from connectors.kafka import create_topics, with_overrides

    broker = EmbeddedBroker(log_path=tmp_path_factory.mktemp("b") / "tansu.log")
    try:
        broker.start()
    except RuntimeError as exc:
        pytest.skip(f"embedded broker unavailable: {exc}")
    reply = ReplyTableServer().start()
    postfix = None
    try:
        settings = with_overrides(Settings(
            smtp=SmtpSettings(domains=[DOMAIN], publish_timeout_seconds=3.0),
            verp=VerpSettings(keys={"k1": SecretStr("the sender's key, 32 bytes long.")})),
            bootstrap=broker.bootstrap, api_version="2.5", topic_prefix="pf")
        create_topics(settings, default=1)
        codec = Codec.from_settings(settings.verp)
        receiver = build_receiver(settings, port=0)
        gate = receiver.handler.publisher = receiver.publisher = GatedPublisher(receiver.publisher)
        with Running(receiver) as rx:
            postfix = BounceDomainPostfix(reply.port, rx.port)
            try:
                postfix.start()
            except MTAUnavailable as exc:
                pytest.skip(str(exc))
            signed_to = "gmail-nosuchuser+1@gmail.com"
            classic_to = "gmail-disabled+2@gmail.com"
            signed = codec.encode(signed_to, DOMAIN, tenant="acme", ref="c42")
            classic = codec.encode(classic_to, DOMAIN, signed=False)
            postfix.submit(signed, [signed_to], _message(signed, signed_to))
            postfix.submit(classic, [classic_to], _message(classic, classic_to))
            forged = Codec(prefix="b", keys=(("k1", b"not the sender's key, 32 bytes.."),),
                           current_key="k1").encode("victim@example.com", DOMAIN)
            postfix.submit("", [forged], dsn("victim@example.com", forged))
            first = _records(settings, 3)
            assert len(first) == 3, postfix.log_tail()

            gate.open = False   # the broker is unavailable while Postfix delivers the next DSN
            later_to = "gmail-nosuchuser+3@gmail.com"
            later = codec.encode(later_to, DOMAIN, tenant="acme", ref="c43")
            postfix.submit(later, [later_to], _message(later, later_to))
            deadline = time.monotonic() + 60
            while rx.handler.stats.deferred == 0 and time.monotonic() < deadline:
                time.sleep(0.2)
            assert rx.handler.stats.deferred >= 1, postfix.log_tail()
            while "status=deferred" not in postfix.log_path.read_text(errors="replace") and \
                    time.monotonic() < deadline:
                time.sleep(0.2)   # Postfix logs the 451 once its smtp client read it
            log = postfix.log_path.read_text(errors="replace")
            assert "status=deferred" in log and "451 4.3.0" in log, postfix.log_tail()
            gate.open = True   # Postfix's retry (1-2 s backoff) now gets 250
            records = _records(settings, 4, timeout=90)
            assert len(records) >= 4, postfix.log_tail()
            first, second = records[:3], records[3:]
    finally:
        if postfix is not None:
            postfix.stop()
            postfix.cleanup()
        reply.stop()
        broker.stop()

    events = [e for r in first + second
              for e in process(raw_message_from_record(r), settings).events]
    by_rcpt: dict[str, list] = {}
    for event in events:
        by_rcpt.setdefault(event.recipient, []).append(event)
    # the retried DSN landed once (a copy would have the same event id)
    assert len({e.event_id for e in by_rcpt.pop(later_to)}) == 1
    assert sum(1 for r in first + second if later_to.encode() in r.value) == 1
    got = {rcpt: (evs[0].category, evs[0].verp, evs[0].unverified, evs[0].tenant, evs[0].campaign)
           for rcpt, evs in by_rcpt.items()}
    assert got == {
        signed_to: (row_for(signed_to).category, "verified", False, "acme", "c42"),
        classic_to: (row_for(classic_to).category, "plain", False, None, None),
        "victim@example.com": ("hard_bounce", "forged", True, None, None),
    }
    signed_event = by_rcpt[signed_to][0]
    assert (signed_event.envelope_from, signed_event.envelope_to, signed_event.client_address,
            signed_event.helo) == ("", signed, "127.0.0.1", "mta-postfix.test")
    engine = SuppressionEngine()
    suppressed = {d.address for e in events for d in engine.feed(e) if d.action == "suppress"}
    assert "victim@example.com" not in suppressed and signed_to in suppressed
