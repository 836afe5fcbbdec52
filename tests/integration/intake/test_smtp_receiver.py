"""The SMTP/LMTP bounce receiver, driven with smtplib over loopback: 250 only once stored
(spool fsync'ed, or the broker acknowledged), 451 4.3.0 otherwise, no relay, size cap, LMTP
per-recipient answers, the envelope into the event, and the VERP policy in the lake."""
from __future__ import annotations

import asyncio
import smtplib
import threading
import time
from pathlib import Path

import pytest
from pydantic import SecretStr

from connectors.cli.smtp import build_receiver
from connectors.duck import connect
from connectors.ingest import ingest
from connectors.sources.smtp import SmtpReceiver
from pipeline.errors import TransientError
from pipeline.settings import Settings, SmtpSettings, VerpSettings
from pipeline.verp import Codec
from tests.unit.test_envelope_policy import DSN

DOMAIN = "bounces.example.net"


def _settings(**smtp) -> Settings:
    return Settings(smtp=SmtpSettings(domains=[DOMAIN], **smtp),
                    verp=VerpSettings(keys={"k1": SecretStr("a loopback test key, 32 bytes...")}, require_signed=True))


def dsn(rcpt: str, to: str) -> bytes:
    return DSN.replace(b"{rcpt}", rcpt.encode()).replace(b"{to}", to.encode())


