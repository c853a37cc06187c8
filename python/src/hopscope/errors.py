"""``TracedError``: an exception that remembers which request it happened in (seed 000 FR-7)."""

from __future__ import annotations

from typing import Any

from .context import current_context, get_span_id, get_trace_id
from .log.line import format_timestamp, now_ms


class TracedError(Exception):
    """Raise with a message and the underlying ``cause``; ``to_dict()`` is the JSON body shape.

    ``raise TracedError("Sandy execution timed out", cause=e) from e`` keeps Python's own chain too.
    """

    def __init__(self, message: str, cause: BaseException | None = None) -> None:
        super().__init__(message)
        ctx = current_context()
        self.request_id: str | None = ctx.request_id if ctx else None
        self.trace_id: str | None = get_trace_id()
        self.span_id: str | None = get_span_id()
        self.cause = cause
        self.timestamp = format_timestamp(now_ms())

    def to_dict(self) -> dict[str, Any]:
        cause = self.cause
        return {
            "error": str(self),
            "error_type": type(self).__name__,
            "request_id": self.request_id,
            "trace_id": self.trace_id,
            "span_id": self.span_id,
            "timestamp": self.timestamp,
            "cause": (str(cause) or type(cause).__name__) if cause is not None else None,
            "cause_type": type(cause).__name__ if cause is not None else None,
        }
