"""Formatting filters written in the template: ``<<fee|money>>``, ``<<start|date:ordinal>>``.

A chain (the text after the first ``|``) is parsed and checked when the
template opens, so an unknown filter or a bad argument fails there, not at
row 900 of a batch. Applying a chain to a value happens per row and raises
:class:`FilterValueError` when the value cannot be read (``date`` on
"next Tuesday").

Month names, separators and currency symbols come from babel (CLDR data) for
the template's locale (``en_NG`` by default); numbers in words from num2words;
dates typed with month names (``Sept 22, 2025``) are read by python-dateutil.
Each is imported only when a template uses a filter that needs it.

Imports neither typer nor rich.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from functools import lru_cache
from typing import Any

from mytypist_cli.engine.richtext import RICH_FILTERS, make_check, make_link, make_markdown
from mytypist_cli.engine.values import (
    DEFAULT_LOCALE,
    MISSING,
    NotText,
    clean_text,
    not_finite,
    raw_value,
    text_of,
)
from mytypist_cli.errors import FilterSyntaxError, FilterValueError, RenderError

__all__ = ["DEFAULT_LOCALE", "Chain", "compile_chain", "display_text", "read_date", "read_number"]
_QUOTES = {'"': '"', "'": "'", "\u201c": "\u201d", "\u2018": "\u2019", "\u201d": "\u201d", "\u2019": "\u2019"}
_FILTER = re.compile(r"\s*([A-Za-z_]+)\s*(?::\s*(.*))?$", re.S)


@dataclass(frozen=True)
class Chain:
    """A compiled chain of filters, applied left to right."""

    text: str
    steps: tuple[Callable[[Any], Any], ...]
    has_default: bool
    locale: str = DEFAULT_LOCALE

    def apply(self, value: Any, name: str) -> str:
        """The text the value shows as; ``value`` may be MISSING when the chain has a default.

        Raises FilterValueError; RenderError naming the field ``name`` for a
        value that has no text (a list, an object).
        """
        try:
            for step in self.steps:
                value = step(value)
            if value is MISSING:
                return ""
            return text_of(value, self.locale)
        except NotText as exc:
            raise RenderError(f"the value for {name!r} {exc.reason}") from None


def display_text(
    value: Any, chain: Chain | None, name: str, raw: str, *, locale: str = DEFAULT_LOCALE
) -> str | None:
    """The text ``value`` shows as, through ``chain`` if there is one; None when it is missing.

    A chain with a default is never missing. ``locale`` is the template's, for
    a value that shows differently by locale (an Excel short date) when there
    is no chain (a chain has its own). Raises RenderError naming the
    placeholder (``raw``) when a filter cannot take the value, or the field
    when the value has no text.
    """
    if value is MISSING and (chain is None or not chain.has_default):
        return None
    try:
        text = chain.apply(value, name) if chain is not None else text_of(value, locale)
    except FilterValueError as exc:
        raise RenderError(f"{raw}: {exc}") from None
    except NotText as exc:
        raise RenderError(f"the value for {name!r} {exc.reason}") from None
    return clean_text(text)


def compile_chain(text: str, locale: str = DEFAULT_LOCALE) -> Chain:
    """Parse ``upper|date:"%d %B %Y"`` into a chain. Raises FilterSyntaxError."""
    steps: list[Callable[[Any], Any]] = []
    has_default = False
    parts = _split_chain(text)
    for number, part in enumerate(parts):
        match = _FILTER.match(part)
        if not match:
            raise FilterSyntaxError(f"cannot read the filter {part.strip()!r}")
        name, raw_argument = match.group(1), match.group(2)
        argument = None if raw_argument is None else _unquote(raw_argument.strip())
        maker = _MAKERS.get(name)
        if maker is None:
            known = ", ".join(sorted(_MAKERS))
            raise FilterSyntaxError(f"unknown filter {name!r} (known: {known})")
        if name in RICH_FILTERS and number < len(parts) - 1:
            raise FilterSyntaxError(f"{name!r} makes Word formatting, not text: it must be the last filter")
        steps.append(maker(argument, locale))
        has_default = has_default or name == "default"
    if not steps:
        raise FilterSyntaxError("an empty filter after '|'")
    return Chain(text, tuple(steps), has_default, locale)


def _split_chain(text: str) -> list[str]:
    """Split at ``|`` outside quotes."""
    parts: list[str] = []
    current: list[str] = []
    closing: str | None = None
    for char in text:
        if closing is not None:
            current.append(char)
            if char == closing:
                closing = None
        elif char in _QUOTES:
            closing = _QUOTES[char]
            current.append(char)
        elif char == "|":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if closing is not None:
        raise FilterSyntaxError(f"an unclosed quote in {text!r}")
    parts.append("".join(current))
    return parts


def _unquote(argument: str) -> str:
    if argument and argument[0] in _QUOTES:
        closing = _QUOTES[argument[0]]
        if len(argument) < 2 or argument[-1] != closing:
            raise FilterSyntaxError(f"a badly quoted argument {argument!r}")
        return argument[1:-1]
    if not argument or re.search(r"[\s\"'\u201c\u201d\u2018\u2019]", argument):
        raise FilterSyntaxError(f"the argument {argument!r} needs quotes")
    return argument


def _passes_empty(function: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Missing and empty values go through a formatting filter untouched."""

    def step(value: Any) -> Any:
        if value is MISSING or value == "":
            return value
        return function(value)

    return step


