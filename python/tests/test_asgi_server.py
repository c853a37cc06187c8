"""The ASGI middleware on a real uvicorn server, called over real HTTP."""

import re
import socket
from urllib.parse import urlparse

import httpx
import pytest

REQ_ID = re.compile(r"req_[0-9a-f]{12}")
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00f067aa0ba902b7"


@pytest.fixture(scope="module")
def svc(services):
    return services("py-gateway")


def lines_for(service, request_id, until_event="request_completed"):
    """The service's lines for one request, once its final line has been written."""

    def done(lines):
        return any(
            l.get("request_id") == request_id and l["event"] in (until_event, "request_failed")
            for l in lines
        )

    return [l for l in service.wait_for(done) if l.get("request_id") == request_id]


def test_generated_request_id_is_echoed_and_logged(svc):
    response = httpx.get(f"{svc.url}/echo")
    request_id = response.headers["x-request-id"]
    assert REQ_ID.fullmatch(request_id)
    body = response.json()
    assert body["context"]["request_id"] == request_id == body["state_request_id"]
    lines = lines_for(svc, request_id)
    events = [l["event"] for l in lines]
    assert events == ["request_received", "request_completed"]
    received, completed = lines
    for line in lines:
        assert line["service"] == "py-gateway"
        assert line["trace_id"] == body["context"]["trace_id"]
        assert line["span_id"] == body["context"]["span_id"]
        assert line["parent_span_id"] is None
        assert (line["method"], line["path"]) == ("GET", "/echo")
    assert completed["status_code"] == 200
    assert isinstance(completed["duration_ms"], int | float) and completed["duration_ms"] >= 0
    assert completed["level"] == "info" and received["level"] == "info"


def test_incoming_trace_is_continued_with_a_new_span(svc):
    response = httpx.get(
        f"{svc.url}/echo",
        headers={
            "x-request-id": "req_abc123def456",
            "traceparent": f"00-{TRACE}-{PARENT}-01",
            "tracestate": "rojo=1,congo=2",
            "x-upstream-service": "node-gateway",
        },
    )
    assert response.headers["x-request-id"] == "req_abc123def456"
    ctx = response.json()["context"]
    assert ctx["trace_id"] == TRACE and ctx["parent_span_id"] == PARENT
    assert re.fullmatch(r"[0-9a-f]{16}", ctx["span_id"]) and ctx["span_id"] != PARENT
    lines = lines_for(svc, "req_abc123def456")
    received = next(l for l in lines if l["event"] == "request_received")
    assert received["upstream_service"] == "node-gateway"
    assert all(l["trace_id"] == TRACE and l["parent_span_id"] == PARENT for l in lines)


def test_aliases_are_accepted(svc):
    response = httpx.get(f"{svc.url}/echo", headers={"X-Correlation-ID": "corr.42:a-b"})
    assert response.headers["x-request-id"] == "corr.42:a-b"


def test_unhandled_exception_gets_500_with_request_id_and_request_failed(svc):
    response = httpx.get(f"{svc.url}/fail", headers={"x-request-id": "req_fa11fa11fa11"})
    assert response.status_code == 500
    assert response.headers["x-request-id"] == "req_fa11fa11fa11"
    lines = lines_for(svc, "req_fa11fa11fa11")
    failed = lines[-1]
    assert failed["event"] == "request_failed" and failed["level"] == "error"
    assert (failed["error"], failed["error_type"], failed["status_code"]) == ("boom", "RuntimeError", 500)
    assert failed["duration_ms"] >= 0 and failed["path"] == "/fail"
    assert "request_completed" not in [l["event"] for l in lines]


@pytest.mark.parametrize(("path", "status"), [("/teapot", 418), ("/no/such/route", 404)])
def test_handled_errors_keep_the_request_id(svc, path, status):
    response = httpx.get(f"{svc.url}{path}")
    assert response.status_code == status
    request_id = response.headers["x-request-id"]
    completed = lines_for(svc, request_id)[-1]
    assert (completed["event"], completed["status_code"]) == ("request_completed", status)


def test_streamed_responses_pass_through_and_log_in_context(svc):
    with httpx.stream("GET", f"{svc.url}/stream") as response:
        request_id = response.headers["x-request-id"]
        chunks = list(response.iter_text())
    assert "".join(chunks) == "chunk0\nchunk1\nchunk2\n"
    lines = lines_for(svc, request_id)
    assert [l["event"] for l in lines] == [
        "request_received",
        "stream_chunk_sent",
        "stream_chunk_sent",
        "stream_chunk_sent",
        "request_completed",
    ]
    assert [l.get("index") for l in lines[1:4]] == [0, 1, 2]


def test_failure_mid_stream_is_logged_with_the_status_already_sent(svc):
    with pytest.raises(httpx.RemoteProtocolError):
        with httpx.stream("GET", f"{svc.url}/stream-fail") as response:
            request_id = response.headers["x-request-id"]
            list(response.iter_bytes())
    failed = lines_for(svc, request_id)[-1]
    assert (failed["event"], failed["status_code"], failed["error_type"]) == ("request_failed", 200, "ValueError")


