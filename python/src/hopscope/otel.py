"""Optional bridge to the OpenTelemetry Python API.

When ``opentelemetry-api`` is importable and a span is current, its IDs are the ones logged and
propagated, so a service already traced by OpenTelemetry gets one trace context, not two.
Set HOPSCOPE_OTEL=0 to ignore OpenTelemetry even when it is installed.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, MutableMapping
from typing import Any, NamedTuple

try:  # pragma: no cover - depends on what is installed
    if os.environ.get("HOPSCOPE_OTEL", "1") == "0":
        raise ImportError("disabled by HOPSCOPE_OTEL=0")
    from opentelemetry import propagate as _propagate
    from opentelemetry import trace as _trace
except ImportError:  # the common case on machines without OpenTelemetry
    _trace = None
    _propagate = None

AVAILABLE = _trace is not None


class OtelIds(NamedTuple):
    trace_id: str
    span_id: str
    parent_span_id: str | None
    trace_flags: int


def current_ids() -> OtelIds | None:
    """IDs of OpenTelemetry's current span, or None when there is no valid one."""
    if _trace is None:
        return None
    try:
        span = _trace.get_current_span()
        sc = span.get_span_context()
        if not sc.is_valid:
            return None
        # `parent` exists on SDK spans (ReadableSpan), not on the API's NonRecordingSpan.
        parent = getattr(span, "parent", None)
        parent_id = (
            f"{parent.span_id:016x}" if parent is not None and parent.is_valid else None
        )
        return OtelIds(f"{sc.trace_id:032x}", f"{sc.span_id:016x}", parent_id, int(sc.trace_flags))
    except Exception:  # never let a tracing hiccup reach the app
        return None


def set_request_id_attribute(request_id: str) -> None:
    """Puts ``request.id`` on the current OpenTelemetry span (DESIGN.md "Attributes")."""
    if _trace is None:
        return
    try:
        span = _trace.get_current_span()
        if span.is_recording():
            span.set_attribute("request.id", request_id)
    except Exception:
        return


def inject(carrier: MutableMapping[str, Any]) -> bool:
    """Writes traceparent/tracestate/baggage with OpenTelemetry's global propagator.

    Returns False when OpenTelemetry has no current span, so the caller propagates its own.
    """
    if _propagate is None or current_ids() is None:
        return False
    try:
        _propagate.inject(carrier)
        return "traceparent" in carrier
    except Exception:
        return False


@contextlib.contextmanager
def span(name: str) -> Iterator[OtelIds | None]:
    """A real OpenTelemetry span around the block when OpenTelemetry is tracing, else nothing.

    Yields the new span's IDs, or None when hopscope should make its own span ID.
    """
    if _trace is None or current_ids() is None:
        yield None
        return
    try:
        cm = _trace.get_tracer("hopscope").start_as_current_span(name)
        cm.__enter__()
    except Exception:
        yield None
        return
    try:
        yield current_ids()
    except BaseException as exc:
        cm.__exit__(type(exc), exc, exc.__traceback__)
        raise
    else:
        cm.__exit__(None, None, None)
