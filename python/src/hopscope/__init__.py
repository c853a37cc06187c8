"""Hopscope for Python services: one request ID and one trace through every hop.

Core (standard library only): request IDs, W3C Trace Context and Baggage, the DESIGN.md log
line, ``timed``, ``TracedError`` and payload metadata. Integrations, imported on demand:
``hopscope.integrations.asgi`` (FastAPI/Starlette), ``.httpx``, ``.structlog``, ``.logging``.
"""

from .baggage import BaggageEntry, format_baggage, parse_baggage
from .config import DEFAULT_REQUEST_ID_HEADERS, configure, settings
from .context import (
    RequestContext,
    child_span,
    current_context,
    get_request_id,
    get_span_id,
    get_trace_id,
    request_scope,
    reset_context,
    set_request_id,
    use_context,
)
from .errors import TracedError
from .ids import (
    AcceptedRequestId,
    accept_request_id,
    generate_request_id,
    generate_span_id,
    generate_trace_id,
    is_valid_request_id,
    request_id_rejection,
)
from .log import Logger, build_line, get_logger, render_json, render_pretty
from .metadata import TraceMetadata, trace_metadata_from, with_trace_metadata
from .propagation import (
    Incoming,
    context_from_headers,
    header_values,
    message_headers,
    outgoing_headers,
)
from .services import (
    add_service_to_trace,
    create_child_trace_context,
    get_services_encountered,
    get_trace_context,
    parse_services,
)
from .timed import timed
from .tracecontext import (
    TraceParent,
    format_traceparent,
    format_tracestate,
    parse_traceparent,
    parse_tracestate,
    tracestate_set,
)

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_REQUEST_ID_HEADERS",
    "AcceptedRequestId",
    "BaggageEntry",
    "Incoming",
    "Logger",
    "RequestContext",
    "TraceMetadata",
    "TraceParent",
    "TracedError",
    "accept_request_id",
    "add_service_to_trace",
    "build_line",
    "child_span",
    "configure",
    "context_from_headers",
    "create_child_trace_context",
    "current_context",
    "format_baggage",
    "format_traceparent",
    "format_tracestate",
    "generate_request_id",
    "generate_span_id",
    "generate_trace_id",
    "get_logger",
    "get_request_id",
    "get_services_encountered",
    "get_span_id",
    "get_trace_context",
    "get_trace_id",
    "header_values",
    "is_valid_request_id",
    "message_headers",
    "outgoing_headers",
    "parse_baggage",
    "parse_services",
    "parse_traceparent",
    "parse_tracestate",
    "render_json",
    "render_pretty",
    "request_id_rejection",
    "request_scope",
    "reset_context",
    "set_request_id",
    "settings",
    "timed",
    "trace_metadata_from",
    "tracestate_set",
    "use_context",
    "with_trace_metadata",
]
