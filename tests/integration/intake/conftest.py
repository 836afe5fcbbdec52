from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from .dovecot import Dovecot, unavailable


@pytest.fixture
def dovecot():
    why = unavailable()
    if why:
        pytest.skip(why)
    # not under pytest's tmp tree: pytest keeps its root 0700, and the mail user must get in
    root = Path(tempfile.mkdtemp(prefix="bouncepipe-dovecot-"))
    server = Dovecot(root)
    try:
        server.start()
    except Exception as exc:  # noqa: BLE001 - a server that cannot start here: skip, say why
        pytest.skip(f"dovecot did not start: {exc}")
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
