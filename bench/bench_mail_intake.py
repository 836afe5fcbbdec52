"""Mail intake benchmarks (run by hand; never part of the test suite).

  .venv/bin/python bench/bench_mail_intake.py smtp [--messages 20000] [--concurrency 16]
      [--bootstrap HOST:PORT | --spool DIR]
      DSNs/s accepted by `bouncepipe smtp` (one process, subprocess) on 127.0.0.1, each 250
      answered only after the broker acknowledged (acks=all), and the acceptance latency
      (end of DATA -> 250) percentiles. Without --bootstrap/--spool an embedded Tansu broker
      is started. The client: `concurrency` SMTP sessions, each sending its share in a row.
  .venv/bin/python bench/bench_mail_intake.py imap [--messages 10000] [--lake DIR]
      messages/s landed by `bouncepipe imap --once --lake` from a Dovecot folder (a private
      Dovecot as in tests/integration/intake; needs root and dovecot-imapd).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

DOMAIN = "bounces.example.net"
DSN_FILE = REPO / "tests" / "fixtures" / "bounces" / "rhost_gmail_userunknown.eml"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


async def _reply(reader: asyncio.StreamReader) -> bytes:
    while True:
        line = await reader.readline()
        if not line:
            raise ConnectionError("server closed the connection")
        if line[3:4] != b"-":
            return line


async def _session(port: int, count: int, body: bytes, latencies: list[float], worker: int) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    await _reply(reader)
    writer.write(b"EHLO bench.example\r\n")
    await _reply(reader)
    accepted = 0
    for i in range(count):
        writer.write(b"MAIL FROM:<>\r\n")
        await _reply(reader)
        writer.write(f"RCPT TO:<b+user{worker}-{i}=example.com@{DOMAIN}>\r\n".encode())
        await _reply(reader)
        writer.write(b"DATA\r\n")
        await _reply(reader)
        writer.write(body + b"\r\n.\r\n")
        started = time.perf_counter()
        answer = await _reply(reader)
        latencies.append(time.perf_counter() - started)
        accepted += answer.startswith(b"250")
    writer.write(b"QUIT\r\n")
    await _reply(reader)
    writer.close()
    return accepted


def bench_smtp(args: argparse.Namespace) -> None:
    broker = None
    bootstrap = args.bootstrap
    if not bootstrap and not args.spool:
        from connectors.broker import EmbeddedBroker
        broker = EmbeddedBroker().start()
        bootstrap = broker.bootstrap
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO), "BOUNCEPIPE_SMTP__DOMAINS": f'["{DOMAIN}"]'}
    cmd = [sys.executable, "-m", "connectors.cli", "smtp", "--port", str(port)]
    if args.spool:
        cmd += ["--spool", args.spool]
    else:
        from connectors.kafka import create_topics, with_overrides
        from pipeline.settings import Settings
        create_topics(with_overrides(Settings(), bootstrap=bootstrap, api_version="2.5"))
        cmd += ["--bootstrap", bootstrap]
    server = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        server.stdout.readline()   # the "receiver on ..." line: listening
        body = DSN_FILE.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        body = body.replace(b"\r\n.", b"\r\n..")
        latencies: list[float] = []
        per = args.messages // args.concurrency

        async def run() -> int:
            # warm-up: one session of 200 (producer connection, first metadata)
            await _session(port, 200, body, [], 999)
            started = time.perf_counter()
            counts = await asyncio.gather(*(_session(port, per, body, latencies, w)
                                            for w in range(args.concurrency)))
            run.seconds = time.perf_counter() - started
            return sum(counts)

        accepted = asyncio.run(run())
        seconds = run.seconds
        total = per * args.concurrency
        print(f"smtp -> {'spool' if args.spool else 'kafka acks=all'}: {accepted}/{total} "
              f"accepted in {seconds:.2f}s = {accepted / seconds:,.0f} DSNs/s at concurrency "
              f"{args.concurrency} ({len(body)} B each); latency p50 "
              f"{_pct(latencies, 50) * 1000:.1f} ms, p99 {_pct(latencies, 99) * 1000:.1f} ms")
    finally:
        server.terminate()
        server.wait(10)
        if broker:
            broker.stop()


def bench_imap(args: argparse.Namespace) -> None:
    from tests.integration.intake.dovecot import PASSWORD, Dovecot, unavailable
    from tests.unit.test_envelope_policy import DSN

    why = unavailable()
    if why:
        sys.exit(f"imap bench: {why}")
    root = Path(tempfile.mkdtemp(prefix="bouncepipe-dovecot-bench-"))
    dovecot = Dovecot(root).start()
    lake = args.lake or tempfile.mkdtemp(prefix="bouncepipe-imap-lake-")
    try:
        client = dovecot.client()
        started = time.perf_counter()
        for i in range(args.messages):
            client.append("INBOX", DSN.replace(b"{rcpt}", f"user{i}@example{i % 97}.com".encode())
                          .replace(b"{to}", b"bounces@example.net"))
        print(f"filled the folder: {args.messages} messages in "
              f"{time.perf_counter() - started:.1f}s")
        env = {**os.environ, "PYTHONPATH": str(REPO), "BOUNCEPIPE_IMAP__PASSWORD": PASSWORD}
        import resource
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-m", "connectors.cli", "imap", dovecot.url(), "--lake", lake,
             "--state-dir", str(root / "state"), "--once"],
            env=env, check=True, capture_output=True, text=True).stdout
        seconds = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)   # the imap process only
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        left = client.folder_status("INBOX", ["MESSAGES"])[b"MESSAGES"]
        print(out.strip())
        print(f"imap -> lake: {args.messages} messages in {seconds:.1f}s = "
              f"{args.messages / seconds:,.0f} messages/s (process start and the suppression "
              f"replay included); {left} left in INBOX")
        print(f"imap process CPU: {cpu:.1f}s user+sys = {args.messages / cpu:,.0f} messages "
              f"per CPU-second")
        client.logout()
    finally:
        dovecot.stop()
        shutil.rmtree(root, ignore_errors=True)
        if not args.lake:
            shutil.rmtree(lake, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    smtp = sub.add_parser("smtp")
    smtp.add_argument("--messages", type=int, default=20000)
    smtp.add_argument("--concurrency", type=int, default=16)
    smtp.add_argument("--bootstrap")
    smtp.add_argument("--spool")
    imap = sub.add_parser("imap")
    imap.add_argument("--messages", type=int, default=10000)
    imap.add_argument("--lake")
    args = parser.parse_args()
    bench_smtp(args) if args.what == "smtp" else bench_imap(args)


if __name__ == "__main__":
    main()