def raw_request(url: str, head: list[bytes], path: bytes = b"/echo") -> tuple[int, list[tuple[bytes, bytes]]]:
    """Sends bytes no HTTP client would send, and returns the status and response headers."""
    parsed = urlparse(url)
    with socket.create_connection((parsed.hostname, parsed.port), timeout=10) as sock:
        request = b"GET " + path + b" HTTP/1.1\r\nHost: test\r\nConnection: close\r\n"
        request += b"".join(h + b"\r\n" for h in head) + b"\r\n"
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head_block = data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    status = int(head_block[0].split(b" ")[1])
    headers = [tuple(part.strip() for part in line.split(b":", 1)) for line in head_block[1:]]
    return status, headers


HOSTILE = [
    ("long id", [b"x-request-id: " + b"a" * 10_000], b"a" * 200),
    ("crlf injection", [b"x-request-id: evil-marker\r\nx-injected: evil-marker-2"], b"evil-marker-2"),
    ("ansi", [b"x-request-id: \x1b[31mansi-marker\x1b[0m"], b"ansi-marker"),
    ("json forging", [b'x-request-id: {"level":"fatal","marker":"forged-marker"}'], b"forged-marker"),
    ("obs-text", [b"x-request-id: \xff\xfeobs-marker"], b"obs-marker"),
    ("nul", [b"x-request-id: nul\x00marker"], b"nul\x00marker"),
    ("bad traceparent", [b"traceparent: 00-" + b"Z" * 32 + b"-" + b"z" * 16 + b"-01"], b"ZZZZZZZZ"),
    ("long traceparent", [b"traceparent: 00-" + TRACE.encode() + b"-" + PARENT.encode() + b"-01" + b"f" * 10_000], b"ffffffffff"),
    ("huge tracestate", [b"traceparent: 00-" + TRACE.encode() + b"-" + PARENT.encode() + b"-01", b"tracestate: k=" + b"v" * 10_000], b"vvvvvvvvvv"),
    ("huge baggage", [b"baggage: k=" + b"w" * 10_000], b"wwwwwwwwww"),
    ("hostile upstream", [b"x-upstream-service: evil service\x1b[2J"], b"evil service"),
    ("hostile chain", [b"x-services-encountered: a,\x1b[2Jchain-marker,b"], b"chain-marker"),
]


@pytest.mark.parametrize(("name", "head", "marker"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_headers_are_replaced_and_never_logged_raw(svc, name, head, marker):
    status, headers = raw_request(svc.url, head)
    ids = [v for k, v in headers if k.lower() == b"x-request-id"]
    assert not any(k.lower() == b"x-injected" for k, _ in headers)
    if status == 400:
        # The HTTP parser refused the request before the app saw it: nothing reached our logs.
        assert ids == []
    else:
        assert status == 200 and len(ids) == 1
        request_id = ids[0].decode()
        if name == "crlf injection":
            assert request_id == "evil-marker"  # the CRLF ended the header: a valid, separate ID
        else:
            assert REQ_ID.fullmatch(request_id), request_id
        lines = lines_for(svc, request_id)
        received = lines[0]
        if name in ("bad traceparent", "long traceparent"):
            assert received["traceparent_rejected"] is True and received["trace_id"] != TRACE
        if name == "long id":
            assert received["request_id_rejected"] == "too_long"
        if name in ("ansi", "json forging", "obs-text"):
            assert received["request_id_rejected"] == "invalid_chars"
    raw = svc.log_path.read_bytes()
    assert marker not in raw
    assert b"\x1b" not in raw and b"\x00" not in raw and b"\r" not in raw


def test_control_characters_in_the_path_are_escaped_in_the_log(svc):
    status, headers = raw_request(svc.url, [b"x-request-id: req_0a7b0a7b0a7b"], path=b"/p%1b%5b2Jath%0d%0a")
    assert status == 404
    lines = lines_for(svc, "req_0a7b0a7b0a7b")
    assert lines[0]["path"] == "/p\x1b[2Jath\r\n"  # kept as data, escaped in the JSON text
    raw = svc.log_path.read_bytes()
    assert b"\x1b" not in raw and b"\r" not in raw


def test_route_template_and_5xx_level(svc):
    response = httpx.get(f"{svc.url}/items/42")
    completed = lines_for(svc, response.headers["x-request-id"])[-1]
    assert completed["route"] == "/items/{item_id}" and completed["path"] == "/items/42"
    response = httpx.get(f"{svc.url}/unavailable")
    assert response.status_code == 503
    completed = lines_for(svc, response.headers["x-request-id"])[-1]
    assert (completed["event"], completed["level"]) == ("request_completed", "warn")


def test_request_received_is_debug_by_default_unless_something_was_rejected(services):
    quiet = services("py-quiet", RECEIVED_LEVEL="debug")
    ok = httpx.get(f"{quiet.url}/echo").headers["x-request-id"]
    rejected = httpx.get(f"{quiet.url}/echo", headers={"x-request-id": "bad id!"}).headers["x-request-id"]
    assert [l["event"] for l in lines_for(quiet, ok)] == ["request_completed"]
    received = lines_for(quiet, rejected)[0]
    assert (received["event"], received["request_id_rejected"]) == ("request_received", "invalid_chars")
