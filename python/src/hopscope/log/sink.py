"""Where log lines go: one locked writer shared by every logger in the process."""

from __future__ import annotations

import os
import threading
from typing import Any

from ..config import LEVELS, settings
from .jsonline import render_json
from .pretty import render_pretty


class Sink:
    """Writes whole lines under one lock, so lines from threads never interleave.

    Write failures (closed pipe, full disk) are counted in ``dropped`` and swallowed: logging
    must never crash or slow the traced app.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.dropped = 0
        self.reconfigure()

    def reconfigure(self) -> None:
        self.threshold = LEVELS[settings.level]
        mode = os.environ.get("HOPSCOPE_LOG_FORMAT", "").lower()
        self._pretty_override = settings.pretty if settings.pretty is not None else (
            True if mode == "pretty" else False if mode == "json" else None
        )
        self._color = "NO_COLOR" not in os.environ
        self._tty_stream: object = None
        self._tty_value = False

    def enabled(self, level: str) -> bool:
        return LEVELS.get(level, 0) >= self.threshold

    def pretty(self) -> bool:
        if self._pretty_override is not None:
            return self._pretty_override
        stream = settings.resolved_stream()
        if stream is not self._tty_stream:  # isatty() is a syscall: ask once per stream
            try:
                self._tty_value = bool(stream.isatty())
            except Exception:
                self._tty_value = False
            self._tty_stream = stream
        return self._tty_value

    def render(self, line: dict[str, Any]) -> str:
        if self.pretty():
            return render_pretty(line, color=self._color)
        return render_json(line)

    def write_text(self, text: str) -> None:
        stream = settings.resolved_stream()
        try:
            with self._lock:
                stream.write(text + "\n")
                stream.flush()
        except Exception:
            self.dropped += 1

    def emit(self, line: dict[str, Any]) -> None:
        try:
            text = self.render(line)
        except Exception:
            self.dropped += 1
            return
        self.write_text(text)


sink = Sink()
