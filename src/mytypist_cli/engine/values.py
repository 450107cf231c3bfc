"""Turn data values into the text a document shows, and find them by name.

A row of data is a mapping (a JSON object, a CSV row, an Excel row). Names
are compared after Unicode NFC normalisation; ``client.name`` reads a flat
key of that name first and then nested objects. ``None`` (JSON ``null``)
counts as missing; an empty string is an empty value.

Imports neither typer nor rich.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from mytypist_cli.engine.syntax import normalise_name
from mytypist_cli.errors import RenderError

MISSING: Any = object()
"""Returned by :func:`lookup` when a name has no value."""

# XML 1.0 allows only these characters; anything else would make Word refuse the file.
_XML_FORBIDDEN = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class Row:
    """One set of values, with keys normalised once so every lookup is cheap."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = _normalise_keys(values)

    def lookup(self, name: str) -> Any:
        """The value for ``name``, or :data:`MISSING` (``None`` counts as missing)."""
        value = self._values.get(name, MISSING)
        if value is MISSING and "." in name:
            value = _dotted(self._values, name)
        return MISSING if value is None else value


def _normalise_keys(values: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(values, Mapping):
        raise RenderError(f"values must be a mapping of names to values, not {type(values).__name__}")
    return {normalise_name(str(key)): value for key, value in values.items()}


def _dotted(values: dict[str, Any], name: str) -> Any:
    current: Any = values
    for segment in name.split("."):
        if not isinstance(current, Mapping):
            return MISSING
        if not isinstance(current, dict) or segment not in current:
            current = _normalise_keys(current)
        current = current.get(segment, MISSING)
        if current is MISSING:
            return MISSING
    return current


def to_text(value: Any, name: str) -> str:
    """The text a value shows as in a document when no filter says otherwise.

    Raises RenderError for values that have no sensible text (lists, objects).
    """
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return text
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds" if value.second else "minutes")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Mapping | list | tuple):
        kind = "an object" if isinstance(value, Mapping) else "a list"
        raise RenderError(f"the value for {name!r} is {kind}, not text")
    return str(value)


def clean_text(text: str) -> str:
    """Drop characters XML 1.0 forbids and turn every line ending into ``\\n``."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _XML_FORBIDDEN.sub("", text)
