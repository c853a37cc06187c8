"""The DESIGN.md log line as an ordered dict: the one contract every writer here shares.

Rules (also written out in tests/fixtures/log-format.json):
- keys ``timestamp, level, service, request_id, trace_id, span_id, event, message`` come
  first in that order, then the extra fields in the order given;
- who names the line: inside a request (the context has a request ID) the context's
  ``request_id``/``trace_id``/``span_id`` always win, and the line's own ``timestamp``,
  ``level`` and ``service`` always do. A logger bound in one request and reused in another must
  never put the first request's ID on the second's lines (issue #2), so a user field of one of
  those names is kept as ``user.<key>`` instead. Outside a request a valid ``request_id`` field
  names the line (a background job labelling its work), and valid ``trace_id``/``span_id``
  fields do too when no span is active; invalid ones become ``user.<key>``. This is the Node
  SDK's rule (packages/sdk/src/log/identity.ts);
- ``event`` matches ``[a-z][a-z0-9_.]*``; any other text becomes the message of event ``log``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from typing import Any

from .. import otel
from ..config import settings
from ..context import RequestContext, current_context
from ..ids import is_valid_request_id, is_valid_span_id, is_valid_trace_id

RESERVED = ("timestamp", "level", "service", "request_id", "trace_id", "span_id", "event", "message")
_RESERVED_SET = frozenset(RESERVED)
# The line's own parts a user field may collide with (`event` and `message` are the call's).
_LINE_OWNED = frozenset(("timestamp", "level", "service", "request_id", "trace_id", "span_id"))
USER_PREFIX = "user."
_USER_KEY = {key: USER_PREFIX + key for key in _LINE_OWNED}
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
    """Assembles one log line. ``level`` must already be a DESIGN.md level word.

    ``fields`` are the user's, bound and call merged (the call's value wins, as structlog and
    ``Logger.bind`` merge them). ``context`` is the request and span the line belongs to;
    without it, the current one (and OpenTelemetry's current span, when there is one).
    """
    fields = fields or {}
    ctx = context if context is not None else current_context()
    ids = otel.current_ids() if context is None else None
    request_id = ctx.request_id if ctx is not None else None
    if ids is not None:
        trace_id: str | None = ids.trace_id
        span_id: str | None = ids.span_id
    elif ctx is not None:
        trace_id, span_id = ctx.trace_id, ctx.span_id
    else:
        trace_id = span_id = None

    # Which identity fields name the line (only ever outside a request); the others and every
    # user timestamp/level/service are written as `user.<key>` below.
    named: tuple[str, ...] = ()
    if request_id is None and fields:
        value = fields.get("request_id")
        if is_valid_request_id(value):
            request_id, named = value, ("request_id",)
        if trace_id is None and span_id is None:
            value = fields.get("trace_id")
            if is_valid_trace_id(value):
                trace_id, named = value, (*named, "trace_id")
            value = fields.get("span_id")
            if is_valid_span_id(value):
                span_id, named = value, (*named, "span_id")

    name, default_message = event_name(event)
    if message is None:
        message = fields.get("message")
    if message is None:
        message = default_message
    elif not isinstance(message, str):
        message = str(message)

    line: dict[str, Any] = {
        "timestamp": format_timestamp(now_ms() if time_ms is None else time_ms),
        "level": level,
        "service": service or settings.service,
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
        if key in _LINE_OWNED:
            if key not in named:
                # set last, so a field the user called `user.<key>` never hides this one
                line[_USER_KEY[key]] = value
        elif key not in _RESERVED_SET and isinstance(key, str):
            line.setdefault(key, value)
    return line
