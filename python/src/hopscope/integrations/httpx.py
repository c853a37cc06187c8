"""Outgoing httpx calls carry the request onward (seed 000 FR-3, seed 002).

Each call is a client span of its own: a new span ID goes out in ``traceparent`` and is logged
as ``outgoing_request_completed`` / ``outgoing_request_failed`` (with ``parent_span_id``), so
the server can hang the callee's ``request_received`` under it. The transport wrapper is the
complete option (it sees connection failures and streamed bodies to their end); the event
hooks suit clients whose transport you do not control.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from typing import Any

import httpx

from .. import otel
from ..context import RequestContext, current_context
from ..ids import generate_request_id
from ..log.logger import error_fields, get_logger
from ..propagation import outgoing_headers

_log = get_logger()
_EXTENSION = "hopscope_call"


class _Call:
    """One outgoing call: injects headers at start, logs exactly once at the end."""

    __slots__ = ("ctx", "method", "url", "start", "status", "done")

    def __init__(
        self, request: httpx.Request, service: str | None, services_encountered: bool | None
    ) -> None:
        parent = current_context()
        if parent is None:
            # Work outside any request (a job, a script) still gets an ID the callee will share.
            parent = RequestContext(request_id=generate_request_id())
        ids = otel.current_ids()
        if ids is not None:
            # OpenTelemetry owns the spans (its propagator writes traceparent): log its IDs.
            self.ctx = replace(
                parent, trace_id=ids.trace_id, span_id=ids.span_id, parent_span_id=ids.parent_span_id
            )
        else:
            self.ctx = parent.child()
        headers = outgoing_headers(
            self.ctx, service=service, services_encountered=services_encountered
        )
        # When OpenTelemetry's httpx instrumentation already wrote the W3C headers, keep them.
        keep_w3c = otel.current_ids() is not None and "traceparent" in request.headers
        for name, value in headers.items():
            if name in ("x-request-id", "x-upstream-service") and name in request.headers:
                continue  # an explicit value set by the caller wins
            if keep_w3c and name in ("traceparent", "tracestate", "baggage"):
                continue
            request.headers[name] = value
        self.method = request.method
        url = request.url
        # No query string or credentials in logs: they often hold tokens.
        self.url = f"{url.scheme}://{url.host}{'' if url.port is None else f':{url.port}'}{url.path}"
        self.start = time.perf_counter()
        self.status: int | None = None
        self.done = False

    def _fields(self) -> dict[str, Any]:
        return {
            "parent_span_id": self.ctx.parent_span_id,
            "method": self.method,
            "url": self.url,
            "duration_ms": round((time.perf_counter() - self.start) * 1000, 2),
        }

    def completed(self) -> None:
        if self.done:
            return
        self.done = True
        # The call's own span names the line (the current context is still the caller's).
        _log.log_in(
            self.ctx,
            "info",
            "outgoing_request_completed",
            f"{self.method} {self.url} {self.status}",
            **self._fields(),
            status_code=self.status,
        )

    def failed(self, exc: BaseException) -> None:
        if self.done:
            return
        self.done = True
        fields = self._fields()
        if self.status is not None:
            fields["status_code"] = self.status
        _log.log_in(
            self.ctx,
            "error",
            "outgoing_request_failed",
            f"{self.method} {self.url} failed: {type(exc).__name__}",
            **fields,
            **error_fields(exc),
        )


class _SyncStream(httpx.SyncByteStream):
    def __init__(self, inner: Any, call: _Call) -> None:
        self._inner, self._call = inner, call

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self._inner
        except BaseException as exc:
            self._call.failed(exc)
            raise

    def close(self) -> None:
        try:
            if hasattr(self._inner, "close"):
                self._inner.close()
        finally:
            self._call.completed()


class _AsyncStream(httpx.AsyncByteStream):
    def __init__(self, inner: Any, call: _Call) -> None:
        self._inner, self._call = inner, call

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._inner:
                yield chunk
        except BaseException as exc:
            self._call.failed(exc)
            raise

    async def aclose(self) -> None:
        try:
            if hasattr(self._inner, "aclose"):
                await self._inner.aclose()
        finally:
            self._call.completed()


class TracedTransport(httpx.BaseTransport):
    """``httpx.Client(transport=TracedTransport())``; wraps any transport (default: HTTP)."""

    def __init__(
        self,
        transport: httpx.BaseTransport | None = None,
        *,
        service: str | None = None,
        services_encountered: bool | None = None,
    ) -> None:
        self._transport = transport or httpx.HTTPTransport()
        self._service, self._services = service, services_encountered

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        call = _Call(request, self._service, self._services)
        try:
            response = self._transport.handle_request(request)
        except BaseException as exc:
            call.failed(exc)
            raise
        call.status = response.status_code
        response.stream = _SyncStream(response.stream, call)
        return response

    def close(self) -> None:
        self._transport.close()


class AsyncTracedTransport(httpx.AsyncBaseTransport):
    """``httpx.AsyncClient(transport=AsyncTracedTransport())``."""

    def __init__(
        self,
        transport: httpx.AsyncBaseTransport | None = None,
        *,
        service: str | None = None,
        services_encountered: bool | None = None,
    ) -> None:
        self._transport = transport or httpx.AsyncHTTPTransport()
        self._service, self._services = service, services_encountered

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        call = _Call(request, self._service, self._services)
        try:
            response = await self._transport.handle_async_request(request)
        except BaseException as exc:
            call.failed(exc)
            raise
        call.status = response.status_code
        response.stream = _AsyncStream(response.stream, call)
        return response

    async def aclose(self) -> None:
        await self._transport.aclose()


def traced_client(**kwargs: Any) -> httpx.Client:
    """An ``httpx.Client`` whose calls propagate and log; kwargs go to ``httpx.Client``."""
    service = kwargs.pop("service", None)
    services = kwargs.pop("services_encountered", None)
    transport = TracedTransport(
        kwargs.pop("transport", None), service=service, services_encountered=services
    )
    return httpx.Client(transport=transport, **kwargs)


def traced_async_client(**kwargs: Any) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` whose calls propagate and log."""
    service = kwargs.pop("service", None)
    services = kwargs.pop("services_encountered", None)
    transport = AsyncTracedTransport(
        kwargs.pop("transport", None), service=service, services_encountered=services
    )
    return httpx.AsyncClient(transport=transport, **kwargs)


def _on_request(service: str | None, services: bool | None):
    def hook(request: httpx.Request) -> None:
        try:
            request.extensions[_EXTENSION] = _Call(request, service, services)
        except Exception:
            pass  # never fail the user's request over tracing

    return hook


def _on_response(response: httpx.Response) -> None:
    call = response.request.extensions.get(_EXTENSION)
    if isinstance(call, _Call):
        call.status = response.status_code
        call.completed()


def event_hooks(
    *, service: str | None = None, services_encountered: bool | None = None
) -> dict[str, list[Any]]:
    """``httpx.Client(event_hooks=event_hooks())``. Logs at response headers; cannot see
    connection failures (use the transport for those)."""
    return {"request": [_on_request(service, services_encountered)], "response": [_on_response]}


def async_event_hooks(
    *, service: str | None = None, services_encountered: bool | None = None
) -> dict[str, list[Any]]:
    """``httpx.AsyncClient(event_hooks=async_event_hooks())``."""
    sync_request = _on_request(service, services_encountered)

    async def on_request(request: httpx.Request) -> None:
        sync_request(request)

    async def on_response(response: httpx.Response) -> None:
        _on_response(response)

    return {"request": [on_request], "response": [on_response]}
