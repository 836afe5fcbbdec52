"""Async Kafka publisher for the webhook receiver (aiokafka, acks="all").

`publish()` returns only after the broker acknowledged the record (all in-sync replicas), so the
receiver can answer 2xx without risking loss; any failure or timeout is a TransientError (the
receiver answers 503 and the provider retries). Connection/security settings: KafkaSettings.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from pipeline.errors import TransientError
from pipeline.settings import KafkaSettings

log = logging.getLogger(__name__)


def producer_options(kafka: KafkaSettings, *, idempotence: bool = False) -> dict[str, Any]:
    """aiokafka producer keyword arguments from the shared Kafka settings."""
    options: dict[str, Any] = {
        "bootstrap_servers": kafka.bootstrap,
        "client_id": f"{kafka.client_id}-webhooks",
        "acks": "all",
        # Idempotence stops producer retries from duplicating a record; off by default because
        # the embedded Tansu broker does not implement InitProducerId (downstream dedups on
        # event_id anyway). Turn on with webhooks.kafka_idempotence on Apache Kafka.
        "enable_idempotence": idempotence,
        "linger_ms": 2,               # concurrent requests share a batch (~3x throughput)
        "security_protocol": kafka.security_protocol,
    }
    if kafka.sasl_mechanism:
        options["sasl_mechanism"] = kafka.sasl_mechanism
        options["sasl_plain_username"] = kafka.sasl_username
        if kafka.sasl_password is not None:
            options["sasl_plain_password"] = kafka.sasl_password.get_secret_value()
    if kafka.security_protocol in ("SSL", "SASL_SSL"):
        from aiokafka.helpers import create_ssl_context
        options["ssl_context"] = create_ssl_context(
            cafile=kafka.ssl_cafile, certfile=kafka.ssl_certfile, keyfile=kafka.ssl_keyfile)
    return options


class KafkaPublisher:
    """Publishes raw webhook bodies; start() / stop() bracket the app's lifetime."""

    def __init__(self, kafka: KafkaSettings, *, timeout: float = 10.0, idempotence: bool = False):
        self.kafka = kafka
        self.timeout = timeout
        self.idempotence = idempotence
        self.retry_seconds = 2.0
        self._producer: Any = None
        self._retry: asyncio.Task | None = None

    async def start(self) -> None:
        """Connect; when the broker is down, keep retrying in the background (the receiver
        answers 503 and /healthz says not ready until it is up) instead of failing to boot."""
        if not await self._connect():
            self._retry = asyncio.create_task(self._reconnect())

    async def _connect(self) -> bool:
        from aiokafka import AIOKafkaProducer
        producer = AIOKafkaProducer(**producer_options(self.kafka, idempotence=self.idempotence))
        try:
            await producer.start()
        except Exception as exc:  # noqa: BLE001 - any connection failure: retry later
            log.warning("Kafka %s not reachable (%s: %s); retrying", self.kafka.bootstrap,
                        type(exc).__name__, exc)
            await producer.stop()
            return False
        self._producer = producer
        return True

    async def _reconnect(self) -> None:
        while not await self._connect():
            await asyncio.sleep(self.retry_seconds)

    async def stop(self) -> None:
        if self._retry is not None:
            self._retry.cancel()
            self._retry = None
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    @property
    def ready(self) -> bool:
        return self._producer is not None

    async def publish(self, topic: str, value: bytes, headers: dict[str, str],
                      key: bytes | None = None) -> str:
        if self._producer is None:
            raise TransientError("Kafka producer is not started")
        try:
            meta = await asyncio.wait_for(self._producer.send_and_wait(
                topic, value=value, key=key,
                headers=[(k, v.encode()) for k, v in headers.items()]), self.timeout)
        except Exception as exc:  # noqa: BLE001 - every broker failure means "not stored"
            raise TransientError(f"broker did not acknowledge the record: "
                                 f"{type(exc).__name__}: {exc}") from exc
        return f"{meta.topic}[{meta.partition}]@{meta.offset}"
