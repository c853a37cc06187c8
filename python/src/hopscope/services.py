"""``x-services-encountered``: the list of services a request has passed (seed 002)."""

from __future__ import annotations

from collections.abc import Iterable
from contextvars import Token
from dataclasses import replace

from .config import is_valid_service_name, settings
from .context import RequestContext, current_context, use_context
from .ids import accept_request_id, generate_span_id, generate_trace_id

HEADER = "x-services-encountered"
# Longer chains lose their oldest entries: the recent hops matter most (as in the Node SDK).
MAX_SERVICES = 64


def parse_services(header: str | Iterable[str] | None) -> tuple[str, ...]:
    """Valid names from a comma list; invalid entries are dropped, not echoed."""
    if header is None:
        return ()
    combined = header if isinstance(header, str) else ",".join(header)
    names = [n.strip() for n in combined.split(",")]
    return tuple(n for n in names if is_valid_service_name(n))[-MAX_SERVICES:]


def append_service(services: Iterable[str], service: str) -> tuple[str, ...]:
    """Appends ``service`` unless it is already last (a retry, not a new hop); keeps the newest 64."""
    current = tuple(services)
    if current and current[-1] == service:
        return current[-MAX_SERVICES:]
    return (*current, service)[-MAX_SERVICES:]


def format_services(services: Iterable[str]) -> str:
    return ",".join(services)


def get_services_encountered() -> list[str]:
    ctx = current_context()
    return list(ctx.services_encountered) if ctx else []


def add_service_to_trace(service_name: str) -> Token[RequestContext | None]:
    """Appends a name to the current request's list (e.g. "kafka-producer" before producing)."""
    if not is_valid_service_name(service_name):
        raise ValueError("service name must be 1-128 characters of [A-Za-z0-9._:@/-]")
    ctx = current_context() or RequestContext()
    return use_context(
        replace(ctx, services_encountered=append_service(ctx.services_encountered, service_name))
    )


def create_child_trace_context(
    services: Iterable[str] = (), request_id: str | None = None
) -> RequestContext:
    """Seed 002's ``create_child_trace_context``: a context for work that did not arrive over a
    propagating transport (a WebSocket frame, a timer). It starts a new trace with its own
    request ID (an invalid one is replaced) and service chain. Use it with ``request_scope``.
    """
    return RequestContext(
        request_id=accept_request_id(request_id).id,
        trace_id=generate_trace_id(),
        span_id=generate_span_id(),
        services_encountered=tuple(s for s in services if is_valid_service_name(s))[-MAX_SERVICES:],
    )


def get_trace_context() -> dict[str, object]:
    """The seed 002 view of the current request: IDs and the services encountered."""
    from .context import get_span_id, get_trace_id

    ctx = current_context()
    return {
        "request_id": ctx.request_id if ctx else None,
        "trace_id": get_trace_id(),
        "span_id": get_span_id(),
        "service": settings.service,
        "services_encountered": list(ctx.services_encountered) if ctx else [],
    }
