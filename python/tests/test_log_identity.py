"""Who names a log line, through the APIs an app really uses (configure_structlog's chain,
nested binds, contextvars, hopscope's Logger, add_hopscope_context). The single-call rule cases
run through every API in test_log_format.py, from the shared fixture.

The package writes log lines to stdout only (it has no OTLP log exporter), so the lines are
what is checked here."""

import json
import logging

import pytest
import structlog

import hopscope
from hopscope import RequestContext, request_scope
from hopscope.integrations.logging import HopscopeHandler
from hopscope.integrations.structlog import HopscopeRenderer, add_hopscope_context, configure_structlog

REQUEST = RequestContext(
    request_id="req_0123456789ab",
    trace_id="4bf92f3577b34da6a3ce929d0e0e4736",
    span_id="00f067aa0ba902b7",
)
T = "0af7651916cd43dd8448eb211c80319c"
S = "b7ad6b7169203331"
OWNED = ("timestamp", "level", "service", "request_id", "trace_id", "span_id")


@pytest.fixture
def slog(captured):
    log = configure_structlog("identity", level="debug")
    yield log
    structlog.contextvars.clear_contextvars()
    structlog.reset_defaults()


def assert_no_key_twice(raw: str) -> None:
    for key in OWNED:
        assert raw.count(f'"{key}":') <= 1, raw
        assert raw.count(f'"user.{key}":') <= 1, raw


def test_structlog_nested_binds_and_call_inside_a_request(slog, captured):
    outer = slog.bind(request_id="req_outer", level="fatal", service="impostor")
    inner = outer.bind(request_id="req_inner", trace_id=T)
    with request_scope(REQUEST):
        inner.info("bound_only")
        inner.warning("bound_and_call", request_id="req_call", span_id=S, timestamp="x")
    only, both = captured()
    for line in (only, both):
        assert line["service"] == "identity"
        assert (line["request_id"], line["trace_id"], line["span_id"]) == (
            REQUEST.request_id,
            REQUEST.trace_id,
            REQUEST.span_id,
        )
        assert line["user.level"] == "fatal" and line["user.service"] == "impostor"
        assert line["user.trace_id"] == T
    assert only["level"] == "info" and both["level"] == "warn"
    assert only["user.request_id"] == "req_inner"  # the innermost bind wins over the outer
    assert both["user.request_id"] == "req_call"  # the call wins over the binds
    assert both["user.span_id"] == S and both["user.timestamp"] == "x"
    assert both["timestamp"] != "x"
    for raw in captured.buffer.getvalue().splitlines():
        assert_no_key_twice(raw)


def test_structlog_outside_a_request_a_bound_job_id_names_the_line(slog, captured):
    job = slog.bind(request_id="job_42", trace_id=T, span_id=S)
    job.info("job_step")
    job.info("job_call", request_id="job_43")  # the call's value wins over the bound one
    slog.info("bad_ids", request_id="bad id\n", trace_id="0" * 32, span_id="XYZ", level="loud")
    step, call, bad = captured()
    assert (step["request_id"], step["trace_id"], step["span_id"]) == ("job_42", T, S)
    assert not [key for key in step if key.startswith("user.")]
    assert call["request_id"] == "job_43" and "user.request_id" not in call
    assert {k: bad.get(k) for k in ("request_id", "trace_id", "span_id", "level")} == {
        "request_id": None,
        "trace_id": None,
        "span_id": None,
        "level": "info",
    }
    assert bad["user.request_id"] == "bad id\n"
    assert bad["user.trace_id"] == "0" * 32
    assert bad["user.span_id"] == "XYZ"
    assert bad["user.level"] == "loud"


def test_structlog_contextvars_follow_the_same_rule(slog, captured):
    structlog.contextvars.bind_contextvars(request_id="req_from_contextvars", agent="planner")
    with request_scope(REQUEST):
        slog.info("in_request")
    slog.info("outside")
    inside, outside = captured()
    assert inside["request_id"] == REQUEST.request_id
    assert inside["user.request_id"] == "req_from_contextvars"
    assert outside["request_id"] == "req_from_contextvars" and "user.request_id" not in outside
    assert inside["agent"] == outside["agent"] == "planner"


