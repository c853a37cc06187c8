"""structlog output in the DESIGN.md line (seed 000 FR-2).

``configure_structlog("gateway")`` is the one-liner. To keep your own processor chain, end it
with ``HopscopeRenderer()`` and use ``logger_factory=HopscopeLoggerFactory()``; to keep your
own renderer too, add ``add_hopscope_context`` for the IDs only.
"""

from __future__ import annotations

from typing import Any

import structlog

from ..config import LEVELS, configure, normalize_level, settings
from ..log.line import USER_PREFIX, build_line
from ..log.logger import exc_info_fields
from ..log.sink import sink

# Keys structlog's stdlib bridge adds; they are plumbing, not data.
_PLUMBING = ("_record", "_from_structlog", "positional_args")


# What add_hopscope_context writes; level and timestamp belong to the chain's own renderer.
_CONTEXT_KEYS = ("service", "request_id", "trace_id", "span_id")


def add_hopscope_context(logger: Any, method_name: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """Processor for chains that keep their own renderer: adds ``service``, ``request_id``,
    ``trace_id`` and ``span_id`` by the log line's rule (line.py): a bound or passed value of
    one of those names that does not name the line is moved to ``user.<key>``."""
    try:
        user = {key: event_dict.pop(key) for key in _CONTEXT_KEYS if key in event_dict}
        line = build_line("info", "log", None, user)
        for key in _CONTEXT_KEYS:
            if key in line:
                event_dict[key] = line[key]
            moved = USER_PREFIX + key
            if moved in line:
                event_dict[moved] = line[moved]
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
            if normalize_level(fields.get("level")) == level:
                # structlog's add_log_level put the call's own level here: the same fact, not a
                # user field to keep as `user.level`
                del fields["level"]
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
