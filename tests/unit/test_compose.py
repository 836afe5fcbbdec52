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


# -- the image, the lock files, the health checks, Prometheus and Grafana ----------------------
import json  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tomllib  # noqa: E402

from packaging.requirements import Requirement  # noqa: E402

REPO = COMPOSE.parent
BOUNCEPIPE_SERVICES = ("topics", "worker", "sink", "receiver", "publish")


def test_one_image_built_once(compose):
    services = compose["services"]
    images = {services[name]["image"] for name in BOUNCEPIPE_SERVICES}
    assert len(images) == 1
    builders = [name for name, s in services.items() if "build" in s]
    assert builders == ["topics"]
    assert services["topics"]["build"]["dockerfile"] == "Dockerfile"
    # every other bouncepipe service starts after the builder finished
    for name in ("worker", "sink", "receiver"):
        assert services[name]["depends_on"]["topics"]["condition"] == \
            "service_completed_successfully"
        assert services[name]["pull_policy"] == "never"
    # nothing installs at start-up any more
    text = COMPOSE.read_text()
    assert "pip install" not in text and "/src" not in text


def _dockerfile_stages() -> list[tuple[str, list[str]]]:
    """[(stage name, instruction lines)], continuation lines joined."""
    lines = re.sub(r"\\\n", " ", (REPO / "Dockerfile").read_text()).splitlines()
    stages: list[tuple[str, list[str]]] = []
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            parts = line.split()
            assert len(parts) == 4 and parts[2].upper() == "AS", line
            stages.append((parts[3], []))
        stages[-1][1].append(line)
    return stages


def test_dockerfile_is_multi_stage_pinned_and_non_root(compose):
    stages = _dockerfile_stages()
    assert len(stages) >= 2
    names = [n for n, _ in stages]
    for _, lines in stages:   # a pinned base image, never :latest
        base = lines[0].split()[1]
        assert ":" in base and not base.endswith(":latest"), base
    build, runtime = stages[0][1], stages[-1][1]
    joined = "\n".join(build)
    assert "--require-hashes" in joined and "-r requirements.lock" in joined
    assert "-r build-requirements.lock" in joined
    # the runtime stage copies only the built virtualenv, and runs as an unprivileged user
    copies = [line for line in runtime if line.upper().startswith("COPY")]
    assert copies and all(f"--from={names[0]}" in c for c in copies)
    [user] = [line.split()[1] for line in runtime if line.upper().startswith("USER ")]
    assert user.split(":")[0] not in ("root", "0")
    # every path the build copies from the context exists and is not excluded by .dockerignore
    ignored = set((REPO / ".dockerignore").read_text().split())
    for line in build:
        if line.upper().startswith("COPY") and "--from" not in line:
            for src in line.split()[1:-1]:
                assert (REPO / src).exists(), src
                assert src not in ignored, src
    # the entrypoint is the one compose runs
    [entry] = [line for line in runtime if line.upper().startswith("ENTRYPOINT")]
    assert json.loads(entry.split(None, 1)[1]) == compose["services"]["worker"]["entrypoint"]


def _lock(name: str) -> dict[str, tuple[str, int]]:
    """package -> (version, number of hashes)."""
    text = re.sub(r"\\\n", " ", (REPO / name).read_text())
    out = {}
    for line in text.splitlines():
        if line.strip() and not line.startswith(("#", " ")):
            req, *hashes = line.split("--hash=sha256:")
            pkg, _, version = req.split(";")[0].strip().partition("==")
            out[pkg.lower().replace("_", "-")] = (version, len(hashes))
    return out


def test_lock_pins_every_dependency_with_hashes():
    lock = _lock("requirements.lock")
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert all(version and hashes for version, hashes in lock.values())
    for spec in project["project"]["dependencies"]:
        req = Requirement(spec)
        name = req.name.lower().replace("_", "-")
        assert name in lock, f"{name} is not in requirements.lock"
        assert req.specifier.contains(lock[name][0]), (spec, lock[name][0])
    build = _lock("build-requirements.lock")
    for spec in project["build-system"]["requires"]:
        req = Requirement(spec)
        assert req.specifier.contains(build[req.name.lower()][0]), spec


def _healthcheck_url(service: dict) -> str:
    test = service["healthcheck"]["test"]
    [url] = re.findall(r"http://127\.0\.0\.1:\d+/\w+", " ".join(test))
    return url


def test_health_checks_use_the_service_endpoints(compose):
    services = compose["services"]
    env = services["worker"]["environment"]
    port = int(env["BOUNCEPIPE_SERVICE__METRICS_PORT"])
    assert env["BOUNCEPIPE_SERVICE__METRICS_HOST"] == "0.0.0.0"   # reachable in the container
    for name in ("worker", "sink", "smtp", "imap"):
        assert _healthcheck_url(services[name]) == f"http://127.0.0.1:{port}/healthz"
    receiver_port = services["receiver"]["command"][services["receiver"]["command"].index(
        "--port") + 1]
    assert _healthcheck_url(services["receiver"]) == f"http://127.0.0.1:{receiver_port}/healthz"


def test_service_settings_load_from_compose(compose, monkeypatch):
    for key, value in compose["services"]["sink"]["environment"].items():
        monkeypatch.setenv(key, str(value))
    service = Settings().service
    assert service.metrics_port == 9100 and service.log_format == "json"


