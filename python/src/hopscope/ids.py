"""Request, trace and span identifiers (DESIGN.md "Headers")."""

from __future__ import annotations

import os
import random
import re
from dataclasses import dataclass
from typing import Literal

# Same shape the Node SDK accepts: anything else is replaced, never echoed.
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_HEX32 = re.compile(r"[0-9a-f]{32}")
_HEX16 = re.compile(r"[0-9a-f]{16}")

RequestIdRejection = Literal["empty", "too_long", "invalid_chars"]

# Trace and span IDs only need to be unique, not secret, so the fast Mersenne Twister is
# enough (the OpenTelemetry Python SDK makes the same choice); `random` reseeds after fork.
_rand = random.getrandbits


def generate_request_id() -> str:
    """A fresh request ID: ``req_`` + 12 lowercase hex characters."""
    return "req_" + os.urandom(6).hex()


def is_valid_request_id(value: object) -> bool:
    return isinstance(value, str) and _VALID_REQUEST_ID.fullmatch(value) is not None


def request_id_rejection(value: str | None) -> RequestIdRejection | None:
    """Why ``value`` is not acceptable as a request ID, or None when it is."""
    if not value:
        return "empty"
    if len(value) > 128:
        return "too_long"
    return None if _VALID_REQUEST_ID.fullmatch(value) else "invalid_chars"


@dataclass(frozen=True, slots=True)
class AcceptedRequestId:
    id: str
    generated: bool
    """True when the ID was generated here rather than taken from the caller."""
    rejected: RequestIdRejection | None = None
    """Set when the caller sent an ID that had to be replaced (the bad value is not kept)."""


def accept_request_id(incoming: str | None) -> AcceptedRequestId:
    """Takes the caller's ID when valid, otherwise generates one.

    A missing ID is not a rejection; a present but bad one is, so the replacement can be
    noted (by reason) without ever echoing the raw value.
    """
    if incoming is None or incoming == "":
        return AcceptedRequestId(generate_request_id(), True)
    rejected = request_id_rejection(incoming)
    if rejected is None:
        return AcceptedRequestId(incoming, False)
    return AcceptedRequestId(generate_request_id(), True, rejected)


def generate_trace_id() -> str:
    while True:
        value = _rand(128)
        if value:
            return f"{value:032x}"


def generate_span_id() -> str:
    while True:
        value = _rand(64)
        if value:
            return f"{value:016x}"


def is_valid_trace_id(value: object) -> bool:
    return (
        isinstance(value, str)
        and _HEX32.fullmatch(value) is not None
        and value != "0" * 32
    )


def is_valid_span_id(value: object) -> bool:
    return (
        isinstance(value, str)
        and _HEX16.fullmatch(value) is not None
        and value != "0" * 16
    )
