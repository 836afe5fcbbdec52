"""Real Postfix and Exim in front of `bouncepipe smtp`: each sends messages whose return path is
a signed (or classic) VERP address to the reply-table server, which refuses them with
documented real-world replies; the DSNs the MTA generates go back to the bounce domain, which
its transport routes to the receiver. The receiver stores into the Kafka-free spool (then
`ingest`) or the embedded broker (then the raw topic through `ingest_raw`), and the lake ends
with the documented categories, the envelope, the token's tenant and campaign, exactly the
signed recipients suppressed, and a forged DSN suppressing nobody. With the store failing
(spool unwritable, broker frozen) the receiver answers 451, Postfix keeps the DSN, and after
recovery and a queue flush it lands exactly once. Postfix delivers over STARTTLS when told to
verify our certificate, to a receiver that refuses mail without it.

Needs the MTAs (.ci/install-mail-servers) and root, and Tansu for the broker cases: each test
skips, saying why, otherwise. Every MTA, receiver and broker is stopped by a context manager,
failing or not."""
from __future__ import annotations

import contextlib
from email.message import EmailMessage
from pathlib import Path

import pytest
from pydantic import SecretStr

from connectors.cli.smtp import build_receiver
from connectors.ingest import ingest
from pipeline.settings import Settings, SmtpSettings, VerpSettings
from pipeline.verp import Codec
from tests.integration.mta.base import MTAUnavailable
from tests.integration.mta.server import ReplyTableServer

from .bounce_mtas import (BOUNCE_DOMAIN, BounceDomainExim, BounceDomainPostfix, self_signed,
                          wait_until)
from .stores import STORES, lake_rows
from .test_smtp_receiver import Running, dsn

pytestmark = pytest.mark.slow
MTAS = {"postfix": BounceDomainPostfix, "exim": BounceDomainExim}
HELO = {"postfix": "mta-postfix.test", "exim": "mta-exim.test"}
SENDER_KEY = "the sender's key, 32 bytes long."


def _settings(**smtp) -> Settings:
    return Settings(smtp=SmtpSettings(domains=[BOUNCE_DOMAIN], publish_timeout_seconds=5.0, **smtp),
                    verp=VerpSettings(keys={"k1": SecretStr(SENDER_KEY)}, require_signed=True))


def _message(sender: str, to: str) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, "spring sale"
    msg["Message-ID"] = f"<{to.split('@')[0]}@sender.example>"
    msg.set_content("hello")
    return msg.as_bytes()


def _forged_token(victim: str) -> str:
    """A well-formed token signed with a key the receiver does not hold."""
    return Codec(prefix="b", keys=(("k1", b"not the sender's key, 32 bytes.."),),
                 current_key="k1").encode(victim, BOUNCE_DOMAIN)


@contextlib.contextmanager
def _mta(cls, relay_port: int, receiver_port: int, **kw):
    mta = cls(relay_port, receiver_port, **kw)
    try:
        try:
            mta.start()
        except MTAUnavailable as exc:
            pytest.skip(str(exc))
        yield mta
    finally:
        mta.stop()
        mta.cleanup()


@contextlib.contextmanager
def _reply_table():
    server = ReplyTableServer().start()
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def _store(kind: str, root: Path, settings: Settings):
    store = STORES[kind](root, settings)
    try:
        yield store
    finally:
        store.close()


@pytest.mark.parametrize("store_kind", list(STORES))
@pytest.mark.parametrize("mta_name", list(MTAS))
def test_mta_dsns_land_with_verp_policy(tmp_path, mta_name, store_kind):
    codec = Codec.from_settings(_settings().verp)
    tag = mta_name[0]
    hard = f"gmail-nosuchuser+{tag}1@gmail.com"        # 550 5.1.1 at RCPT: hard_bounce
    auth = f"gmail-dmarc+{tag}2@gmail.com"             # 550 5.7.26 after DATA: auth_failure
    other = f"msft-notfound+{tag}3@contoso.onmicrosoft.com"   # 550 5.1.10: hard_bounce
    plain = f"yahoo-nouser+{tag}4@yahoo.com"           # 554 hard_bounce; a classic VERP: no token
    victim = "victim@example.com"
    paths = {hard: codec.encode(hard, BOUNCE_DOMAIN, tenant="acme", ref="c42"),
             auth: codec.encode(auth, BOUNCE_DOMAIN, tenant="acme", ref="c42"),
             other: codec.encode(other, BOUNCE_DOMAIN, tenant="globex", ref="c7"),
             plain: codec.encode(plain, BOUNCE_DOMAIN, signed=False)}
    forged = _forged_token(victim)
    with _store(store_kind, tmp_path, _settings()) as store, _reply_table() as reply, \
            Running(store.receiver()) as rx, \
            _mta(MTAS[mta_name], reply.port, rx.port) as mta:
        for rcpt, return_path in paths.items():
            mta.submit(return_path, [rcpt], _message(return_path, rcpt))
        mta.submit("", [forged], dsn(victim, forged))
        arrived = wait_until(lambda: rx.handler.stats.accepted >= 5, 90)
        assert arrived, f"{rx.handler.stats}\n{mta.log_tail()}"
        assert not wait_until(lambda: rx.handler.stats.accepted > 5, 2), "a DSN came twice"
        assert (rx.handler.stats.accepted, rx.handler.stats.deferred) == (5, 0)
        assert sorted(r for r, _ in reply.handler.refused) == sorted(paths)
        assert store.stored() == 5
        store.land(tmp_path / "lake")

    events, suppressed = lake_rows(tmp_path / "lake")
    helo = HELO[mta_name]
    assert events == sorted([
        (other, "hard_bounce", "verified", False, "globex", "c7", "", paths[other], "127.0.0.1", helo),
        (auth, "auth_failure", "verified", False, "acme", "c42", "", paths[auth], "127.0.0.1", helo),
        (hard, "hard_bounce", "verified", False, "acme", "c42", "", paths[hard], "127.0.0.1", helo),
        (victim, "hard_bounce", "forged", True, None, None, "", forged, "127.0.0.1", helo),
        (plain, "hard_bounce", "missing", True, None, None, "", paths[plain], "127.0.0.1", helo),
    ])
    # only what a valid token vouches for: not the forged victim, not the unsigned return path
    assert suppressed == sorted([hard, other])


