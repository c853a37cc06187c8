"""W3C Trace Context: ``traceparent`` and ``tracestate`` (https://www.w3.org/TR/trace-context/)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_HEX2 = re.compile(r"[0-9a-f]{2}")
_TRACE_ID = re.compile(r"[0-9a-f]{32}")
_PARENT_ID = re.compile(r"[0-9a-f]{16}")

# key = ( lcalpha / DIGIT ) 0*255 ( lcalpha / DIGIT / "_" / "-" / "*" / "/" / "@" ): the
# current spec's grammar, which the official test suite checks (it folded the older
# tenant@system form, with its per-side limits, into one 256-character key).
_KEY = re.compile(r"[a-z0-9][a-z0-9_\-*/@]{0,255}")
# value = 0*255(chr) nblk-chr, where chr is 0x20-0x7E except "," and "=".
_VALUE = re.compile(r"[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]")

MAX_TRACESTATE_MEMBERS = 32
_OWS = " \t"


@dataclass(frozen=True, slots=True)
class TraceParent:
    trace_id: str
    parent_id: str
    trace_flags: int
    version: str = "00"

    @property
    def sampled(self) -> bool:
        return bool(self.trace_flags & 0x01)

    def __str__(self) -> str:
        return format_traceparent(self.trace_id, self.parent_id, self.trace_flags)


SAMPLED = 0x01
RANDOM = 0x02
"""Trace Context Level 2: the trace ID's right-most 7 bytes are random (true of every ID made here)."""


def format_traceparent(trace_id: str, span_id: str, trace_flags: int = SAMPLED | RANDOM) -> str:
    """Version 00 is the only version this library produces, whatever it received; flags other
    than sampled and random are not defined, so they are not passed on (as in the Node SDK)."""
    return f"00-{trace_id}-{span_id}-{trace_flags & (SAMPLED | RANDOM):02x}"


def parse_traceparent(header: str | None) -> TraceParent | None:
    """Parses a ``traceparent`` value; None means "invalid: start a new trace".

    Versions above 00 are parsed by their version-00 prefix, as the spec's versioning rules ask:
    at least 55 characters, and a "-" right after the flags when there is more.
    """
    if header is None:
        return None
    value = header.strip(_OWS)
    if len(value) < 55:
        return None
    version = value[0:2]
    if not _HEX2.fullmatch(version) or version == "ff":
        return None
    if version == "00" and len(value) != 55:
        return None
    if len(value) > 55 and value[55] != "-":
        return None
    if value[2] != "-" or value[35] != "-" or value[52] != "-":
        return None
    trace_id, parent_id, flags = value[3:35], value[36:52], value[53:55]
    if not _TRACE_ID.fullmatch(trace_id) or trace_id == "0" * 32:
        return None
    if not _PARENT_ID.fullmatch(parent_id) or parent_id == "0" * 16:
        return None
    if not _HEX2.fullmatch(flags):
        return None
    return TraceParent(trace_id, parent_id, int(flags, 16), version)


def is_valid_tracestate_key(key: str) -> bool:
    return _KEY.fullmatch(key) is not None


def is_valid_tracestate_value(value: str) -> bool:
    return _VALUE.fullmatch(value) is not None


def parse_tracestate(header: str | Iterable[str] | None) -> tuple[tuple[str, str], ...] | None:
    """Parses one or several ``tracestate`` header values (combined as RFC 7230 lists).

    Returns the members in order, or None when the header is absent, empty or invalid: a
    malformed member, a duplicate key or more than 32 members discard the whole header
    rather than pass on something other vendors may misread.
    """
    if header is None:
        return None
    combined = header if isinstance(header, str) else ",".join(header)
    members: list[tuple[str, str]] = []
    seen: set[str] = set()
    for raw in combined.split(","):
        member = raw.strip(_OWS)
        if not member:
            continue  # empty list-members are allowed
        key, sep, value = member.partition("=")
        if not sep or not is_valid_tracestate_key(key) or not is_valid_tracestate_value(value):
            return None
        if key in seen:
            return None
        seen.add(key)
        members.append((key, value))
        if len(members) > MAX_TRACESTATE_MEMBERS:
            return None
    return tuple(members) or None


def format_tracestate(members: Iterable[tuple[str, str]]) -> str:
    return ",".join(f"{key}={value}" for key, value in members)


def tracestate_set(
    members: Iterable[tuple[str, str]] | None, key: str, value: str
) -> tuple[tuple[str, str], ...]:
    """Puts ``key=value`` first (the spec's "mutate" rule) and drops the oldest past 32."""
    if not is_valid_tracestate_key(key):
        raise ValueError(
            "tracestate key must be 1-256 characters of [a-z0-9_-*/@] starting with [a-z0-9]"
        )
    if not is_valid_tracestate_value(value):
        raise ValueError(
            "tracestate value must be 1-256 printable ASCII characters without ',' or '=', "
            "not ending in a space"
        )
    rest = [(k, v) for k, v in (members or ()) if k != key]
    return ((key, value), *rest)[:MAX_TRACESTATE_MEMBERS]
