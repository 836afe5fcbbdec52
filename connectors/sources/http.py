"""HTTP webhook receiver (aiohttp): verify, validate, publish the raw body, then answer.

  POST /webhooks/{provider}[/{tenant}]   200 after the broker (or spool fsync) acknowledged
  GET  /healthz                          200 when the publisher is ready, else 503
  GET  /readyz                           the same answer (the probe path every other
                                         long-running bouncepipe service serves)
  GET  /metrics                          Prometheus text format
Status codes: 404 unknown provider, 413 body over webhooks.max_body_bytes, 400 empty or
malformed body (also recorded as a dead letter), 401 bad signature/credentials, 403 SNS
subscription refused by policy, 503 broker/spool failure (the provider retries: no loss).

The receiver never classifies: the verified body goes to the raw topic exactly as received
(Kafka headers carry provider, tenant, request id, content type, received time and the
provider's delivery id), and the one core (`pipeline.core.process`) does the rest downstream.
Each provider module declares its raw topic (`SOURCE_KIND`: KumoMTA records go to
`topics.raw_mta_log`, every ESP to `topics.raw_webhook`), its signature scheme and the headers it
wants kept: no provider is named here.
"""
from __future__ import annotations

import asyncio
import base64
import logging
import time
import uuid
from datetime import datetime, timezone
from types import ModuleType
from typing import Any, Protocol

import orjson
from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from connectors.kafka_records import raw_record_headers
from pipeline.errors import ParseError, SignatureError, TransientError, dead_letter
from pipeline.settings import Settings
from pipeline.webhooks import registry
from pipeline.webhooks.contract import (flat_form_object, form_events, is_form_body,
                                        source_kind, topic_field)
from pipeline.webhooks.verify import WebhookVerifier
from schemas.models import RawMessage, RawSource

log = logging.getLogger(__name__)

# Headers worth keeping with the raw body (dedup ids, SNS type); never credentials.
KEPT_HEADERS = tuple(sorted({"content-type", "user-agent"} | registry.kept_headers()))


class Publisher(Protocol):
    ready: bool

    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def publish(self, topic: str, value: bytes, headers: dict[str, str],
                      key: bytes | None = None) -> str: ...


class Metrics:
    """Per-app Prometheus registry (several apps in one process, e.g. tests, never clash)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("bouncepipe_webhook_requests", "Webhook requests by outcome",
                                ("provider", "status"), registry=self.registry)
        self.bytes = Counter("bouncepipe_webhook_bytes", "Accepted body bytes", ("provider",),
                             registry=self.registry)
        self.latency = Histogram("bouncepipe_webhook_seconds", "Request handling time",
                                 ("provider",), registry=self.registry,
                                 buckets=(.001, .0025, .005, .01, .025, .05, .1, .25, 1, 5))


PUBLISHER = web.AppKey("publisher", object)
METRICS = web.AppKey("metrics", Metrics)


def _validate(module: ModuleType, body: bytes, content_type: str) -> None:
    """Cheap well-formedness check (no classification): JSON, or the provider's form body."""
    if not body.strip():
        raise ParseError("empty body")
    if is_form_body(module, body, content_type) and not getattr(module, "FORM_FIELD", None):
        if flat_form_object(module, body) is None:
            raise ParseError(f"form body is not a {module.NAME} hook")
        return
    if is_form_body(module, body, content_type):
        text = form_events(module, body.strip())
        if text is None:
            raise ParseError(f"form body has no {module.FORM_FIELD} field")
        body = text.encode()
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ParseError(f"malformed JSON: {exc}") from exc
    if not isinstance(value, (dict, list)):
        raise ParseError(f"JSON body is a {type(value).__name__}, not an object or array")


def _deadletter_json(raw: RawMessage, exc: Exception) -> bytes:
    record = dead_letter(raw, exc, stage="parse")
    data = record.model_dump(mode="json", exclude={"payload"})
    data["payload_b64"] = base64.b64encode(record.payload or b"").decode()
    return orjson.dumps(data)


