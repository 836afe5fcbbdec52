"""The HTTP endpoint every streaming service serves (`--metrics-port`, settings service.*):

    GET /metrics   Prometheus text format (connectors/metrics.py)
    GET /healthz   alive: every loop is running and has polled within service.stall_seconds
    GET /readyz    ready: every loop is connected, has partitions assigned and is caught up
                   (at most service.ready_max_lag records behind)

Both answer JSON with each loop's state; 200 when true, 503 when not. They read state the loops
keep (connectors/streaming/loop.py `health()`), never the broker, so a probe is cheap and cannot
hang on a broken cluster.
"""
from __future__ import annotations

import logging

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


def health_app(loops, metrics: ServiceMetrics, settings: ServiceSettings, tasks=None
               ) -> web.Application:
    def states() -> list[dict]:
        return [loop.health() for loop in loops]

    def done() -> list[bool]:
        return [t.done() for t in (tasks or [])]

    async def metrics_view(_request: web.Request) -> web.Response:
        return web.Response(body=metrics.exposition(), headers={"Content-Type": CONTENT_TYPE})

    async def healthz(_request: web.Request) -> web.Response:
        s = states()
        ok = alive(s, done(), settings.stall_seconds)
        return web.json_response({"alive": ok, "loops": s}, status=200 if ok else 503)

    async def readyz(_request: web.Request) -> web.Response:
        s = states()
        ok = ready(s, settings.ready_max_lag)
        return web.json_response({"ready": ok, "max_lag": settings.ready_max_lag, "loops": s},
                                 status=200 if ok else 503)

    app = web.Application()
    app.router.add_get("/metrics", metrics_view)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    return app


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
