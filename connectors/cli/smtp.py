"""`bouncepipe smtp` — the SMTP/LMTP bounce receiver (connectors/sources/smtp.py).

Point the return-path domain's MX or a Postfix/Exim transport at it. It accepts mail only for
the bounce domains (--domain, or BOUNCEPIPE_SMTP__DOMAINS='["bounces.example.com"]'; never a
relay) and answers 250 only once the message is stored: acknowledged by Kafka (acks=all) or,
with --spool DIR, fsync'ed into DIR for `bouncepipe ingest DIR`. Otherwise 451 4.3.0 and the
sending MTA retries. STARTTLS with BOUNCEPIPE_SMTP__TLS_CERT / __TLS_KEY; size cap
BOUNCEPIPE_SMTP__MAX_MESSAGE_BYTES; signed VERP: BOUNCEPIPE_VERP__* (see `bouncepipe verp`).
"""
from __future__ import annotations

import argparse
import asyncio
import signal

from .worker import add_service_args, serve_options


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("smtp", help="run the SMTP/LMTP bounce receiver", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", help="listen address (default: smtp.host, 127.0.0.1)")
    p.add_argument("--port", type=int, help="listen port (default: smtp.port, 2525)")
    p.add_argument("--lmtp", action="store_true", help="speak LMTP (per-recipient answers)")
    p.add_argument("--domain", action="append", default=[], metavar="DOMAIN",
                   help="accept mail for this bounce domain (repeatable; adds to smtp.domains)")
    p.add_argument("--spool", metavar="DIR",
                   help="store messages durably in DIR instead of publishing to Kafka")
    p.add_argument("--bootstrap", help="Kafka bootstrap servers (default: kafka.bootstrap)")
    add_service_args(p)
    p.set_defaults(func=run)


def settings_for(args: argparse.Namespace, settings=None):
    from pipeline.settings import default_settings

    settings = settings or default_settings()
    smtp = settings.smtp
    update: dict = {}
    if args.domain:
        update["domains"] = [*smtp.domains, *args.domain]
    if args.lmtp:
        update["lmtp"] = True
    new = {"smtp": smtp.model_copy(update=update)} if update else {}
    if getattr(args, "bootstrap", None):
        new["kafka"] = settings.kafka.model_copy(update={"bootstrap": args.bootstrap})
    return settings.model_copy(update=new) if new else settings


def build_receiver(settings, *, spool: str | None = None, host: str | None = None,
                   port: int | None = None):
    from connectors.sources.smtp import SmtpReceiver

    if spool:
        from connectors.sources.spool_publisher import SpoolPublisher
        publisher = SpoolPublisher(spool)
    else:
        from connectors.sources.kafka_publisher import KafkaPublisher
        publisher = KafkaPublisher(settings.kafka, timeout=settings.smtp.publish_timeout_seconds)
    return SmtpReceiver(settings, publisher, host=host, port=port, trace_in_payload=bool(spool))


async def _serve(receiver, metrics_port: int | None = None, service=None) -> None:
    await receiver.start()
    kind = "LMTP" if receiver.lmtp else "SMTP"
    print(f"bouncepipe {kind} receiver on {receiver.host}:{receiver.port} for "
          f"{', '.join(receiver.settings.smtp.domains)}", flush=True)
    runner = None
    if metrics_port is not None:   # /metrics, /healthz, /readyz (connectors/intake_metrics.py)
        from connectors.health import bound_port, probe_app, serve
        from connectors.intake_metrics import IntakeMetrics, smtp_probes

        metrics = IntakeMetrics()
        metrics.watch_smtp(receiver.handler.stats)
        runner = await serve(probe_app(metrics.exposition, *smtp_probes(receiver)),
                             service.metrics_host, metrics_port)
        print(f"metrics and health on http://{service.metrics_host}:{bound_port(runner)}/",
              flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        if runner is not None:
            await runner.cleanup()
        await receiver.stop()


def run(args: argparse.Namespace) -> int:
    import sys

    settings = settings_for(args)
    if not settings.smtp.domains:
        print("bouncepipe smtp: no bounce domain (--domain or BOUNCEPIPE_SMTP__DOMAINS): it "
              "would refuse every recipient", file=sys.stderr)
        return 2
    asyncio.run(_serve(build_receiver(settings, spool=args.spool, host=args.host,
                                      port=args.port), **serve_options(args, settings)))
    return 0
