"""A FastAPI service instrumented the way the README says, configured by environment:
SERVICE (name), DOWNSTREAM (base URL for /chain and /work), SERVICES_ENCOUNTERED=1 (opt-in)."""

import asyncio
import logging
import os

import structlog
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import StreamingResponse

import hopscope
from hopscope.integrations.asgi import HopscopeMiddleware
from hopscope.integrations.httpx import traced_async_client
from hopscope.integrations.logging import configure_logging
from hopscope.integrations.structlog import configure_structlog

SERVICE = os.environ.get("SERVICE", "py-service")
DOWNSTREAM = os.environ.get("DOWNSTREAM", "")
hopscope.configure(SERVICE, services_encountered=os.environ.get("SERVICES_ENCOUNTERED") == "1")
log = configure_structlog(SERVICE, level=os.environ.get("LOG_LEVEL", "info"))
stdlog = configure_logging(SERVICE, level=os.environ.get("LOG_LEVEL", "INFO").upper())

app = FastAPI()
app.add_middleware(HopscopeMiddleware, received_level=os.environ.get("RECEIVED_LEVEL", "info"))
client = traced_async_client(timeout=30)
inflight = 0
max_inflight = 0

TRACING_HEADERS = (
    "x-request-id",
    "traceparent",
    "tracestate",
    "baggage",
    "x-upstream-service",
    "x-services-encountered",
)


def current() -> dict:
    ctx = hopscope.current_context()
    return {
        "request_id": hopscope.get_request_id(),
        "trace_id": hopscope.get_trace_id(),
        "span_id": hopscope.get_span_id(),
        "parent_span_id": ctx.parent_span_id if ctx else None,
        "services_encountered": hopscope.get_services_encountered(),
    }


@app.get("/echo")
async def echo(request: Request) -> dict:
    headers = {name: request.headers.get(name) for name in TRACING_HEADERS}
    return {"headers": headers, "context": current(), "state_request_id": request.state.request_id}


@app.get("/chain")
async def chain() -> dict:
    response = await client.get(f"{DOWNSTREAM}/echo")
    return {"context": current(), "downstream": response.json()}


@hopscope.timed("complexity_analysis")
async def analyze(tag: str) -> str:
    await asyncio.sleep(0)
    log.info("complexity_detected", tag=tag, is_complex=True)
    return tag


@app.get("/work")
async def work(tag: str) -> dict:
    global inflight, max_inflight
    inflight += 1
    max_inflight = max(max_inflight, inflight)
    try:
        log.info("work_started", tag=tag)
        await asyncio.sleep(0.001)
        stdlog.info("stdlib line for %s", tag, extra={"tag": tag})
        await analyze(tag)
        seen = None
        if DOWNSTREAM:
            response = await client.get(f"{DOWNSTREAM}/echo")
            seen = response.json()["headers"]["x-request-id"]
        hopscope.get_logger().info("work_finished", tag=tag, downstream_saw=seen)
        return {"tag": tag, "request_id": hopscope.get_request_id(), "downstream_saw": seen}
    finally:
        inflight -= 1


# Loggers bound with the first /bound request's IDs and reused by every later request (the
# mistake issue #2's isolation rule must survive): structlog, hopscope's own and stdlib's.
bound_loggers: tuple | None = None


@app.get("/bound")
async def bound(tag: str) -> dict:
    global bound_loggers, inflight, max_inflight
    ids = {
        "request_id": hopscope.get_request_id(),
        "trace_id": hopscope.get_trace_id(),
        "span_id": hopscope.get_span_id(),
    }
    if bound_loggers is None:
        bound_loggers = (
            log.bind(**ids, agent="planner"),
            hopscope.get_logger(**ids, agent="planner"),
            logging.LoggerAdapter(stdlog, {**ids, "agent": "planner"}),
        )
    structlog_bound, own_bound, stdlib_bound = bound_loggers
    inflight += 1
    max_inflight = max(max_inflight, inflight)
    try:
        await asyncio.sleep(0.001)  # let the other requests interleave with this one
        structlog_bound.info("bound_structlog_used", tag=tag)
        own_bound.info("bound_logger_used", tag=tag)
        await asyncio.sleep(0)
        stdlib_bound.info("bound_stdlib_used")
        return ids
    finally:
        inflight -= 1


@app.get("/items/{item_id}")
async def item(item_id: int) -> dict:
    return {"item_id": item_id}


@app.get("/unavailable")
async def unavailable():
    from fastapi.responses import JSONResponse

    return JSONResponse({"detail": "try later"}, status_code=503)


@app.get("/stats")
async def stats() -> dict:
    return {"max_inflight": max_inflight}


@app.get("/fail")
async def fail() -> dict:
    raise RuntimeError("boom")


@app.get("/teapot")
async def teapot() -> dict:
    raise HTTPException(status_code=418, detail="short and stout")


@app.get("/stream")
async def stream() -> StreamingResponse:
    async def chunks():
        for i in range(3):
            log.info("stream_chunk_sent", index=i)
            yield f"chunk{i}\n".encode()
            await asyncio.sleep(0)

    return StreamingResponse(chunks(), media_type="text/plain")


@app.get("/stream-fail")
async def stream_fail() -> StreamingResponse:
    async def chunks():
        yield b"first\n"
        raise ValueError("stream broke")

    return StreamingResponse(chunks(), media_type="text/plain")
