"""A small structured logger that writes the DESIGN.md line, used by the middleware, the httpx
integration and ``timed``; apps may use it directly or through structlog / logging."""

from __future__ import annotations

import sys
import traceback
from typing import Any

from ..config import normalize_level
from ..context import RequestContext
from .line import build_line
from .sink import sink


def error_fields(exc: BaseException) -> dict[str, Any]:
    """``error`` and ``error_type`` as DESIGN.md names them."""
    return {"error": str(exc) or type(exc).__name__, "error_type": type(exc).__name__}


def exc_info_fields(exc_info: Any) -> dict[str, Any]:
    """Error fields plus ``error_stack`` from an ``exc_info`` value (True, an exception or a tuple)."""
    if exc_info is True:
        exc_info = sys.exc_info()
    if isinstance(exc_info, BaseException):
        exc_info = (type(exc_info), exc_info, exc_info.__traceback__)
    if not isinstance(exc_info, tuple) or len(exc_info) != 3 or exc_info[1] is None:
        return {}
    fields = error_fields(exc_info[1])
    fields["error_stack"] = "".join(traceback.format_exception(*exc_info)).rstrip()
    return fields


class Logger:
    """``log.info("event_name", "optional message", key=value)``; never raises."""

    __slots__ = ("_bound",)

    def __init__(self, bound: dict[str, Any] | None = None) -> None:
        self._bound = bound or {}

    def bind(self, **fields: Any) -> Logger:
        """A logger whose lines all carry ``fields``. A bound ``request_id`` (or ``trace_id``,
        ``span_id``) names lines logged outside a request; inside one the request's IDs win and
        the bound value is kept as ``user.request_id`` (see line.py)."""
        return Logger({**self._bound, **fields})

    def log(self, level: str, event: str, message: str | None = None, **fields: Any) -> None:
        # The level methods call _log directly, so there a user field named `level` reaches the
        # line (as `user.level`) instead of colliding with this parameter.
        self._log(None, level, event, message, fields)

    def log_in(
        self,
        context: RequestContext,
        level: str,
        event: str,
        message: str | None = None,
        **fields: Any,
    ) -> None:
        """Logs as part of ``context`` (a span of the current request, such as a timed block
        or an outgoing call) rather than the current context."""
        self._log(context, level, event, message, fields)

    def _log(
        self,
        context: RequestContext | None,
        level: str,
        event: str,
        message: str | None,
        fields: dict[str, Any],
    ) -> None:
        try:
            word = normalize_level(level) or "info"
            if not sink.enabled(word):
                return
            exc_info = fields.pop("exc_info", None)
            if exc_info:
                fields.update(exc_info_fields(exc_info))
            merged = {**self._bound, **fields} if self._bound else fields
            sink.emit(build_line(word, event, message, merged, context=context))
        except Exception:
            sink.dropped += 1

    def debug(self, event: str, message: str | None = None, **fields: Any) -> None:
        self._log(None, "debug", event, message, fields)

    def info(self, event: str, message: str | None = None, **fields: Any) -> None:
        self._log(None, "info", event, message, fields)

    def warn(self, event: str, message: str | None = None, **fields: Any) -> None:
        self._log(None, "warn", event, message, fields)

    warning = warn

    def error(self, event: str, message: str | None = None, **fields: Any) -> None:
        self._log(None, "error", event, message, fields)

    def exception(self, event: str, message: str | None = None, **fields: Any) -> None:
        fields.setdefault("exc_info", True)
        self._log(None, "error", event, message, fields)

    def fatal(self, event: str, message: str | None = None, **fields: Any) -> None:
        self._log(None, "fatal", event, message, fields)

    critical = fatal


def get_logger(**bound: Any) -> Logger:
    return Logger(bound)
