"""ASGI middleware (FastAPI, Starlette, any ASGI app): request IDs, trace continuation and the
``request_received`` / ``request_completed`` / ``request_failed`` lines (seed 000 FR-1).

A pure ASGI middleware rather than Starlette's BaseHTTPMiddleware: it never buffers a body,
so streamed responses (SSE, LLM tokens) pass through untouched and ContextVars set here are
visible in the endpoint.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from .. import otel
from ..config import configure
from ..context import reset_context, use_context
from ..log.logger import error_fields, get_logger
from ..propagation import context_from_headers

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_log = get_logger()
_MAX_PATH = 2048


class HopscopeMiddleware:
    """``app.add_middleware(HopscopeMiddleware, service="gateway")``.

    Every response gets ``x-request-id``, including 500s from unhandled exceptions (sent here
    when the app had not started a response). ``exclude_paths`` skips the log lines (not the
    request ID) for noisy endpoints such as health checks.
    """

    def __init__(
        self,
        app: ASGIApp,
        service: str | None = None,
        *,
        request_id_headers: Iterable[str] | None = None,
        services_encountered: bool | None = None,
        exclude_paths: Iterable[str] = (),
        received_level: str = "debug",
    ) -> None:
        self.app = app
        # As in the Node SDK, request_received is debug by default so a request costs one line
        # at info; it is info when a header had to be rejected, which is worth seeing.
        self.received_level = "info" if received_level == "info" else "debug"
        if service is not None:
            configure(service)
        self.request_id_headers = tuple(request_id_headers) if request_id_headers else None
        self.services_encountered = services_encountered
        self.exclude_paths = frozenset(exclude_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        incoming = context_from_headers(
            scope.get("headers"),
            request_id_headers=self.request_id_headers,
            services_encountered=self.services_encountered,
        )
        ctx = incoming.context
        request_id = ctx.request_id or ""
        id_header = (b"x-request-id", request_id.encode("ascii"))
        token = use_context(ctx)
        otel.set_request_id_attribute(request_id)
        # Handlers read it as `request.state.request_id` (Starlette keeps state in the scope).
        scope.setdefault("state", {})["request_id"] = request_id

        method = scope.get("method", "GET" if scope["type"] == "http" else "WEBSOCKET")
        path = str(scope.get("path", ""))[:_MAX_PATH]
        logged = path not in self.exclude_paths
        base = {"method": method, "path": path, "parent_span_id": ctx.parent_span_id}

        if logged:
            received = dict(base)
            if ctx.upstream_service:
                received["upstream_service"] = ctx.upstream_service
            if incoming.request_id.rejected:
                received["request_id_rejected"] = incoming.request_id.rejected
            if incoming.traceparent_rejected:
                received["traceparent_rejected"] = True
            if ctx.services_encountered:
                received["services_encountered"] = list(ctx.services_encountered)
            level = self.received_level
            if incoming.request_id.rejected or incoming.traceparent_rejected:
                level = "info"
            _log.log(level, "request_received", f"{method} {path}", **received)

        status: int | None = None

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message.get("status", 200))
                headers = [
                    (k, v) for k, v in message.get("headers", ()) if k.lower() != b"x-request-id"
                ]
                headers.append(id_header)
                message["headers"] = headers
            elif message["type"] == "websocket.accept":
                headers = list(message.get("headers") or ())
                headers.append(id_header)
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except BaseException as exc:
            if status is None and scope["type"] == "http":
                # Starlette's ServerErrorMiddleware sits outside user middleware and would send
                # its 500 without our header; sending it here marks the response as started.
                status = 500
                try:
                    await send(
                        {
                            "type": "http.response.start",
                            "status": 500,
                            "headers": [
                                (b"content-type", b"text/plain; charset=utf-8"),
                                (b"content-length", b"21"),
                                id_header,
                            ],
                        }
                    )
                    await send({"type": "http.response.body", "body": b"Internal Server Error"})
                except Exception:
                    pass  # the client is gone; the failure is still logged below
            if logged:
                _log.error(
                    "request_failed",
                    f"{method} {path} failed: {type(exc).__name__}",
                    **base,
                    status_code=status,
                    duration_ms=round((time.perf_counter() - start) * 1000, 2),
                    **error_fields(exc),
                )
            raise
        else:
            if logged:
                fields = dict(base, status_code=status)
                fields["duration_ms"] = round((time.perf_counter() - start) * 1000, 2)
                route = _route_template(scope)
                if route is not None:
                    fields["route"] = route
                # A 5xx the app answered itself is a warning; an exception is request_failed.
                _log.log(
                    "warn" if (status or 0) >= 500 else "info",
                    "request_completed",
                    f"{method} {path} {status}",
                    **fields,
                )
        finally:
            reset_context(token)



def _route_template(scope: Scope) -> str | None:
    """The matched route's template (``/users/{id}``) for grouping, when Starlette knows it."""
    try:
        route = scope.get("route")
        if route is not None:
            return getattr(route, "path", None)
        endpoint, router = scope.get("endpoint"), scope.get("router")
        if endpoint is None or router is None:
            return None
        for candidate in getattr(router, "routes", ()):
            if getattr(candidate, "endpoint", None) is endpoint:
                return getattr(candidate, "path", None)
    except Exception:
        return None
    return None
