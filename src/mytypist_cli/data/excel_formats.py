"""Excel number formats: the text a cell shows, from its value and its format code.

A cell read from a workbook keeps its value (a number, a date) for filters and
gets the text Excel shows for it when it is printed without one: ``0000000000``
keeps an account number's leading zeros, ``0.0%`` shows ``7.5%``, ``#,##0.00``
shows ``1,250,000.00``, ``"₦"#,##0.00`` and ``[$₦-468]#,##0.00`` show the Naira
sign, ``dd/mm/yyyy`` and ``d-mmm-yy`` show dates that way. Excel's built-in
short date (format 14, and 22 with the time) follows the system's locale in
Excel; here it follows the template's (``dd/mm/yyyy`` for en_NG), and so do the
thousands and decimal separators.

What is read: sections (``positive;negative;zero;text``), quoted literals,
``\\`` escapes, ``_`` and ``*`` (spacing and fill: nothing in running text),
colours, ``[$₦-468]`` currency blocks, ``0 # ?``, ``,`` as thousands separator
and as scaling, ``.``, ``%``, ``E+``, ``General``, ``@``; dates and times with
``d dd ddd dddd m mm mmm mmmm mmmmm yy yyyy h hh m mm s ss .0 AM/PM A/P`` and
``[h] [m] [s]``; ``[$-F800]`` and ``[$-F400]`` (the system's long date and
time). What is not (fractions ``# ?/?``, conditions ``[<100]``, other calendars
and numeral systems) is refused when such a value is printed without a filter,
with a message saying so, rather than printed wrongly.

Month and day names are Excel's English ones in English locales and CLDR's
(babel) in others. Imports neither typer nor rich; babel and openpyxl only
inside functions.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Context, Decimal, localcontext
from functools import lru_cache
from typing import Any

from mytypist_cli.engine.values import DEFAULT_LOCALE, Formatted, Unshowable, to_text

__all__ = ["NumberFormat", "cell_value", "number_format"]

#: Excel's built-in formats that follow the system's locale: the short date, and it with the time.
SHORT_DATE_ID = 14
SHORT_DATE_TIME_ID = 22

_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_COLOURS = {"black", "blue", "cyan", "green", "magenta", "red", "white", "yellow"}
_DAY_ZERO = dt.datetime(1899, 12, 30)  # serial 0 in the 1900 date system (its leap-year bug included)
_DAY_ZERO_1904 = dt.datetime(1904, 1, 1)
_ELAPSED = re.compile(r"(h+|m+|s+)", re.IGNORECASE)


@dataclass(frozen=True)
class _Token:
    # lit digit point comma percent exp slash general text ampm ap y m d h s minute elapsed sysdate systime
    kind: str
    text: str = ""
    count: int = 0


class _NotSupported(Exception):
    """A format code outside what this module reads; the message says what."""


@dataclass(frozen=True)
class _Layout:
    """Where a number section puts what, worked out once when the code is compiled."""

    general: bool  # "General" in the section: the number as it is, with literals around it
    point: int | None  # index of the decimal point
    exp: int | None  # index of E+ / E-
    whole: tuple[int, ...]  # indexes of whole-part placeholders, then decimals, then exponent digits
    fraction: tuple[int, ...]
    exponent: tuple[int, ...]
    grouping: bool  # a comma between whole-part placeholders: thousands separators
    shift: int  # the power of ten applied first: +2 per %, -3 per scaling comma
    template: tuple[str, ...]  # each token's text with placeholders and dropped commas empty


@dataclass(frozen=True)
class _Section:
    kind: str  # "number", "date", "text" or "literal"
    tokens: tuple[_Token, ...]
    layout: _Layout | None = None


@dataclass(frozen=True)
class NumberFormat:
    """A compiled number format code; ``render`` gives the text a value shows as."""

    code: str
    builtin: int | None
    epoch1904: bool
    sections: tuple[_Section, ...]
    text_section: _Section | None
    error: str | None

    def render(self, value: Any, locale: str = DEFAULT_LOCALE) -> str:
        """The text ``value`` shows as. Raises Unshowable when the format cannot be followed."""
        if self.error is not None:
            raise Unshowable(self.error)
        if isinstance(value, str):
            if self.text_section is None:
                return value
            return _render_text(self.text_section, value)
        if self.builtin in (SHORT_DATE_ID, SHORT_DATE_TIME_ID) and not isinstance(value, dt.timedelta):
            moment = _moment(value, self.epoch1904, self.code)
            text = _short_date(moment.date(), locale)
            if self.builtin == SHORT_DATE_TIME_ID:
                text += f" {moment.hour}:{moment.minute:02d}"
            return text
        return self._render_value(value, locale)

    def cell(self, value: Any) -> Any:
        """See :func:`cell_value`."""
        if isinstance(value, str):
            return self.render(value) if self.text_section is not None and self.error is None else value
        kind = _CELL_TYPES.get(type(value))
        return value if kind is None else kind.make(value, self)

    def _render_value(self, value: Any, locale: str) -> str:
        if not self.sections:
            return to_text(value, "")  # only a text section ("@"): numbers show as General
        if isinstance(value, dt.date | dt.time | dt.timedelta):
            section = self.sections[0]
            if section.kind == "date":
                return _render_date(section, value, self.epoch1904, self.code, locale)
            value = _serial(value, self.epoch1904)  # a date in a number format shows its serial
        if not isinstance(value, int | float):
            return to_text(value, "")
        section, negative = self.sections[0], value < 0
        if value < 0 and len(self.sections) >= 2:
            section, negative = self.sections[1], False  # the negative section shows no minus sign
        elif value == 0 and len(self.sections) >= 3:
            section = self.sections[2]
        if section.kind == "date":
            text = _render_date(section, value, self.epoch1904, self.code, locale)
        elif section.kind == "literal":
            text = "".join(token.text for token in section.tokens)
        else:
            text = _render_number(section, abs(value), locale, self.code)
        return ("-" + text if negative else text).strip(" ")


@lru_cache(maxsize=512)
def number_format(code: str, builtin: int | None = None, epoch1904: bool = False) -> NumberFormat:
    """Compile a format code (``builtin``: its id when it is one of Excel's locale-dependent ones)."""
    if builtin not in (SHORT_DATE_ID, SHORT_DATE_TIME_ID):
        builtin = None
    try:
        sections = [_section(_tokens(part)) for part in _split_sections(code)]
    except _NotSupported as exc:
        return NumberFormat(code, builtin, epoch1904, (), None, _unsupported(code, str(exc)))
    text_section = sections.pop() if sections[-1].kind == "text" else None
    if len(sections) > 3:
        sections = sections[:3]
    if any(section.kind == "text" for section in sections):
        return NumberFormat(
            code, builtin, epoch1904, (), None, _unsupported(code, "text (@) outside the last section")
        )
    return NumberFormat(code, builtin, epoch1904, tuple(sections), text_section, None)


def _unsupported(code: str, what: str) -> str:
    return f"has the Excel number format {code!r}, which mytypist cannot show ({what})"


def cell_value(value: Any, fmt: NumberFormat) -> Any:
    """``value`` as a cell that prints through ``fmt``: the same value for filters, with its display.

    Text in a format with a text section comes back as the text shown; a value
    of another type (a boolean) comes back unchanged.
    """
    return fmt.cell(value)


# --------------------------------------------------------------------------- values that show as a cell


class _Cell(Formatted):
    __slots__ = ()
    _format: NumberFormat

    def shown(self, locale: str) -> str:
        return self._format.render(self.raw, locale)

    def __reduce__(self) -> tuple[Any, ...]:
        fmt = self._format
        return (_rebuild, (self.raw, fmt.code, fmt.builtin, fmt.epoch1904))

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        return self.__reduce__()


def _rebuild(raw: Any, code: str, builtin: int | None, epoch1904: bool) -> Any:
    return cell_value(raw, number_format(code, builtin, epoch1904))


class CellInt(_Cell, int):
    """An integer read from a cell with a number format."""

    @classmethod
    def make(cls, value: int, fmt: NumberFormat) -> CellInt:
        cell = cls(value)
        cell._format = fmt
        return cell

    @property
    def raw(self) -> int:
        return int(self)


class CellFloat(_Cell, float):
    """A number read from a cell with a number format."""

    @classmethod
    def make(cls, value: float, fmt: NumberFormat) -> CellFloat:
        cell = cls(value)
        cell._format = fmt
        return cell

    @property
    def raw(self) -> float:
        return float(self)


class CellDate(_Cell, dt.date):
    """A date read from a cell with a date format."""

    @classmethod
    def make(cls, value: dt.date, fmt: NumberFormat) -> CellDate:
        cell = cls(value.year, value.month, value.day)
        cell._format = fmt
        return cell

    @property
    def raw(self) -> dt.date:
        return dt.date(self.year, self.month, self.day)


class CellDateTime(_Cell, dt.datetime):
    """A date and time read from a cell with a date format."""

    @classmethod
    def make(cls, value: dt.datetime, fmt: NumberFormat) -> CellDateTime:
        cell = cls(
            value.year,
            value.month,
            value.day,
            value.hour,
            value.minute,
            value.second,
            value.microsecond,
            value.tzinfo,
            fold=value.fold,
        )
        cell._format = fmt
        return cell

    @property
    def raw(self) -> dt.datetime:
        return dt.datetime(
            self.year,
            self.month,
            self.day,
            self.hour,
            self.minute,
            self.second,
            self.microsecond,
            self.tzinfo,
            fold=self.fold,
        )


class CellTime(_Cell, dt.time):
    """A time of day read from a cell with a time format."""

    @classmethod
    def make(cls, value: dt.time, fmt: NumberFormat) -> CellTime:
        cell = cls(value.hour, value.minute, value.second, value.microsecond, value.tzinfo, fold=value.fold)
        cell._format = fmt
        return cell

    @property
    def raw(self) -> dt.time:
        return dt.time(self.hour, self.minute, self.second, self.microsecond, self.tzinfo, fold=self.fold)


class CellDuration(_Cell, dt.timedelta):
    """A duration read from a cell with an elapsed-time format ([h]:mm)."""

    @classmethod
    def make(cls, value: dt.timedelta, fmt: NumberFormat) -> CellDuration:
        cell = cls(value.days, value.seconds, value.microseconds)
        cell._format = fmt
        return cell

    @property
    def raw(self) -> dt.timedelta:
        return dt.timedelta(self.days, self.seconds, self.microseconds)


_CELL_TYPES: dict[type, Any] = {
    int: CellInt,
    float: CellFloat,
    dt.date: CellDate,
    dt.datetime: CellDateTime,
    dt.time: CellTime,
    dt.timedelta: CellDuration,
}


# --------------------------------------------------------------------------- parsing a code


def _split_sections(code: str) -> list[str]:
    """Split at ``;`` outside quotes, brackets and escapes."""
    parts: list[str] = []
    start = 0
    index = 0
    while index < len(code):
        char = code[index]
        if char == '"':
            end = code.find('"', index + 1)
            index = len(code) if end < 0 else end + 1
            continue
        if char == "[":
            end = code.find("]", index + 1)
            index = len(code) if end < 0 else end + 1
            continue
        if char in "\\_*":
            index += 2
            continue
        if char == ";":
            parts.append(code[start:index])
            start = index + 1
        index += 1
    parts.append(code[start:])
    return parts


def _tokens(section: str) -> list[_Token]:
    tokens: list[_Token] = []
    index = 0
    length = len(section)
    while index < length:
        char = section[index]
        lower = char.lower()
        if char == '"':
            end = section.find('"', index + 1)
            end = length if end < 0 else end
            tokens.append(_Token("lit", section[index + 1 : end]))
            index = end + 1
        elif char == "\\":
            tokens.append(_Token("lit", section[index + 1 : index + 2]))
            index += 2
        elif char in "_*":
            index += 2  # the width of a character, or a fill: nothing in running text
        elif char == "[":
            end = section.find("]", index + 1)
            if end < 0:
                raise _NotSupported("an unclosed [")
            tokens.extend(_bracket(section[index + 1 : end]))
            index = end + 1
        elif section[index : index + 7].lower() == "general":
            tokens.append(_Token("general"))
            index += 7
        elif char in "0#?":
            tokens.append(_Token("digit", char))
            index += 1
        elif char == ".":
            tokens.append(_Token("point", "."))
            index += 1
        elif char == ",":
            tokens.append(_Token("comma", ","))
            index += 1
        elif char == "%":
            tokens.append(_Token("percent", "%"))
            index += 1
        elif lower == "e" and section[index + 1 : index + 2] in ("+", "-"):
            tokens.append(_Token("exp", section[index + 1]))
            index += 2
        elif char == "/":
            tokens.append(_Token("slash", "/"))
            index += 1
        elif section[index : index + 5].upper() == "AM/PM":
            tokens.append(_Token("ampm", section[index : index + 5]))
            index += 5
        elif section[index : index + 3].upper() == "A/P":
            tokens.append(_Token("ap", section[index : index + 3]))
            index += 3
        elif lower in "ymdhse":
            end = index
            while end < length and section[end].lower() == lower:
                end += 1
            kind = "y" if lower == "e" else lower
            tokens.append(_Token(kind, section[index:end], 4 if lower == "e" else end - index))
            index = end
        elif lower in "bg":
            raise _NotSupported("another calendar or era")
        elif char == "@":
            tokens.append(_Token("text", "@"))
            index += 1
        else:
            tokens.append(_Token("lit", char))
            index += 1
    return tokens


def _bracket(inner: str) -> list[_Token]:
    lower = inner.lower()
    if lower in _COLOURS or re.fullmatch(r"color\d+", lower):
        return []
    if inner.startswith("$"):
        symbol, _, tag = inner[1:].partition("-")
        tag = tag.upper()
        if tag in ("F800", "X-SYSDATE"):
            return [_Token("sysdate")]
        if tag in ("F400", "X-SYSTIME"):
            return [_Token("systime")]
        return [_Token("lit", symbol)] if symbol else []
    if _ELAPSED.fullmatch(inner):
        return [_Token("elapsed", lower[0], len(inner))]
    if inner[:1] in "<>=":
        raise _NotSupported(f"the condition [{inner}]")
    raise _NotSupported(f"[{inner}]")


def _section(tokens: list[_Token]) -> _Section:
    kinds = {token.kind for token in tokens}
    if kinds & {"y", "m", "d", "h", "s", "elapsed", "ampm", "ap", "sysdate", "systime"}:
        if "text" in kinds:
            raise _NotSupported("text (@) in a date")
        return _Section("date", tuple(_minutes(tokens)))
    if "text" in kinds:
        return _Section("text", tuple(tokens))
    if "digit" in kinds or "general" in kinds:
        if "digit" in kinds and "general" in kinds:
            raise _NotSupported("General with digits")
        if "slash" in kinds and "digit" in kinds:
            raise _NotSupported("fractions")
        return _Section("number", tuple(tokens), _layout(tuple(tokens)))
    return _Section("literal", tuple(_Token("lit", t.text) for t in tokens))


def _minutes(tokens: list[_Token]) -> list[_Token]:
    """``m``/``mm`` right after an hour or right before seconds are minutes, not months."""
    timed = [i for i, token in enumerate(tokens) if token.kind in ("y", "m", "d", "h", "s", "elapsed")]
    out = list(tokens)
    for position, index in enumerate(timed):
        token = tokens[index]
        if token.kind != "m" or token.count > 2:
            continue
        before = tokens[timed[position - 1]] if position > 0 else None
        after = tokens[timed[position + 1]] if position + 1 < len(timed) else None
        if _is(before, "h") or _is(after, "s"):
            out[index] = _Token("minute", token.text, token.count)
    return out


def _is(token: _Token | None, unit: str) -> bool:
    """Whether ``token`` shows hours (``unit`` "h") or seconds ("s"), elapsed or not."""
    return token is not None and (token.kind == unit or (token.kind == "elapsed" and token.text == unit))


# --------------------------------------------------------------------------- numbers


@lru_cache(maxsize=64)
def _separators(locale: str) -> tuple[str, str]:
    """(thousands, decimal) separators of the locale."""
    if locale == DEFAULT_LOCALE:
        return ",", "."
    from babel.numbers import get_decimal_symbol, get_group_symbol

    return str(get_group_symbol(locale)), str(get_decimal_symbol(locale))


def _layout(tokens: tuple[_Token, ...]) -> _Layout:
    point = next((i for i, t in enumerate(tokens) if t.kind == "point"), None)
    exp = next((i for i, t in enumerate(tokens) if t.kind == "exp"), None)
    int_end = point if point is not None else (exp if exp is not None else len(tokens))
    dec_end = exp if exp is not None else len(tokens)
    digits_at = [i for i, t in enumerate(tokens) if t.kind == "digit"]
    whole = tuple(i for i in digits_at if i < int_end)
    fraction = tuple(i for i in digits_at if point is not None and point < i < dec_end)
    exponent = tuple(i for i in digits_at if exp is not None and i > exp)
    # A comma between whole-part placeholders groups thousands; commas right
    # after the last placeholder of the number divide it by a thousand each.
    last = max((i for i in digits_at if exp is None or i < exp), default=-1)
    grouping = False
    scale = 0
    template = [t.text for t in tokens]
    for i, token in enumerate(tokens):
        if token.kind in ("digit", "general"):
            template[i] = ""
        elif token.kind == "comma":
            if whole and whole[0] < i < whole[-1]:
                grouping, template[i] = True, ""
            elif last >= 0 and i > last and all(tokens[j].kind == "comma" for j in range(last + 1, i)):
                scale, template[i] = scale + 1, ""
    percent = sum(1 for t in tokens if t.kind == "percent")
    return _Layout(
        general=any(t.kind == "general" for t in tokens),
        point=point,
        exp=exp,
        whole=whole,
        fraction=fraction,
        exponent=exponent,
        grouping=grouping,
        shift=2 * percent - 3 * scale,
        template=tuple(template),
    )


def _render_number(section: _Section, number: int | float, locale: str, code: str) -> str:
    """A number (not negative: the sign is the caller's) through one number section."""
    tokens = section.tokens
    layout = section.layout
    assert layout is not None
    out = list(layout.template)
    if layout.general:
        return "".join(to_text(number, "") if t.kind == "general" else t.text for t in tokens)
    if isinstance(number, float) and not math.isfinite(number):
        raise Unshowable(_unsupported(code, "a number too large to show"))
    group, decimal_symbol = _separators(locale)
    point, exp = layout.point, layout.exp
    if point is not None:
        out[point] = decimal_symbol
    value = Decimal(repr(number)) if isinstance(number, float) else Decimal(number)
    if layout.shift:
        value = value.scaleb(layout.shift)
    places = Decimal(1).scaleb(-len(layout.fraction))
    width = max(len(layout.whole), 1)
    exponent = 0
    with localcontext(Context(prec=max(28, value.adjusted() + len(layout.fraction) + 5))):
        if exp is not None and value != 0:
            # The exponent is a multiple of the whole part's width (##0.0E+0: engineering).
            exponent = value.adjusted() - value.adjusted() % width
            rounded = value.scaleb(-exponent).quantize(places, rounding=ROUND_HALF_UP)
            if rounded.adjusted() >= width:  # 9.996E+00 rounded to 10.00E+00
                exponent += width
                rounded = value.scaleb(-exponent).quantize(places, rounding=ROUND_HALF_UP)
        else:
            rounded = value.quantize(places, rounding=ROUND_HALF_UP)
    whole, _, fraction = f"{rounded:f}".partition(".")
    _fill_whole(
        tokens, layout.whole, "" if whole == "0" else whole, group if layout.grouping else None, out, point
    )
    if layout.fraction:
        _fill_fraction(tokens, layout.fraction, fraction.ljust(len(layout.fraction), "0"), out)
    if exp is not None:
        out[exp] = "E" + ("-" if exponent < 0 else "+" if tokens[exp].text == "+" else "")
        _fill_whole(tokens, layout.exponent, str(abs(exponent)), None, out, None)
    return "".join(out)


def _fill_whole(
    tokens: tuple[_Token, ...],
    places: tuple[int, ...],
    digits: str,
    group: str | None,
    out: list[str],
    point: int | None,
) -> None:
    """Put whole-number digits into their placeholders, right to left; the first takes the rest.

    A ``0`` placeholder with no digit left shows 0, a ``?`` a space, a ``#``
    nothing. With ``group``, the digits are grouped in threes (literals between
    the placeholders then have no place and are dropped).
    """
    if not places:
        if digits and point is not None:
            out[point] = digits + out[point]  # .00 still shows the whole part of 12.5
        return
    if group is not None:
        kinds = [tokens[i].text for i in places]
        zeros = len(places) - kinds.index("0") if "0" in kinds else 0
        shown = digits.rjust(zeros, "0")
        head = len(shown) % 3 or 3
        grouped = group.join([shown[:head], *(shown[i : i + 3] for i in range(head, len(shown), 3))])
        spaces = len(places) - kinds.index("?") if "?" in kinds else 0
        out[places[0]] = " " * max(0, spaces - len(shown)) + grouped if shown else " " * spaces
        for i in range(places[0] + 1, places[-1] + 1):
            out[i] = ""
        return
    remaining = digits
    for position in range(len(places) - 1, -1, -1):
        index = places[position]
        if position == 0:
            take, remaining = remaining, ""
        else:
            take, remaining = remaining[-1:], remaining[:-1]
        out[index] = take or {"0": "0", "?": " ", "#": ""}[tokens[index].text]


def _fill_fraction(tokens: tuple[_Token, ...], places: tuple[int, ...], digits: str, out: list[str]) -> None:
    """Decimals left to right; trailing zeros in ``#`` places vanish and in ``?`` places become spaces."""
    trailing = True
    for position in range(len(places) - 1, -1, -1):
        index = places[position]
        digit, placeholder = digits[position], tokens[index].text
        if trailing and digit == "0" and placeholder != "0":
            out[index] = "" if placeholder == "#" else " "
        else:
            trailing = False
            out[index] = digit


# --------------------------------------------------------------------------- dates and times


def _serial(value: Any, epoch1904: bool) -> float:
    """The serial number of a date, time or duration (days since Excel's day zero)."""
    if isinstance(value, dt.timedelta):
        return value.total_seconds() / 86400
    if isinstance(value, dt.time):
        return (value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6) / 86400
    zero = _DAY_ZERO_1904 if epoch1904 else _DAY_ZERO
    moment = value if isinstance(value, dt.datetime) else dt.datetime(value.year, value.month, value.day)
    serial = (moment.replace(tzinfo=None) - zero).total_seconds() / 86400
    if not epoch1904 and serial < 61:
        serial -= 1  # Excel's day zero is 31 Dec 1899 before its phantom 29 Feb 1900
    return serial


def _moment(value: Any, epoch1904: bool, code: str) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, dt.time):
        return dt.datetime.combine(_DAY_ZERO.date(), value.replace(tzinfo=None))
    if isinstance(value, dt.timedelta):
        return _DAY_ZERO + value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if value < 0 or not math.isfinite(value):
            raise Unshowable(_unsupported(code, "a negative or endless date"))
        from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

        moment = from_excel(value, CALENDAR_MAC_1904 if epoch1904 else CALENDAR_WINDOWS_1900)
        if isinstance(moment, dt.datetime):
            return moment
        if isinstance(moment, dt.time):
            return dt.datetime.combine(_DAY_ZERO.date(), moment)
        if isinstance(moment, dt.date):
            return dt.datetime(moment.year, moment.month, moment.day)
    raise Unshowable(_unsupported(code, f"a value that is not a date: {value!r}"))


