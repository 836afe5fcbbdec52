"""The HTTP receiver with an in-memory publisher and the spool directory (no broker here;
see test_receiver_broker.py for Kafka acknowledgement)."""
from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from connectors.sources.spool_publisher import SpoolPublisher
from connectors.sources.files import iter_raw_messages
from connectors.sources.http import create_app
from pipeline.core import process
from pipeline.errors import TransientError
from pipeline.settings import Settings, WebhookSettings
from pipeline.webhooks.signatures import mandrill_signature

AUTH = {"Authorization": "Basic " + base64.b64encode(b"hook:secret").decode()}
POSTMARK_BOUNCE = {"RecordType": "Bounce", "ID": 7, "Type": "HardBounce", "TypeCode": 1,
                   "Email": "gone@example.com", "MessageStream": "outbound",
                   "BouncedAt": "2026-11-23T09:00:00Z"}


class MemoryPublisher:
    def __init__(self, fail: bool = False):
        self.records: list[tuple[str, bytes, dict]] = []
        self.fail = fail
        self.ready = False

    async def start(self):
        self.ready = True

    async def stop(self):
        self.ready = False

    async def publish(self, topic, value, headers, key=None):
        if self.fail:
            raise TransientError("broker down")
        self.records.append((topic, value, headers))
        return f"{topic}@{len(self.records) - 1}"


def _settings(**hooks) -> Settings:
    base = {"basic_auth": {"postmark": "hook:secret", "kumomta": "hook:secret"},
            "secrets": {"mandrill": "mkey"}, "max_body_bytes": 4096}
    return Settings(webhooks=WebhookSettings(**{**base, **hooks}))


def run(publisher, scenario, **hooks):
    async def main():
        app = create_app(_settings(**hooks), publisher)
        async with TestClient(TestServer(app)) as client:
            return await scenario(client)
    return asyncio.run(main())


def test_accepts_publishes_raw_body_and_headers():
    pub = MemoryPublisher()
    body = json.dumps(POSTMARK_BOUNCE).encode()

    async def scenario(client):
        r = await client.post("/webhooks/postmark/acme", data=body, headers=AUTH)
        return r.status, await r.json()

    status, answer = run(pub, scenario)
    assert status == 200 and answer["message"] == "accepted"
    [(topic, value, headers)] = pub.records
    assert topic == "bouncepipe.raw.webhook" and value == body
    assert headers["provider"] == "postmark" and headers["tenant"] == "acme"
    assert headers["request_id"] == answer["request_id"]
    assert "authorization" not in headers


@pytest.mark.parametrize("path,body,headers,expected", [
    ("/webhooks/nosuch", b"{}", AUTH, 404),
    ("/webhooks/postmark", b"{}", {}, 401),
    ("/webhooks/postmark", b"{}", {"Authorization": "Basic eDp5"}, 401),
    ("/webhooks/postmark", b"{not json", AUTH, 400),
    ("/webhooks/postmark", b"", AUTH, 400),
    ("/webhooks/postmark", b'"a string"', AUTH, 400),
    ("/webhooks/postmark", b"[" + b"1," * 3000 + b"1]", AUTH, 413),
])
def test_error_statuses(path, body, headers, expected):
    pub = MemoryPublisher()

    async def scenario(client):
        r = await client.post(path, data=body, headers=headers)
        return r.status, await r.json()

    status, answer = run(pub, scenario)
    assert status == expected, answer
    published = [t for t, _, _ in pub.records]
    # malformed bodies are recorded as dead letters, nothing else is published
    assert published == (["bouncepipe.deadletter"] if expected == 400 else [])


def test_malformed_body_dead_letter_record():
    pub = MemoryPublisher()

    async def scenario(client):
        return (await client.post("/webhooks/postmark", data=b"{oops", headers=AUTH)).status

    assert run(pub, scenario) == 400
    [(_, value, headers)] = pub.records
    record = json.loads(value)
    assert record["error_type"] == "ParseError" and "malformed JSON" in record["reason"]
    assert base64.b64decode(record["payload_b64"]) == b"{oops"


def test_broker_failure_is_503_and_counted_in_metrics():
    pub = MemoryPublisher(fail=True)

    async def scenario(client):
        r = await client.post("/webhooks/postmark", json=POSTMARK_BOUNCE, headers=AUTH)
        r2 = await client.post("/webhooks/nosuch", json={})
        metrics = await (await client.get("/metrics")).text()
        health = (await client.get("/healthz")).status
        ready = (await client.get("/readyz")).status
        return r.status, r2.status, metrics, health, ready

    status, status2, metrics, health, ready = run(pub, scenario)
    assert (status, status2, health, ready) == (503, 404, 200, 200)
    assert 'bouncepipe_webhook_requests_total{provider="postmark",status="503"} 1.0' in metrics
    assert 'bouncepipe_webhook_requests_total{provider="unknown",status="404"} 1.0' in metrics