def create_app(settings: Settings, publisher: Publisher, *,
               verifier: WebhookVerifier | None = None) -> web.Application:
    hooks = settings.webhooks
    verifier = verifier or WebhookVerifier(hooks)
    metrics = Metrics()
    app = web.Application(client_max_size=hooks.max_body_bytes)
    app[PUBLISHER], app[METRICS] = publisher, metrics

    async def receive(request: web.Request) -> web.Response:
        started = time.perf_counter()
        module = registry.provider_for(request.match_info["provider"])
        if module is None:
            metrics.requests.labels("unknown", "404").inc()
            return _answer(404, f"unknown provider {request.match_info['provider']!r}; known: "
                           f"{', '.join(registry.provider_names())}")
        name = module.NAME
        try:
            status, response = await _handle(request, module)
        except Exception:  # noqa: BLE001 - a bug must not lose the body: the provider retries
            log.exception("webhook %s: unexpected error; answering 503", name)
            status, response = 503, _answer(503, "internal error, retry later")
        metrics.requests.labels(name, str(status)).inc()
        metrics.latency.labels(name).observe(time.perf_counter() - started)
        return response

    async def _handle(request: web.Request, module: ModuleType) -> tuple[int, web.Response]:
        name = module.NAME
        request_id = uuid.uuid4().hex
        length = request.content_length
        if length is not None and length > hooks.max_body_bytes:
            return 413, _answer(413, f"body of {length} bytes is over {hooks.max_body_bytes}")
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return 413, _answer(413, f"body is over {hooks.max_body_bytes} bytes")
        headers = {k.lower(): v for k, v in request.headers.items()}
        try:
            if module.SIGNATURE.blocking:  # e.g. fetches the SNS certificate once
                verified = await asyncio.to_thread(verifier.verify, name, body, headers,
                                                   url=str(request.url))
            else:
                verified = verifier.verify(name, body, headers, url=str(request.url))
        except SignatureError as exc:
            log.info("webhook %s refused: %s", name, exc.reason)
            return 401, _answer(401, exc.reason)
        tenant = request.match_info.get("tenant")
        meta = raw_record_headers(   # the Kafka record contract (connectors/kafka_records.py)
            provider=name, tenant=tenant, kind=source_kind(module), request_id=request_id,
            received_at=datetime.now(timezone.utc),
            extra={h: headers[h] for h in KEPT_HEADERS if h in headers})
        try:
            _validate(module, body, headers.get("content-type", ""))
        except ParseError as exc:
            await _record_malformed(name, body, meta, exc)
            return 400, _answer(400, f"{exc.reason}; recorded as a dead letter",
                                request_id=request_id)
        if verified.sns_type == "SubscriptionConfirmation" and \
                hooks.sns_subscription_policy != "publish":
            if hooks.sns_subscription_policy == "reject":
                return 403, _answer(403, "SNS subscription confirmations are refused by policy")
            log.warning("SNS SubscriptionConfirmation for %s (request %s): to subscribe, visit "
                        "%s", headers.get("x-amz-sns-topic-arn"), request_id,
                        orjson.loads(body).get("SubscribeURL"))
            return 200, _answer(200, "subscription confirmation logged, not published",
                                request_id=request_id)
        if verified.delivery_id:
            meta["delivery_id"] = str(verified.delivery_id)
        topic = getattr(settings.topics, topic_field(module))
        try:
            where = await publisher.publish(topic, body, meta)
        except TransientError as exc:
            log.error("webhook %s request %s not stored: %s", name, request_id, exc.reason)
            return 503, _answer(503, "not stored, retry later", request_id=request_id)
        metrics.bytes.labels(name).inc(len(body))
        return 200, _answer(200, "accepted", request_id=request_id, stored=where)

    async def _record_malformed(name: str, body: bytes, meta: dict[str, str],
                                exc: ParseError) -> None:
        raw = RawMessage.from_bytes(body, RawSource(transport="http",
                                                    request_id=meta["request_id"]),
                                    provider_hint=name, tenant=meta.get("tenant"), headers=meta)
        exc.raw_sha256 = raw.sha256
        try:
            if hasattr(publisher, "root"):  # spool: the core dead-letters it again on ingest
                await publisher.publish("", body, meta, deadletter=True)  # type: ignore[call-arg]
            else:
                await publisher.publish(settings.topics.deadletter, _deadletter_json(raw, exc),
                                        {**meta, "error_type": "ParseError"})
        except TransientError as err:
            log.error("dead letter for request %s not stored: %s", meta["request_id"], err)

    async def healthz(request: web.Request) -> web.Response:
        ok = publisher.ready
        return _answer(200 if ok else 503, "ok" if ok else "publisher not ready")

    async def metrics_view(request: web.Request) -> web.Response:
        return web.Response(body=generate_latest(metrics.registry),
                            headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def on_startup(app: web.Application) -> None:
        await publisher.start()

    async def on_cleanup(app: web.Application) -> None:
        await publisher.stop()

    app.router.add_post("/webhooks/{provider}", receive)
    app.router.add_post("/webhooks/{provider}/{tenant}", receive)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", healthz)
    app.router.add_get("/metrics", metrics_view)
    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    return app


def _answer(status: int, message: str, **extra: Any) -> web.Response:
    payload = {"status": status, "message": message, **extra}
    return web.Response(status=status, body=orjson.dumps(payload),
                        content_type="application/json")
