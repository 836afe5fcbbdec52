"""The HTTP endpoint every streaming service serves (`--metrics-port`, settings service.*):

    GET /metrics   Prometheus text format (connectors/metrics.py)
    GET /healthz   alive: every loop is running and has polled within service.stall_seconds
    GET /readyz    ready: every loop is connected, has partitions assigned and is caught up
                   (at most service.ready_max_lag records behind)

Both answer JSON with each loop's state; 200 when true, 503 when not. The mail intake
services (`smtp`, `imap`) serve the same three paths over their own probes
(connectors/intake_metrics.py). They read state the loops
keep (connectors/streaming/loop.py `health()`), never the broker, so a probe is cheap and cannot
hang on a broken cluster.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from aiohttp import web

from connectors.metrics import CONTENT_TYPE, ServiceMetrics
from pipeline.settings import ServiceSettings

log = logging.getLogger(__name__)


def alive(states: list[dict], tasks_done: list[bool], stall_seconds: float) -> bool:
    if any(tasks_done):
        return False
    return all(s["seconds_since_poll"] is None or s["seconds_since_poll"] <= stall_seconds
               for s in states)


def ready(states: list[dict], max_lag: int) -> bool:
    return bool(states) and all(s["connected"] and s["assigned"] and s["lag"] is not None
                                and s["lag"] <= max_lag for s in states)


Probe = Callable[[], tuple[bool, dict]]   # -> (the answer, the JSON state it was read from)


def probe_app(exposition: Callable[[], bytes], alive_probe: Probe, ready_probe: Probe
              ) -> web.Application:
    """/metrics, /healthz and /readyz over a service's own probes (200 when true, else 503):
    the one HTTP shape of every long-running service."""
    async def metrics_view(_request: web.Request) -> web.Response:
        return web.Response(body=exposition(), headers={"Content-Type": CONTENT_TYPE})

    async def healthz(_request: web.Request) -> web.Response:
        ok, state = alive_probe()
        return web.json_response({"alive": ok, **state}, status=200 if ok else 503)

    async def readyz(_request: web.Request) -> web.Response:
        ok, state = ready_probe()
        return web.json_response({"ready": ok, **state}, status=200 if ok else 503)

    app = web.Application()
    app.router.add_get("/metrics", metrics_view)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    return app


def health_app(loops, metrics: ServiceMetrics, settings: ServiceSettings, tasks=None
               ) -> web.Application:
    """The streaming services' endpoint: their consumer loops are the probes."""
    def states() -> list[dict]:
        return [loop.health() for loop in loops]

    def done() -> list[bool]:
        return [t.done() for t in (tasks or [])]

    def alive_probe() -> tuple[bool, dict]:
        s = states()
        return alive(s, done(), settings.stall_seconds), {"loops": s}

    def ready_probe() -> tuple[bool, dict]:
        s = states()
        return ready(s, settings.ready_max_lag), {"max_lag": settings.ready_max_lag, "loops": s}

    return probe_app(metrics.exposition, alive_probe, ready_probe)


async def serve(app: web.Application, host: str, port: int) -> web.AppRunner:
    """Start serving on host:port (port 0: a free one; see `bound_port`)."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    log.info("metrics and health on http://%s:%d/", host, bound_port(runner))
    return runner


def bound_port(runner: web.AppRunner) -> int:
    return runner.addresses[0][1]


def serve_in_thread(app: web.Application, host: str, port: int) -> tuple[int, Callable[[], None]]:
    """`serve` on an event loop of its own in a daemon thread, for a service whose work is
    not asyncio (`bouncepipe imap`): (the bound port, a function that stops it)."""
    import asyncio
    import threading

    aio = asyncio.new_event_loop()
    started: dict = {}
    ready = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(aio)
        try:
            started["runner"] = aio.run_until_complete(serve(app, host, port))
        except BaseException as exc:  # noqa: BLE001 - reported to the caller below
            started["error"] = exc
            ready.set()
            return
        ready.set()
        aio.run_forever()

    thread = threading.Thread(target=run, name="bouncepipe-health", daemon=True)
    thread.start()
    ready.wait()
    if "error" in started:
        raise started["error"]
    runner = started["runner"]

    def stop() -> None:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), aio).result(timeout=5)
        aio.call_soon_threadsafe(aio.stop)
        thread.join(timeout=5)

    return bound_port(runner), stop
