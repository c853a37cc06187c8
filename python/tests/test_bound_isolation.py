"""A logger bound with one request's IDs, reused by many concurrent requests of a real server:
every line names its own request; the stray IDs survive only as ``user.*`` fields (issue #2)."""

import asyncio
from collections import defaultdict

import httpx
import pytest

N = 300
FIRST = "req_aaaaaaaaaaaa"
BOUND_EVENTS = ("bound_structlog_used", "bound_logger_used", "bound_stdlib_used")


@pytest.fixture(scope="module")
def svc(services):
    return services("py-bound")


async def fire(url: str) -> dict[str, dict]:
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    async with httpx.AsyncClient(limits=limits, timeout=120) as client:

        async def one(i: int) -> dict:
            request_id = f"iso-{i:04d}"
            response = await client.get(
                f"{url}/bound", params={"tag": str(i)}, headers={"x-request-id": request_id}
            )
            assert response.status_code == 200, response.text
            assert response.headers["x-request-id"] == request_id
            return response.json()

        bodies = await asyncio.gather(*(one(i) for i in range(N)))
    return {body["request_id"]: body for body in bodies}


def test_a_logger_bound_in_one_request_never_names_another(svc):
    first = httpx.get(f"{svc.url}/bound", params={"tag": "first"}, headers={"x-request-id": FIRST})
    assert first.status_code == 200, first.text
    stray = first.json()  # the IDs every bound logger now carries
    assert stray["request_id"] == FIRST

    requests = asyncio.run(fire(svc.url))
    assert len(requests) == N
    assert httpx.get(f"{svc.url}/stats").json()["max_inflight"] > 1, "requests did not overlap"

    def done(lines):
        return sum(l["event"] == "request_completed" and l.get("path") == "/bound" for l in lines) > N

    lines = [l for l in svc.wait_for(done, timeout=60) if l.get("path") != "/stats"]

    by_request = defaultdict(list)
    for line in lines:
        by_request[line.get("request_id")].append(line)
    assert set(by_request) == {FIRST, *requests}, "a line without its request's ID"
    first_lines = sorted(l["event"] for l in by_request[FIRST])
    assert first_lines == sorted(["request_received", *BOUND_EVENTS, "request_completed"]), (
        "lines of other requests carry the first request's ID"
    )

    for request_id, body in requests.items():
        own = by_request[request_id]
        events = sorted(l["event"] for l in own)
        assert events == sorted(["request_received", *BOUND_EVENTS, "request_completed"]), events
        for line in own:
            assert line["trace_id"] == body["trace_id"], line
            assert line["service"] == "py-bound" and line["level"] == "info", line
            if line["event"] in BOUND_EVENTS:
                assert line["span_id"] == body["span_id"], line
                assert line["user.request_id"] == FIRST, line
                assert line["user.trace_id"] == stray["trace_id"], line
                assert line["user.span_id"] == stray["span_id"], line
                assert line["agent"] == "planner", line
            else:
                assert not any(key.startswith("user.") for key in line), line
        tagged = [l for l in own if "tag" in l]
        assert {l["tag"] for l in tagged} == {str(int(request_id[4:]))}, tagged

    # In the raw text the first request's IDs appear only as the user.* fields, once each.
    for raw in svc.raw_lines():
        if not raw or FIRST in raw and f'"request_id":"{FIRST}"' in raw:
            continue  # the first request's own lines
        if '"path":"/stats"' in raw:
            continue
        for key, value in (
            ("request_id", FIRST),
            ("trace_id", stray["trace_id"]),
            ("span_id", stray["span_id"]),
        ):
            assert raw.count(value) == raw.count(f'"user.{key}":"{value}"') <= 1, raw
        for key in ("request_id", "trace_id", "span_id", "level", "timestamp", "service"):
            assert raw.count(f'"{key}":') <= 1, raw
