"""Word's field switches, as its "Format field results" documentation describes them.

A MERGEFIELD's switches (``\\* Upper``, ``\\b "Dear "``, ``\\@ "d MMMM yyyy"``,
``\\# "₦#,##0.00"``) are compiled once, when the template opens, into the same
:class:`~mytypist_cli.engine.filters.Chain` a ``<<name|filter>>`` compiles to,
so a merge field costs what a placeholder costs. IF fields compare with
:func:`if_holds`. Month and day names come from babel for the template's
locale; a value a picture cannot take raises FilterValueError, which fails the
row naming the field.

Imports neither typer nor rich.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import functools
import json
import re
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from mytypist_cli.engine.filters import Chain, read_date, read_number
from mytypist_cli.engine.values import DEFAULT_LOCALE, MISSING, raw_value, text_of
from mytypist_cli.errors import FilterSyntaxError, FilterValueError

_QUOTES = {'"': '"', "\u201c": "\u201d", "\u201d": "\u201d"}


def split_instruction(text: str) -> list[str]:
    """Split field instruction text into words as Word reads them: quoted text is one word.

    Inside quotes, ``\\"`` is a quote and ``\\\\`` a backslash. A word that was
    quoted keeps a leading ``"`` so callers can tell ``"\\b"`` (text) from ``\\b``.
    """
    words: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char.isspace():
            index += 1
            continue
        if char in _QUOTES:
            closing = _QUOTES[char]
            index += 1
            chunk: list[str] = []
            while index < len(text) and text[index] != closing:
                if text[index] == "\\" and index + 1 < len(text) and text[index + 1] in '"\\':
                    index += 1
                chunk.append(text[index])
                index += 1
            index += 1
            words.append('"' + "".join(chunk))
            continue
        start = index
        while index < len(text) and not text[index].isspace() and text[index] not in _QUOTES:
            index += 1
        words.append(text[start:index])
    return words


def unquoted(word: str) -> str:
    return word[1:] if word.startswith('"') else word


def compile_switches(text: str, locale: str = DEFAULT_LOCALE) -> Chain:
    """The chain a MERGEFIELD's switches (as written after its name) apply. Raises FilterSyntaxError."""
    words: list[str] = []
    for word in split_instruction(text):
        if word.startswith("\\") and len(word) > 2:
            words += [word[:2], word[2:]]  # \*MERGEFORMAT, as Word also accepts
        else:
            words.append(word)
    case: Callable[[str], str] | None = None
    before = after = ""
    picture: Callable[[Any], str] | None = None
    index = 0
    while index < len(words):
        switch = words[index].lower()
        argument = unquoted(words[index + 1]) if index + 1 < len(words) else None
        if switch in ("\\*", "\\b", "\\f", "\\@", "\\#") and argument is None:
            raise FilterSyntaxError(f"the switch {words[index]} needs an argument")
        if switch == "\\*":
            assert argument is not None
            fold = argument.lower()
            if fold in ("mergeformat", "charformat"):
                pass  # formatting only: the result run's formatting is kept anyway
            elif fold in _CASES:
                case = _CASES[fold]
            else:
                raise FilterSyntaxError(
                    f"the format switch \\* {argument} is not supported "
                    "(supported: Upper, Lower, Caps, FirstCap, MERGEFORMAT, CHARFORMAT)"
                )
            index += 2
        elif switch == "\\b":
            before = argument or ""
            index += 2
        elif switch == "\\f":
            after = argument or ""
            index += 2
        elif switch == "\\@":
            picture = _date_picture(argument or "", locale)
            index += 2
        elif switch == "\\#":
            picture = _number_picture(argument or "")
            index += 2
        elif switch in ("\\m", "\\v") or not switch.startswith("\\"):
            index += 1  # mapped and vertical fields, and stray words Word ignores: nothing to do
        else:
            raise FilterSyntaxError(f"cannot read the field switch {words[index]!r}")

    def apply(value: Any) -> Any:
        if value is MISSING:
            return value
        shown = picture(value) if picture is not None else text_of(value, locale)
        if case is not None:
            shown = case(shown)
        if shown and (before or after):
            shown = before + shown + after
        return shown

    return Chain(text, (apply,), False, locale)


