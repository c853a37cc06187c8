"""Where lines go: JSON off a TTY, readable on one, never an exception into the app."""

import io
import json
import logging
import os
import pty

import structlog

import hopscope
from hopscope.config import settings
from hopscope.integrations.logging import configure_logging
from hopscope.integrations.structlog import configure_structlog
from hopscope.log.sink import sink


def test_pretty_on_a_real_tty_json_otherwise(captured, monkeypatch):
    master, slave = pty.openpty()
    try:
        tty = os.fdopen(slave, "w", buffering=1, closefd=False)
        hopscope.configure(stream=tty)
        settings.pretty = None  # decide by the stream, as in production
        monkeypatch.delenv("HOPSCOPE_LOG_FORMAT", raising=False)
        monkeypatch.setenv("NO_COLOR", "1")
        sink.reconfigure()
        with hopscope.request_scope(hopscope.RequestContext(request_id="req_abc123def456")):
            hopscope.get_logger().info("request_completed", status_code=200)
        tty.flush()
        text = os.read(master, 4096).decode()
        assert "INFO" in text and "req_abc123def456" in text and "status_code=200" in text
        assert not text.lstrip().startswith("{")

        monkeypatch.setenv("HOPSCOPE_LOG_FORMAT", "json")
        sink.reconfigure()
        hopscope.get_logger().info("request_completed")
        tty.flush()
        assert json.loads(os.read(master, 4096).decode())["event"] == "request_completed"
    finally:
        os.close(master)
        os.close(slave)


def test_a_broken_stream_never_raises_into_the_app(captured):
    broken = io.StringIO()
    broken.close()
    hopscope.configure(stream=broken)
    before = sink.dropped
    hopscope.get_logger().info("still_fine")
    assert sink.dropped == before + 1


def test_configure_structlog_filters_levels_and_shares_the_stream(captured):
    log = configure_structlog("structlog-svc", level="warning")
    try:
        log.info("ignored")
        log.warning("disk_low", free_mb=12)
        log.bind(agent="planner").error("plan_failed", message="no route")
    finally:
        structlog.reset_defaults()
    lines = captured()
    assert [(l["event"], l["level"]) for l in lines] == [("disk_low", "warn"), ("plan_failed", "error")]
    assert lines[1]["agent"] == "planner" and lines[1]["message"] == "no route"
    assert all(l["service"] == "structlog-svc" for l in lines)


def test_structlog_contextvars_are_merged(captured):
    log = configure_structlog("structlog-svc", level="debug")
    try:
        structlog.contextvars.bind_contextvars(tenant="acme")
        log.debug("tenant_loaded")
    finally:
        structlog.contextvars.clear_contextvars()
        structlog.reset_defaults()
    (line,) = captured()
    assert line["tenant"] == "acme" and line["level"] == "debug"


def test_configure_logging_routes_stdlib_records(captured):
    logger = logging.getLogger("hopscope-test")
    logger.propagate = False
    configure_logging("stdlib-svc", level="INFO", logger=logger)
    logger.debug("ignored")
    logger.info("cache_warmed", extra={"entries": 3})
    logger.warning("slow %s", "query")
    (first, second) = captured()
    assert (first["event"], first["entries"], first["service"]) == ("cache_warmed", 3, "stdlib-svc")
    assert (second["level"], second["event"], second["message"]) == ("warn", "log", "slow query")


def test_add_hopscope_context_for_chains_with_their_own_renderer(captured):
    from hopscope.integrations.structlog import add_hopscope_context

    out = io.StringIO()
    logger = structlog.wrap_logger(
        structlog.PrintLogger(out),
        processors=[add_hopscope_context, structlog.processors.JSONRenderer()],
    )
    with hopscope.request_scope(hopscope.create_child_trace_context(["websocket-audio"])) as ctx:
        logger.info("audio_chunk_received")
    line = json.loads(out.getvalue())
    assert (line["request_id"], line["trace_id"], line["span_id"]) == (ctx.request_id, ctx.trace_id, ctx.span_id)
    assert line["service"] == "test-service" and ctx.services_encountered == ("websocket-audio",)
    assert ctx.parent_span_id is None
