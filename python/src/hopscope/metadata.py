"""Trace metadata inside message payloads (seed 000 FR-4), for hops that are not HTTP calls:
queues, sandboxes, job records. Field names match the Node SDK."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .config import is_valid_service_name, settings
from .context import RequestContext, current_context, get_span_id, get_trace_id
from .ids import accept_request_id, generate_span_id, generate_trace_id, is_valid_request_id
from .tracecontext import format_traceparent, parse_traceparent


def with_trace_metadata(body: Mapping[str, Any], *, service: str | None = None) -> dict[str, Any]:
    """A copy of ``body`` whose ``metadata`` carries request_id, source_service and traceparent.

    Existing metadata keys are kept; the body itself is not modified.
    """
    if not isinstance(body, Mapping):
        raise TypeError(f"with_trace_metadata expects a dict body, got {type(body).__name__}")
    existing = body.get("metadata")
    if existing is not None and not isinstance(existing, Mapping):
        raise TypeError(
            f"body['metadata'] must be a dict to carry trace metadata, got {type(existing).__name__}"
        )
    ctx = current_context()
    trace_id, span_id = get_trace_id(), get_span_id()
    metadata = dict(existing or {})
    metadata["request_id"] = ctx.request_id if ctx else None
    metadata["source_service"] = service or settings.service
    metadata["traceparent"] = (
        format_traceparent(trace_id, span_id, ctx.trace_flags if ctx else 3)
        if trace_id and span_id
        else None
    )
    return {**body, "metadata": metadata}


@dataclass(frozen=True, slots=True)
class TraceMetadata:
    request_id: str | None
    source_service: str | None
    traceparent: str | None

    def to_context(self) -> RequestContext:
        """A context continuing this metadata's request and trace in a new span."""
        parent = parse_traceparent(self.traceparent)
        return RequestContext(
            request_id=self.request_id or accept_request_id(None).id,
            trace_id=parent.trace_id if parent else generate_trace_id(),
            span_id=generate_span_id(),
            parent_span_id=parent.parent_id if parent else None,
            trace_flags=parent.trace_flags if parent else 3,
            upstream_service=self.source_service,
        )


def trace_metadata_from(body: Mapping[str, Any] | None) -> TraceMetadata:
    """Reads and validates ``body["metadata"]``; invalid or missing fields come back as None."""
    metadata = body.get("metadata") if isinstance(body, Mapping) else None
    if not isinstance(metadata, Mapping):
        metadata = {}
    request_id = metadata.get("request_id")
    source = metadata.get("source_service")
    traceparent = metadata.get("traceparent")
    parsed = parse_traceparent(traceparent) if isinstance(traceparent, str) else None
    return TraceMetadata(
        request_id=request_id if is_valid_request_id(request_id) else None,
        source_service=source if is_valid_service_name(source) else None,
        traceparent=str(parsed) if parsed else None,
    )