def _no_argument(name: str, argument: str | None) -> None:
    if argument is not None:
        raise FilterSyntaxError(f"the filter {name!r} takes no argument")


# -- text ---------------------------------------------------------------------------


def _text_filter(
    name: str, transform: Callable[[str], str]
) -> Callable[[str | None, str], Callable[[Any], Any]]:
    def make(argument: str | None, locale: str) -> Callable[[Any], Any]:
        _no_argument(name, argument)
        return _passes_empty(lambda value: transform(text_of(value, locale)))

    return make


_APOSTROPHES = "'\u2019"
# What follows an apostrophe in English contractions and possessives: "Ada's", "don't", "we'll".
_CONTRACTION_ENDS = {"s", "t", "d", "m", "ll", "re", "ve"}


def _title(text: str) -> str:
    """Each word capitalised: ``ifeoma o'connor`` -> ``Ifeoma O'Connor``, ``ADA OBI`` -> ``Ada Obi``.

    Words are letters, digits and combining marks (str.title() capitalises
    after every mark: "AdéBáyọ̀"). A word starts after a space, a hyphen, or an
    apostrophe that follows a single letter (O'Connor, D'Souza); not after one
    inside a word (the Hausa names Mu'azu and Ja'afar keep their small letters)
    nor before a contraction's end (Ada's, I'm). A word in mixed case keeps its
    inner capitals (McDonald); one all in capitals or all in small letters gets
    small letters after the first.
    """
    out: list[str] = []
    index, length = 0, len(text)
    previous, previous_end = "", -1
    while index < length:
        if not _word_char(text[index]):
            out.append(text[index])
            index += 1
            continue
        end = index
        while end < length and _word_char(text[end]):
            end += 1
        word = text[index:end]
        joined = previous_end == index - 1 and text[index - 1] in _APOSTROPHES
        if joined and (_letters(previous) != 1 or word.lower() in _CONTRACTION_ENDS):
            out.append(word if _mixed(word) else word.lower())
        else:
            out.append(word[:1].upper() + (word[1:] if _mixed(word) else word[1:].lower()))
        previous, previous_end, index = word, end, end
    return "".join(out)


def _word_char(char: str) -> bool:
    return char.isalnum() or unicodedata.category(char).startswith("M")


def _letters(word: str) -> int:
    return sum(1 for char in word if not unicodedata.category(char).startswith("M"))


def _mixed(word: str) -> bool:
    letters = [char for char in word if char.isalpha()]
    return any(char.isupper() for char in letters) and any(char.islower() for char in letters)


def _capitalize(text: str) -> str:
    return text[:1].upper() + text[1:]


