"""The DESIGN.md log line: build, render, write."""

from .jsonline import js_number, render_json
from .line import RESERVED, build_line, event_name, format_timestamp
from .logger import Logger, error_fields, exc_info_fields, get_logger
from .pretty import render_pretty, sanitize
from .sink import sink

__all__ = [
    "RESERVED",
    "Logger",
    "build_line",
    "error_fields",
    "event_name",
    "exc_info_fields",
    "format_timestamp",
    "get_logger",
    "js_number",
    "render_json",
    "render_pretty",
    "sanitize",
    "sink",
]
