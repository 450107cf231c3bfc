"""Turn data values into the text a document shows, and find them by name.

A row of data is a mapping (a JSON object, a CSV row, an Excel row). Names
are compared after Unicode NFC normalisation; ``client.name`` reads a flat
key of that name first and then nested objects. ``None`` (JSON ``null``)
counts as missing; an empty string is an empty value.

A value may carry its own text: a :class:`Formatted` value (an Excel cell
read with its number format) is a number or a date for filters and shows as
the text Excel shows when printed without one.

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

#: The locale of a template that names none: Nigerian English (Naira, day-first dates).
DEFAULT_LOCALE = "en_NG"

MISSING: Any = object()
"""Returned by :func:`lookup` when a name has no value."""

# XML 1.0 allows only these characters; anything else would make Word refuse the file.
_XML_FORBIDDEN = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class Formatted:
    """A value that shows as text of its own when printed without a filter.

    Subclasses also derive from the value's type (int, float, date...), so
    comparisons, conditions and filters see the plain value; ``raw`` is that
    value without the display, and ``shown(locale)`` the text (raises
    :class:`Unshowable`).
    """

    __slots__ = ()

    @property
    def raw(self) -> Any:
        raise NotImplementedError

    def shown(self, locale: str) -> str:
        raise NotImplementedError


class Unshowable(ValueError):
    """A :class:`Formatted` value cannot give its text; the message goes on "the value for 'x' ..."."""


class NotText(RenderError):
    """A value that has no text of its own (a list, an object, an unshowable cell).

    ``reason`` completes "the value for 'name' ...", so whoever knows the
    field's name can say which value it is.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(f"the value {reason}")
        self.reason = reason


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


def to_text(value: Any, name: str, locale: str = DEFAULT_LOCALE) -> str:
    """The text a value shows as in a document when no filter says otherwise.

    Raises RenderError naming ``name`` for values that have no sensible text
    (lists, objects, a cell whose number format cannot be followed).
    """
    try:
        return text_of(value, locale)
    except NotText as exc:
        raise RenderError(f"the value for {name!r} {exc.reason}") from None


def text_of(value: Any, locale: str = DEFAULT_LOCALE) -> str:
    """:func:`to_text` for a value whose field is named elsewhere; raises NotText."""
    if isinstance(value, str):
        return value
    if isinstance(value, Formatted):
        try:
            return value.shown(locale)
        except Unshowable as exc:
            raise NotText(str(exc)) from None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if not_finite(value):
        # JSON's 1e400 is read as infinity: printed, it would be "inf" on the page.
        raise NotText(f"is not a number a document can show ({value})")
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
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
        raise NotText("is an object, not text" if isinstance(value, Mapping) else "is a list, not text")
    return str(value)


def not_finite(value: Any) -> bool:
    """Infinity or NaN, as a float or a Decimal."""
    if isinstance(value, float):
        return not math.isfinite(value)
    return isinstance(value, Decimal) and not value.is_finite()


def raw_value(value: Any) -> Any:
    """The plain value behind a :class:`Formatted` one (a cell's number or date); others as they are."""
    return value.raw if isinstance(value, Formatted) else value


def clean_text(text: str) -> str:
    """Drop characters XML 1.0 forbids and turn every line ending into ``\\n``."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _XML_FORBIDDEN.sub("", text)