def _make_default(argument: str | None, locale: str) -> Callable[[Any], Any]:
    if argument is None:
        raise FilterSyntaxError('default needs the text to use, like default:"N/A"')
    fallback = argument

    def step(value: Any) -> Any:
        return fallback if value is MISSING or value == "" else value

    return step


def _make_lines(argument: str | None, locale: str) -> Callable[[Any], Any]:
    _no_argument("lines", argument)
    return _passes_empty(lambda value: re.sub(r",[ \t]*(?=\S)", ",\n", text_of(value, locale)))


# -- dates --------------------------------------------------------------------------

_DAY_FIRST = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})$")
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY = re.compile(r"\b(mon|tue|wed|thu|fri|sat|sun)[a-z]*\b", re.IGNORECASE)


def read_date(value: Any) -> dt.date:
    """A date from a date, a datetime, or text as people type it.

    Text: ISO (2025-09-22, with a time or not); day-first numbers (22/09/2025,
    22.09.2025, 22-9-25); month names (22-Sep-2025, 22 Sept 2025, Sept 22, 2025,
    September 22nd, 2025), read by python-dateutil. Ambiguous numbers are day
    first, a two-digit year is in this century, and the day, month and year
    must all be there. Raises FilterValueError.
    """
    value = raw_value(value)
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return (
                dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
                if "T" in text or ":" in text
                else (dt.date.fromisoformat(text))
            )
        except ValueError:
            pass
        match = _DAY_FIRST.match(text)
        if match:
            day, month, year = (int(group) for group in match.groups())
            try:
                return dt.date(year + 2000 if len(match.group(3)) == 2 else year, month, day)
            except ValueError:
                raise FilterValueError(f'"{value}" is not a real date') from None
        if text:
            found = _typed_date(text)
            if isinstance(found, dt.date):
                return found
            if found == "not real":
                raise FilterValueError(f'"{value}" is not a real date')
            if found == "weekday":
                raise FilterValueError(f'"{value}" names the wrong day of the week')
    raise FilterValueError(f'cannot read "{text_of(value)}" as a date')


@lru_cache(maxsize=1024)
def _typed_date(text: str) -> dt.date | str:
    """Text read by python-dateutil: a date (a datetime if it has a time), else why not."""
    from dateutil import parser

    class DayFirst(parser.parserinfo):
        def convertyear(self, year: int, century_specified: bool = False) -> int:
            # dateutil puts a two-digit year within 50 years of today; people mean this century.
            return year + 2000 if year < 100 and not century_specified else int(year)

    info = DayFirst(dayfirst=True)
    try:
        # Whatever the text leaves out comes from the default: two defaults that
        # differ in every part tell a whole date from "Sept" or "22 Sep".
        first = parser.parse(text, parserinfo=info, default=dt.datetime(2000, 1, 1), ignoretz=True)
        second = parser.parse(text, parserinfo=info, default=dt.datetime(2001, 2, 2), ignoretz=True)
    except (ValueError, OverflowError) as exc:
        return "not real" if "out of range" in str(exc) and not str(exc).startswith("year") else "unread"
    if not isinstance(first, dt.datetime) or first.date() != second.date():
        return "unread"
    named = _WEEKDAY.search(text)
    if named and _WEEKDAYS[first.weekday()][:3] != named.group(1).lower():
        return "weekday"
    return first if first.time() != dt.time() else first.date()


@lru_cache(maxsize=256)
def _ordinal(number: int, language: str = "en") -> str:
    """The ordinal numeral, from num2words: ``1st``, ``22nd`` in English, ``1er`` in French.

    English where num2words has no numeral form for the language (it lacks
    the language, or gives words or the bare number).
    """
    from num2words import num2words

    digits = str(number)
    try:
        text = num2words(number, to="ordinal_num", lang=language)
    except (NotImplementedError, OverflowError):
        text = None
    if not isinstance(text, str) or not text.startswith(digits) or text == digits:
        text = num2words(number, to="ordinal_num", lang="en")
    return str(text)


_STRFTIME = re.compile(r"%(-?)([a-zA-Z%])")


