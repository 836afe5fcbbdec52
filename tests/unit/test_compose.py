"""docker-compose.yml: a static check (no Docker engine here) that it is valid and coherent:
KRaft Apache Kafka, every bouncepipe service runs a real CLI command whose arguments parse,
and its BOUNCEPIPE_* environment loads into Settings."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from connectors.cli import COMMANDS, build_parser
from pipeline.settings import Settings

COMPOSE = Path(__file__).resolve().parents[2] / "docker-compose.yml"


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_services_present(compose):
    assert {"kafka", "topics", "worker", "sink", "receiver"} <= set(compose["services"])


def test_kafka_is_apache_kraft_without_zookeeper(compose):
    kafka = compose["services"]["kafka"]
    assert kafka["image"].startswith("apache/kafka:")
    env = kafka["environment"]
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == f"{env['KAFKA_NODE_ID']}@kafka:9093"
    listeners = dict(x.split("://") for x in env["KAFKA_LISTENERS"].split(","))
    protocols = dict(x.split(":") for x in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
    assert set(listeners) == set(protocols)
    assert env["KAFKA_CONTROLLER_LISTENER_NAMES"] in listeners
    assert env["KAFKA_INTER_BROKER_LISTENER_NAME"] in listeners
    assert not any("zookeeper" in name for name in compose["services"])
    assert "healthcheck" in kafka


def _bouncepipe_argv(service: dict) -> list[str]:
    argv = list(service.get("entrypoint") or []) + list(service.get("command") or [])
    assert argv[0] == "/venv/bin/bouncepipe"
    return argv[1:]


@pytest.mark.parametrize("name", ["topics", "worker", "sink", "receiver"])
def test_each_service_runs_a_real_command_that_parses(compose, name):
    argv = _bouncepipe_argv(compose["services"][name])
    assert argv[0] in COMMANDS
    args = build_parser().parse_args(argv)
    assert args.command == argv[0]


def test_bouncepipe_environment_loads_into_settings(compose, monkeypatch):
    env = compose["services"]["worker"]["environment"]
    assert all(k.startswith("BOUNCEPIPE_") for k in env)
    for key, value in env.items():
        monkeypatch.setenv(key, str(value))
    settings = Settings()
    assert settings.kafka.bootstrap == "kafka:19092"
    assert str(settings.lake.path) == "/lake"
    # the advertised internal listener is what the services use
    kafka_env = compose["services"]["kafka"]["environment"]
    assert "kafka:19092" in kafka_env["KAFKA_ADVERTISED_LISTENERS"]


def test_dependencies_and_volumes_are_declared(compose):
    services, volumes = compose["services"], set(compose.get("volumes") or {})
    for name, service in services.items():
        for dep in service.get("depends_on") or {}:
            assert dep in services, (name, dep)
        for mount in service.get("volumes") or []:
            source = mount.split(":")[0]
            assert source.startswith(".") or source in volumes, (name, mount)
    assert services["worker"]["depends_on"]["topics"]["condition"] == "service_completed_successfully"
    assert services["topics"]["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert "/lake" in services["sink"]["command"]