def test_mandrill_form_body_signed_with_request_url():
    pub = MemoryPublisher()
    events = json.dumps([{"event": "hard_bounce", "ts": 1, "_id": "m1",
                          "msg": {"email": "x@example.com", "_id": "m1"}}])

    async def scenario(client):
        url = str(client.make_url("/webhooks/mandrill"))
        signature = mandrill_signature("mkey", url, {"mandrill_events": events})
        ok = await client.post("/webhooks/mandrill", data={"mandrill_events": events},
                               headers={"X-Mandrill-Signature": signature})
        bad = await client.post("/webhooks/mandrill", data={"mandrill_events": events + " "},
                                headers={"X-Mandrill-Signature": signature})
        return ok.status, bad.status

    assert run(pub, scenario) == (200, 401)
    [(_, value, headers)] = pub.records
    assert value.startswith(b"mandrill_events=")
    assert headers["content-type"].startswith("application/x-www-form-urlencoded")


def test_spool_mode_writes_files_ingest_reads(tmp_path: Path):
    pub = SpoolPublisher(tmp_path / "spool")
    record = {"type": "Bounce", "id": "abc", "recipient": "nobody@example.com",
              "queue": "example.com", "timestamp": 1757675281, "bounce_classification":
              "InvalidRecipient", "response": {"code": 550, "content": "no such user",
                                                "enhanced_code": {"class": 5, "subject": 1,
                                                                  "detail": 1}}}

    async def scenario(client):
        a = await client.post("/webhooks/kumomta", json=record, headers=AUTH)
        b = await client.post("/webhooks/postmark", json=POSTMARK_BOUNCE, headers=AUTH)
        c = await client.post("/webhooks/postmark", data=b"{broken", headers=AUTH)
        return a.status, b.status, c.status

    assert run(pub, scenario) == (200, 200, 400)
    files = sorted(p.relative_to(tmp_path / "spool").parts[0]
                   for p in (tmp_path / "spool").rglob("*") if p.is_file())
    assert files == ["deadletter", "kumomta", "postmark"]
    assert not list((tmp_path / "spool").rglob(".*.tmp"))
    outcomes = [process(raw) for raw in iter_raw_messages([tmp_path / "spool"])]
    events = sorted((e.provider, e.category, e.recipient) for o in outcomes for e in o.events)
    assert events == [("kumomta", "hard_bounce", "nobody@example.com"),
                      ("postmark", "hard_bounce", "gone@example.com")]
    assert sum(len(o.dead_letters) for o in outcomes) == 1


def test_sns_subscription_confirmation_policy(monkeypatch):
    from pipeline.webhooks.verify import Verified, WebhookVerifier

    def fake_verify(self, provider, body, headers, url=""):
        return Verified("amazon_ses", "sns", sns_type="SubscriptionConfirmation")

    monkeypatch.setattr(WebhookVerifier, "verify", fake_verify)
    body = json.dumps({"Type": "SubscriptionConfirmation", "MessageId": "1",
                       "TopicArn": "arn", "Message": "m"}).encode()
    results = {}
    for policy in ("log", "publish", "reject"):
        pub = MemoryPublisher()

        async def scenario(client):
            return (await client.post("/webhooks/ses", data=body)).status

        results[policy] = (run(pub, scenario, sns_subscription_policy=policy), len(pub.records))
    assert results == {"log": (200, 0), "publish": (200, 1), "reject": (403, 0)}