def _make_date(argument: str | None, locale: str) -> Callable[[Any], Any]:
    from babel.dates import format_date, get_day_names, get_month_names, get_period_names

    try:
        months = get_month_names("wide", locale=locale)
        short_months = get_month_names("abbreviated", locale=locale)
        days = get_day_names("wide", locale=locale)
        short_days = get_day_names("abbreviated", locale=locale)
        periods = get_period_names(locale=locale)
    except Exception as exc:  # babel raises several types for an unknown locale
        raise FilterSyntaxError(f"unknown locale {locale!r} ({exc})") from None

    if argument is None:
        return _passes_empty(lambda value: format_date(read_date(value), "d MMMM y", locale=locale))
    if argument == "ordinal":
        english = locale.split("_")[0].lower() == "en"

        def ordinal(value: Any) -> str:
            day = read_date(value)
            if not english:
                return str(format_date(day, "long", locale=locale))
            return f"{_ordinal(day.day, 'en')} {months[day.month]}, {day.year}"

        return _passes_empty(ordinal)

    def directive(match: re.Match[str], when: dt.date) -> str:
        unpadded, code = match.group(1) == "-", match.group(2)
        moment = when if isinstance(when, dt.datetime) else dt.datetime.combine(when, dt.time())
        numeric = {"d": when.day, "m": when.month, "H": moment.hour, "M": moment.minute, "S": moment.second}
        if code in numeric:
            return str(numeric[code]) if unpadded else f"{numeric[code]:02d}"
        if code == "I":
            hour = moment.hour % 12 or 12
            return str(hour) if unpadded else f"{hour:02d}"
        names: dict[str, Callable[[], str]] = {
            "B": lambda: str(months[when.month]),
            "b": lambda: str(short_months[when.month]),
            "A": lambda: str(days[when.weekday()]),
            "a": lambda: str(short_days[when.weekday()]),
            "Y": lambda: str(when.year),
            "y": lambda: f"{when.year % 100:02d}",
            "p": lambda: str(periods["am" if moment.hour < 12 else "pm"]),
            "j": lambda: f"{when.timetuple().tm_yday:03d}",
            "o": lambda: _ordinal(when.day, language)[len(str(when.day)) :],
            "%": lambda: "%",
        }
        return names[code]()

    allowed = set("dmHMSIBbAaYypjo%")
    for match in _STRFTIME.finditer(argument):
        if match.group(2) not in allowed:
            raise FilterSyntaxError(f"date format {argument!r}: %{match.group(2)} is not supported")
    if "%" not in argument:
        raise FilterSyntaxError(
            f'date format {argument!r} has no %-codes; try date:"%d %B %Y" or date:ordinal'
        )
    codes = {match.group(2) for match in _STRFTIME.finditer(argument)}
    language = _words_language(locale) if "o" in codes else "en"  # imports num2words only for %o

    def formatted(value: Any) -> str:
        when = read_date(value)
        return _STRFTIME.sub(lambda match: directive(match, when), argument)

    return _passes_empty(formatted)


# -- numbers ------------------------------------------------------------------------

_NUMBER_NOISE = re.compile(r"[\s_\u00a0\u202f]")
# An amount as people type it: an optional sign and currency (₦, N or NGN for
# the Naira on a keyboard without its sign; $), then digits with commas in
# threes or none: 1,250,000.50 or 1250000.5 (1,25 is refused, not read as 125).
_AMOUNT = re.compile(
    r"(?P<sign>[-+]?)(?P<currency>₦|NGN|N|\$)?(?P<sign2>[-+]?)"
    r"(?P<number>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)",
    re.IGNORECASE,
)


def read_number(value: Any) -> Decimal:
    """A number from an int, a float, a Decimal or text like ``1,250,000.50``, ``N1,250,000``, ``NGN 5``.

    Raises FilterValueError.
    """
    return _read_amount(value)[0]


#: Numbers are read below 10^21 in size (a sextillion: more than any amount a
#: document states) and with at most 20 decimals. Anything outside is refused
#: before any work is done with it: 1e999999999 in words, or 1e-999999999 with
#: all its decimals, would take minutes and gigabytes.
MAX_NUMBER_DIGITS = 21
MAX_DECIMALS = 20


