"""The log line, field by field and byte by byte, against the shared log-format fixture."""

import io
import json
import logging
import re

import pytest
import structlog
from conftest import load_fixture

import hopscope
from hopscope import RequestContext, build_line, render_json, request_scope
from hopscope.integrations.logging import HopscopeFormatter
from hopscope.integrations.structlog import HopscopeRenderer

FIXTURE = load_fixture("log-format.json")
PATTERNS = {k: re.compile(v) for k, v in FIXTURE["patterns"].items()}
CASES = FIXTURE["log_lines"]
STDLIB_LEVELS = {"debug": 10, "info": 20, "warn": 30, "error": 40, "fatal": 50}
STRUCTLOG_METHODS = {"debug": "debug", "info": "info", "warn": "warning", "error": "error", "fatal": "critical"}


def context_of(case_input: dict) -> RequestContext | None:
    ctx = case_input.get("context")
    return RequestContext(**ctx) if ctx else None


def check_line(line: dict, expected: dict) -> None:
    """Field by field, in order; {"$pattern": name} values are matched, not compared."""
    assert list(line) == list(expected), "keys or their order differ"
    for key, want in expected.items():
        got = line[key]
        if isinstance(want, dict) and "$pattern" in want:
            assert isinstance(got, str) and PATTERNS[want["$pattern"]].match(got), key
        else:
            assert got == want and type(got) is not bool or got is want, key


def user_fields(case_input: dict) -> dict:
    """Bound fields, then the call's over them: how every Python logging API merges them."""
    return {**case_input.get("bound", {}), **case_input.get("fields", {})}


def in_context(case_input: dict, produce):
    ctx = context_of(case_input)
    if ctx is None:
        return produce()
    with request_scope(ctx):
        return produce()


def same_except_timestamp(text: str, expected_line: str) -> None:
    stamp = re.compile(r'^\{"timestamp":"[^"]*"')
    assert PATTERNS["timestamp"].match(json.loads(text)["timestamp"])
    assert stamp.sub('{"timestamp":"T"', text) == stamp.sub('{"timestamp":"T"', expected_line)


def test_fixture_rules_key_order_matches_the_library():
    assert FIXTURE["python_key_order"] == list(hopscope.log.RESERVED)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_core_builder(case):
    i = case["input"]
    line = build_line(
        i["level"],
        i["event"],
        i.get("message"),
        user_fields(i),
        time_ms=i.get("time_ms"),
        service=i["service"],
        context=context_of(i) or RequestContext(),
    )
    check_line(line, case["expected"])
    text = render_json(line)
    assert "\n" not in text and "\r" not in text and "\x1b" not in text
    check_line(json.loads(text), case["expected"])
    if "python_line" in case:
        assert text == case["python_line"]


def expressible(case) -> bool:
    # `event` and `message` are parameters of every logging API, so they cannot also be fields.
    return not {"event", "message"} & set(case["input"].get("fields", {}))


@pytest.mark.parametrize("case", [c for c in CASES if expressible(c)], ids=lambda c: c["name"])
def test_hopscope_logger(case, captured):
    i = case["input"]
    hopscope.configure(i["service"])
    log = hopscope.get_logger(**i.get("bound", {}))
    method = getattr(log, i["level"])  # not log.log(level, ...): `level` may be a field name
    in_context(i, lambda: method(i["event"], i.get("message"), **i.get("fields", {})))
    (line,) = captured()
    expected = {**case["expected"], "timestamp": {"$pattern": "timestamp"}}
    check_line(line, expected)
    if "python_line" in case:
        same_except_timestamp(captured.buffer.getvalue().rstrip("\n"), case["python_line"])


@pytest.mark.parametrize("case", [c for c in CASES if expressible(c)], ids=lambda c: c["name"])
def test_structlog_renderer(case, captured):
    i = case["input"]
    hopscope.configure(i["service"])
    out = io.StringIO()
    logger = structlog.wrap_logger(
        structlog.PrintLogger(out),
        processors=[structlog.contextvars.merge_contextvars, HopscopeRenderer()],
    ).bind(**i.get("bound", {}))
    kwargs = dict(i.get("fields", {}))
    if i.get("message") is not None:
        kwargs["message"] = i["message"]
    method = getattr(logger, STRUCTLOG_METHODS[i["level"]])
    in_context(i, lambda: method(i["event"], **kwargs))
    text = out.getvalue().rstrip("\n")
    check_line(json.loads(text), {**case["expected"], "timestamp": {"$pattern": "timestamp"}})
    if "python_line" in case:
        same_except_timestamp(text, case["python_line"])


