"""`bouncepipe imap` over TLS against a real Dovecot with a private CA: implicit TLS
(imaps://) and STARTTLS land and move the mail when imap.ssl_cafile names the CA; with only
the system CAs the certificate is refused with a typed error before any credential is sent;
and a password never goes on the wire in clear (checked on the bytes, through a proxy)."""
from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest

from connectors.duck import connect
from connectors.sources.imap import ImapPoller, ImapTlsError, lake_store
from pipeline.core import process
from pipeline.settings import ImapSettings, Settings
from schemas.models import RawMessage, RawSource

from .dovecot import PASSWORD, USER
from .test_imap_dovecot import ARCHIVE, FIXTURES, MAIL, _count
from .wire import RecordingProxy

REPO = Path(__file__).resolve().parents[3]


def _settings(tmp_path: Path, **imap) -> Settings:
    return Settings(imap=ImapSettings(password=PASSWORD, state_dir=tmp_path / "state", **imap))


def _fill_inbox(server) -> tuple[object, list[bytes]]:
    client = server.client()
    bodies = [(FIXTURES / name).read_bytes() for name in MAIL]
    for body in bodies:
        client.append("INBOX", body)
    return client, bodies


def _expected_categories(bodies: list[bytes]) -> list[str]:
    return sorted(e.category for body in bodies for e in process(
        RawMessage.from_bytes(body, RawSource(transport="memory")), Settings()).events)


def _lake_categories(lake: Path) -> list[str]:
    return sorted(r[0] for r in connect(lake).execute("SELECT category FROM events").fetchall())


def _secrets_on_wire(sent: bytes) -> list[bytes]:
    """The password as LOGIN, AUTHENTICATE PLAIN or LOGIN-mechanism would carry it."""
    forms = [PASSWORD.encode(), base64.b64encode(f"\0{USER}\0{PASSWORD}".encode()),
             base64.b64encode(PASSWORD.encode())]
    return [form for form in forms if form in sent]


@pytest.fixture
def proxy(request):
    proxies = []

    def make(port: int) -> RecordingProxy:
        proxies.append(RecordingProxy(("127.0.0.1", port)).start())
        return proxies[-1]

    yield make
    for p in proxies:
        p.stop()


def _tls_logins(server) -> list[str]:
    return [line for line in server.log().splitlines()
            if f"Login: user=<{USER}>" in line and "TLS" in line]


