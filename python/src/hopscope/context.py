"""The current request's identity, held in a ContextVar so concurrent requests never mix."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar, Token
from dataclasses import dataclass, replace

from . import otel
from .baggage import BaggageEntry
from .ids import generate_span_id, generate_trace_id, is_valid_request_id, request_id_rejection


@dataclass(frozen=True, slots=True)
class RequestContext:
    """Who this unit of work is: immutable, so a child scope can never alter its parent's."""

    request_id: str | None = None
    trace_id: str | None = None
    span_id: str | None = None
    parent_span_id: str | None = None
    trace_flags: int = 3
    """Sampled and random, for traces started here; a continued trace keeps its caller's."""
    tracestate: tuple[tuple[str, str], ...] | None = None
    baggage: tuple[BaggageEntry, ...] = ()
    services_encountered: tuple[str, ...] = ()
    upstream_service: str | None = None

    def child(self) -> RequestContext:
        """The same request and trace, one span deeper (for an outgoing call or a timed block)."""
        trace_id = self.trace_id or generate_trace_id()
        return replace(
            self, trace_id=trace_id, span_id=generate_span_id(), parent_span_id=self.span_id
        )


_current: ContextVar[RequestContext | None] = ContextVar("hopscope_request", default=None)


def current_context() -> RequestContext | None:
    """The hopscope context of the running request, or None outside one."""
    return _current.get()


def use_context(ctx: RequestContext | None) -> Token[RequestContext | None]:
    """Makes ``ctx`` current; pass the token to :func:`reset_context` to undo."""
    return _current.set(ctx)


def reset_context(token: Token[RequestContext | None]) -> None:
    _current.reset(token)


def get_request_id() -> str | None:
    ctx = _current.get()
    return ctx.request_id if ctx else None


def set_request_id(request_id: str) -> Token[RequestContext | None]:
    """Sets the current request ID (for work that does not start in the middleware).

    Raises ValueError for an ID outside the DESIGN.md shape; the message gives the reason but
    never the value, which may be attacker-controlled. Use ``accept_request_id`` for untrusted
    input instead: it replaces bad IDs rather than raising.
    """
    if not is_valid_request_id(request_id):
        reason = request_id_rejection(request_id if isinstance(request_id, str) else None)
        raise ValueError(
            f"request ID must be 1-128 characters of [A-Za-z0-9._:-] (rejected: {reason})"
        )
    ctx = _current.get() or RequestContext(trace_id=generate_trace_id(), span_id=generate_span_id())
    return _current.set(replace(ctx, request_id=request_id))


def get_trace_id() -> str | None:
    """The current trace ID; OpenTelemetry's current span wins when one is active."""
    ids = otel.current_ids()
    if ids is not None:
        return ids.trace_id
    ctx = _current.get()
    return ctx.trace_id if ctx else None


def get_span_id() -> str | None:
    ids = otel.current_ids()
    if ids is not None:
        return ids.span_id
    ctx = _current.get()
    return ctx.span_id if ctx else None


@contextlib.contextmanager
def request_scope(ctx: RequestContext) -> Iterator[RequestContext]:
    """``with request_scope(ctx):`` runs the block as part of that request."""
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


@contextlib.contextmanager
def child_span() -> Iterator[RequestContext]:
    """Runs the block as a new span under the current one (a new trace if there is none)."""
    parent = _current.get() or RequestContext()
    with request_scope(parent.child()) as ctx:
        yield ctx
