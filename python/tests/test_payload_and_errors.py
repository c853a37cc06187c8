"""TracedError.to_dict() and payload metadata, against the shared fixture."""

import re

import pytest
from conftest import load_fixture

import hopscope
from hopscope import RequestContext, TracedError, request_scope, trace_metadata_from, with_trace_metadata

FIXTURE = load_fixture("log-format.json")
PATTERNS = {k: re.compile(v) for k, v in FIXTURE["patterns"].items()}


def matches(got: dict, expected: dict) -> None:
    assert list(got) == list(expected)
    for key, want in expected.items():
        if isinstance(want, dict) and "$pattern" in want:
            assert PATTERNS[want["$pattern"]].match(got[key]), key
        else:
            assert got[key] == want, key


def run_in(context: dict | None, fn):
    if not context:
        return fn()
    with request_scope(RequestContext(**context)):
        return fn()


@pytest.mark.parametrize("case", FIXTURE["traced_error"], ids=lambda c: c["name"])
def test_traced_error_to_dict(case):
    i = case["input"]
    cause = None
    if i.get("cause"):
        cause_type = type(i["cause"]["type"], (Exception,), {})
        cause = cause_type(i["cause"]["message"])
    error = run_in(i.get("context"), lambda: TracedError(i["message"], cause=cause))
    matches(error.to_dict(), case["expected"])


@pytest.mark.parametrize("case", FIXTURE["with_trace_metadata"], ids=lambda c: c["name"])
def test_with_trace_metadata(case, captured):
    i = case["input"]
    hopscope.configure(i["service"])
    body = i["body"]
    before = repr(body)
    out = run_in(i.get("context"), lambda: with_trace_metadata(body))
    assert out == case["expected"]
    assert list(out["metadata"]) == list(case["expected"]["metadata"])
    assert repr(body) == before, "the caller's body must not be modified"


@pytest.mark.parametrize("case", FIXTURE["trace_metadata_from"], ids=lambda c: c["name"])
def test_trace_metadata_from(case):
    meta = trace_metadata_from(case["input"])
    assert {
        "request_id": meta.request_id,
        "source_service": meta.source_service,
        "traceparent": meta.traceparent,
    } == case["expected"]


def test_metadata_round_trip_continues_the_trace_in_a_new_span(captured):
    parent = RequestContext(request_id="req_abc123def456", trace_id="4bf92f3577b34da6a3ce929d0e0e4736", span_id="00f067aa0ba902b7")
    with request_scope(parent):
        message = with_trace_metadata({"task": "run"})
    ctx = trace_metadata_from(message).to_context()
    assert ctx.request_id == "req_abc123def456"
    assert ctx.trace_id == parent.trace_id
    assert ctx.parent_span_id == parent.span_id and ctx.span_id != parent.span_id
    assert ctx.upstream_service == "test-service"


def test_metadata_rejects_non_dict_bodies_precisely():
    with pytest.raises(TypeError, match="expects a dict body, got list"):
        with_trace_metadata([1, 2])
    with pytest.raises(TypeError, match=r"body\['metadata'\] must be a dict"):
        with_trace_metadata({"metadata": "x"})


def test_traced_error_is_raisable_with_a_chain():
    with request_scope(RequestContext(request_id="req_abc123def456")):
        with pytest.raises(TracedError) as info:
            try:
                raise TimeoutError("slow")
            except TimeoutError as exc:
                raise TracedError("Sandy execution timed out", cause=exc) from exc
    assert info.value.request_id == "req_abc123def456"
    assert isinstance(info.value.__cause__, TimeoutError)
    assert info.value.to_dict()["cause_type"] == "TimeoutError"


def test_message_headers_carry_the_request_through_a_queue(captured):
    producer = RequestContext(request_id="req_abc123def456", trace_id="4bf92f3577b34da6a3ce929d0e0e4736", span_id="00f067aa0ba902b7")
    with request_scope(producer):
        headers = hopscope.message_headers()
    assert all(isinstance(name, str) and isinstance(value, bytes) for name, value in headers)
    consumer = hopscope.context_from_headers(headers).context
    assert consumer.request_id == "req_abc123def456" and consumer.trace_id == producer.trace_id
    assert consumer.parent_span_id not in (None, producer.span_id)  # the produce step's own span
    assert consumer.upstream_service == "test-service"
