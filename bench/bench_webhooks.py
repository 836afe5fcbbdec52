"""Webhook benchmarks (run by hand; never part of the test suite).

  .venv/bin/python bench/bench_webhooks.py normalize [--events 200000]
      normalize + classify events/s on one core, through pipeline.core.process (JSON decode
      included) over a provider mix of batched and single-object payloads, every payload
      distinct and processed once (bounce replies name their recipient, as real ones mostly
      do), so no cache is served by repetition.
  .venv/bin/python bench/bench_webhooks.py receiver [--requests 20000] [--concurrency 64]
      [--bootstrap HOST:PORT | --spool DIR]
      requests/s of `bouncepipe serve` (one worker, subprocess) on 127.0.0.1, each answered only
      after the broker acknowledged (acks=all). Without --bootstrap/--spool an embedded Tansu
      broker is started on a free loopback port. The client loop is bounded (N requests).
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from connectors.broker import EmbeddedBroker, free_port  # noqa: E402


def _sendgrid_batch(n: int, start: int = 0) -> bytes:
    kinds = [("delivered", {}), ("open", {}), ("bounce", {"type": "bounce", "status": "5.1.1"}),
             ("deferred", {"response": "421 4.7.0 try later"}), ("click", {"url": "https://x"}),
             ("dropped", {"reason": "Bounced Address"}), ("processed", {})]
    events = []
    for i in range(start, start + n):
        kind, extra = kinds[i % len(kinds)]
        if kind == "bounce":   # a receiver's reply names the recipient, as real ones mostly do
            extra = {**extra, "reason": f"550 5.1.1 <user{i}@example.com>: Recipient address "
                                        "rejected: User unknown in virtual mailbox table"}
        events.append({"email": f"user{i}@example.com", "event": kind, "timestamp": 1700000000 + i,
                       "sg_event_id": f"ev{i}", "sg_message_id": f"msg{i}.filter",
                       "category": ["newsletter"], "tenant": "acme", **extra})
    return json.dumps(events).encode()


def _sparkpost_batch(n: int, start: int = 0) -> bytes:
    # half the replies name the recipient, half are a provider's generic text
    return json.dumps([{"msys": {"message_event": {
        "type": "bounce", "bounce_class": str((10, 22, 50, 1)[i % 4]), "rcpt_to": f"u{i}@x.com",
        "raw_reason": (f"550 5.1.1 <u{i}@x.com>... User unknown" if i % 2 else
                       "550 5.1.1 no user"),
        "event_id": str(i), "timestamp": "1700000000"}}}
        for i in range(start, start + n)]).encode()


def _singles() -> list[bytes]:
    mailgun = {"signature": {"timestamp": "1", "token": "t", "signature": "s"}, "event-data": {
        "event": "failed", "severity": "permanent", "reason": "bounce", "id": "mg",
        "recipient": "a@x.com", "timestamp": 1700000000.1, "log-level": "error",
        "delivery-status": {"code": 550, "message": "5.1.1 no such user", "enhanced-code": "5.1.1"},
        "user-variables": {"tenant": "acme"}, "tags": ["t"]}}
    ses = {"Type": "Notification", "MessageId": "sns", "TopicArn": "arn", "Message": json.dumps({
        "notificationType": "Bounce", "mail": {"messageId": "m", "source": "s@x.com"},
        "bounce": {"bounceType": "Permanent", "bounceSubType": "General", "feedbackId": "f",
                   "bouncedRecipients": [{"emailAddress": "b@x.com", "status": "5.1.1"}]}})}
    kumo = {"type": "Bounce", "id": "k", "recipient": "c@x.com", "queue": "c:t@x.com",
            "timestamp": 1757675281, "bounce_classification": "InvalidRecipient",
            "response": {"code": 550, "content": "no", "enhanced_code":
                         {"class": 5, "subject": 1, "detail": 1}}}
    postmark = {"RecordType": "Bounce", "ID": 1, "Type": "HardBounce", "Email": "d@x.com",
                "BouncedAt": "2026-01-01T00:00:00Z", "MessageStream": "outbound"}
    return [json.dumps(x).encode() for x in (mailgun, ses, kumo, postmark)]


def bench_normalize(total_events: int) -> None:
    from pipeline.core import process
    from schemas.models import RawMessage, RawSource

    when = datetime(2026, 11, 23, tzinfo=timezone.utc)
    src = RawSource(transport="memory")
    # Distinct inputs for the whole run, none processed twice: the engine's reply-reason cache
    # (pipeline/webhooks/common.py) then hits only where real traffic would, on the generic
    # replies, not on a repeated payload.
    payloads: list[bytes] = []
    per_round = 1000 + 500 + 4 * 50
    for n in range(-(-total_events // per_round)):
        payloads += [_sendgrid_batch(1000, n * 1000), _sparkpost_batch(500, n * 500)]
        payloads += _singles() * 50
    raws = [RawMessage.from_bytes(p, src, when) for p in payloads]
    for raw in [RawMessage.from_bytes(p, src, when) for p in _singles()]:  # warm up (imports)
        process(raw)
    events = inputs = 0
    cpu_started = time.process_time()
    started = time.perf_counter()
    for raw in raws:
        out = process(raw)
        assert not out.dead_letters, out.dead_letters[0].reason
        events += len(out.events)
        inputs += 1
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    # CPU time is the fair "one core" figure on a shared machine; wall time is shown too.
    print(f"normalize+classify: {events} events from {inputs} payloads: wall {elapsed:.2f} s "
          f"= {events / elapsed:,.0f} events/s; CPU {cpu:.2f} s = {events / cpu:,.0f} "
          f"events/s per core ({inputs / cpu:,.0f} payloads/s); peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


def _wait_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


async def _client(port: int, n: int, concurrency: int, body: bytes) -> tuple[float, dict]:
    import aiohttp
    url = f"http://127.0.0.1:{port}/webhooks/postmark"
    headers = {"Authorization": "Basic " + base64.b64encode(b"bench:bench").decode(),
               "Content-Type": "application/json"}
    statuses: dict[int, int] = {}
    queue = iter(range(n))

    async def worker(session):
        for _ in queue:
            async with session.post(url, data=body, headers=headers) as r:
                await r.read()
                statuses[r.status] = statuses.get(r.status, 0) + 1

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        for _ in range(50):  # warm-up (producer metadata, connections)
            async with session.post(url, data=body, headers=headers) as r:
                await r.read()
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        return time.perf_counter() - started, statuses


def _cpu_seconds(pid: int) -> float:
    """utime + stime of a process (Linux /proc), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_receiver(n: int, concurrency: int, bootstrap: str | None, spool: str | None) -> None:
    procs = []
    try:
        if not bootstrap and not spool:
            broker = EmbeddedBroker().start()
            procs.append(broker.proc)
            bootstrap = broker.bootstrap
        port = free_port()
        env = {**os.environ, "BOUNCEPIPE_WEBHOOKS__BASIC_AUTH": '{"postmark": "bench:bench"}',
               "BOUNCEPIPE_TOPICS__RAW_WEBHOOK": f"bench.raw.webhook.{port}"}
        cmd = [sys.executable, "-m", "connectors.cli", "serve", "--host", "127.0.0.1",
               "--port", str(port)]
        cmd += ["--spool", spool] if spool else ["--bootstrap", bootstrap]
        procs.append(subprocess.Popen(cmd, cwd=REPO, env=env))
        _wait_port(port)
        body = json.dumps({"RecordType": "Bounce", "ID": 1, "Type": "HardBounce",
                           "Email": "d@x.com", "BouncedAt": "2026-01-01T00:00:00Z"}).encode()
        server = procs[-1].pid
        cpu_before = _cpu_seconds(server)
        elapsed, statuses = asyncio.run(_client(port, n, concurrency, body))
        cpu = _cpu_seconds(server) - cpu_before  # includes the 50 warm-up requests
        target = f"spool {spool}" if spool else f"broker {bootstrap} (acks=all)"
        print(f"receiver: {n} requests, concurrency {concurrency}, {target}: wall {elapsed:.2f} s"
              f" = {n / elapsed:,.0f} req/s; receiver process CPU {cpu:.2f} s = "
              f"{n / cpu:,.0f} req/s per core; statuses {statuses}")
    finally:
        for proc in reversed(procs):
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("normalize")
    p.add_argument("--events", type=int, default=200_000)
    r = sub.add_parser("receiver")
    r.add_argument("--requests", type=int, default=20_000)
    r.add_argument("--concurrency", type=int, default=64)
    r.add_argument("--bootstrap")
    r.add_argument("--spool", nargs="?", const="", help="spool DIR (default: a temp dir)")
    args = parser.parse_args()
    if args.what == "normalize":
        bench_normalize(args.events)
    else:
        spool = args.spool
        if spool == "":
            spool = tempfile.mkdtemp(prefix="bench-spool-")
        bench_receiver(args.requests, args.concurrency, args.bootstrap, spool)


if __name__ == "__main__":
    main()