def test_imaps_cli_with_the_ca_file_lands_and_moves(dovecot_tls, tmp_path):
    client, bodies = _fill_inbox(dovecot_tls)
    env = {**os.environ, "PYTHONPATH": str(REPO), "BOUNCEPIPE_IMAP__PASSWORD": PASSWORD,
           "BOUNCEPIPE_IMAP__SSL_CAFILE": str(dovecot_tls.ca_file)}
    done = subprocess.run(
        [sys.executable, "-m", "connectors.cli", "imap", dovecot_tls.url(imaps=True), "--lake",
         str(tmp_path / "lake"), "--state-dir", str(tmp_path / "state"), "--once"],
        env=env, capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr.decode()
    assert f"imap: {len(bodies)} landed, 0 invalid (INBOX: {len(bodies)})" in done.stdout.decode()
    assert [_count(client, f) for f in ("INBOX", ARCHIVE)] == [0, len(bodies)]
    assert _lake_categories(tmp_path / "lake") == _expected_categories(bodies)
    assert len(_tls_logins(dovecot_tls)) == 1   # the poller's (the harness logs in in clear)
    client.logout()


def test_starttls_lands_and_moves_and_the_password_is_never_in_clear(
        dovecot_tls_required, tmp_path, proxy):
    client, bodies = _fill_inbox(dovecot_tls_required)
    wire = proxy(dovecot_tls_required.port)
    settings = _settings(tmp_path, starttls=True, ssl_cafile=str(dovecot_tls_required.ca_file))
    lake = tmp_path / "lake"
    store, finish = lake_store(settings, lake)
    stats = ImapPoller(settings, dovecot_tls_required.url(port=wire.port), store,
                       finish_round=finish).run(once=True)
    assert (stats.landed, stats.invalid, stats.refusals) == (len(bodies), 0, 0)
    assert [_count(client, f) for f in ("INBOX", ARCHIVE)] == [0, len(bodies)]
    assert _lake_categories(lake) == _expected_categories(bodies)
    sent = bytes(wire.sent)
    assert b"STARTTLS" in sent and _secrets_on_wire(sent) == []
    assert b"LOGIN" not in sent   # the login went inside TLS: not even the command is visible
    assert any("rip=127.0.0.2" in line for line in _tls_logins(dovecot_tls_required))
    client.logout()


@pytest.mark.parametrize("how", ["imaps", "starttls"])
def test_system_cas_refuse_the_private_certificate_before_any_credential(
        dovecot_tls, tmp_path, proxy, how):
    client, bodies = _fill_inbox(dovecot_tls)
    port = dovecot_tls.imaps_port if how == "imaps" else dovecot_tls.port
    wire = proxy(port)
    settings = _settings(tmp_path, starttls=how == "starttls")   # no ssl_cafile: system CAs
    lake = tmp_path / "lake"
    store, finish = lake_store(settings, lake)
    poller = ImapPoller(settings, dovecot_tls.url(imaps=how == "imaps", port=wire.port), store,
                        finish_round=finish)
    with pytest.raises(ImapTlsError, match="certificate was not verified against the system "
                       "CAs .*BOUNCEPIPE_IMAP__SSL_CAFILE"):
        poller.run(once=True)
    assert (poller.stats.refusals, poller.stats.landed, poller.stats.reconnects) == (1, 0, 0)
    assert _count(client, "INBOX") == len(bodies) and not client.folder_exists(ARCHIVE)
    assert not lake.exists()
    assert _secrets_on_wire(bytes(wire.sent)) == [] and b"LOGIN" not in wire.sent
    client.logout()


def test_cli_exits_3_with_the_typed_error_on_an_unverified_certificate(dovecot_tls, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO), "BOUNCEPIPE_IMAP__PASSWORD": PASSWORD}
    env.pop("BOUNCEPIPE_IMAP__SSL_CAFILE", None)
    done = subprocess.run(
        [sys.executable, "-m", "connectors.cli", "imap", dovecot_tls.url(imaps=True), "--lake",
         str(tmp_path / "lake"), "--state-dir", str(tmp_path / "state"), "--once"],
        env=env, capture_output=True, timeout=120)
    assert done.returncode == 3
    assert "ImapTlsError" in done.stderr.decode() and "Traceback" not in done.stderr.decode()
    assert not (tmp_path / "lake").exists()


def test_plaintext_login_is_not_sent_when_the_server_requires_tls(
        dovecot_tls_required, tmp_path, proxy):
    client, bodies = _fill_inbox(dovecot_tls_required)
    wire = proxy(dovecot_tls_required.port)
    settings = _settings(tmp_path)   # imap://, no starttls
    poller = ImapPoller(settings, dovecot_tls_required.url(port=wire.port), lambda raws: set())
    with pytest.raises(ImapTlsError, match="LOGINDISABLED.*STARTTLS=true"):
        poller.run(once=True)
    sent = bytes(wire.sent)
    assert b"CAPABILITY" in sent      # the proxy did carry the conversation
    assert _secrets_on_wire(sent) == [] and b"LOGIN" not in sent and b"AUTHENTICATE" not in sent
    assert _count(client, "INBOX") == len(bodies) and not client.folder_exists(ARCHIVE)
    client.logout()


def test_starttls_asked_but_not_offered_refuses_to_log_in_in_clear(dovecot, tmp_path, proxy):
    wire = proxy(dovecot.port)         # ssl = no: this Dovecot offers no STARTTLS
    settings = _settings(tmp_path, starttls=True)
    poller = ImapPoller(settings, dovecot.url(port=wire.port), lambda raws: set())
    with pytest.raises(ImapTlsError, match="does not offer STARTTLS"):
        poller.run(once=True)
    sent = bytes(wire.sent)
    assert _secrets_on_wire(sent) == [] and b"LOGIN" not in sent