def _first_cap(text: str) -> str:
    for index, char in enumerate(text):
        if char.isalpha():
            return text[:index] + char.upper() + text[index + 1 :]
    return text


_CASES: dict[str, Callable[[str], str]] = {
    "upper": str.upper,
    "lower": str.lower,
    "caps": lambda text: re.sub(r"\w+", lambda m: m.group(0)[0].upper() + m.group(0)[1:], text),
    "firstcap": _first_cap,
}

# -- dates --------------------------------------------------------------------------

_DATE_TOKEN = re.compile(r"'[^']*'|am/pm|AM/PM|[dD]{1,4}|M{1,4}|[yY]{4}|[yY]{2}|H{1,2}|h{1,2}|m{1,2}|s{1,2}")


def _date_picture(picture: str, locale: str) -> Callable[[Any], str]:
    from babel.dates import get_day_names, get_month_names

    try:
        months = get_month_names("wide", locale=locale)
        short_months = get_month_names("abbreviated", locale=locale)
        days = get_day_names("wide", locale=locale)
        short_days = get_day_names("abbreviated", locale=locale)
    except Exception as exc:  # babel raises several types for an unknown locale
        raise FilterSyntaxError(f"unknown locale {locale!r} ({exc})") from None
    pieces: list[str | Callable[[dt.datetime], str]] = []
    position = 0
    for match in _DATE_TOKEN.finditer(picture):
        pieces.append(picture[position : match.start()])
        position = match.end()
        token = match.group(0)
        if token.startswith("'"):
            pieces.append(token[1:-1])
            continue
        lowered = token.lower() if token[0] in "dDyY" else token
        pieces.append(_date_part(lowered, months, short_months, days, short_days))
    pieces.append(picture[position:])

    def show(value: Any) -> str:
        if value == "":
            return ""
        moment = _read_moment(value, picture)
        return "".join(piece if isinstance(piece, str) else piece(moment) for piece in pieces)

    return show


def _date_part(
    token: str, months: Any, short_months: Any, days: Any, short_days: Any
) -> Callable[[dt.datetime], str]:
    table: dict[str, Callable[[dt.datetime], str]] = {
        "d": lambda m: str(m.day),
        "dd": lambda m: f"{m.day:02d}",
        "ddd": lambda m: str(short_days[m.weekday()]),
        "dddd": lambda m: str(days[m.weekday()]),
        "M": lambda m: str(m.month),
        "MM": lambda m: f"{m.month:02d}",
        "MMM": lambda m: str(short_months[m.month]),
        "MMMM": lambda m: str(months[m.month]),
        "yy": lambda m: f"{m.year % 100:02d}",
        "yyyy": lambda m: f"{m.year:04d}",
        "H": lambda m: str(m.hour),
        "HH": lambda m: f"{m.hour:02d}",
        "h": lambda m: str(m.hour % 12 or 12),
        "hh": lambda m: f"{m.hour % 12 or 12:02d}",
        "m": lambda m: str(m.minute),
        "mm": lambda m: f"{m.minute:02d}",
        "s": lambda m: str(m.second),
        "ss": lambda m: f"{m.second:02d}",
        # Word prints AM and PM in capitals whichever way the picture spells them.
        "am/pm": lambda m: "AM" if m.hour < 12 else "PM",
        "AM/PM": lambda m: "AM" if m.hour < 12 else "PM",
    }
    return table[token]


def _read_moment(value: Any, picture: str) -> dt.datetime:
    value = raw_value(value)
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        text = value.strip()
        try:
            return dt.datetime.fromisoformat(text)
        except ValueError:
            pass
    try:
        day = read_date(value)
    except FilterValueError:
        raise FilterValueError(f"{str(value)!r} is not a date the picture \\@ {picture!r} can show") from None
    return dt.datetime(day.year, day.month, day.day)


# -- numbers ------------------------------------------------------------------------