def _bounded(number: Decimal, value: Any) -> Decimal:
    """``number`` if it is finite and within the bounds; otherwise FilterValueError."""
    shown = _shown(value)
    if not number.is_finite():
        raise FilterValueError(f'"{shown}" is not a finite number')
    if not number.is_zero() and number.adjusted() >= MAX_NUMBER_DIGITS:
        raise FilterValueError(f'"{shown}" is too large (numbers are read below 10^{MAX_NUMBER_DIGITS})')
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)  # finite
    if exponent < -MAX_DECIMALS and number != number.quantize(
        Decimal(1).scaleb(-MAX_DECIMALS), context=_WIDE
    ):
        raise FilterValueError(f'"{shown}" has more than {MAX_DECIMALS} decimals')
    return number


# Enough precision for every number within the bounds (21 digits and 20 decimals).
_WIDE = Context(prec=MAX_NUMBER_DIGITS + MAX_DECIMALS + 5)


def _shown(value: Any) -> str:
    """The value as a message quotes it: at most 40 characters."""
    if not_finite(value):
        return str(value)  # infinity or NaN: text_of refuses to show it, a message may
    try:
        text = text_of(value) if not isinstance(value, str) else value
    except NotText:
        raise  # a list or an object: the caller names the field, not the filter
    except Exception:  # a message must never fail (an int too long for str)
        text = type(value).__name__
    return text if len(text) <= 40 else text[:37] + "..."


def _read_amount(value: Any) -> tuple[Decimal, str | None]:
    """The number, and the currency sign typed with it (``₦`` for ₦, N and NGN; ``$``).

    Raises FilterValueError, also for a number out of the bounds
    (MAX_NUMBER_DIGITS, MAX_DECIMALS) or not finite.
    """
    value = raw_value(value)
    if isinstance(value, bool):
        raise FilterValueError(f'cannot read "{_shown(value)}" as a number')
    if isinstance(value, Decimal):
        return _bounded(value, value), None
    if isinstance(value, int):
        if value.bit_length() > 3 * MAX_NUMBER_DIGITS + 10:  # before str() or Decimal() of a huge int
            raise FilterValueError(
                f"a {value.bit_length()}-bit integer is too large "
                f"(numbers are read below 10^{MAX_NUMBER_DIGITS})"
            )
        return _bounded(Decimal(value), value), None
    if isinstance(value, float):
        if value != value or abs(value) == float("inf"):
            raise FilterValueError(f'"{value}" is not a finite number')
        return _bounded(Decimal(repr(value)), value), None
    if isinstance(value, str):
        match = _AMOUNT.fullmatch(_NUMBER_NOISE.sub("", value))
        if match and not (match.group("sign") and match.group("sign2")):
            number = _bounded(Decimal(match.group("number").replace(",", "")), value)
            if number.is_finite():
                sign = match.group("sign") or match.group("sign2")
                currency = match.group("currency")
                typed = None if currency is None else "$" if currency == "$" else "₦"
                return (-number if sign == "-" else number), typed
    raise FilterValueError(f'cannot read "{_shown(value)}" as a number')


def _half_up(number: Decimal, places: int) -> Decimal:
    """Round as accountants do: halves away from zero (0.125 -> 0.13), from the exact decimal."""
    with localcontext(Context(prec=max(28, number.adjusted() + places + 5))):
        rounded = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    # -0.001 rounds to -0.00: a document shows that as 0.00, never "-₦0.00".
    return rounded.copy_abs() if rounded.is_zero() else rounded


def _check_locale(locale: str) -> None:
    from babel import Locale, UnknownLocaleError

    try:
        Locale.parse(locale)
    except (UnknownLocaleError, ValueError) as exc:
        raise FilterSyntaxError(f"unknown locale {locale!r} ({exc})") from None


