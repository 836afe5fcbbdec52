"""Kafka edges: client settings (security passthrough), topic creation, producers.

kafka-python for the operator side (admin, `publish`, the CRM example); aiokafka (faust's own
client) for the asyncio worker and sink loops. Both get the same security settings from
`settings.kafka` (PLAINTEXT / SSL / SASL_PLAINTEXT / SASL_SSL, PLAIN or SCRAM).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from pipeline.settings import KafkaSettings, Settings, Topics

log = logging.getLogger(__name__)

# Partition counts: raw topics scale the classifier, `events` scales suppression state (its
# state topic MUST have the same count), the rest are light. Override with --partitions.
DEFAULT_PARTITIONS = {
    "raw_email": 4, "raw_dmarc": 2, "raw_webhook": 4, "raw_mta_log": 4,
    "events": 6, "suppressions": 6, "dmarc_rows": 2, "deadletter": 1,
}
COMPACTED = {"suppressions"}


def state_topic(topics: Topics) -> str:
    """Compacted changelog of the suppression state (partitioned exactly like `events`)."""
    return f"{topics.suppressions}.state"


def alerts_topic(topics: Topics) -> str:
    return f"{topics.suppressions}.alerts"


RAW_TOPIC_FIELDS = ("raw_email", "raw_dmarc", "raw_webhook", "raw_mta_log")


def raw_topics(topics: Topics) -> list[str]:
    return [getattr(topics, f) for f in RAW_TOPIC_FIELDS]


def parse_api_version(value: str | None) -> tuple[int, ...] | None:
    return tuple(int(p) for p in value.split(".")) if value else None


def _security(kafka: KafkaSettings) -> dict:
    conf: dict = {"security_protocol": kafka.security_protocol}
    if kafka.sasl_mechanism:
        conf["sasl_mechanism"] = kafka.sasl_mechanism
        conf["sasl_plain_username"] = kafka.sasl_username
        conf["sasl_plain_password"] = (kafka.sasl_password.get_secret_value()
                                       if kafka.sasl_password else None)
    return conf


def kafka_python_config(kafka: KafkaSettings) -> dict:
    """Keyword arguments shared by every kafka-python client."""
    conf = {"bootstrap_servers": kafka.bootstrap.split(","), "client_id": kafka.client_id,
            **_security(kafka)}
    for name in ("ssl_cafile", "ssl_certfile", "ssl_keyfile"):
        if getattr(kafka, name):
            conf[name] = getattr(kafka, name)
    if kafka.api_version:
        conf["api_version"] = parse_api_version(kafka.api_version)
    return conf


def aiokafka_config(kafka: KafkaSettings) -> dict:
    """Keyword arguments shared by every aiokafka client (SSL via an SSLContext)."""
    conf = {"bootstrap_servers": kafka.bootstrap.split(","), "client_id": kafka.client_id,
            **_security(kafka)}
    if kafka.security_protocol in ("SSL", "SASL_SSL"):
        from aiokafka.helpers import create_ssl_context
        conf["ssl_context"] = create_ssl_context(
            cafile=kafka.ssl_cafile, certfile=kafka.ssl_certfile, keyfile=kafka.ssl_keyfile)
    return conf


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    config: dict


def topic_specs(settings: Settings, partitions: dict[str, int] | None = None,
                default: int | None = None) -> list[TopicSpec]:
    """Every topic bouncepipe uses, with its partition count and config."""
    counts = {**DEFAULT_PARTITIONS, **({f: default for f in DEFAULT_PARTITIONS} if default else {}),
              **(partitions or {})}
    topics = settings.topics
    specs = [TopicSpec(getattr(topics, field), counts[field],
                       {"cleanup.policy": "compact"} if field in COMPACTED else {})
             for field in DEFAULT_PARTITIONS]
    specs.append(TopicSpec(state_topic(topics), counts["events"], {"cleanup.policy": "compact"}))
    specs.append(TopicSpec(alerts_topic(topics), 1, {}))
    return specs


def create_topics(settings: Settings, *, partitions: dict[str, int] | None = None,
                  default: int | None = None, replication: int = 1) -> dict[str, str]:
    """Create missing topics; returns {topic: "created" | "exists"}."""
    from kafka.admin import KafkaAdminClient, NewTopic
    from kafka.errors import TopicAlreadyExistsError

    # One CreateTopics per topic, "already exists" tolerated: no metadata listing (kafka-python
    # 3's list_topics chokes on the ACL bits some Kafka-compatible brokers return).
    conf = kafka_python_config(settings.kafka)
    conf.pop("api_version", None)
    admin = KafkaAdminClient(**conf)
    try:
        result = {}
        for spec in topic_specs(settings, partitions, default):
            try:
                admin.create_topics([NewTopic(spec.name, spec.partitions, replication,
                                              topic_configs=spec.config)])
                result[spec.name] = "created"
            except TopicAlreadyExistsError:
                result[spec.name] = "exists"
        return result
    finally:
        admin.close()


def make_producer(settings: Settings, **overrides):
    """A kafka-python producer tuned for throughput with full acknowledgement."""
    from kafka import KafkaProducer

    conf = {**kafka_python_config(settings.kafka), "acks": "all", "linger_ms": 5,
            "batch_size": 256 * 1024, "max_request_size": 16 * 1024 * 1024, **overrides}
    return KafkaProducer(**conf)


def with_overrides(settings: Settings, *, bootstrap: str | None = None,
                   topic_prefix: str | None = None, api_version: str | None = None) -> Settings:
    """A copy of `settings` pointing at another broker and/or with prefixed topic names."""
    kafka = settings.kafka
    if bootstrap or api_version:
        kafka = kafka.model_copy(update={k: v for k, v in
                                         (("bootstrap", bootstrap), ("api_version", api_version)) if v})
    topics = settings.topics
    if topic_prefix:
        topics = Topics(**{name: f"{topic_prefix}.{value}"
                           for name, value in settings.topics.model_dump().items()})
    return settings.model_copy(update={"kafka": kafka, "topics": topics})


# -- publishing raw inputs ---------------------------------------------------------------------
def route(payload: bytes, topics: Topics) -> str:
    """Which raw topic an input belongs on, by sniffing its bytes (pipeline.sniff)."""
    import orjson

    from pipeline.sniff import sniff

    family = sniff(payload)
    if family in ("xml", "archive"):
        return topics.raw_dmarc
    if family == "json":
        try:
            obj = orjson.loads(payload)
        except orjson.JSONDecodeError:
            return topics.raw_webhook   # the worker dead-letters it with the JSON error
        if isinstance(obj, dict):
            if "organization-name" in obj and "policies" in obj:   # RFC 8460 TLS report
                return topics.raw_dmarc
        # the provider that claims it names its raw topic (webhook, or mta_log for KumoMTA)
        from pipeline.webhooks import contract, registry
        first = obj[0] if isinstance(obj, list) and obj else obj
        module = registry.detect(first) if isinstance(first, dict) else None
        if module is not None:
            return getattr(topics, contract.topic_field(module))
        return topics.raw_webhook
    return topics.raw_email   # emails, and anything unknown (dead-lettered by the worker)


def publish_paths(settings: Settings, paths, *, topic: str = "auto", provider: str | None = None,
                  tenant: str | None = None, producer=None) -> dict[str, int]:
    """Publish every input under `paths` to its raw topic; returns records per topic.

    Inputs are keyed by their sha256 (the same input always lands on the same partition)."""
    from collections import Counter

    from connectors.sources.files import iter_raw_messages
    from connectors.kafka_records import raw_headers_of

    own = producer is None
    producer = producer or make_producer(settings)
    counts: Counter[str] = Counter()
    try:
        for raw in iter_raw_messages(paths, provider_hint=provider, tenant=tenant):
            target = route(raw.payload, settings.topics) if topic == "auto" else topic
            producer.send(target, raw.payload, key=raw.sha256.encode(), headers=raw_headers_of(raw))
            counts[target] += 1
        producer.flush()
    finally:
        if own:
            producer.close()
    return dict(counts)