def _mounted(service: dict, target: str):
    """The repo path mounted at `target` (or at a parent of it) in a compose service."""
    for mount in service.get("volumes") or []:
        source, dest = mount.split(":")[:2]
        if source.startswith(".") and (target == dest or target.startswith(dest + "/")):
            return REPO / source / target[len(dest):].lstrip("/")
    raise AssertionError(f"nothing mounted at {target}")


def known_metric_names() -> set[str]:
    """Every sample name bouncepipe's services expose (streaming services, the receiver, the
    mail intake)."""
    from connectors.intake_metrics import IntakeMetrics
    from connectors.metrics import ServiceMetrics
    from connectors.sources.http import Metrics
    from connectors.sources.imap import PollStats
    from connectors.sources.smtp import ReceiverStats

    intake = IntakeMetrics()
    intake.watch_smtp(ReceiverStats())
    intake.watch_imap(PollStats())
    names = {"up"}
    for registry in (ServiceMetrics().registry, Metrics().registry, intake.registry):
        for family in registry.collect():
            suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"),
                        "gauge": ("",)}[family.type]
            names |= {family.name + s for s in suffixes}
    return names


def _metric_names(expr: str) -> set[str]:
    return set(re.findall(r"\b(bouncepipe_[a-z_]+|up)\b(?=\s*[{\[)]|\s*$|\s)", expr))


def test_prometheus_scrapes_every_service_and_loads_the_rules(compose):
    prom = compose["services"]["prometheus"]
    config_path = _mounted(prom, "/etc/prometheus/prometheus.yml")
    config = yaml.safe_load(config_path.read_text())
    port = int(compose["services"]["worker"]["environment"]["BOUNCEPIPE_SERVICE__METRICS_PORT"])
    targets = {sd["names"][0]: sd["port"] for job in config["scrape_configs"]
               for sd in job["dns_sd_configs"]}
    assert targets == {"worker": port, "sink": port, "receiver": 8025, "smtp": port,
                       "imap": port}
    for rule_file in config["rule_files"]:
        assert _mounted(prom, rule_file).is_file()


def _alert_rules(compose) -> dict[str, dict]:
    path = _mounted(compose["services"]["prometheus"], "/etc/prometheus/alerts.yml")
    return {r["alert"]: r for g in yaml.safe_load(path.read_text())["groups"] for r in g["rules"]}


def test_alert_rules_cover_the_issue_and_name_real_metrics(compose):
    rules = _alert_rules(compose)
    assert {"BouncepipeConsumerLagGrowing", "BouncepipeDeadLetterRate",
            "BouncepipeComplaintRateHigh", "BouncepipeBlastRadiusHold"} <= set(rules)
    assert "0.003" in rules["BouncepipeComplaintRateHigh"]["expr"]
    known = known_metric_names()
    for name, rule in rules.items():
        used = _metric_names(rule["expr"])
        assert used and used <= known, (name, used - known)


def test_grafana_dashboard_is_provisioned_and_names_real_metrics(compose):
    grafana = compose["services"]["grafana"]
    provider = yaml.safe_load(_mounted(
        grafana, "/etc/grafana/provisioning/dashboards/bouncepipe.yml").read_text())
    dashboards = _mounted(grafana, provider["providers"][0]["options"]["path"])
    dashboard = json.loads((dashboards / "bouncepipe.json").read_text())
    datasource = yaml.safe_load(_mounted(
        grafana, "/etc/grafana/provisioning/datasources/prometheus.yml").read_text())
    assert datasource["datasources"][0]["url"] == "http://prometheus:9090"
    uid = datasource["datasources"][0]["uid"]
    known = known_metric_names()
    exprs = [(p["title"], t["expr"]) for p in dashboard["panels"] for t in p["targets"]]
    assert len(exprs) >= 12
    for title, expr in exprs:
        used = _metric_names(expr)
        assert used and used <= known, (title, used - known)
    assert {t["datasource"]["uid"] for p in dashboard["panels"] for t in p["targets"]} == {uid}
    # every family the services expose is on the dashboard
    shown = set().union(*(_metric_names(e) for _, e in exprs))
    families = {re.sub(r"_(total|bucket|count|sum)$", "", n) for n in known - {"up"}}
    assert families <= {re.sub(r"_(total|bucket|count|sum)$", "", n) for n in shown}


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool not installed")
def test_promtool_accepts_the_rules_and_config(compose, tmp_path):
    alerts = _mounted(compose["services"]["prometheus"], "/etc/prometheus/alerts.yml")
    done = subprocess.run(["promtool", "check", "rules", str(alerts)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    # the config refers to the rules by their in-container path: check a copy pointing here
    config = yaml.safe_load((alerts.parent / "prometheus.yml").read_text())
    config["rule_files"] = [str(alerts)]
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    done = subprocess.run(["promtool", "check", "config", str(tmp_path / "prometheus.yml")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_stop_grace_outlasts_the_services_shutdown_grace(compose):
    """Docker SIGKILLs after stop_grace_period (10 s by default): the worker's and sink's own
    bounded shutdown (service.shutdown_grace_seconds) must run out first."""
    import re

    from pipeline.settings import ServiceSettings

    grace = ServiceSettings().shutdown_grace_seconds
    for name in ("worker", "sink"):
        period = compose["services"][name].get("stop_grace_period", "10s")
        seconds = float(re.fullmatch(r"(\d+)s", period).group(1))
        assert seconds > grace + 5, (name, period)
