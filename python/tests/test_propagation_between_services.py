"""Two real services: a FastAPI service calling another through the traced httpx client."""

import re

import httpx
import pytest

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00f067aa0ba902b7"


@pytest.fixture(scope="module")
def pair(services):
    downstream = services("py-sandbox", SERVICES_ENCOUNTERED="1")
    upstream = services("py-agent", DOWNSTREAM=downstream.url, SERVICES_ENCOUNTERED="1")
    return upstream, downstream


def final_lines(service, request_id):
    def done(lines):
        return any(l.get("request_id") == request_id and l["event"] == "request_completed" for l in lines)

    return [l for l in service.wait_for(done) if l.get("request_id") == request_id]


def test_one_request_id_and_one_trace_across_the_hop(pair):
    upstream, downstream = pair
    response = httpx.get(
        f"{upstream.url}/chain",
        headers={
            "x-request-id": "req_c4a1c4a1c4a1",
            "traceparent": f"00-{TRACE}-{PARENT}-01",
            "tracestate": "congo=t61rcWkgMzE",
            "baggage": "tenant=acme,plan=pro%20plus",
            "x-services-encountered": "client-app,api-gateway",
        },
    )
    body = response.json()
    seen = body["downstream"]["headers"]
    own = body["context"]

    # What the callee received
    assert seen["x-request-id"] == "req_c4a1c4a1c4a1"
    assert seen["x-upstream-service"] == "py-agent"
    version, trace_id, client_span, flags = seen["traceparent"].split("-")
    assert (version, trace_id, flags) == ("00", TRACE, "01")
    assert client_span not in (PARENT, own["span_id"])  # a client span of its own
    assert seen["tracestate"] == "congo=t61rcWkgMzE"
    assert seen["baggage"] == "tenant=acme,plan=pro%20plus"
    assert seen["x-services-encountered"] == "client-app,api-gateway,py-agent"
    assert body["downstream"]["context"]["services_encountered"] == [
        "client-app",
        "api-gateway",
        "py-agent",
        "py-sandbox",
    ]

    # The caller logged that client span under its server span, so the server can stitch
    up_lines = final_lines(upstream, "req_c4a1c4a1c4a1")
    outgoing = next(l for l in up_lines if l["event"] == "outgoing_request_completed")
    assert outgoing["span_id"] == client_span
    assert outgoing["parent_span_id"] == own["span_id"]
    assert outgoing["trace_id"] == TRACE and outgoing["status_code"] == 200
    assert outgoing["url"] == f"{downstream.url}/echo" and outgoing["method"] == "GET"
    assert outgoing["duration_ms"] >= 0

    # ...and the callee's lines hang under it
    down_lines = final_lines(downstream, "req_c4a1c4a1c4a1")
    assert {l["trace_id"] for l in down_lines} == {TRACE}
    assert {l["parent_span_id"] for l in down_lines if l["event"].startswith("request_")} == {client_span}
    received = down_lines[0]
    assert received["upstream_service"] == "py-agent"


def test_a_request_without_headers_still_flows_as_one(pair):
    upstream, downstream = pair
    response = httpx.get(f"{upstream.url}/chain")
    request_id = response.headers["x-request-id"]
    body = response.json()
    assert body["downstream"]["headers"]["x-request-id"] == request_id
    assert body["downstream"]["context"]["trace_id"] == body["context"]["trace_id"]
    assert body["downstream"]["headers"]["x-services-encountered"] == "py-agent"
    assert re.fullmatch(r"req_[0-9a-f]{12}", request_id)


def test_connection_failures_are_logged_as_failed_client_spans(captured):
    import asyncio

    import hopscope
    from hopscope.integrations.httpx import traced_async_client, traced_client

    with hopscope.request_scope(hopscope.context_from_headers({"x-request-id": "req_dead0dead0de"}).context):
        with traced_client() as client, pytest.raises(httpx.ConnectError):
            client.get("http://127.0.0.1:9/unreachable?token=secret")

        async def call():
            async with traced_async_client() as client:
                await client.get("http://127.0.0.1:9/unreachable?token=secret")

        with pytest.raises(httpx.ConnectError):
            asyncio.run(call())
    lines = [l for l in captured() if l["event"] == "outgoing_request_failed"]
    assert len(lines) == 2
    for line in lines:
        assert line["request_id"] == "req_dead0dead0de" and line["error_type"] == "ConnectError"
        assert line["url"] == "http://127.0.0.1:9/unreachable"  # no query string: it may hold secrets
        assert "secret" not in captured.buffer.getvalue()


def test_event_hooks_inject_and_log(pair, captured):
    import hopscope
    from hopscope.integrations.httpx import event_hooks

    upstream, downstream = pair
    ctx = hopscope.context_from_headers({"traceparent": f"00-{TRACE}-{PARENT}-00"}).context
    with hopscope.request_scope(ctx), httpx.Client(event_hooks=event_hooks(service="hooked")) as client:
        seen = client.get(f"{downstream.url}/echo").json()["headers"]
    assert seen["x-request-id"] == ctx.request_id and seen["x-upstream-service"] == "hooked"
    assert seen["traceparent"].startswith(f"00-{TRACE}-") and seen["traceparent"].endswith("-00")
    (line,) = [l for l in captured() if l["event"] == "outgoing_request_completed"]
    assert line["span_id"] == seen["traceparent"].split("-")[2] and line["parent_span_id"] == ctx.span_id


def test_outside_any_request_a_call_starts_its_own_request(pair, captured):
    from hopscope.integrations.httpx import traced_client

    _, downstream = pair
    with traced_client() as client:
        seen = client.get(f"{downstream.url}/echo").json()["headers"]
    assert re.fullmatch(r"req_[0-9a-f]{12}", seen["x-request-id"])
    (line,) = [l for l in captured() if l["event"] == "outgoing_request_completed"]
    assert line["request_id"] == seen["x-request-id"] and line["parent_span_id"] is None
