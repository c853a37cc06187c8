"""With the OpenTelemetry Python API and SDK installed, IDs come from OpenTelemetry's span.

Not run on the build machine: opentelemetry-api/-sdk are not installable there (no PyPI, no
Debian package), so this module skips itself; python/README.md says so.
"""

import json

import pytest

trace = pytest.importorskip("opentelemetry.trace", reason="opentelemetry-api is not installed")
sdk_trace = pytest.importorskip("opentelemetry.sdk.trace", reason="opentelemetry-sdk is not installed")

import hopscope  # noqa: E402
from hopscope import otel  # noqa: E402


@pytest.fixture(scope="module")
def tracer():
    provider = sdk_trace.TracerProvider()
    return provider.get_tracer("hopscope-test")


def test_log_lines_carry_the_current_otel_span(tracer, captured):
    assert otel.AVAILABLE
    with tracer.start_as_current_span("parent") as parent, tracer.start_as_current_span("child") as child:
        hopscope.get_logger().info("inside_otel_span")
        sc, pc = child.get_span_context(), parent.get_span_context()
        ids = otel.current_ids()
    (line,) = captured()
    assert line["trace_id"] == f"{sc.trace_id:032x}" and line["span_id"] == f"{sc.span_id:016x}"
    assert ids.parent_span_id == f"{pc.span_id:016x}"


def test_incoming_requests_adopt_the_otel_server_span(tracer):
    with tracer.start_as_current_span("server") as span:
        incoming = hopscope.context_from_headers({"x-request-id": "req_abc123def456"})
        sc = span.get_span_context()
    assert incoming.context.trace_id == f"{sc.trace_id:032x}"
    assert incoming.context.span_id == f"{sc.span_id:016x}"


def test_outgoing_headers_come_from_the_otel_propagator(tracer):
    with tracer.start_as_current_span("client") as span:
        headers = hopscope.outgoing_headers(hopscope.RequestContext(request_id="req_abc123def456"))
        sc = span.get_span_context()
    assert headers["traceparent"] == f"00-{sc.trace_id:032x}-{sc.span_id:016x}-01"
    assert headers["x-request-id"] == "req_abc123def456"
    assert json.dumps(headers)
