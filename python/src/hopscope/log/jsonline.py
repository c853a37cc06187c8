"""Renders a log line byte-for-byte as JavaScript's ``JSON.stringify`` would.

Python's ``json`` differs from JavaScript in a few places that matter for "the same line in
both languages": integral floats (``150.0`` vs ``150``), exponent forms (``1e-07`` vs
``1e-7``), NaN/Infinity (invalid JSON vs ``null``), ``-0.0`` and lone surrogates.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import json
import math
import os
from typing import Any

def js_number(value: float) -> str:
    """Formats a finite float as ECMAScript Number::toString does."""
    if value == 0:
        return "0"
    text = repr(value)
    if "e" not in text and "E" not in text:
        return text[:-2] if text.endswith(".0") else text
    mantissa, _, exp_text = text.partition("e")
    sign = "-" if mantissa.startswith("-") else ""
    digits = mantissa.lstrip("-").replace(".", "")
    point = len(mantissa.lstrip("-").split(".")[0])  # digits before the point in the mantissa
    exponent = int(exp_text) + point  # value = 0.digits * 10**exponent
    digits = digits.rstrip("0") or "0"
    k = len(digits)
    if k <= exponent <= 21:
        return sign + digits + "0" * (exponent - k)
    if 0 < exponent <= 21:
        return sign + digits[:exponent] + "." + digits[exponent:]
    if -6 < exponent <= 0:
        return sign + "0." + "0" * (-exponent) + digits
    e = exponent - 1
    exp_part = f"e{'+' if e >= 0 else '-'}{abs(e)}"
    if k == 1:
        return sign + digits + exp_part
    return sign + digits[0] + "." + digits[1:] + exp_part


def _default(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
            return value.isoformat(timespec="milliseconds") + "Z"
        return value.isoformat()
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, set | frozenset):
        return list(value)
    if isinstance(value, BaseException):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "backslashreplace")
    return str(value)


_PLAIN = frozenset({str, int, bool, type(None)})


def _js_differs(value: float) -> bool:
    """True when Python's float text differs from JavaScript's (or is not JSON at all)."""
    if not math.isfinite(value) or value.is_integer():
        return True
    magnitude = abs(value)
    return magnitude < 1e-4 or magnitude >= 1e16  # where repr switches to exponent form


class _Numbers:
    """Collects floats whose Python text differs from JavaScript's, to patch after encoding."""

    __slots__ = ("nonce", "patches")

    def __init__(self) -> None:
        self.nonce = ""
        self.patches: list[str] = []

    def _placeholder(self, value: float) -> Any:
        if not math.isfinite(value):
            return None
        if not self.nonce:
            self.nonce = os.urandom(4).hex()
        self.patches.append(js_number(value))
        return f"\x00{self.nonce}:{len(self.patches) - 1}\x00"

    def fix(self, value: Any, depth: int = 0) -> Any:
        """``value`` itself when nothing needs patching (the common case: no copies made)."""
        kind = type(value)
        if kind in _PLAIN:
            return value
        if isinstance(value, float):
            return self._placeholder(value) if _js_differs(value) else value
        if depth > 32:
            return value
        if kind is dict:
            copy = None
            for key, item in value.items():
                if type(item) in _PLAIN:
                    continue
                fixed = self.fix(item, depth + 1)
                if fixed is not item:
                    if copy is None:
                        copy = dict(value)
                    copy[key] = fixed
            return value if copy is None else copy
        if kind is list or kind is tuple:
            items = [self.fix(item, depth + 1) for item in value]
            return items if any(a is not b for a, b in zip(items, value)) else value
        return value

    def apply(self, text: str) -> str:
        for index, number in enumerate(self.patches):
            text = text.replace(f'"\\u0000{self.nonce}:{index}\\u0000"', number, 1)
        return text


_encoder = None


def _encode(value: Any) -> str:
    # One encoder for the process: json.dumps with options builds a new one per call.
    global _encoder
    if _encoder is None:
        _encoder = json.JSONEncoder(
            ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=_default
        )
    return _encoder.encode(value)


def _encode_safely(line: dict[str, Any]) -> str:
    try:
        return _encode(line)
    except (ValueError, TypeError, RecursionError):
        # A circular or hostile value: keep the line, degrade only the offending fields.
        safe: dict[str, Any] = {}
        for key, value in line.items():
            try:
                _encode(value)
                safe[key] = value
            except (ValueError, TypeError, RecursionError):
                safe[key] = f"<unserializable {type(value).__name__}>"
        return _encode(safe)


def render_json(line: dict[str, Any]) -> str:
    """One JSON object, no newline, no spaces: the same bytes ``JSON.stringify`` produces."""
    numbers = _Numbers()
    fixed = numbers.fix(line)
    text = _encode_safely(fixed)
    if numbers.patches:
        text = numbers.apply(text)
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            # Lone surrogates: JSON.stringify writes them as \udXXX escapes, and so does this.
            text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text
