from __future__ import annotations

import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest

from .dovecot import Dovecot, unavailable
from .wire import IntrospectionServer


@contextmanager
def _running_dovecot(**options):
    why = unavailable()
    if why:
        pytest.skip(why)
    # not under pytest's tmp tree: pytest keeps its root 0700, and the mail user must get in
    root = Path(tempfile.mkdtemp(prefix="bouncepipe-dovecot-"))
    server = Dovecot(root, **options)
    try:
        try:
            server.start()
        except Exception as exc:  # noqa: BLE001 - a server that cannot start here: skip, say why
            pytest.skip(f"dovecot did not start: {exc}")
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def dovecot():
    with _running_dovecot() as server:
        yield server


@pytest.fixture
def dovecot_tls():
    """imaps listener and STARTTLS on the plain one; plaintext logins still allowed."""
    with _running_dovecot(tls=True) as server:
        yield server


@pytest.fixture
def dovecot_tls_required():
    """TLS as above, and no login before TLS (LOGINDISABLED) for non-local clients."""
    with _running_dovecot(tls=True, plaintext_auth=False) as server:
        yield server


@pytest.fixture
def introspection():
    server = IntrospectionServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def dovecot_oauth2(introspection):
    """The oauth2 passdb (XOAUTH2/OAUTHBEARER) asking `introspection` about tokens."""
    with _running_dovecot(oauth2_introspection_url=introspection.url) as server:
        probe = server.xoauth2_probe(introspection.good_token)
        if probe is not None:
            pytest.skip(probe)
        introspection.requests.clear()
        yield server
