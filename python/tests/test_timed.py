"""@timed on sync and async functions and generators (seed 000 FR-8)."""

import asyncio

import pytest

import hopscope
from hopscope import RequestContext, get_span_id, request_scope, timed

REQUEST = RequestContext(
    request_id="req_abc123def456", trace_id="4bf92f3577b34da6a3ce929d0e0e4736", span_id="00f067aa0ba902b7"
)


def events(lines):
    return [line["event"] for line in lines]


def check_span(lines, name):
    """All lines of the timed call share one new span under the request's."""
    spans = {l["span_id"] for l in lines if l["event"].startswith(name)}
    assert len(spans) == 1 and REQUEST.span_id not in spans
    for line in lines:
        assert line["request_id"] == REQUEST.request_id and line["trace_id"] == REQUEST.trace_id
        if line["event"].startswith(name):
            assert line["parent_span_id"] == REQUEST.span_id
    return spans.pop()


def test_sync_function(captured):
    @timed("complexity_analysis")
    def analyze(x):
        hopscope.get_logger().info("inside", span_seen=get_span_id())
        return x * 2

    with request_scope(REQUEST):
        assert analyze(21) == 42
        assert get_span_id() == REQUEST.span_id  # restored after the call
    lines = captured()
    assert events(lines) == ["complexity_analysis_started", "inside", "complexity_analysis_completed"]
    span = check_span(lines, "complexity_analysis")
    assert lines[1]["span_id"] == lines[1]["span_seen"] == span
    assert lines[0]["level"] == "debug" and lines[2]["level"] == "info"
    assert lines[2]["duration_ms"] >= 0
    assert analyze.__name__ == "analyze"


def test_sync_failure_is_logged_and_reraised(captured):
    @timed
    def explode():
        raise KeyError("missing")

    with request_scope(REQUEST), pytest.raises(KeyError):
        explode()
    started, failed = captured()
    assert (started["event"], failed["event"]) == ("explode_started", "explode_failed")
    assert failed["level"] == "error" and failed["error_type"] == "KeyError"
    assert failed["error"] == "'missing'" and "KeyError" in failed["error_stack"]
    assert failed["duration_ms"] >= 0


def test_async_functions_run_concurrently_in_their_own_spans(captured):
    @timed()
    async def step(i):
        await asyncio.sleep(0.001 * (3 - i))
        hopscope.get_logger().info("step_body", i=i)
        if i == 2:
            raise RuntimeError("third failed")
        return i

    async def main():
        with request_scope(REQUEST):
            return await asyncio.gather(*(step(i) for i in range(3)), return_exceptions=True)

    results = asyncio.run(main())
    assert results[:2] == [0, 1] and isinstance(results[2], RuntimeError)
    lines = captured()
    assert events(lines).count("step_completed") == 2 and events(lines).count("step_failed") == 1
    spans = {}
    for line in lines:
        if line["event"] == "step_body":
            spans[line["i"]] = line["span_id"]
    assert len(set(spans.values())) == 3  # one span per call, never shared
    for line in lines:
        if line["event"] in ("step_completed", "step_failed"):
            assert line["parent_span_id"] == REQUEST.span_id


def test_async_generator_streams_in_its_span_without_leaking_it(captured):
    @timed("token_stream")
    async def tokens():
        for t in ("a", "b", "c"):
            hopscope.get_logger().info("token_yielded", token=t)
            yield t

    async def main():
        seen = []
        with request_scope(REQUEST):
            async for t in tokens():
                seen.append((t, get_span_id()))  # the consumer stays in its own span
        return seen

    seen = asyncio.run(main())
    assert [t for t, _ in seen] == ["a", "b", "c"]
    assert {span for _, span in seen} == {REQUEST.span_id}
    lines = captured()
    assert events(lines) == ["token_stream_started"] + ["token_yielded"] * 3 + ["token_stream_completed"]
    span = check_span(lines, "token_stream")
    assert {l["span_id"] for l in lines if l["event"] == "token_yielded"} == {span}


def test_async_generator_early_exit_and_failure(captured):
    @timed("chunks")
    async def chunks(fail_at=None):
        for i in range(10):
            if i == fail_at:
                raise ValueError("bad chunk")
            yield i

    async def main():
        with request_scope(REQUEST):
            gen = chunks()
            async for i in gen:
                if i == 1:
                    break
            await gen.aclose()
            with pytest.raises(ValueError):
                async for _ in chunks(fail_at=2):
                    pass

    asyncio.run(main())
    lines = captured()
    completed = [l for l in lines if l["event"] == "chunks_completed"]
    failed = [l for l in lines if l["event"] == "chunks_failed"]
    assert len(completed) == 1 and completed[0]["early_exit"] is True
    assert len(failed) == 1 and failed[0]["error"] == "bad chunk"


def test_sync_generator(captured):
    @timed("rows")
    def rows():
        yield from range(3)

    with request_scope(REQUEST):
        assert list(rows()) == [0, 1, 2]
        gen = rows()
        next(gen)
        gen.close()
    lines = captured()
    assert events(lines) == ["rows_started", "rows_completed", "rows_started", "rows_completed"]
    assert "early_exit" not in lines[1] and lines[3]["early_exit"] is True


def test_outside_a_request_timed_still_logs_a_span(captured):
    @timed("nightly_job")
    def job():
        return "ok"

    assert job() == "ok"
    started, completed = captured()
    assert "request_id" not in completed and len(completed["trace_id"]) == 32
    assert completed["parent_span_id"] is None


def test_timed_names_are_validated(captured):
    with pytest.raises(ValueError, match="timed\\(\\) name must be"):
        timed("bad name!")

    @timed()
    def café():
        return 1

    assert café() == 1
    assert events(captured()) == ["anonymous_started", "anonymous_completed"]  # as in Node
