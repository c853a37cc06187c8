"""Request IDs, traceparent, tracestate, baggage and services_encountered parsing rules."""

import re

import pytest

from hopscope import (
    BaggageEntry,
    accept_request_id,
    context_from_headers,
    format_baggage,
    format_tracestate,
    generate_request_id,
    generate_span_id,
    generate_trace_id,
    get_request_id,
    parse_baggage,
    parse_services,
    parse_traceparent,
    parse_tracestate,
    request_id_rejection,
    set_request_id,
    tracestate_set,
)
from hopscope.context import reset_context

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
SPAN = "00f067aa0ba902b7"


def test_generated_ids_have_the_design_shape_and_do_not_repeat():
    ids = {generate_request_id() for _ in range(10_000)}
    assert len(ids) == 10_000
    assert all(re.fullmatch(r"req_[0-9a-f]{12}", i) for i in ids)
    assert re.fullmatch(r"[0-9a-f]{32}", generate_trace_id())
    assert re.fullmatch(r"[0-9a-f]{16}", generate_span_id())


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("req_abc123def456", None),
        ("12345678-1234-4000-8000-123456789012", None),
        ("a", None),
        ("A.b_c:d-e", None),
        ("x" * 128, None),
        ("x" * 129, "too_long"),
        ("", "empty"),
        (None, "empty"),
        ("req 1", "invalid_chars"),
        ("req_1\r\nx-evil: 1", "invalid_chars"),
        ("req_\x1b[31m", "invalid_chars"),
        ("réq", "invalid_chars"),
        ("a,b", "invalid_chars"),
        ("req_1\n", "invalid_chars"),
    ],
)
def test_request_id_validation(value, reason):
    assert request_id_rejection(value) == reason
    accepted = accept_request_id(value)
    if reason is None:
        assert accepted.id == value and not accepted.generated
    else:
        assert re.fullmatch(r"req_[0-9a-f]{12}", accepted.id)
        assert accepted.rejected == (None if not value else reason)


def test_set_request_id_validates_without_echoing_the_value():
    token = set_request_id("req_abc123def456")
    try:
        assert get_request_id() == "req_abc123def456"
    finally:
        reset_context(token)
    with pytest.raises(ValueError) as info:
        set_request_id("evil\r\nvalue")
    assert "evil" not in str(info.value) and "invalid_chars" in str(info.value)


@pytest.mark.parametrize(
    ("header", "valid"),
    [
        (f"00-{TRACE}-{SPAN}-01", True),
        (f"00-{TRACE}-{SPAN}-00", True),
        (f" 00-{TRACE}-{SPAN}-01\t", True),  # optional whitespace around the value
        (f"00-{TRACE.upper()}-{SPAN}-01", False),  # uppercase hex is not allowed
        (f"00-{TRACE}-{SPAN.upper()}-01", False),
        (f"ff-{TRACE}-{SPAN}-01", False),  # version ff is invalid
        (f"0g-{TRACE}-{SPAN}-01", False),
        (f"00-{'0' * 32}-{SPAN}-01", False),
        (f"00-{TRACE}-{'0' * 16}-01", False),
        (f"00-{TRACE}-{SPAN}-0x", False),
        (f"00-{TRACE}-{SPAN}-01-extra", False),  # version 00 is exactly 55 chars
        (f"00-{TRACE}-{SPAN}", False),
        (f"00_{TRACE}_{SPAN}_01", False),
        (f"01-{TRACE}-{SPAN}-01-future-fields", True),  # higher versions: parse the prefix
        (f"cc-{TRACE}-{SPAN}-01", True),
        (f"cc-{TRACE}-{SPAN}-01x", False),  # more data must follow a "-"
        (f"00-{TRACE[:-1]}-{SPAN}-01", False),
        ("", False),
        ("x" * 10_000, False),
    ],
)
def test_traceparent_parsing(header, valid):
    parsed = parse_traceparent(header)
    assert (parsed is not None) == valid
    if parsed:
        assert parsed.trace_id == TRACE and parsed.parent_id == SPAN
        assert str(parsed).startswith("00-")  # always produced as version 00


def test_traceparent_flags_are_kept():
    assert parse_traceparent(f"00-{TRACE}-{SPAN}-00").sampled is False
    assert parse_traceparent(f"00-{TRACE}-{SPAN}-03").trace_flags == 3


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("congo=t61rcWkgMzE", [("congo", "t61rcWkgMzE")]),
        ("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE", [("rojo", "00f067aa0ba902b7"), ("congo", "t61rcWkgMzE")]),
        (" rojo=1 , , congo=2 ", [("rojo", "1"), ("congo", "2")]),  # OWS and empty members
        ("tenant1@system=v", [("tenant1@system", "v")]),
        ("1tenant@sys-tem_*/=v", [("1tenant@sys-tem_*/", "v")]),
        ("1key=v", [("1key", "v")]),  # the current grammar lets keys start with a digit
        ("a" * 256 + "=v", [("a" * 256, "v")]),
        ("a" * 257 + "=v", None),
        ("t" * 241 + "@" + "v" * 14 + "=v", [("t" * 241 + "@" + "v" * 14, "v")]),
        ("t" * 242 + "@v=v", [("t" * 242 + "@v", "v")]),  # one 256-char key, no per-side limits
        ("t@" + "v" * 15 + "=v", [("t@" + "v" * 15, "v")]),
        ("foo@=1,bar=2", [("foo@", "1"), ("bar", "2")]),
        ("foo@bar@baz=1", [("foo@bar@baz", "1")]),
        ("@foo=1,bar=2", None),  # keys start with [a-z0-9]
        ("Key=v", None),
        ("foo.bar=1", None),
        ("foo =1", None),
        ("k=" + "v" * 256, [("k", "v" * 256)]),
        ("k=" + "v" * 257, None),
        ("k=va lue", [("k", "va lue")]),
        ("k=value ", [("k", "value")]),  # trailing OWS belongs to the list, not the value
        ("k=v=x", None),
        ("k=", None),
        ("k", None),
        ("k=v\x1b", None),
        ("a=1,a=2", None),  # duplicate keys
        ("", None),
        (None, None),
        (",".join(f"k{i}=v" for i in range(32)), [(f"k{i}", "v") for i in range(32)]),
        (",".join(f"k{i}=v" for i in range(33)), None),
    ],
)
def test_tracestate_parsing(header, expected):
    parsed = parse_tracestate(header)
    assert (list(parsed) if parsed else None) == expected


