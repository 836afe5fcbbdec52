"""`bouncepipe imap URL` — land the mail of an IMAP mailbox (connectors/sources/imap.py).

  bouncepipe imap 'imaps://dmarc@mail.example.com/INBOX' --lake lake
  bouncepipe imap 'imap://fbl@127.0.0.1:1143/INBOX,Junk' --bootstrap 127.0.0.1:9092

URL: imap[s]://user[:password]@host[:port]/FOLDER[,FOLDER] (imaps = implicit TLS;
BOUNCEPIPE_IMAP__STARTTLS=true upgrades imap:// and refuses a server without STARTTLS;
BOUNCEPIPE_IMAP__SSL_CAFILE=ca.pem trusts a private CA, else the system CAs). Password:
BOUNCEPIPE_IMAP__PASSWORD, or an XOAUTH2 access token: BOUNCEPIPE_IMAP__OAUTH2_TOKEN, or
re-read before every login from BOUNCEPIPE_IMAP__OAUTH2_TOKEN_FILE (a file your refresher
rewrites) or the output of BOUNCEPIPE_IMAP__OAUTH2_TOKEN_COMMAND. A refused login, token or
certificate exits 3 with --once; otherwise it is logged and retried with backoff (up to
imap.refused_backoff_max_seconds). Each message is moved to
imap.archive_folder once its outputs are in the lake (--lake) or acknowledged by Kafka
(default), unreadable ones to imap.invalid_folder (their reason in the dead letters). Waits
with IDLE on one folder, else polls every imap.poll_seconds; --once: one pass, then exit.
"""
from __future__ import annotations

import argparse
import signal
import sys

from .worker import add_service_args, serve_options


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("imap", help="land the mail of IMAP folders (DMARC/FBL/bounce mailbox)",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("url", nargs="?", help="imap[s]://user@host[:port]/FOLDER[,FOLDER] "
                   "(default: imap.url)")
    p.add_argument("--lake", help="land into this lake directory instead of publishing to Kafka")
    p.add_argument("--bootstrap", help="Kafka bootstrap servers (default: kafka.bootstrap)")
    p.add_argument("--state-dir", help="where restart state is kept (default: imap.state_dir)")
    p.add_argument("--once", action="store_true", help="one pass over the folders, then exit")
    add_service_args(p)
    p.set_defaults(func=run)


def build_poller(settings, url: str, *, lake: str | None = None):
    from connectors.sources.imap import ImapPoller, broker_store, lake_store

    if lake:
        store, finish = lake_store(settings, lake)
        return ImapPoller(settings, url, store, finish_round=finish), None
    from connectors.kafka import make_producer
    producer = make_producer(settings)
    return ImapPoller(settings, url, broker_store(settings, producer)), producer


def _serve_endpoint(poller, metrics_port: int | None, service):
    """/metrics, /healthz, /readyz in a thread beside the (blocking) poller; its stop function,
    or None without a port."""
    if metrics_port is None:
        return None
    from connectors.health import probe_app, serve_in_thread
    from connectors.intake_metrics import IntakeMetrics, imap_probes

    metrics = IntakeMetrics()
    metrics.watch_imap(poller.stats)
    port, stop = serve_in_thread(probe_app(metrics.exposition, *imap_probes(poller, service)),
                                 service.metrics_host, metrics_port)
    print(f"metrics and health on http://{service.metrics_host}:{port}/", flush=True)
    return stop


def run(args: argparse.Namespace) -> int:
    from connectors.kafka import with_overrides
    from pipeline.settings import default_settings

    settings = default_settings()
    if args.bootstrap:
        settings = with_overrides(settings, bootstrap=args.bootstrap)
    if args.state_dir:
        settings = settings.model_copy(update={
            "imap": settings.imap.model_copy(update={"state_dir": args.state_dir})})
    url = args.url or settings.imap.url
    if not url:
        print("bouncepipe imap: no mailbox URL (argument or BOUNCEPIPE_IMAP__URL)", file=sys.stderr)
        return 2
    from connectors.sources.imap import ImapRefused

    poller, producer = build_poller(settings, url, lake=args.lake)
    stop_endpoint = _serve_endpoint(poller, **serve_options(args, settings))
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    try:
        stats = poller.run(once=args.once, should_stop=lambda: bool(stopping))
    except ImapRefused as exc:
        print(f"bouncepipe imap: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 3
    finally:
        if producer is not None:
            producer.close()
        if stop_endpoint is not None:
            stop_endpoint()
    print(f"imap: {stats.landed} landed, {stats.invalid} invalid "
          f"({', '.join(f'{k}: {v}' for k, v in stats.by_folder.items()) or 'nothing new'})")
    return 0
