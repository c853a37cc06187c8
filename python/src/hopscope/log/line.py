"""The DESIGN.md log line as an ordered dict: the one contract every writer here shares.

Rules (also written out in tests/fixtures/log-format.json, which the Node SDK's tests read):
- keys ``timestamp, level, service, request_id, trace_id, span_id, event, message`` come
  first in that order, then the extra fields in the order given;
- ``request_id``/``trace_id``/``span_id`` are omitted outside a request; explicit valid values
  in the fields win over the current context (for work done on behalf of another request);
- ``event`` matches ``[a-z][a-z0-9_.]*``; any other text becomes the message of event ``log``;
- extras named ``timestamp`` or ``level`` are ignored; ``service`` overrides when valid.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from typing import Any

from .. import otel
from ..config import is_valid_service_name, settings
from ..context import RequestContext, current_context
from ..ids import is_valid_request_id, is_valid_span_id, is_valid_trace_id

RESERVED = ("timestamp", "level", "service", "request_id", "trace_id", "span_id", "event", "message")
_RESERVED_SET = frozenset(RESERVED)
# The Node SDK's rule, so both languages name the same event the same way.
_EVENT = re.compile(r"[a-z][a-z0-9_.]*")

_last_second = -1
_last_prefix = ""


def format_timestamp(epoch_ms: int) -> str:
    """ISO 8601 UTC with milliseconds and ``Z``, like JavaScript's ``Date#toISOString``."""
    global _last_second, _last_prefix
    second, ms = divmod(epoch_ms, 1000)
    if second != _last_second:  # one strftime per second, not per line
        _last_prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        _last_second = second
    return f"{_last_prefix}.{ms:03d}Z"


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def event_name(text: object) -> tuple[str, str]:
    """(event, default message): an event-shaped name stays; any other text is the message of
    an event called ``log`` (free text as an event name would make events unsearchable)."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    if _EVENT.fullmatch(text):
        return text, text
    return "log", text


def build_line(
    level: str,
    event: object,
    message: object = None,
    fields: Mapping[str, Any] | None = None,
    *,
    time_ms: int | None = None,
    service: str | None = None,
    context: RequestContext | None = None,
) -> dict[str, Any]:
    """Assembles one log line. ``level`` must already be a DESIGN.md level word."""
    fields = fields or {}
    ctx = context if context is not None else current_context()

    request_id = fields.get("request_id")
    if not is_valid_request_id(request_id):
        request_id = ctx.request_id if ctx else None
    trace_id = fields.get("trace_id")
    span_id = fields.get("span_id")
    if not is_valid_trace_id(trace_id) or not is_valid_span_id(span_id):
        ids = otel.current_ids() if context is None else None
        ctx_trace = ids.trace_id if ids else ctx.trace_id if ctx else None
        ctx_span = ids.span_id if ids else ctx.span_id if ctx else None
        if not is_valid_trace_id(trace_id):
            trace_id = ctx_trace
        if not is_valid_span_id(span_id):
            span_id = ctx_span

    name, default_message = event_name(event)
    if message is None:
        message = fields.get("message")
    if message is None:
        message = default_message
    elif not isinstance(message, str):
        message = str(message)

    explicit_service = fields.get("service")
    line: dict[str, Any] = {
        "timestamp": format_timestamp(now_ms() if time_ms is None else time_ms),
        "level": level,
        "service": explicit_service
        if is_valid_service_name(explicit_service)
        else service or settings.service,
    }
    if request_id is not None:
        line["request_id"] = request_id
    if trace_id is not None:
        line["trace_id"] = trace_id
    if span_id is not None:
        line["span_id"] = span_id
    line["event"] = name
    line["message"] = message
    for key, value in fields.items():
        if key not in _RESERVED_SET and isinstance(key, str):
            line[key] = value
    return line
