"""`bouncepipe serve` — the HTTP webhook receiver.

  POST /webhooks/{provider}[/{tenant}]  ->  verified raw body  ->  Kafka raw topic (acks=all)
                                                              or  --spool DIR (fsync'ed files)
  GET /healthz, GET /metrics (Prometheus)

Secrets and limits: BOUNCEPIPE_WEBHOOKS__* (e.g. BOUNCEPIPE_WEBHOOKS__SECRETS='{"sendgrid":
"MFkw..."}', BOUNCEPIPE_WEBHOOKS__BASIC_AUTH='{"postmark": "user:pass"}'); Kafka connection and
security: BOUNCEPIPE_KAFKA__*. A spool directory is read back with `bouncepipe ingest DIR`.
"""
from __future__ import annotations

import argparse
import logging


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="run the HTTP webhook receiver",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", help="listen address (default: webhooks.host)")
    p.add_argument("--port", type=int, help="listen port (default: webhooks.port)")
    p.add_argument("--spool", metavar="DIR",
                   help="write accepted bodies durably into DIR instead of publishing to Kafka")
    p.add_argument("--bootstrap", help="Kafka bootstrap servers (default: kafka.bootstrap)")
    p.set_defaults(func=run)


def build(args: argparse.Namespace):
    from connectors.sources.http import create_app
    from pipeline.settings import default_settings

    settings = default_settings()
    if args.bootstrap:
        settings = settings.model_copy(update={
            "kafka": settings.kafka.model_copy(update={"bootstrap": args.bootstrap})})
    if args.spool:
        from connectors.sources.spool_publisher import SpoolPublisher
        publisher = SpoolPublisher(args.spool)
    else:
        from connectors.sources.kafka_publisher import KafkaPublisher
        publisher = KafkaPublisher(settings.kafka,
                                   timeout=settings.webhooks.publish_timeout_seconds,
                                   idempotence=settings.webhooks.kafka_idempotence)
    return settings, create_app(settings, publisher)


def run(args: argparse.Namespace) -> int:
    from aiohttp import web

    settings, app = build(args)
    host = args.host or settings.webhooks.host
    port = args.port or settings.webhooks.port
    logging.getLogger(__name__).warning("bouncepipe serve on http://%s:%s (%s)", host, port,
                                        f"spool {args.spool}" if args.spool else
                                        f"kafka {settings.kafka.bootstrap}")
    web.run_app(app, host=host, port=port, access_log=None, print=None)
    return 0