def _short_date(day: dt.date, locale: str) -> str:
    if locale == DEFAULT_LOCALE:
        return f"{day.day:02d}/{day.month:02d}/{day.year}"
    from babel.dates import format_date

    return str(format_date(day, "short", locale=locale))


@lru_cache(maxsize=64)
def _names(locale: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """Month names, short month names, day names and short day names (Monday first)."""
    if locale.split("_")[0].lower() == "en":
        return (
            tuple(_MONTHS),
            tuple(name[:3] for name in _MONTHS),
            tuple(_DAYS),
            tuple(name[:3] for name in _DAYS),
        )
    from babel.dates import get_day_names, get_month_names

    months = get_month_names("wide", locale=locale)
    short_months = get_month_names("abbreviated", locale=locale)
    days = get_day_names("wide", locale=locale)
    short_days = get_day_names("abbreviated", locale=locale)
    return (
        tuple(str(months[i]) for i in range(1, 13)),
        tuple(str(short_months[i]) for i in range(1, 13)),
        tuple(str(days[i]) for i in range(7)),
        tuple(str(short_days[i]) for i in range(7)),
    )


def _render_date(section: _Section, value: Any, epoch1904: bool, code: str, locale: str) -> str:
    tokens = section.tokens
    kinds = {token.kind for token in tokens}
    moment = _moment(value, epoch1904, code)
    if "sysdate" in kinds:
        from babel.dates import format_date

        return str(format_date(moment.date(), "full", locale=locale))
    if "systime" in kinds:
        from babel.dates import format_time

        return str(format_time(moment.time(), "medium", locale=locale))
    # Decimals of a second: ".0" to ".000" right after the seconds.
    decimals: dict[int, int] = {}
    for i, token in enumerate(tokens):
        if token.kind == "point" and i > 0 and tokens[i - 1].kind in ("s", "elapsed"):
            count = 0
            while i + 1 + count < len(tokens) and tokens[i + 1 + count].kind == "digit":
                count += 1
            if count:
                decimals[i] = count
    if isinstance(value, dt.timedelta):
        elapsed = Decimal(str(value.total_seconds()))
    else:
        elapsed = Decimal(repr(float(value) if isinstance(value, int | float) else _serial(value, epoch1904)))
        elapsed *= 86400
    if "s" in kinds or any(t.kind == "elapsed" and t.text == "s" for t in tokens):
        # Shown seconds are rounded (to the decimals shown); hidden ones are dropped, as in Excel.
        digits = min(max(decimals.values(), default=0), 6)
        unit = 10 ** (6 - digits)
        micro = (moment.microsecond + unit // 2) // unit * unit
        moment = moment.replace(microsecond=0) + dt.timedelta(microseconds=micro)
        elapsed = elapsed.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    twelve = "ampm" in kinds or "ap" in kinds
    months, short_months, days, short_days = _names(locale)
    out: list[str] = []
    for i, token in enumerate(tokens):
        kind, count = token.kind, token.count
        if kind == "y":
            out.append(f"{moment.year % 100:02d}" if count <= 2 else str(moment.year))
        elif kind == "m":
            month, name, short = moment.month, months[moment.month - 1], short_months[moment.month - 1]
            out.append({1: str(month), 2: f"{month:02d}", 3: short, 5: name[:1]}.get(count, name))
        elif kind == "d":
            day, weekday = moment.day, moment.weekday()
            out.append({1: str(day), 2: f"{day:02d}", 3: short_days[weekday]}.get(count, days[weekday]))
        elif kind == "h":
            hour = (moment.hour % 12 or 12) if twelve else moment.hour
            out.append(str(hour) if count == 1 else f"{hour:02d}")
        elif kind == "minute":
            out.append(str(moment.minute) if count == 1 else f"{moment.minute:02d}")
        elif kind == "s":
            out.append(str(moment.second) if count == 1 else f"{moment.second:02d}")
        elif kind == "elapsed":
            seconds = int(elapsed.to_integral_value(rounding=ROUND_FLOOR))
            amount = {"h": seconds // 3600, "m": seconds // 60, "s": seconds}[token.text]
            out.append(str(amount).rjust(count, "0"))
        elif kind == "point" and i in decimals:
            out.append("." + f"{moment.microsecond:06d}"[: decimals[i]].ljust(decimals[i], "0"))
        elif kind == "digit" and any(p < i <= p + n for p, n in decimals.items()):
            continue  # consumed by the decimals of a second
        elif kind == "ampm":
            text = "AM" if moment.hour < 12 else "PM"
            out.append(text.lower() if token.text[:1].islower() else text)
        elif kind == "ap":
            letter = "A" if moment.hour < 12 else "P"
            out.append(letter.lower() if token.text[:1].islower() else letter)
        else:
            out.append(token.text)
    return "".join(out).strip(" ")


def _render_text(section: _Section, text: str) -> str:
    return "".join(text if token.kind == "text" else token.text for token in section.tokens)
