"""Receiver -> real broker: 200 only after acks=all; the record holds the exact body and the
provenance headers; a broker that does not acknowledge in time gives 503."""
from __future__ import annotations

import asyncio
import base64
import json

import pytest
from aiohttp.test_utils import TestClient, TestServer

from connectors.kafka_records import raw_message_from_record
from connectors.sources.kafka_publisher import KafkaPublisher
from connectors.sources.http import create_app
from pipeline.core import process
from pipeline.settings import KafkaSettings, Settings, Topics, WebhookSettings

pytestmark = pytest.mark.broker

AUTH = {"Authorization": "Basic " + base64.b64encode(b"hook:secret").decode()}
BODY = json.dumps([{"event": "sent", "time": 1433333949, "MessageID": 19421777835146490,
                    "email": "api@mailjet.com", "mj_campaign_id": 7257}]).encode()


def _create_topics(bootstrap: str, names: list[str]) -> None:
    from kafka.admin import KafkaAdminClient, NewTopic
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, api_version=(2, 5, 0))
    try:
        admin.create_topics([NewTopic(n, num_partitions=1, replication_factor=1) for n in names])
    finally:
        admin.close()


def _read_all(bootstrap: str, topic: str, expected: int, timeout_ms: int = 10_000) -> list:
    from kafka import KafkaConsumer, TopicPartition
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, api_version=(2, 5, 0),
                             enable_auto_commit=False, consumer_timeout_ms=timeout_ms)
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        consumer.seek_to_beginning(tp)
        records = []
        for record in consumer:
            records.append(record)
            if len(records) >= expected:
                break
        return records
    finally:
        consumer.close()


def _settings(bootstrap: str, prefix: str) -> Settings:
    return Settings(kafka=KafkaSettings(bootstrap=bootstrap),
                    topics=Topics(raw_webhook=f"{prefix}.raw.webhook",
                                  deadletter=f"{prefix}.deadletter"),
                    webhooks=WebhookSettings(basic_auth={"mailjet": "hook:secret"}))


def test_publish_after_broker_ack(kafka_bootstrap, unique_topic_prefix):
    settings = _settings(kafka_bootstrap, unique_topic_prefix)
    _create_topics(kafka_bootstrap, [settings.topics.raw_webhook, settings.topics.deadletter])

    async def main():
        app = create_app(settings, KafkaPublisher(settings.kafka, timeout=20))
        async with TestClient(TestServer(app)) as client:
            ok = await client.post("/webhooks/mailjet/tenant-a", data=BODY, headers=AUTH)
            bad = await client.post("/webhooks/mailjet", data=b"[{", headers=AUTH)
            return ok.status, await ok.json(), bad.status

    status, answer, bad_status = asyncio.run(main())
    assert (status, bad_status) == (200, 400)
    assert answer["stored"] == f"{settings.topics.raw_webhook}[0]@0"
    [record] = _read_all(kafka_bootstrap, settings.topics.raw_webhook, 1)
    headers = {k: v.decode() for k, v in record.headers}
    assert record.value == BODY
    assert headers["provider"] == "mailjet" and headers["tenant"] == "tenant-a"
    assert headers["request_id"] == answer["request_id"]
    [dead] = _read_all(kafka_bootstrap, settings.topics.deadletter, 1)
    assert json.loads(dead.value)["error_type"] == "ParseError"
    # the consumer side of the header contract: record -> RawMessage -> the one core
    raw = raw_message_from_record(record, "webhook")
    assert (raw.provider_hint, raw.tenant, raw.kind_hint) == ("mailjet", "tenant-a", "webhook")
    [event] = process(raw).events
    assert (event.provider, event.category, event.tenant, event.source) == (
        "mailjet", "delivered", "tenant-a", f"{settings.topics.raw_webhook}[0]@0")


def test_no_ack_in_time_is_503(kafka_bootstrap, unique_topic_prefix):
    settings = _settings(kafka_bootstrap, unique_topic_prefix)

    async def main():
        app = create_app(settings, KafkaPublisher(settings.kafka, timeout=1e-6))
        async with TestClient(TestServer(app)) as client:
            r = await client.post("/webhooks/mailjet", data=BODY, headers=AUTH)
            return r.status

    assert asyncio.run(main()) == 503
