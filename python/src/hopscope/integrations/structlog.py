"""structlog output in the DESIGN.md line (seed 000 FR-2).

``configure_structlog("gateway")`` is the one-liner. To keep your own processor chain, end it
with ``HopscopeRenderer()`` and use ``logger_factory=HopscopeLoggerFactory()``; to keep your
own renderer too, add ``add_hopscope_context`` for the IDs only.
"""

from __future__ import annotations

from typing import Any

import structlog

from ..config import LEVELS, configure, normalize_level, settings
from ..log.line import build_line
from ..log.logger import exc_info_fields
from ..log.sink import sink

# Keys structlog's stdlib bridge adds; they are plumbing, not data.
_PLUMBING = ("_record", "_from_structlog", "positional_args")


def add_hopscope_context(logger: Any, method_name: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """Processor for chains that keep their own renderer: adds ``service``, ``request_id``,
    ``trace_id`` and ``span_id`` (explicit values in the event win, as in the log line)."""
    try:
        line = build_line("info", "log", None, {})
        for key in ("service", "request_id", "trace_id", "span_id"):
            if key in line:
                event_dict.setdefault(key, line[key])
    except Exception:
        sink.dropped += 1
    return event_dict


class HopscopeRenderer:
    """Final processor: turns the event dict into the DESIGN.md line (JSON, or pretty on a TTY).

    The level comes from the method called (``warning`` -> ``warn``, ``critical`` -> ``fatal``),
    ``event`` is the first argument, ``message=`` sets the human message; the rest are extras.
    """

    def __call__(self, logger: Any, method_name: str, event_dict: dict[str, Any]) -> str:
        try:
            fields = dict(event_dict)
            level = normalize_level(method_name) or normalize_level(fields.get("level")) or "info"
            event = fields.pop("event", None)
            message = fields.pop("message", None)
            for key in _PLUMBING:
                fields.pop(key, None)
            exc_info = fields.pop("exc_info", None)
            if exc_info:
                fields.update(exc_info_fields(exc_info))
            return sink.render(build_line(level, event, message, fields))
        except Exception:
            sink.dropped += 1
            return '{"level":"error","event":"hopscope_render_failed"}'


class _SinkLogger:
    """A structlog logger that writes through the shared sink (one lock with hopscope's lines)."""

    def msg(self, message: str) -> None:
        sink.write_text(message)

    log = debug = info = warn = warning = error = err = critical = fatal = exception = msg


class HopscopeLoggerFactory:
    def __call__(self, *args: Any) -> _SinkLogger:
        return _SinkLogger()


def configure_structlog(service: str | None = None, level: str | None = None) -> Any:
    """Configures structlog globally and returns a logger (seed 000's ``configure_logging``)."""
    configure(service, level=level)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.StackInfoRenderer(),
            HopscopeRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            {"fatal": 50, "warn": 30}.get(settings.level, LEVELS[settings.level])
        ),
        context_class=dict,
        logger_factory=HopscopeLoggerFactory(),
        cache_logger_on_first_use=True,
    )
    return structlog.get_logger()
