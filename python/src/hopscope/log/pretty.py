"""The human-readable form of a log line, for terminals (seed 000 FR-2: "pretty for dev")."""

from __future__ import annotations

import re
from typing import Any

from .jsonline import render_json

# C0, DEL and C1 controls: on a terminal these could move the cursor or recolour the screen,
# so a hostile header or message is shown escaped, never interpreted.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_COLORS = {"debug": "\x1b[90m", "info": "\x1b[32m", "warn": "\x1b[33m", "error": "\x1b[31m", "fatal": "\x1b[35m"}
_DIM, _BOLD, _RESET = "\x1b[2m", "\x1b[1m", "\x1b[0m"
_HEAD = ("timestamp", "level", "service", "request_id", "trace_id", "span_id", "event", "message")


def sanitize(text: str) -> str:
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _value(value: Any) -> str:
    if isinstance(value, str):
        return sanitize(value)
    return sanitize(render_json({"v": value})[5:-1])


def render_pretty(line: dict[str, Any], color: bool = True) -> str:
    def paint(code: str, text: str) -> str:
        return f"{code}{text}{_RESET}" if color else text

    level = str(line.get("level", "info"))
    parts = [
        paint(_DIM, _value(line.get("timestamp", ""))[11:23]),
        paint(_COLORS.get(level, ""), level.upper().ljust(5)),
        _value(line.get("service", "")),
    ]
    if "request_id" in line:
        parts.append(paint(_DIM, _value(line["request_id"])))
    event, message = _value(line.get("event", "")), _value(line.get("message", ""))
    parts.append(paint(_BOLD, event) + ("" if message == event else f" {message}"))
    extras = [f"{sanitize(k)}={_value(v)}" for k, v in line.items() if k not in _HEAD]
    if "trace_id" in line:
        extras.append(paint(_DIM, f"trace={_value(line['trace_id'])}/{_value(line.get('span_id', ''))}"))
    return "  ".join(parts) + ("  " + " ".join(extras) if extras else "")
