"""Reading a request's identity from incoming headers and writing it onto outgoing ones.

Works with any header carrier: ASGI's ``[(b"name", b"value")]`` list, a dict, httpx or
Starlette ``Headers``, or Kafka-style ``[("name", b"value")]`` message headers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from . import otel
from .baggage import format_baggage, parse_baggage
from .config import is_valid_service_name, settings
from .context import RequestContext, current_context
from .ids import AcceptedRequestId, accept_request_id, generate_span_id, generate_trace_id
from .services import HEADER as SERVICES_HEADER
from .services import append_service, format_services, parse_services
from .tracecontext import (
    RANDOM,
    SAMPLED,
    format_traceparent,
    format_tracestate,
    parse_traceparent,
    parse_tracestate,
)

HeaderCarrier = Mapping[str, Any] | Iterable[tuple[str | bytes, str | bytes]]


def _text(value: str | bytes) -> str:
    # HTTP field values are bytes; latin-1 maps every byte, so nothing is lost or raises.
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


def header_values(headers: HeaderCarrier | None, name: str) -> list[str]:
    """Every value of header ``name`` (case-insensitive), in order."""
    if headers is None:
        return []
    name = name.lower()
    getter = getattr(headers, "get_list", None) or getattr(headers, "getlist", None)
    if getter is not None:
        return [_text(v) for v in getter(name)]
    items = headers.items() if isinstance(headers, Mapping) else headers
    values: list[str] = []
    for key, value in items:
        if _text(key).lower() == name:
            if isinstance(value, list | tuple):
                values.extend(_text(v) for v in value)
            else:
                values.append(_text(value))
    return values


_PROPAGATED = ("traceparent", "tracestate", "baggage", "x-upstream-service", SERVICES_HEADER)


def _collect(headers: HeaderCarrier | None, names: Iterable[str]) -> dict[str, list[str]]:
    """The values of the headers we read, in one pass over a list-shaped carrier (ASGI)."""
    wanted = {n.lower() for n in names}
    if headers is None:
        return {}
    if isinstance(headers, Mapping) or hasattr(headers, "get_list") or hasattr(headers, "getlist"):
        return {n: v for n in wanted if (v := header_values(headers, n))}
    found: dict[str, list[str]] = {}
    for key, value in headers:
        name = _text(key).lower()
        if name in wanted:
            found.setdefault(name, []).append(_text(value))
    return found


@dataclass(frozen=True, slots=True)
class Incoming:
    """The context a received request continues, plus what had to be rejected (by reason only)."""

    context: RequestContext
    request_id: AcceptedRequestId
    traceparent_rejected: bool
    """A traceparent was sent but was invalid, so a new trace was started."""


def context_from_headers(
    headers: HeaderCarrier | None,
    *,
    service: str | None = None,
    request_id_headers: Iterable[str] | None = None,
    services_encountered: bool | None = None,
) -> Incoming:
    """Continues the caller's trace with a new span (or starts one) and accepts its request ID.

    The first request-ID header present (x-request-id, then the aliases) is validated; a bad
    value is replaced by a generated ID. Repeated headers are joined as HTTP lists are, which
    makes a repeated request ID invalid rather than silently picking one.
    """
    service = service or settings.service
    id_headers = tuple(h.lower() for h in (request_id_headers or settings.request_id_headers))
    found = _collect(headers, (*id_headers, *_PROPAGATED))
    raw_id: str | None = None
    for name in id_headers:
        values = found.get(name)
        if values:
            raw_id = ",".join(values).strip(" \t")
            break
    accepted = accept_request_id(raw_id)

    parents = found.get("traceparent", [])
    parent = parse_traceparent(parents[0]) if len(parents) == 1 else None
    traceparent_rejected = bool(parents) and parent is None
    otel_ids = otel.current_ids()
    if otel_ids is not None:
        # OpenTelemetry's server span already continues the trace: adopt it.
        trace_id, span_id = otel_ids.trace_id, otel_ids.span_id
        parent_span_id, flags = otel_ids.parent_span_id, otel_ids.trace_flags
    elif parent is not None:
        trace_id, span_id = parent.trace_id, generate_span_id()
        parent_span_id, flags = parent.parent_id, parent.trace_flags
    else:
        # A trace born here: sampled, and its ID is random (Level 2 "random" flag).
        trace_id, span_id, parent_span_id = generate_trace_id(), generate_span_id(), None
        flags = SAMPLED | RANDOM
    # tracestate is meaningless without a valid traceparent (spec: ignore it then).
    tracestate = parse_tracestate(found.get("tracestate")) if parent else None

    upstream = found.get("x-upstream-service", [])
    upstream_service = upstream[0].strip() if len(upstream) == 1 else None
    if not is_valid_service_name(upstream_service):
        upstream_service = None

    track = settings.services_encountered if services_encountered is None else services_encountered
    services: tuple[str, ...] = ()
    if track:
        services = append_service(parse_services(found.get(SERVICES_HEADER)), service)

    ctx = RequestContext(
        request_id=accepted.id,
        trace_id=trace_id,
        span_id=span_id,
        parent_span_id=parent_span_id,
        trace_flags=flags & 0xFF,
        tracestate=tracestate,
        baggage=parse_baggage(found.get("baggage")),
        services_encountered=services,
        upstream_service=upstream_service,
    )
    return Incoming(ctx, accepted, traceparent_rejected)


def outgoing_headers(
    ctx: RequestContext,
    *,
    service: str | None = None,
    services_encountered: bool | None = None,
) -> dict[str, str]:
    """Headers that carry ``ctx`` to the next service; ``ctx.span_id`` is the client span.

    When OpenTelemetry has a current span, its propagator writes the W3C headers instead.
    """
    headers: dict[str, str] = {}
    if not otel.inject(headers):
        if ctx.trace_id and ctx.span_id:
            headers["traceparent"] = format_traceparent(ctx.trace_id, ctx.span_id, ctx.trace_flags)
        if ctx.tracestate:
            headers["tracestate"] = format_tracestate(ctx.tracestate)
        if ctx.baggage:
            baggage = format_baggage(ctx.baggage)
            if baggage:
                headers["baggage"] = baggage
    if ctx.request_id:
        headers["x-request-id"] = ctx.request_id
    headers["x-upstream-service"] = service or settings.service
    track = settings.services_encountered if services_encountered is None else services_encountered
    if track:
        services = ctx.services_encountered or (service or settings.service,)
        headers[SERVICES_HEADER] = format_services(services)
    return headers


def message_headers(
    *, service: str | None = None, services_encountered: bool | None = None
) -> list[tuple[str, bytes]]:
    """Kafka-style ``[(name, bytes)]`` headers for a message produced in the current request.

    The message is a child span of the current one (a new trace and request ID outside any
    request); the consumer continues it with ``context_from_headers(message.headers())``.
    """
    from .ids import generate_request_id

    parent = current_context() or RequestContext(request_id=generate_request_id())
    headers = outgoing_headers(
        parent.child(), service=service, services_encountered=services_encountered
    )
    return [(name, value.encode("ascii", "replace")) for name, value in headers.items()]
