"""`bouncepipe imap` with an XOAUTH2 access token against a real Dovecot whose oauth2 passdb
asks a local RFC 7662 introspection endpoint about each token: a good token logs in and the
mail lands; a bad one is a typed, explanatory refusal with nothing moved, and the service
backs off (no spinning) and recovers once the token file holds a fresh token."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from connectors.sources.imap import ImapAuthError, ImapPoller, lake_store
from pipeline.settings import ImapSettings, Settings

from .dovecot import USER
from .test_imap_dovecot import ARCHIVE, _count
from .test_imap_dovecot_tls import (REPO, _expected_categories, _fill_inbox,
                                    _lake_categories)


def _settings(tmp_path: Path, **imap) -> Settings:   # no password: the token or nothing
    return Settings(imap=ImapSettings(state_dir=tmp_path / "state", **imap))


def _xoauth2_logins(server) -> list[str]:
    return [line for line in server.log().splitlines()
            if f"Login: user=<{USER}>, method=XOAUTH2" in line]


def test_xoauth2_token_logs_in_and_lands(dovecot_oauth2, introspection, tmp_path):
    client, bodies = _fill_inbox(dovecot_oauth2)
    settings = _settings(tmp_path, oauth2_token=introspection.good_token)
    lake = tmp_path / "lake"
    store, finish = lake_store(settings, lake)
    stats = ImapPoller(settings, dovecot_oauth2.url(), store, finish_round=finish).run(once=True)
    assert (stats.landed, stats.invalid, stats.refusals) == (len(bodies), 0, 0)
    assert [_count(client, f) for f in ("INBOX", ARCHIVE)] == [0, len(bodies)]
    assert _lake_categories(lake) == _expected_categories(bodies)
    assert introspection.tokens() == [introspection.good_token]
    assert len(_xoauth2_logins(dovecot_oauth2)) == 2   # the fixture's probe and the poller
    client.logout()


def test_cli_reads_the_token_from_its_file(dovecot_oauth2, introspection, tmp_path):
    client, bodies = _fill_inbox(dovecot_oauth2)
    token_file = tmp_path / "token"
    token_file.write_text(introspection.good_token + "\n")   # a refresher's trailing newline
    env = {**os.environ, "PYTHONPATH": str(REPO),
           "BOUNCEPIPE_IMAP__OAUTH2_TOKEN_FILE": str(token_file)}
    env.pop("BOUNCEPIPE_IMAP__PASSWORD", None)
    done = subprocess.run(
        [sys.executable, "-m", "connectors.cli", "imap", dovecot_oauth2.url(), "--lake",
         str(tmp_path / "lake"), "--state-dir", str(tmp_path / "state"), "--once"],
        env=env, capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr.decode()
    assert [_count(client, f) for f in ("INBOX", ARCHIVE)] == [0, len(bodies)]
    assert introspection.tokens() == [introspection.good_token]
    client.logout()


def test_bad_token_is_a_typed_refusal_and_moves_nothing(dovecot_oauth2, introspection,
                                                        tmp_path):
    client, bodies = _fill_inbox(dovecot_oauth2)
    settings = _settings(tmp_path, oauth2_token="ya29.revoked")
    lake = tmp_path / "lake"
    store, finish = lake_store(settings, lake)
    poller = ImapPoller(settings, dovecot_oauth2.url(), store, finish_round=finish)
    with pytest.raises(ImapAuthError, match=r"refused the XOAUTH2 token of dmarc: .*"
                       r"AUTHENTICATIONFAILED.*expired or revoked"):
        poller.run(once=True)
    assert (poller.stats.refusals, poller.stats.reconnects, poller.stats.landed) == (1, 0, 0)
    assert introspection.tokens() == ["ya29.revoked"]
    assert _count(client, "INBOX") == len(bodies) and not client.folder_exists(ARCHIVE)
    assert not lake.exists()
    assert len(_xoauth2_logins(dovecot_oauth2)) == 1   # only the fixture's probe got in
    client.logout()


def test_bad_token_backs_off_then_a_rotated_token_lands(dovecot_oauth2, introspection,
                                                        tmp_path):
    client, bodies = _fill_inbox(dovecot_oauth2)
    token_file = tmp_path / "token"
    token_file.write_text("ya29.expired")
    settings = _settings(tmp_path, oauth2_token_file=token_file, idle_seconds=1)
    store, finish = lake_store(settings, tmp_path / "lake")
    poller = ImapPoller(settings, dovecot_oauth2.url(), store, finish_round=finish)
    stop = threading.Event()
    errors: list[BaseException] = []

    def serve() -> None:
        try:
            poller.run(should_stop=stop.is_set)
        except BaseException as exc:  # noqa: BLE001 - the test asserts there is none
            errors.append(exc)

    thread = threading.Thread(target=serve, daemon=True)
    started = time.monotonic()
    thread.start()
    try:
        while poller.stats.refusals < 3 and time.monotonic() - started < 30:
            time.sleep(0.05)
        refused = list(introspection.requests)
        assert [token for _, token in refused] == ["ya29.expired"] * 3
        gaps = [b[0] - a[0] for a, b in zip(refused, refused[1:])]
        assert gaps[0] >= 0.9 and gaps[1] >= 1.8, gaps   # 1 s, then 2 s: backing off
        assert thread.is_alive() and not errors and poller.stats.refusals == 3
        assert _count(client, "INBOX") == len(bodies) and not client.folder_exists(ARCHIVE)

        token_file.write_text(introspection.good_token)   # the refresher rotates it
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (
                client.folder_exists(ARCHIVE) and _count(client, ARCHIVE) == len(bodies)):
            time.sleep(0.1)
        assert [_count(client, f) for f in ("INBOX", ARCHIVE)] == [0, len(bodies)]
    finally:
        stop.set()
        thread.join(15)
    assert not thread.is_alive() and not errors
    assert introspection.tokens()[3:] == [introspection.good_token]   # retried once, with it
    assert (poller.stats.refusals, poller.stats.landed) == (3, len(bodies))
    assert _lake_categories(tmp_path / "lake") == _expected_categories(bodies)
    client.logout()