def _make_number(argument: str | None, locale: str) -> Callable[[Any], Any]:
    from babel.numbers import format_decimal

    _check_locale(locale)
    places: int | None = None
    if argument is not None:
        if not argument.isdigit() or int(argument) > 20:
            raise FilterSyntaxError(f"number:N needs a count of decimals from 0 to 20, not {argument!r}")
        places = int(argument)

    def formatted(value: Any) -> str:
        number = read_number(value)
        decimals = (
            places if places is not None else min(MAX_DECIMALS, max(0, -int(number.as_tuple().exponent)))
        )
        pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
        rounded = _half_up(number, decimals)
        return str(format_decimal(rounded, format=pattern, locale=locale, decimal_quantization=True))

    return _passes_empty(formatted)


def _currency(argument: str | None) -> str:
    from babel.numbers import is_currency

    code = (argument or "NGN").upper()
    if not is_currency(code):
        raise FilterSyntaxError(f"{argument!r} is not an ISO 4217 currency code (like NGN, USD, GBP)")
    return code


def _make_money(argument: str | None, locale: str) -> Callable[[Any], Any]:
    from babel.numbers import format_currency, get_currency_precision, get_currency_symbol

    _check_locale(locale)
    code = _currency(argument)
    precision = get_currency_precision(code)
    dollars = "$" in str(get_currency_symbol(code, locale=locale)) or code == "USD"

    def money(value: Any) -> str:
        number, typed = _read_amount(value)
        if (typed == "₦" and code != "NGN") or (typed == "$" and not dollars):
            what = "Naira" if typed == "₦" else "dollars"
            raise FilterValueError(f'"{text_of(value)}" is an amount in {what}, not {code}')
        return str(format_currency(_half_up(number, precision), code, locale=locale))

    return _passes_empty(money)


def _words_language(locale: str) -> str:
    from num2words import CONVERTER_CLASSES

    language = locale.split("_")[0].lower()
    return language if language in CONVERTER_CLASSES else "en"


def _make_words(argument: str | None, locale: str) -> Callable[[Any], Any]:
    from num2words import num2words

    _no_argument("words", argument)
    language = _words_language(locale)

    def words(value: Any) -> str:
        number = read_number(value)
        whole = number == number.to_integral_value()
        return str(num2words(int(number) if whole else number, lang=language))

    return _passes_empty(words)


# Nigerian usage: "fifty naira", "one kobo": the names do not change in the plural.
_CURRENCY_WORDS = {"NGN": (("naira", "naira"), ("kobo", "kobo"))}


def _make_money_words(argument: str | None, locale: str) -> Callable[[Any], Any]:
    from babel.numbers import get_currency_precision
    from num2words import CONVERTER_CLASSES, num2words

    code = _currency(argument)
    language = _words_language(locale)
    forms = _CURRENCY_WORDS.get(code) or CONVERTER_CLASSES[language].CURRENCY_FORMS.get(code)
    if forms is None:
        raise FilterSyntaxError(
            f"money_words does not know the words for {code} (it knows NGN, USD, GBP, EUR…)"
        )
    (major_one, major_many), (minor_one, minor_many) = forms
    precision = get_currency_precision(code)

    def words(value: Any) -> str:
        number = read_number(value)
        sign = "minus " if number < 0 else ""
        minor_total = int(_half_up(abs(number), precision).scaleb(precision))
        major, minor = divmod(minor_total, 10**precision)
        text = f"{sign}{num2words(major, lang=language)} {major_one if major == 1 else major_many}"
        if minor:
            text += f", {num2words(minor, lang=language)} {minor_one if minor == 1 else minor_many}"
        return text + " only"

    return _passes_empty(words)


_MAKERS: dict[str, Callable[[str | None, str], Callable[[Any], Any]]] = {
    "upper": _text_filter("upper", str.upper),
    "lower": _text_filter("lower", str.lower),
    "title": _text_filter("title", _title),
    "capitalize": _text_filter("capitalize", _capitalize),
    "default": _make_default,
    "lines": _make_lines,
    "date": _make_date,
    "number": _make_number,
    "money": _make_money,
    "words": _make_words,
    "money_words": _make_money_words,
    "check": make_check,
    "markdown": make_markdown,
    "link": make_link,
}
