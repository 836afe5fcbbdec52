"""Prometheus metrics and health probes for the mail intake services (`bouncepipe smtp`,
`bouncepipe imap`), served on the same /metrics, /healthz and /readyz shape as the streaming
services (connectors/health.py).

The services already count what they do (smtp `ReceiverStats`, imap `PollStats`); the counters
here are read from those at scrape time, so the receive paths carry no metrics code of their
own. Only the SMTP store latency is a live histogram (observed where it is measured).

    bouncepipe_intake_messages_total{source,outcome}
        smtp: accepted (250, stored), deferred (451, not stored), refused_rcpt (not a bounce
        domain); imap: landed, invalid (set aside in the invalid folder)
    bouncepipe_intake_store_seconds{source="smtp"}     end of DATA -> answer (stored or not)
    bouncepipe_imap_rounds_total, bouncepipe_imap_reconnects_total, bouncepipe_imap_refusals_total
"""
from __future__ import annotations

import time
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily

from pipeline.settings import ServiceSettings

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                    10.0, 30.0)


class _StatsCollector:
    """Counter families read from a service's own stats object at scrape time."""

    def __init__(self, read: Callable[[], list[CounterMetricFamily]]):
        self.read = read

    def collect(self):
        return self.read()


class IntakeMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.store_seconds = Histogram("bouncepipe_intake_store_seconds",
                                       "End of DATA to the answer (stored, or 451 when not)",
                                       ("source",), registry=self.registry,
                                       buckets=_LATENCY_BUCKETS)

    def watch_smtp(self, stats) -> None:
        """Count from an SMTP receiver's ReceiverStats; its latencies feed the histogram."""
        stats.histogram = self.store_seconds.labels("smtp")

        def read() -> list[CounterMetricFamily]:
            messages = _messages()
            for outcome in ("accepted", "deferred", "refused_rcpt"):
                messages.add_metric(["smtp", outcome], getattr(stats, outcome))
            return [messages]

        self.registry.register(_StatsCollector(read))

    def watch_imap(self, stats) -> None:
        """Count from an IMAP poller's PollStats."""
        def read() -> list[CounterMetricFamily]:
            messages = _messages()
            for outcome in ("landed", "invalid"):
                messages.add_metric(["imap", outcome], getattr(stats, outcome))
            return [messages, *(
                CounterMetricFamily(f"bouncepipe_imap_{name}", help_text,
                                    value=getattr(stats, name))
                for name, help_text in (
                    ("rounds", "Polling rounds over every folder"),
                    ("reconnects", "Connections lost and made again"),
                    ("refusals", "Logins or certificates the server refused")))]

        self.registry.register(_StatsCollector(read))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


def _messages() -> CounterMetricFamily:
    return CounterMetricFamily("bouncepipe_intake_messages", "Mail taken in, by outcome",
                               labels=("source", "outcome"))


# -- health probes (connectors/health.py probe_app) ---------------------------------------
def smtp_probes(receiver) -> tuple[Callable[[], tuple[bool, dict]], Callable[[], tuple[bool, dict]]]:
    """alive: the listener is open. ready: alive, and the last message it tried to store was
    stored (after a 451 the store is down: not ready until a message is stored again)."""
    def state() -> dict:
        stats = receiver.handler.stats
        return {"service": "smtp", "listening": receiver.listening,
                "accepted": stats.accepted, "deferred": stats.deferred,
                "last_store_ok": stats.last_store_ok}

    def alive() -> tuple[bool, dict]:
        s = state()
        return s["listening"], s

    def ready() -> tuple[bool, dict]:
        s = state()
        return s["listening"] and s["last_store_ok"] is not False, s

    return alive, ready


def imap_probes(poller, service: ServiceSettings
                ) -> tuple[Callable[[], tuple[bool, dict]], Callable[[], tuple[bool, dict]]]:
    """alive: the polling loop has come round (a round, an IDLE return or a retry) within its
    longest legitimate wait plus service.stall_seconds. ready: logged in and the last round
    went through (not after a refusal or a lost connection)."""
    imap = poller.imap
    longest_wait = max(imap.idle_seconds, imap.poll_seconds, imap.refused_backoff_max_seconds, 60)

    def state() -> dict:
        stats = poller.stats
        since = (None if stats.last_turn is None
                 else round(time.monotonic() - stats.last_turn, 3))
        return {"service": "imap", "connected": poller.connected,
                "seconds_since_turn": since, "last_round_ok": stats.last_round_ok,
                "rounds": stats.rounds, "landed": stats.landed}

    def alive() -> tuple[bool, dict]:
        s = state()
        since = s["seconds_since_turn"]
        return since is None or since <= longest_wait + service.stall_seconds, s

    def ready() -> tuple[bool, dict]:
        s = state()
        return bool(s["connected"] and s["last_round_ok"]), s

    return alive, ready