class Running:
    """A receiver on its own event loop thread."""

    def __init__(self, receiver: SmtpReceiver):
        self.receiver = receiver
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> SmtpReceiver:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.receiver.start(), self.loop).result(30)
        return self.receiver

    def __exit__(self, *exc) -> None:
        asyncio.run_coroutine_threadsafe(self.receiver.stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


class RefusingPublisher:
    ready = True

    async def start(self): ...

    async def stop(self): ...

    async def publish(self, topic, value, headers, key=None):
        raise TransientError("disk full")


def test_spool_mode_lands_envelope_and_policy(tmp_path):
    settings = _settings()
    codec = Codec.from_settings(settings.verp)
    good = codec.encode("alice@example.com", DOMAIN, tenant="acme", ref="c42")
    forged = Codec(prefix="b", keys=(("k1", b"the attacker's key of 32 bytes.."),),
                   current_key="k1").encode("carol@example.com", DOMAIN)
    with Running(build_receiver(settings, spool=str(tmp_path / "spool"), port=0)) as rx:
        with smtplib.SMTP("127.0.0.1", rx.port) as client:
            client.ehlo("mx.example.org")
            assert client.sendmail("", [good], dsn("alice@example.com", good)) == {}
            assert client.sendmail("", [forged], dsn("carol@example.com", forged)) == {}
            with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
                client.sendmail("", ["someone@elsewhere.example"], b"Subject: relay?\r\n\r\nx\r\n")
            assert refused.value.recipients["someone@elsewhere.example"][0] == 550
    files = sorted((tmp_path / "spool" / "email").rglob("*.eml"))
    assert len(files) == 2 and files[0].read_bytes().startswith(b"Return-Path: <>\r\n")
    ingest([tmp_path / "spool"], tmp_path / "lake", settings=settings)
    con = connect(tmp_path / "lake")
    rows = con.execute("SELECT recipient, category, verp, unverified, tenant, campaign, "
                       "envelope_from, client_address, helo FROM events ORDER BY recipient").fetchall()
    assert rows == [
        ("alice@example.com", "hard_bounce", "verified", False, "acme", "c42", "", "127.0.0.1",
         "mx.example.org"),
        ("carol@example.com", "hard_bounce", "forged", True, None, None, "", "127.0.0.1",
         "mx.example.org")]
    assert con.execute("SELECT address, action FROM suppressions").fetchall() == [
        ("alice@example.com", "suppress")]


def test_not_stored_means_451_and_size_cap(tmp_path):
    settings = _settings(max_message_bytes=2000)
    with Running(SmtpReceiver(settings, RefusingPublisher(), port=0)) as rx:
        with smtplib.SMTP("127.0.0.1", rx.port) as client:
            with pytest.raises(smtplib.SMTPDataError) as deferred:
                client.sendmail("", [f"b+a=example.com@{DOMAIN}"], dsn("a@example.com", "x"))
            assert deferred.value.smtp_code == 451 and b"4.3.0" in deferred.value.smtp_error
        with smtplib.SMTP("127.0.0.1", rx.port) as client:
            with pytest.raises(smtplib.SMTPException) as too_big:
                client.sendmail("", [f"b+a=example.com@{DOMAIN}"], b"x" * 5000)
            assert "552" in str(too_big.value) or getattr(too_big.value, "smtp_code", 0) == 552
    assert rx.handler.stats.deferred == 1 and rx.handler.stats.accepted == 0


def test_lmtp_answers_per_recipient(tmp_path):
    settings = _settings(lmtp=True)
    rcpts = [f"b+a=example.com@{DOMAIN}", f"b+b=example.com@{DOMAIN}"]
    with Running(build_receiver(settings, spool=str(tmp_path / "spool"), port=0)) as rx:
        client = smtplib.LMTP("127.0.0.1", rx.port)
        try:
            client.ehlo_or_helo_if_needed()
            client.mail("")
            for rcpt in rcpts:
                assert client.rcpt(rcpt)[0] == 250
            assert client.rcpt("x@relay.example")[0] == 550
            client.putcmd("data")
            assert client.getreply()[0] == 354
            client.send(dsn("a@example.com", rcpts[0]).replace(b"\r\n.", b"\r\n..") + b".\r\n")
            answers = [client.getreply() for _ in rcpts]   # one reply per accepted recipient
        finally:
            client.close()
    assert [code for code, _ in answers] == [250, 250]
    spooled = sorted((tmp_path / "spool" / "email").rglob("*.eml"))
    assert sorted(f.read_bytes().split(b"\r\n")[1] for f in spooled) == sorted(
        f"X-Original-To: {r}".encode() for r in rcpts)


def test_broker_down_451_then_exactly_once(tmp_path, tmp_path_factory):
    """Broker stopped: 451 (the MTA keeps the mail); back: 250, and the records read back
    carry the envelope headers."""
    from connectors.broker import EmbeddedBroker
    from connectors.kafka import create_topics, with_overrides
    from connectors.kafka_records import raw_message_from_record
    from tests.integration.conftest import read_topic

    broker = EmbeddedBroker(log_path=tmp_path_factory.mktemp("b") / "tansu.log")
    try:
        broker.start()
    except RuntimeError as exc:
        pytest.skip(f"embedded broker unavailable: {exc}")
    try:
        settings = with_overrides(_settings(publish_timeout_seconds=3.0),
                                  bootstrap=broker.bootstrap, api_version="2.5",
                                  topic_prefix="smtp")
        create_topics(settings, default=1)
        rcpt = f"b+a=example.com@{DOMAIN}"
        with Running(build_receiver(settings, port=0)) as rx:
            with smtplib.SMTP("127.0.0.1", rx.port) as client:
                assert client.sendmail("", [rcpt], dsn("a@example.com", rcpt)) == {}
            broker.stop()
            with smtplib.SMTP("127.0.0.1", rx.port) as client:
                with pytest.raises(smtplib.SMTPDataError) as deferred:
                    client.sendmail("", [rcpt], dsn("b@example.com", rcpt))
                assert deferred.value.smtp_code == 451
            broker.start()
            create_topics(settings, default=1)   # memory storage: the topics start over too
            accepted = False
            for _ in range(30):   # the producer reconnects; the MTA's retry then succeeds
                try:
                    with smtplib.SMTP("127.0.0.1", rx.port) as client:
                        client.sendmail("", [rcpt], dsn("b@example.com", rcpt))
                    accepted = True
                    break
                except smtplib.SMTPDataError as exc:
                    assert exc.smtp_code == 451
                    time.sleep(1)
            assert accepted, "the receiver never accepted after the broker came back"
        # The embedded broker keeps memory only: after its restart only the 451'd DSN can be
        # there. The producer may still deliver the send that timed out (answered 451) once the
        # broker is back, so the raw topic is at-least-once; the copies are the same bytes, so
        # they make the same event ids and the lake (keyed by event_id) holds the DSN once.
        from pipeline.core import process
        records = read_topic(settings, settings.topics.raw_email)
        raws = [raw_message_from_record(r) for r in records]
        assert raws and {r.headers["rcpt_to"] for r in raws} == {rcpt}
        assert len({r.sha256 for r in raws}) == 1 and b"b@example.com" in raws[0].payload
        assert raws[0].headers["mail_from"] == "" and raws[0].headers["client_address"] == "127.0.0.1"
        ids = {e.event_id for r in raws for e in process(r, settings).events}
        assert len(ids) == 1
    finally:
        broker.stop()


def test_starttls_offered_only_when_configured(tmp_path):
    """No certificate: no STARTTLS in EHLO (and the verb is refused). With one: offered, the
    handshake verifies against that certificate and name, and require_tls refuses MAIL on a
    plaintext session (530) but takes the message once STARTTLS is done."""
    import ssl

    from .bounce_mtas import RECEIVER_NAME, self_signed

    cert, key = self_signed(tmp_path)
    rcpt = f"b+a=example.com@{DOMAIN}"
    with Running(build_receiver(_settings(), spool=str(tmp_path / "plain"), port=0)) as rx:
        with smtplib.SMTP("127.0.0.1", rx.port) as client:
            client.ehlo("mx.example.org")
            assert not client.has_extn("starttls")
            assert client.docmd("STARTTLS")[0] == 454   # "TLS not available"
    tls = _settings(tls_cert=cert, tls_key=key, require_tls=True)
    with Running(build_receiver(tls, spool=str(tmp_path / "tls"), port=0)) as rx:
        with smtplib.SMTP("127.0.0.1", rx.port) as client:
            client.ehlo("mx.example.org")
            assert client.has_extn("starttls")
            assert client.docmd("MAIL", "FROM:<>")[0] == 530
        trusting = ssl.create_default_context(cafile=str(cert))
        with smtplib.SMTP("127.0.0.1", rx.port) as client:
            client.ehlo("mx.example.org")
            client._host = RECEIVER_NAME   # smtplib checks the certificate against _host
            client.starttls(context=trusting)
            assert client.sock.version() in ("TLSv1.2", "TLSv1.3")
            assert client.sendmail("", [rcpt], dsn("a@example.com", rcpt)) == {}
        stranger = ssl.create_default_context()   # the system CAs: our certificate fails
        with smtplib.SMTP("127.0.0.1", rx.port) as client:
            client.ehlo("mx.example.org")
            client._host = RECEIVER_NAME
            with pytest.raises(ssl.SSLCertVerificationError):
                client.starttls(context=stranger)
    assert len(list((tmp_path / "tls" / "email").rglob("*.eml"))) == 1
    assert not (tmp_path / "plain" / "email").exists()