def test_tracestate_from_several_headers_and_mutation():
    parsed = parse_tracestate(["rojo=1", "congo=2"])
    assert format_tracestate(parsed) == "rojo=1,congo=2"
    updated = tracestate_set(parsed, "congo", "3")
    assert format_tracestate(updated) == "congo=3,rojo=1"
    full = tracestate_set(tuple((f"k{i}", "v") for i in range(32)), "new", "x")
    assert len(full) == 32 and full[0] == ("new", "x") and full[-1] == ("k30", "v")
    with pytest.raises(ValueError, match="tracestate key"):
        tracestate_set(None, "Bad", "x")


def test_baggage_parse_and_format():
    entries = parse_baggage("userId=alice, serverNode = DF%2028 ;prop1;p2=x,isProduction=false,bad key=1, =x")
    assert entries == (
        BaggageEntry("userId", "alice"),
        BaggageEntry("serverNode", "DF 28", "prop1;p2=x"),
        BaggageEntry("isProduction", "false"),
    )
    assert format_baggage(entries) == "userId=alice,serverNode=DF%2028;prop1;p2=x,isProduction=false"
    assert format_baggage([BaggageEntry("k", "a,b;c é%")]) == "k=a%2Cb%3Bc%20%C3%A9%25"
    assert parse_baggage("k=" + "v" * 9000) == ()  # over 8192 bytes: ignored
    big = [BaggageEntry(f"k{i}", "v" * 100) for i in range(100)]
    assert len(format_baggage(big)) <= 8192


def test_services_encountered_parsing_drops_bad_names():
    assert parse_services("client-app, api-gateway,,bad name,\x1b[31m,ok") == ("client-app", "api-gateway", "ok")
    chain = parse_services(",".join(f"s{i}" for i in range(80)))
    assert len(chain) == 64 and chain[-1] == "s79"  # the newest hops are kept


def test_incoming_headers_continue_or_restart_the_trace():
    good = context_from_headers(
        {"traceparent": f"00-{TRACE}-{SPAN}-01", "tracestate": "rojo=1", "x-request-id": "req_abc123def456"}
    )
    ctx = good.context
    assert (ctx.trace_id, ctx.parent_span_id, ctx.request_id) == (TRACE, SPAN, "req_abc123def456")
    assert ctx.span_id != SPAN and ctx.tracestate == (("rojo", "1"),)
    assert not good.traceparent_rejected and not good.request_id.rejected

    bad = context_from_headers({"traceparent": "garbage", "tracestate": "rojo=1", "x-request-id": "bad id"})
    assert bad.context.trace_id != TRACE and bad.context.parent_span_id is None
    assert bad.context.tracestate is None  # tracestate without a valid traceparent is dropped
    assert bad.traceparent_rejected and bad.request_id.rejected == "invalid_chars"

    twice = context_from_headers([(b"traceparent", f"00-{TRACE}-{SPAN}-01".encode())] * 2)
    assert twice.traceparent_rejected  # two traceparent headers: invalid per spec


def test_request_id_aliases_in_priority_order():
    assert context_from_headers({"x-correlation-id": "corr-1"}).context.request_id == "corr-1"
    assert context_from_headers({"X-Trace-ID": "12345678-1234-4000-8000-123456789012"}).context.request_id == (
        "12345678-1234-4000-8000-123456789012"
    )
    both = context_from_headers({"x-trace-id": "trace-1", "x-request-id": "req-1"})
    assert both.context.request_id == "req-1"
    custom = context_from_headers({"x-amzn-trace-id": "amzn-1"}, request_id_headers=["x-amzn-trace-id"])
    assert custom.context.request_id == "amzn-1"
    repeated = context_from_headers([("x-request-id", "a"), ("x-request-id", "b")])
    assert repeated.request_id.rejected == "invalid_chars"


def test_trace_flags_on_the_way_out():
    from hopscope import format_traceparent, outgoing_headers

    started_here = context_from_headers({}).context
    assert outgoing_headers(started_here)["traceparent"].endswith("-03")  # sampled + random
    continued = context_from_headers({"traceparent": f"00-{TRACE}-{SPAN}-ff"}).context
    assert outgoing_headers(continued)["traceparent"].endswith("-03")  # undefined bits dropped
    assert format_traceparent(TRACE, SPAN, 0x00) == f"00-{TRACE}-{SPAN}-00"


def test_request_id_whitespace_is_trimmed_like_http_ows():
    assert context_from_headers({"x-request-id": " \treq_abc123def456 "}).context.request_id == "req_abc123def456"
