"""The placeholder grammar: find ``<<name>>`` tags in plain text.

This module knows nothing about Word: it takes a string (a paragraph's text
as Word's runs spell it, or a file-name pattern) and returns the tags in it
and the problems worth a warning. The engine and the ``--name`` patterns share
it, so a name means the same thing everywhere.

Grammar: the open delimiter, optional spaces, a name, optional spaces, the
close delimiter. A name is letters of any script (with combining marks),
digits, ``_``, ``-`` and ``.``, with single inner spaces (``<<Full Name>>``).
``|`` is reserved for filters; ``#``, ``/``, ``?`` and ``^`` as the first
character for sections; ``.`` alone for the current item of a list. Anything
else between or around the delimiters stays literal text.

Imports neither typer nor rich.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

DEFAULT_DELIMITERS: tuple[str, str] = ("<<", ">>")

# \w already covers letters and digits of every script; combining marks are
# added so that a name typed with decomposed accents (Yorùbá) still matches.
_MARKS = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
_NAME_CHARS = rf"[\w{_MARKS}.\-]+"


@dataclass(frozen=True)
class Tag:
    """One well-formed tag found in a text."""

    start: int
    end: int
    raw: str
    """The tag exactly as written, delimiters included."""
    name: str
    """The name, NFC-normalised."""
    sigil: str
    """"" for a value; one of ``#/?^`` for a section tag."""
    filters: str
    """The text after the first ``|``, stripped; "" when there is none."""


@dataclass(frozen=True)
class Stray:
    """Delimiter text that is not a well-formed tag; left as it is."""

    start: int
    text: str
    reason: str


def normalise_name(name: str) -> str:
    """The form names and data keys are compared in (Unicode NFC)."""
    return unicodedata.normalize("NFC", name)


def parse_delimiters(spec: str | tuple[str, str] | None) -> tuple[str, str]:
    """Turn ``"{{ }}"`` or ``("{{", "}}")`` into a checked (open, close) pair.

    Raises ValueError when the pair is unusable.
    """
    if spec is None:
        return DEFAULT_DELIMITERS
    if isinstance(spec, str):
        parts = spec.split()
        if len(parts) != 2:
            raise ValueError(
                f'delimiters must be two strings separated by a space, like "{{{{ }}}}", not {spec!r}'
            )
        opening, closing = parts
    else:
        opening, closing = spec
    if not opening or not closing or any(ch.isspace() for ch in opening + closing):
        raise ValueError(f"delimiters must be non-empty and contain no spaces: {opening!r} {closing!r}")
    if opening == closing:
        raise ValueError(f"the open and close delimiters must differ, not {opening!r} twice")
    if any(ch.isalnum() or ch in "_|." for ch in opening + closing):
        raise ValueError(
            f"delimiters may not contain letters, digits, '_', '.' or '|': {opening!r} {closing!r}"
        )
    return opening, closing


@lru_cache(maxsize=32)
def _patterns(opening: str, closing: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    o, c = re.escape(opening), re.escape(closing)
    tag = re.compile(
        rf"{o} *(?P<sigil>[#/?^])? *(?P<name>{_NAME_CHARS}(?: {_NAME_CHARS})*)"
        rf" *(?:\|(?P<filters>(?:(?!{o}|{c})[^\t\n])*?))? *{c}"
    )
    delimiter = re.compile(rf"{o}|{c}")
    return tag, delimiter


def _valid_name(name: str, sigil: str) -> bool:
    if name == ".":
        return sigil == ""
    return all(segment and segment.strip("-") for segment in name.split("."))


def scan(text: str, delimiters: tuple[str, str] = DEFAULT_DELIMITERS) -> tuple[list[Tag], list[Stray]]:
    """Find the tags in ``text`` and the delimiter text that forms no tag."""
    opening, closing = delimiters
    if opening not in text and closing not in text:
        return [], []
    tag_re, delimiter_re = _patterns(opening, closing)
    tags: list[Tag] = []
    for match in tag_re.finditer(text):
        name = match.group("name")
        sigil = match.group("sigil") or ""
        if not _valid_name(name, sigil):
            continue
        tags.append(
            Tag(
                start=match.start(),
                end=match.end(),
                raw=match.group(0),
                name=normalise_name(name),
                sigil=sigil,
                filters=(match.group("filters") or "").strip(),
            )
        )
    return tags, _strays(text, tags, delimiter_re, opening)


def _strays(text: str, tags: list[Tag], delimiter_re: re.Pattern[str], opening: str) -> list[Stray]:
    strays: list[Stray] = []
    covered = iter(tags)
    current = next(covered, None)
    pending_open: int | None = None
    for match in delimiter_re.finditer(text):
        while current is not None and current.end <= match.start():
            current = next(covered, None)
        if current is not None and current.start <= match.start() < current.end:
            continue
        if match.group(0) == opening:
            if pending_open is None:
                pending_open = match.start()
            continue
        if pending_open is not None:
            snippet = text[pending_open : match.end()]
            strays.append(Stray(pending_open, snippet, "is not a valid placeholder"))
            pending_open = None
        else:
            strays.append(Stray(match.start(), _context(text, match.start()), "has no opening delimiter"))
    if pending_open is not None:
        strays.append(
            Stray(
                pending_open,
                _context(text, pending_open),
                "is not closed in its paragraph (a placeholder cannot span paragraphs)",
            )
        )
    return strays


def _context(text: str, at: int, width: int = 24) -> str:
    return text[max(0, at - 4) : at + width].replace("\n", " ").replace("\t", " ")