@pytest.mark.parametrize("case", [c for c in CASES if expressible(c)], ids=lambda c: c["name"])
def test_stdlib_logging_formatter(case, captured):
    i = case["input"]
    hopscope.configure(i["service"])
    fields = user_fields(i)
    if i.get("message") is not None:
        msg, fields["event"] = i["message"], i["event"]
    else:
        msg = i["event"]
    record = in_context(
        i,
        lambda: logging.getLogger("fixture").makeRecord(
            "fixture", STDLIB_LEVELS[i["level"]], __file__, 1, msg, (), None, extra=fields
        ),
    )
    if "time_ms" in i:
        record.created = i["time_ms"] / 1000
    text = in_context(i, lambda: HopscopeFormatter(pretty=False).format(record))
    check_line(json.loads(text), case["expected"])
    if "python_line" in case:
        assert text == case["python_line"]


def test_stdlib_templates_are_messages_and_events_can_be_named():
    formatter = HopscopeFormatter(pretty=False)
    make = logging.getLogger("t").makeRecord
    line = json.loads(formatter.format(make("t", 20, __file__, 1, "user %s logged in", ("bob",), None)))
    assert (line["event"], line["message"]) == ("log", "user bob logged in")
    named = make("t", 20, __file__, 1, "user %s logged in", ("bob",), None, extra={"event": "user_logged_in"})
    line = json.loads(formatter.format(named))
    assert (line["event"], line["message"]) == ("user_logged_in", "user bob logged in")


def test_exception_fields_from_every_api(captured):
    try:
        raise TimeoutError("sandy timed out")
    except TimeoutError:
        hopscope.get_logger().exception("sandy_call_failed")
        structlog_line = HopscopeRenderer()(None, "exception", {"event": "sandy_call_failed", "exc_info": True})
        record = logging.getLogger("t").makeRecord("t", 40, __file__, 1, "sandy_call_failed", (), __import__("sys").exc_info())
    lines = [captured()[0], json.loads(structlog_line), json.loads(HopscopeFormatter(pretty=False).format(record))]
    for line in lines:
        assert line["level"] == "error"
        assert line["error"] == "sandy timed out"
        assert line["error_type"] == "TimeoutError"
        assert line["error_stack"].startswith("Traceback")
        assert "TimeoutError: sandy timed out" in line["error_stack"]


def test_nan_infinity_and_unserialisable_values_never_break_the_line(captured):
    circular: list = []
    circular.append(circular)

    class Opaque:
        def __str__(self):
            return "opaque!"

    hopscope.get_logger().info("odd_values", nan=float("nan"), inf=float("-inf"), obj=Opaque(), loop=circular)
    (line,) = captured()
    assert line["nan"] is None and line["inf"] is None
    assert line["obj"] == "opaque!"
    assert line["loop"] == "<unserializable list>"


def test_level_threshold_filters_below(captured):
    hopscope.configure(level="warn")
    log = hopscope.get_logger()
    log.debug("d")
    log.info("i")
    log.warning("w")
    log.fatal("f")
    assert [line["level"] for line in captured()] == ["warn", "fatal"]


def test_configure_rejects_bad_input_precisely():
    with pytest.raises(ValueError, match="service must be"):
        hopscope.configure("bad service\n")
    with pytest.raises(ValueError, match="level must be one of"):
        hopscope.configure(level="loud")


def test_pretty_output_escapes_terminal_control_sequences():
    line = build_line(
        "error",
        "user_input_logged",
        "hi \x1b[2J\x1b[31mred\r\nforged",
        {"path": "/\x1b]0;title\x07", "n": 1.0},
        time_ms=1769342400123,
        service="gateway",
        context=RequestContext(request_id="req_abc123def456", trace_id="4bf92f3577b34da6a3ce929d0e0e4736", span_id="00f067aa0ba902b7"),
    )
    plain = hopscope.render_pretty(line, color=False)
    assert "\x1b" not in plain and "\r" not in plain and "\n" not in plain and "\x07" not in plain
    assert plain.startswith("12:00:00.123  ERROR  gateway  req_abc123def456  user_input_logged hi \\x1b[2J")
    assert "path=/\\x1b]0;title\\x07" in plain and "n=1 " in plain
    coloured = hopscope.render_pretty(line, color=True)
    assert coloured.count("\x1b[") > 3  # our own colours only
    assert "\\x1b[2J" in coloured
