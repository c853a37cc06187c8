"""Standard-library ``logging`` in the DESIGN.md line (seed 000 FR-2).

``logger.info("request_completed", extra={"duration_ms": 12.5})`` -> event ``request_completed``;
``logger.info("user %s logged in", name)`` -> event ``log`` with the formatted text as the message
(add ``extra={"event": "user_logged_in"}`` to name it).
"""

from __future__ import annotations

import logging
from typing import Any

from ..config import configure
from ..log.jsonline import render_json
from ..log.line import build_line
from ..log.logger import exc_info_fields
from ..log.pretty import render_pretty
from ..log.sink import sink

_STANDARD = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", (), None)).keys() | {"message", "asctime", "taskName"}
)


def level_word(levelno: int) -> str:
    if levelno >= logging.CRITICAL:
        return "fatal"
    if levelno >= logging.ERROR:
        return "error"
    if levelno >= logging.WARNING:
        return "warn"
    if levelno >= logging.INFO:
        return "info"
    return "debug"


class HopscopeFormatter(logging.Formatter):
    """Formats records as the DESIGN.md line; put it on any handler."""

    def __init__(self, pretty: bool | None = None) -> None:
        super().__init__()
        self._pretty = pretty

    def format(self, record: logging.LogRecord) -> str:
        try:
            fields: dict[str, Any] = {
                k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")
            }
            message: str | None = record.getMessage()
            event = fields.pop("event", None)
            if event is None:
                # A %-template is free text: its event is `log`, unless it is an event name.
                event = record.msg if isinstance(record.msg, str) and not record.args else "log"
                if event == message:
                    message = None
            if record.exc_info:
                fields.update(exc_info_fields(record.exc_info))
            line = build_line(
                level_word(record.levelno),
                event,
                message,
                fields,
                time_ms=int(record.created * 1000),
            )
            if self._pretty is None:
                return sink.render(line)
            return render_pretty(line) if self._pretty else render_json(line)
        except Exception:
            sink.dropped += 1
            return '{"level":"error","event":"hopscope_format_failed"}'


class HopscopeHandler(logging.Handler):
    """Writes formatted records through the shared sink (same stream and lock as hopscope)."""

    def __init__(self, level: int = logging.NOTSET) -> None:
        super().__init__(level)
        self.setFormatter(HopscopeFormatter())

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sink.write_text(self.format(record))
        except Exception:
            sink.dropped += 1


def configure_logging(
    service: str | None = None, level: str | int = "INFO", logger: logging.Logger | None = None
) -> logging.Logger:
    """Routes ``logging`` (the root logger by default) to the DESIGN.md line on stdout."""
    configure(service)
    target = logger or logging.getLogger()
    for handler in list(target.handlers):
        if isinstance(handler, HopscopeHandler):
            target.removeHandler(handler)
    target.addHandler(HopscopeHandler())
    target.setLevel(level.upper() if isinstance(level, str) else level)
    return target
