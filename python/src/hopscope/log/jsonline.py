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


class _Numbers:
    """Collects floats whose Python text differs from JavaScript's, to patch after encoding."""

    def __init__(self) -> None:
        self.nonce = os.urandom(4).hex()
        self.patches: list[str] = []

    def fix(self, value: Any, depth: int = 0) -> Any:
        if isinstance(value, float):
            if not math.isfinite(value):
                return None
            text = repr(value)
            if "e" in text or text.endswith(".0") or value == 0:
                self.patches.append(js_number(value))
                return f"\x00{self.nonce}:{len(self.patches) - 1}\x00"
            return value
        if depth > 32:
            return value
        if isinstance(value, dict):
            fixed = {k: self.fix(v, depth + 1) for k, v in value.items()}
            return fixed if any(fixed[k] is not value[k] for k in value) else value
        if isinstance(value, list | tuple):
            items = [self.fix(v, depth + 1) for v in value]
            return items if any(a is not b for a, b in zip(items, value)) else value
        return value

    def apply(self, text: str) -> str:
        for index, number in enumerate(self.patches):
            text = text.replace(f'"\\u0000{self.nonce}:{index}\\u0000"', number, 1)
        return text


def _encode_safely(line: dict[str, Any]) -> str:
    try:
        return json.dumps(
            line, ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=_default
        )
    except (ValueError, TypeError, RecursionError):
        # A circular or hostile value: keep the line, degrade only the offending fields.
        safe: dict[str, Any] = {}
        for key, value in line.items():
            try:
                json.dumps(value, allow_nan=False, default=_default)
                safe[key] = value
            except (ValueError, TypeError, RecursionError):
                safe[key] = f"<unserializable {type(value).__name__}>"
        return json.dumps(
            safe, ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=_default
        )


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