@pytest.mark.parametrize("store_kind", list(STORES))
def test_postfix_retries_after_451_and_the_dsn_lands_once(tmp_path, store_kind):
    codec = Codec.from_settings(_settings().verp)
    first = "gmail-nosuchuser+p1@gmail.com"
    later = "yandex-nouser+p2@yandex.ru"
    with _store(store_kind, tmp_path, _settings()) as store, _reply_table() as reply, \
            Running(store.receiver()) as rx, \
            _mta(BounceDomainPostfix, reply.port, rx.port) as postfix:
        first_path = codec.encode(first, BOUNCE_DOMAIN, tenant="acme", ref="c1")
        postfix.submit(first_path, [first], _message(first_path, first))
        assert wait_until(lambda: rx.handler.stats.accepted == 1, 60), postfix.log_tail()

        store.outage()
        later_path = codec.encode(later, BOUNCE_DOMAIN, tenant="acme", ref="c2")
        postfix.submit(later_path, [later], _message(later_path, later))
        assert wait_until(lambda: rx.handler.stats.deferred == 1, 60), postfix.log_tail()
        assert wait_until(lambda: "status=deferred" in postfix.log_path.read_text(errors="replace"),
                          30), postfix.log_tail()
        log = postfix.log_path.read_text(errors="replace")
        assert "451 4.3.0" in log and "status=expired" not in log, postfix.log_tail()
        assert postfix.queued() == 1   # Postfix kept the DSN
        # no retry until the queue is flushed (a 1 h backoff): the 451 count is not a race
        assert not wait_until(lambda: rx.handler.stats.deferred > 1, 2)

        store.recover()
        postfix.flush()
        assert wait_until(lambda: rx.handler.stats.accepted == 2, 60), postfix.log_tail()
        assert wait_until(lambda: postfix.queued() == 0, 30), postfix.log_tail()
        assert not wait_until(lambda: rx.handler.stats.accepted > 2, 2), "a DSN came twice"
        assert (rx.handler.stats.accepted, rx.handler.stats.deferred) == (2, 1)
        stored = store.stored()
        store.land(tmp_path / "lake")

    events, suppressed = lake_rows(tmp_path / "lake")
    # the spool holds what was answered 250, once; the raw topic may also hold the 451'd
    # attempt (the producer delivers its timed-out batch once the broker runs again): the lake
    # holds each DSN once either way (event ids are the message's)
    assert stored == 2 if store_kind == "spool" else stored in (2, 3)
    assert [(e[0], e[1], e[2], e[4], e[5]) for e in events] == [
        (first, "hard_bounce", "verified", "acme", "c1"),
        (later, "hard_bounce", "verified", "acme", "c2")]
    assert suppressed == [first, later]


def test_postfix_delivers_dsns_over_verified_starttls(tmp_path):
    """The receiver refuses MAIL before STARTTLS (require_tls); Postfix, at the `secure` level,
    delivers only after verifying the receiver's certificate against our CA file and name."""
    certs = tmp_path / "certs"
    certs.mkdir()
    cert, key = self_signed(certs)
    settings = _settings(tls_cert=cert, tls_key=key, require_tls=True)
    codec = Codec.from_settings(settings.verp)
    rcpt = "gmail-nosuchuser+t1@gmail.com"
    spool = tmp_path / "spool"
    with _reply_table() as reply, \
            Running(build_receiver(settings, spool=str(spool), port=0)) as rx:
        with _mta(BounceDomainPostfix, reply.port, rx.port, tls_ca=cert) as postfix:
            return_path = codec.encode(rcpt, BOUNCE_DOMAIN, tenant="acme", ref="tls")
            postfix.submit(return_path, [rcpt], _message(return_path, rcpt))
            assert wait_until(lambda: rx.handler.stats.accepted == 1, 60), postfix.log_tail()
            log = postfix.log_path.read_text(errors="replace")
            assert f"Verified TLS connection established to 127.0.0.1[127.0.0.1]:{rx.port}" \
                in log, postfix.log_tail()
    ingest([spool], tmp_path / "lake", settings=settings)
    events, suppressed = lake_rows(tmp_path / "lake")
    assert [(e[0], e[1], e[2], e[4], e[5]) for e in events] == [
        (rcpt, "hard_bounce", "verified", "acme", "tls")]
    assert suppressed == [rcpt]
