"""Kafka client settings (security passthrough), topic specs and content routing: no broker."""
from __future__ import annotations

import ssl

from connectors.kafka import (
    aiokafka_config, kafka_python_config, route, state_topic, topic_specs, with_overrides)
from pipeline.settings import KafkaSettings, Settings

SECURE = KafkaSettings(bootstrap="k1:9093,k2:9093", security_protocol="SASL_SSL",
                       sasl_mechanism="SCRAM-SHA-512", sasl_username="bp",
                       sasl_password="s3cret", ssl_cafile=None, api_version="2.5.0")


def test_security_settings_reach_kafka_python():
    conf = kafka_python_config(SECURE)
    assert conf["bootstrap_servers"] == ["k1:9093", "k2:9093"]
    assert (conf["security_protocol"], conf["sasl_mechanism"]) == ("SASL_SSL", "SCRAM-SHA-512")
    assert (conf["sasl_plain_username"], conf["sasl_plain_password"]) == ("bp", "s3cret")
    assert conf["api_version"] == (2, 5, 0)


def test_security_settings_reach_aiokafka_with_an_ssl_context():
    conf = aiokafka_config(SECURE)
    assert conf["security_protocol"] == "SASL_SSL" and conf["sasl_plain_password"] == "s3cret"
    assert isinstance(conf["ssl_context"], ssl.SSLContext)
    plain = aiokafka_config(KafkaSettings())
    assert plain["security_protocol"] == "PLAINTEXT" and "ssl_context" not in plain
    assert "sasl_mechanism" not in plain


def test_topic_specs_compaction_and_state_partitions():
    settings = with_overrides(Settings(), topic_prefix="acme")
    specs = {s.name: s for s in topic_specs(settings, {"events": 12})}
    t = settings.topics
    assert t.events == "acme.bouncepipe.events"
    assert specs[t.suppressions].config == {"cleanup.policy": "compact"}
    assert specs[state_topic(t)].config == {"cleanup.policy": "compact"}
    assert specs[state_topic(t)].partitions == specs[t.events].partitions == 12
    assert specs[t.events].config == {}
    assert {s.partitions for s in topic_specs(settings, default=3)} == {3, 1}   # alerts: 1


def test_route_by_content():
    t = Settings().topics
    assert route(b"From: a@b\nSubject: x\n\nbody", t) == t.raw_email
    assert route(b"<?xml version='1.0'?><feedback/>", t) == t.raw_dmarc
    assert route(b"\x1f\x8b\x08\x00", t) == t.raw_dmarc
    assert route(b'{"organization-name": "x", "policies": []}', t) == t.raw_dmarc
    assert route(b'[{"email": "a@b", "event": "bounce"}]', t) == t.raw_webhook
    assert route(b'{"type": "Bounce", "id": "1", "queue": "b.example"}', t) == t.raw_mta_log
    assert route(b"\x00 junk", t) == t.raw_email        # dead-lettered by the worker