_DIGITS = re.compile(r"[0#][0#,]*(?:\.[0#]*)?|\.[0#]+")


def _number_picture(picture: str) -> Callable[[Any], str]:
    sections = _split_sections(picture)
    for section in sections:
        if not _DIGITS.search(_without_literals(section)):
            raise FilterSyntaxError(f"the numeric picture \\# {picture!r} has no digit places (0 or #)")

    def show(value: Any) -> str:
        if value == "":
            return ""
        try:
            number = read_number(value)
        except FilterValueError:
            raise FilterValueError(
                f"{str(value)!r} is not a number the picture \\# {picture!r} can show"
            ) from None
        section = sections[0]
        negative = number < 0
        if negative and len(sections) > 1:
            section = sections[1]
        if number == 0 and len(sections) > 2:
            section = sections[2]
        explicit = section is not sections[0]
        return _format_number(abs(number), section, negative, explicit)

    return show


def _split_sections(picture: str) -> list[str]:
    sections = [""]
    quoted = False
    for char in picture:
        if char == "'":
            quoted = not quoted
        if char == ";" and not quoted:
            sections.append("")
        else:
            sections[-1] += char
    return sections[:3]


def _without_literals(section: str) -> str:
    return re.sub(r"'[^']*'", lambda m: " " * len(m.group(0)), section)


def _format_number(number: Decimal, section: str, negative: bool, explicit: bool) -> str:
    masked = _without_literals(section)
    match = _DIGITS.search(masked)
    assert match is not None
    digits = section[match.start() : match.end()]
    whole_picture, _, decimal_picture = digits.partition(".")
    places = sum(1 for char in decimal_picture if char in "0#")
    try:
        rounded = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise FilterValueError(f"{number} is too large for the picture {section!r}") from None
    whole_text, _, fraction = f"{rounded:f}".partition(".")
    whole_places = whole_picture.replace(",", "")
    if whole_text == "0" and "0" not in whole_places:
        whole_text = ""
    grouped = "," in whole_picture
    shown_whole = _group(whole_text) if grouped else whole_text
    missing = len(whole_places) - len(whole_text)
    if missing > 0:
        # Right-aligned: a 0 place with no digit shows 0, a # place a space (as Word documents it).
        padding = "".join("0" if char == "0" else " " for char in whole_places[:missing])
        shown_whole = padding + shown_whole
    shown = shown_whole + ("." + fraction.ljust(places, "0") if places else "")
    signed = False

    def literal(text: str) -> str:
        nonlocal signed
        out: list[str] = []
        for piece in re.split(r"('[^']*')", text):
            if piece.startswith("'") and piece.endswith("'") and len(piece) >= 2:
                out.append(piece[1:-1])
                continue
            for char in piece:
                if char == "-":
                    signed = True
                    out.append("-" if negative else " ")
                elif char == "+":
                    signed = True
                    out.append("-" if negative else "+" if number else " ")
                else:
                    out.append(char)
        return "".join(out)

    before = literal(section[: match.start()])
    after = literal(section[match.end() :])
    if negative and not signed and not explicit:
        return "-" + before + shown.lstrip() + after
    return before + shown + after


def _group(digits: str) -> str:
    if not digits:
        return digits
    head = len(digits) % 3 or 3
    return ",".join([digits[:head], *(digits[i : i + 3] for i in range(head, len(digits), 3))])


# -- IF -------------------------------------------------------------------------------

OPERATORS = ("<=", ">=", "<>", "=", "<", ">")


def condition(operator: str, expected: str) -> str:
    """How an IF's test is written on its section: readable in ``extract``, read back by :func:`if_holds`."""
    return f"IF {operator} {json.dumps(expected, ensure_ascii=False)}"


Operand = list[str | tuple[str] | tuple[str, str]]
"""One side of an IF comparison: text pieces and merge fields (the looked-up name, and the field's
switches when they change what it shows)."""

_SHOWN_ONLY = re.compile(r'\\\*\s*"?(?:mergeformat|charformat)"?|\\[mv](?![a-z])', re.IGNORECASE)


