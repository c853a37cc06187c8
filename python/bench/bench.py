"""Costs of hopscope's Python pieces, as ratios against what a service would use otherwise,
measured in the same run: `python3 python/bench/bench.py` (Debian python3 with the test deps).

1. One log line with four fields: hopscope's logger, vs structlog configured as seed 000
   FR-2 does (JSONRenderer, ISO timestamps), vs stdlib logging with a JSON formatter.
2. One request through an in-process Starlette app (no sockets, so only middleware cost
   shows): bare, with HopscopeMiddleware, and with seed 000 FR-1's BaseHTTPMiddleware.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import structlog  # noqa: E402
from starlette.applications import Starlette  # noqa: E402
from starlette.middleware.base import BaseHTTPMiddleware  # noqa: E402
from starlette.responses import JSONResponse  # noqa: E402
from starlette.routing import Route  # noqa: E402

import hopscope  # noqa: E402
from hopscope.integrations.asgi import HopscopeMiddleware  # noqa: E402

FIELDS = {"method": "POST", "path": "/v1/chat/completions", "status_code": 200, "duration_ms": 150.5}


def best_of(fn, runs: int = 5, n: int = 20_000) -> float:
    """Median seconds per call over `runs` runs of `n` calls."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        for _ in range(n):
            fn()
        times.append((time.perf_counter() - start) / n)
    return statistics.median(times)


def bench_log_lines() -> dict[str, float]:
    sink = io.StringIO()
    hopscope.configure("bench", stream=sink, pretty=False, level="info")
    log = hopscope.get_logger()
    ctx = hopscope.context_from_headers({}).context

    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            structlog.processors.JSONRenderer(),
        ],
        logger_factory=structlog.PrintLoggerFactory(file=io.StringIO()),
        cache_logger_on_first_use=True,
    )
    slog = structlog.get_logger().bind(service="bench")

    class JsonFormatter(logging.Formatter):
        def format(self, record):
            return json.dumps({"timestamp": self.formatTime(record), "level": record.levelname,
                               "message": record.getMessage(), **record.__dict__.get("fields", {})})

    std = logging.getLogger("bench-std")
    std.propagate = False
    handler = logging.StreamHandler(io.StringIO())
    handler.setFormatter(JsonFormatter())
    std.addHandler(handler)
    std.setLevel(logging.INFO)

    with hopscope.request_scope(ctx):
        return {
            "hopscope logger": best_of(lambda: log.info("request_completed", **FIELDS)),
            "structlog (seed FR-2 chain)": best_of(
                lambda: slog.info("request_completed", request_id=ctx.request_id, **FIELDS)
            ),
            "stdlib logging + json formatter": best_of(
                lambda: std.info("request_completed", extra={"fields": FIELDS})
            ),
        }


def make_app(kind: str):
    async def hello(request):
        return JSONResponse({"ok": True})

    app = Starlette(routes=[Route("/hello", hello)])
    if kind == "hopscope":
        app.add_middleware(HopscopeMiddleware)
    elif kind == "seed":
        slog = structlog.get_logger()

        class SeedMiddleware(BaseHTTPMiddleware):  # seed 000 FR-1, as written there
            async def dispatch(self, request, call_next):
                request_id = request.headers.get("x-request-id") or "req_" + "0" * 12
                start = time.time()
                response = await call_next(request)
                response.headers["x-request-id"] = request_id
                slog.info("request_completed", request_id=request_id, method=request.method,
                          path=request.url.path, status_code=response.status_code,
                          duration_ms=round((time.time() - start) * 1000, 2))
                return response

        app.add_middleware(SeedMiddleware)
    return app


async def one_request(app) -> None:
    scope = {"type": "http", "method": "GET", "path": "/hello", "raw_path": b"/hello",
             "query_string": b"", "headers": [(b"host", b"bench")], "scheme": "http",
             "server": ("bench", 80), "client": ("127.0.0.1", 1), "root_path": "",
             "http_version": "1.1", "asgi": {"version": "3.0"}}

    messages = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive():
        # The body once, then the client is gone (BaseHTTPMiddleware waits for that).
        return messages.pop() if messages else {"type": "http.disconnect"}

    async def send(message):
        pass

    await app(scope, receive, send)


def bench_middleware() -> dict[str, float]:
    results = {}
    for kind, label in (("bare", "bare app"), ("hopscope", "HopscopeMiddleware"),
                        ("seed", "seed FR-1 BaseHTTPMiddleware")):
        app = make_app(kind)

        async def run(n: int) -> float:
            start = time.perf_counter()
            for _ in range(n):
                await one_request(app)
            return (time.perf_counter() - start) / n

        asyncio.run(run(200))  # warm up
        results[label] = statistics.median(asyncio.run(run(1000)) for _ in range(5))
    return results


def main() -> None:
    logs = bench_log_lines()
    base = logs["hopscope logger"]
    print("log line (4 fields), per call:")
    for name, seconds in logs.items():
        print(f"  {name:34s} {seconds * 1e6:7.2f} us  {seconds / base:5.2f}x hopscope")
    mw = bench_middleware()
    bare = mw["bare app"]
    print("request through an in-process Starlette app, per request:")
    for name, seconds in mw.items():
        print(f"  {name:34s} {seconds * 1e6:7.2f} us  {seconds / bare:5.2f}x bare")


if __name__ == "__main__":
    main()