def test_serve_command_spool_end_to_end(tmp_path: Path):
    """`bouncepipe serve --spool DIR` as a process: POST, 200, file on disk, healthz, metrics."""
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    from connectors.broker import free_port
    from tests.conftest import REPO

    port = free_port()
    env = {**os.environ, "BOUNCEPIPE_WEBHOOKS__BASIC_AUTH": '{"postmark": "hook:secret"}'}
    proc = subprocess.Popen([sys.executable, "-m", "connectors.cli", "serve", "--port", str(port),
                             "--host", "127.0.0.1", "--spool", str(tmp_path / "spool")],
                            cwd=REPO, env=env, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        body = json.dumps(POSTMARK_BOUNCE).encode()
        request = urllib.request.Request(f"{base}/webhooks/postmark", data=body,
                                         headers={**AUTH, "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as r:
            assert r.status == 200
        with urllib.request.urlopen(f"{base}/healthz", timeout=10) as r:
            assert r.status == 200
        with urllib.request.urlopen(f"{base}/metrics", timeout=10) as r:
            assert b'provider="postmark",status="200"} 1.0' in r.read()
        [spooled] = [p for p in (tmp_path / "spool").rglob("*.json")]
        assert spooled.read_bytes() == body and spooled.parent.parent.name == "postmark"
    finally:
        proc.terminate()
        proc.wait(10)


def test_broker_unreachable_at_boot_gives_503_not_a_crash():
    from connectors.sources.kafka_publisher import KafkaPublisher
    from pipeline.settings import KafkaSettings
    from connectors.broker import free_port

    publisher = KafkaPublisher(KafkaSettings(bootstrap=f"127.0.0.1:{free_port()}"), timeout=2)

    async def scenario(client):
        r = await client.post("/webhooks/postmark", json=POSTMARK_BOUNCE, headers=AUTH)
        return (r.status, (await client.get("/healthz")).status,
                (await client.get("/readyz")).status)

    assert run(publisher, scenario) == (503, 503, 503)


def test_producer_options_follow_kafka_settings():
    from connectors.sources.kafka_publisher import producer_options
    from pipeline.settings import KafkaSettings

    plain = producer_options(KafkaSettings(bootstrap="b:9092"))
    assert (plain["bootstrap_servers"], plain["acks"], plain["security_protocol"]) == (
        "b:9092", "all", "PLAINTEXT")
    assert "sasl_mechanism" not in plain and "ssl_context" not in plain
    sasl = producer_options(KafkaSettings(security_protocol="SASL_PLAINTEXT",
                                          sasl_mechanism="SCRAM-SHA-512", sasl_username="u",
                                          sasl_password="p"), idempotence=True)
    assert (sasl["sasl_mechanism"], sasl["sasl_plain_username"], sasl["sasl_plain_password"],
            sasl["enable_idempotence"]) == ("SCRAM-SHA-512", "u", "p", True)
    tls = producer_options(KafkaSettings(security_protocol="SSL"))
    assert tls["ssl_context"] is not None


def test_unexpected_error_is_503_never_500(monkeypatch):
    from pipeline.webhooks.verify import WebhookVerifier

    def broken(self, *args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(WebhookVerifier, "verify", broken)

    async def scenario(client):
        r = await client.post("/webhooks/postmark", json=POSTMARK_BOUNCE, headers=AUTH)
        return r.status

    assert run(MemoryPublisher(), scenario) == 503


def test_a_provider_added_as_one_module_is_served_verified_and_published():
    """MailerSend was added as one provider module: the receiver serves its URL, runs its
    declared signature check, keeps nothing it did not ask for, and publishes the raw body."""
    import hashlib
    import hmac
    body = (Path(__file__).resolve().parents[1] / "fixtures" / "webhooks" / "mailersend"
            / "anymail_hard_bounced.json").read_bytes()
    good = hmac.new(b"ms-secret", body, hashlib.sha256).hexdigest()
    pub = MemoryPublisher()

    async def scenario(client):
        forged = await client.post("/webhooks/mailersend", data=body,
                                   headers={"Signature": "0" * 64})
        signed = await client.post("/webhooks/mailersend/acme", data=body,
                                   headers={"Signature": good})
        return forged.status, signed.status

    assert run(pub, scenario, secrets={"mailersend": "ms-secret"}) == (401, 200)
    [(topic, value, headers)] = pub.records
    assert (topic, value, headers["provider"], headers["kind"]) == (
        "bouncepipe.raw.webhook", body, "mailersend", "webhook")
    assert "signature" not in headers


def test_mailgun_legacy_form_hook_accepted_and_classified():
    """Mailgun's legacy hooks POST flat form fields (`event=bounced&...`), signed by the
    form's timestamp/token/signature: accepted as a form body, not refused as bad JSON."""
    import hashlib
    import hmac
    import time

    from datetime import datetime, timezone

    from pipeline.core import process
    from schemas.models import RawMessage, RawSource

    pub = MemoryPublisher()
    stamp, token = str(int(time.time())), "a3fe1fa1640349ac552b84ddde373014b4c41645830c8dd3fc"
    fields = {"event": "bounced", "recipient": "noreply@example.com", "code": "550",
              "error": "550 5.1.1 The email account that you tried to reach does not exist.",
              "domain": "example.com", "timestamp": stamp, "token": token,
              "signature": hmac.new(b"mgkey", (stamp + token).encode(),
                                    hashlib.sha256).hexdigest()}

    async def scenario(client):
        ok = await client.post("/webhooks/mailgun", data=fields)
        not_a_hook = await client.post("/webhooks/mailgun", data={"a": "1", "b": "2"},
                                       headers={"Authorization": "Basic bWc6cHc="})
        return ok.status, not_a_hook.status

    statuses = run(pub, scenario, secrets={"mandrill": "mkey", "mailgun": "mgkey"})
    assert statuses[0] == 200 and statuses[1] in (400, 401)
    [(_, value, headers)] = pub.records
    assert headers["content-type"].startswith("application/x-www-form-urlencoded")
    raw = RawMessage.from_bytes(value, RawSource(transport="memory", path="t"),
                                datetime.now(timezone.utc))
    [event] = process(raw).events
    assert (event.provider, event.category, event.reason, event.recipient) == (
        "mailgun", "hard_bounce", "userunknown", "noreply@example.com")
