"""Process-wide settings: one process is one service."""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from typing import IO

DEFAULT_REQUEST_ID_HEADERS = ("x-request-id", "x-correlation-id", "x-trace-id")
LEVELS = {"debug": 10, "info": 20, "warn": 30, "error": 40, "fatal": 50}
_LEVEL_ALIASES = {
    "warning": "warn",
    "critical": "fatal",
    "exception": "error",
    "msg": "info",
    "notset": "debug",
    "trace": "debug",
}
_SERVICE_NAME = re.compile(r"[A-Za-z0-9._:@/-]{1,128}")


def normalize_level(name: object) -> str | None:
    """Maps a level name from any logging library to a DESIGN.md level word, or None."""
    if not isinstance(name, str):
        return None
    lowered = name.lower()
    lowered = _LEVEL_ALIASES.get(lowered, lowered)
    return lowered if lowered in LEVELS else None


def is_valid_service_name(value: object) -> bool:
    return isinstance(value, str) and _SERVICE_NAME.fullmatch(value) is not None


@dataclass
class Settings:
    service: str = field(
        default_factory=lambda: os.environ.get("HOPSCOPE_SERVICE")
        or os.environ.get("OTEL_SERVICE_NAME")
        or "unknown_service"
    )
    level: str = field(
        default_factory=lambda: normalize_level(os.environ.get("HOPSCOPE_LOG_LEVEL", "info"))
        or "info"
    )
    stream: IO[str] | None = None
    """None means "sys.stdout at write time", so test runners that swap stdout still work."""
    pretty: bool | None = None
    """None means: pretty when the stream is a TTY (HOPSCOPE_LOG_FORMAT=json|pretty overrides)."""
    request_id_headers: tuple[str, ...] = DEFAULT_REQUEST_ID_HEADERS
    services_encountered: bool = False
    """Opt-in (seed 002): read, append to and forward ``x-services-encountered``."""

    def resolved_stream(self) -> IO[str]:
        return self.stream if self.stream is not None else sys.stdout


settings = Settings()


def configure(
    service: str | None = None,
    *,
    level: str | None = None,
    stream: IO[str] | None = None,
    pretty: bool | None = None,
    request_id_headers: tuple[str, ...] | list[str] | None = None,
    services_encountered: bool | None = None,
) -> Settings:
    """Sets the service name and log output once, at startup. Raises ValueError on bad input."""
    if service is not None:
        if not is_valid_service_name(service):
            raise ValueError("service must be 1-128 characters of [A-Za-z0-9._:@/-]")
        settings.service = service
    if level is not None:
        normalized = normalize_level(level)
        if normalized is None:
            raise ValueError(f"level must be one of {', '.join(LEVELS)} (or warning/critical)")
        settings.level = normalized
    if stream is not None:
        settings.stream = stream
    if pretty is not None:
        settings.pretty = pretty
    if request_id_headers is not None:
        names = tuple(h.lower() for h in request_id_headers)
        if not names or not all(re.fullmatch(r"[a-z0-9-]{1,64}", h) for h in names):
            raise ValueError("request_id_headers must be a non-empty list of header names")
        settings.request_id_headers = names
    if services_encountered is not None:
        settings.services_encountered = bool(services_encountered)
    from .log.sink import sink  # late import: the sink reads these settings

    sink.reconfigure()
    return settings