def formats(switches: str) -> bool:
    """Whether a MERGEFIELD's switches change the text it shows (``\\* MERGEFORMAT`` alone does not)."""
    return "\\" in _SHOWN_ONLY.sub("", switches)


def comparison(left: Operand, operator: str, right: Operand) -> str:
    """An IF test whose sides hold merge fields (``IF «a» = «b»``, ``IF "Mr "«b» <> «c»``).

    Written on the section like :func:`condition`; each side is JSON strings
    and ``«name»`` fields (``«name \\# "0.00"»`` with switches that change what the field
    shows), read back by :func:`if_holds` through its ``lookup``.
    """

    def field(piece: tuple[str] | tuple[str, str]) -> str:
        # Switches as Word writes them after the name: «fee \# "0.00"» (they start at " \").
        return f"\u00ab{piece[0]} {piece[1]}\u00bb" if len(piece) > 1 else f"\u00ab{piece[0]}\u00bb"

    def side(pieces: Operand) -> str:
        out = [field(p) if isinstance(p, tuple) else json.dumps(p, ensure_ascii=False) for p in pieces]
        return "".join(out) or '""'

    return f"IF {side(left)} {operator} {side(right)}"


_TEST_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|\u00ab[^\u00bb]*\u00bb|<=|>=|<>|=|<|>|\s+')


def if_holds(
    value: Any, test: str, lookup: Callable[[str], Any] | None = None, *, locale: str = DEFAULT_LOCALE
) -> bool:
    """Whether an IF field's test (:func:`condition`, :func:`comparison`) holds, as Word compares.

    ``value`` is the section's merge field, the left side of a :func:`condition`;
    the merge fields a :func:`comparison` names are read through ``lookup``.
    Numbers compare as numbers when both sides read as numbers; otherwise
    text compares, and with ``=``/``<>`` the second side's text may hold ``*``
    (any characters) and ``?`` (one character). A missing value is empty text.
    ``locale`` is the template's: values and switches show as in its fields.
    """
    left: list[str] = []
    right: list[str] = []
    operator = ""
    for match in _TEST_TOKEN.finditer(test, 3):
        token = match.group()
        if token.isspace():
            continue
        if token in OPERATORS:
            operator = token
        elif token.startswith('"'):
            (right if operator else left).append(str(json.loads(token)))
        else:
            name, switched, switches = token[1:-1].partition(" \\")
            found = lookup(name) if lookup is not None else MISSING
            shown = _formatted(found, name, "\\" + switches, locale) if switched else _shown(found, locale)
            (right if operator else left).append(shown)
    actual = "".join(left) if left else _shown(value, locale)
    return _compare(actual, operator, "".join(right))


def _shown(value: Any, locale: str) -> str:
    return "" if value is MISSING else text_of(value, locale)


@functools.lru_cache(maxsize=256)
def _switch_chain(switches: str, locale: str) -> Chain:
    return compile_switches(switches, locale)


def _formatted(value: Any, name: str, switches: str, locale: str) -> str:
    """What a field with switches shows for ``value``, as Word compares it; a missing value is empty."""
    return "" if value is MISSING else _switch_chain(switches, locale).apply(value, name)


def _compare(actual: str, operator: str, expected: str) -> bool:
    left_number, right_number = _number_or_none(actual), _number_or_none(expected)
    left: Any
    right: Any
    if left_number is not None and right_number is not None:
        left, right = left_number, right_number
    else:
        left, right = actual, expected
        if operator in ("=", "<>") and ("*" in expected or "?" in expected):
            matched = fnmatch.fnmatchcase(actual, expected.replace("[", "[[]"))
            return matched if operator == "=" else not matched
    if operator == "=":
        return bool(left == right)
    if operator == "<>":
        return bool(left != right)
    if operator == "<":
        return bool(left < right)
    if operator == ">":
        return bool(left > right)
    if operator == "<=":
        return bool(left <= right)
    return bool(left >= right)


def _number_or_none(text: str) -> Decimal | None:
    stripped = text.strip().replace(",", "")
    if not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)", stripped):
        return None
    return Decimal(stripped)