def test_a_span_outside_any_request_keeps_its_ids_and_a_request_without_a_span_too(captured):
    log = hopscope.get_logger(request_id="job_43", trace_id=T, span_id=S)
    with request_scope(RequestContext(trace_id=REQUEST.trace_id, span_id=REQUEST.span_id)):
        log.info("job_in_span")
    with request_scope(RequestContext(request_id=REQUEST.request_id)):
        log.info("request_without_span")
    in_span, no_span = captured()
    assert (in_span["request_id"], in_span["trace_id"], in_span["span_id"]) == (
        "job_43",
        REQUEST.trace_id,
        REQUEST.span_id,
    )
    assert in_span["user.trace_id"] == T and in_span["user.span_id"] == S
    assert no_span["request_id"] == REQUEST.request_id
    assert "trace_id" not in no_span and "span_id" not in no_span
    assert no_span["user.request_id"] == "job_43"
    assert no_span["user.trace_id"] == T and no_span["user.span_id"] == S


def test_hopscope_logger_binds_and_level_fields_never_raise(captured):
    log = hopscope.get_logger(request_id="req_outer").bind(request_id="req_inner", service="x")
    with request_scope(REQUEST):
        log.info("bound")
        log.error("called", request_id="req_call", level="fatal")
        log.log("warn", "via_log", timestamp="forged")
    bound, called, via_log = captured()
    assert bound["user.request_id"] == "req_inner" and bound["user.service"] == "x"
    assert called["user.request_id"] == "req_call"
    assert (called["level"], called["user.level"]) == ("error", "fatal")
    assert via_log["user.timestamp"] == "forged" and via_log["timestamp"] != "forged"
    for line in (bound, called, via_log):
        assert line["request_id"] == REQUEST.request_id and line["service"] == "test-service"


def test_a_user_field_named_like_the_kept_one_never_hides_it(captured):
    with request_scope(REQUEST):
        hopscope.get_logger().info("both", **{"user.request_id": "typed", "request_id": "req_x"})
    (line,) = captured()
    assert line["user.request_id"] == "req_x"
    assert_no_key_twice(captured.buffer.getvalue())


def test_structlog_add_log_level_is_not_a_user_level(captured):
    out: list[str] = []

    class Sink:
        def msg(self, message: str) -> None:
            out.append(message)

        info = warning = msg

    log = structlog.wrap_logger(
        Sink(), processors=[structlog.stdlib.add_log_level, HopscopeRenderer()]
    )
    log.warning("chain_level")
    (line,) = (json.loads(text) for text in out)
    # add_log_level wrote "warning": the call's own level, not a user field to keep
    assert line["level"] == "warn" and "user.level" not in line


def test_add_hopscope_context_applies_the_rule_for_other_renderers(captured):
    event = {"event": "e", "request_id": "req_stray", "service": "impostor", "trace_id": T}
    with request_scope(REQUEST):
        out = add_hopscope_context(None, "info", dict(event))
    assert out["request_id"] == REQUEST.request_id and out["user.request_id"] == "req_stray"
    assert out["trace_id"] == REQUEST.trace_id and out["user.trace_id"] == T
    assert out["span_id"] == REQUEST.span_id
    assert out["service"] == "test-service" and out["user.service"] == "impostor"

    outside = add_hopscope_context(None, "info", {"event": "e", "request_id": "job_1", "span_id": "bad"})
    assert outside["request_id"] == "job_1" and "user.request_id" not in outside
    assert outside["user.span_id"] == "bad" and "span_id" not in outside


def test_stdlib_adapter_extra_in_a_request_is_a_user_field(captured):
    logger = logging.getLogger("identity-test")
    logger.propagate = False
    handler = HopscopeHandler()
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        adapter = logging.LoggerAdapter(logger, {"request_id": "req_stray", "level": "fatal"})
        with request_scope(REQUEST):
            adapter.info("adapter_line")
        adapter.info("adapter_outside")
    finally:
        logger.removeHandler(handler)
    inside, outside = captured()
    assert inside["request_id"] == REQUEST.request_id and inside["user.request_id"] == "req_stray"
    assert inside["level"] == "info" and inside["user.level"] == "fatal"
    assert outside["request_id"] == "req_stray" and "user.request_id" not in outside
