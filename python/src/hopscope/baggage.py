"""W3C Baggage (https://www.w3.org/TR/baggage/): parse and produce the ``baggage`` header."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote, unquote

# key = token (RFC 7230); value = *baggage-octet, percent-encoded UTF-8.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_VALUE = re.compile(r"[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*")
_PROPERTY = re.compile(
    r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+(?:[ \t]*=[ \t]*[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*)?"
)
# Every baggage-octet except "%" may stay literal when encoding.
_SAFE = "!#$&'()*+-./:<=>?@[]^_`{|}~"

MAX_MEMBERS = 180
MAX_BYTES = 8192
_OWS = " \t"


@dataclass(frozen=True, slots=True)
class BaggageEntry:
    key: str
    value: str
    """Decoded value."""
    properties: str = ""
    """The raw ``;prop=value`` tail, kept verbatim so it is propagated unchanged."""


def parse_baggage(header: str | Iterable[str] | None) -> tuple[BaggageEntry, ...]:
    """Parses ``baggage``; malformed members are skipped, an oversized header is ignored."""
    if header is None:
        return ()
    combined = header if isinstance(header, str) else ",".join(header)
    if len(combined.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        return ()
    entries: list[BaggageEntry] = []
    for raw in combined.split(","):
        entry = _parse_member(raw)
        if entry is not None:
            entries.append(entry)
            if len(entries) >= MAX_MEMBERS:
                break
    return tuple(entries)


def _parse_member(raw: str) -> BaggageEntry | None:
    head, _, tail = raw.partition(";")
    key, sep, value = head.partition("=")
    key, value = key.strip(_OWS), value.strip(_OWS)
    if not sep or not _TOKEN.fullmatch(key) or not _VALUE.fullmatch(value):
        return None
    properties = []
    if tail:
        for prop in tail.split(";"):
            prop = prop.strip(_OWS)
            if not _PROPERTY.fullmatch(prop):
                return None
            properties.append(prop)
    return BaggageEntry(key, unquote(value, errors="replace"), ";".join(properties))


def format_baggage(entries: Iterable[BaggageEntry]) -> str:
    """Serialises entries, dropping those that would push the header past 8192 bytes."""
    parts: list[str] = []
    size = 0
    for entry in entries:
        if not _TOKEN.fullmatch(entry.key):
            continue
        part = f"{entry.key}={quote(entry.value, safe=_SAFE)}"
        if entry.properties:
            part += ";" + entry.properties
        added = len(part) + (1 if parts else 0)
        if size + added > MAX_BYTES or len(parts) >= MAX_MEMBERS:
            continue
        parts.append(part)
        size += added
    return ",".join(parts)
