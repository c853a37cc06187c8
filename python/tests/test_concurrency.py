"""1,000 concurrent requests through two real services: every line belongs to exactly one request."""

import asyncio
import re
from collections import defaultdict

import httpx
import pytest

N = 1000
ID_TOKEN = re.compile(r"req_[0-9a-f]{12}|load-\d{4}")


@pytest.fixture(scope="module")
def pair(services):
    downstream = services("py-leaf")
    upstream = services("py-worker", DOWNSTREAM=downstream.url)
    return upstream, downstream


async def fire(url: str) -> list[tuple[int, str, dict]]:
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(limits=limits, timeout=120) as client:

        async def one(i: int):
            # Half bring their own ID, half get one generated.
            headers = {"x-request-id": f"load-{i:04d}"} if i % 2 else {}
            response = await client.get(f"{url}/work", params={"tag": str(i)}, headers=headers)
            assert response.status_code == 200, response.text
            return i, response.headers["x-request-id"], response.json()

        return await asyncio.gather(*(one(i) for i in range(N)))


def test_a_thousand_concurrent_requests_never_mix(pair):
    upstream, downstream = pair
    results = asyncio.run(fire(upstream.url))

    ids = {i: request_id for i, request_id, _ in results}
    assert len(set(ids.values())) == N, "request IDs must be distinct"
    for i, request_id, body in results:
        assert body["request_id"] == request_id
        assert body["downstream_saw"] == request_id, "the outgoing call carried another request's ID"
        assert request_id == (f"load-{i:04d}" if i % 2 else request_id)
        assert i % 2 or re.fullmatch(r"req_[0-9a-f]{12}", request_id)
    assert httpx.get(f"{upstream.url}/stats").json()["max_inflight"] > 1, "requests did not overlap"

    done = lambda lines: sum(l["event"] == "request_completed" for l in lines) >= N  # noqa: E731
    up_lines = [l for l in upstream.wait_for(done, timeout=60) if l.get("path") != "/stats"]
    down_lines = downstream.wait_for(done, timeout=60)

    # No line names another request's ID anywhere in its text.
    for service in (upstream, downstream):
        for raw in service.raw_lines():
            if raw and '"path":"/stats"' not in raw:
                tokens = set(ID_TOKEN.findall(raw))
                assert len(tokens) == 1, raw

    # Lines tagged by the handler belong to the request that carried the tag.
    by_request = defaultdict(list)
    for line in up_lines:
        by_request[line["request_id"]].append(line)
        if "tag" in line:
            assert line["request_id"] == ids[int(line["tag"])], line
    assert set(by_request) == set(ids.values())

    trace_of = {}
    for request_id, lines in by_request.items():
        events = [l["event"] for l in lines]
        for expected in (
            "request_received",
            "work_started",
            "log",  # the stdlib logging line
            "complexity_detected",
            "complexity_analysis_completed",
            "outgoing_request_completed",
            "work_finished",
            "request_completed",
        ):
            assert events.count(expected) == 1, (request_id, events)
        traces = {l["trace_id"] for l in lines}
        assert len(traces) == 1, (request_id, traces)
        trace_of[request_id] = traces.pop()
    assert len(set(trace_of.values())) == N, "each request is its own trace"

    # The downstream service saw each request once, in the caller's trace.
    down_by_request = defaultdict(list)
    for line in down_lines:
        down_by_request[line["request_id"]].append(line)
    assert set(down_by_request) == set(ids.values())
    for request_id, lines in down_by_request.items():
        assert {l["trace_id"] for l in lines} == {trace_of[request_id]}
        assert [l["event"] for l in lines] == ["request_received", "request_completed"]
