"""Output names for a batch: safe file names, and the row-order namer that gives repeats ``-2``, ``-3``.

Names are decided in the parent process, in row order, so every ``jobs``
setting (and a resumed run) gives every row the same name. Imports neither
typer nor rich.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from mytypist_cli.engine.filters import DEFAULT_LOCALE
from mytypist_cli.engine.template import fill_text
from mytypist_cli.errors import MytypistError
from mytypist_cli.fill.results import one_line

#: Longest output file name, in UTF-8 bytes: under every common file system's
#: 255 limit with room for a ``-NN`` suffix and for archive tools that add to it.
MAX_NAME_BYTES = 200
# What a pattern may end with and still name what is made: the template decides
# the document's extension, and a PDF is named after its document.
_OUTPUT_EXTENSIONS = (".docx", ".docm", ".dotx", ".dotm", ".pdf")


# Windows refuses these in names; "/" and "\\" would also leave the folder.
_RESERVED_CHARS = frozenset('<>:"/\\|?*')
# Format characters are invisible; the bidirectional ones can disguise an
# extension ("evil\u202excod.exe"), so all of them go, except the joiners
# that some scripts need to spell words.
_JOINERS = frozenset("\u200c\u200d")
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cs", "Cf", "Zl", "Zp"})
_DEVICE_NAMES = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"{port}{digit}" for port in ("COM", "LPT") for digit in "0123456789\u00b9\u00b2\u00b3"}
)
_ASCII_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
_DOT_RUNS = re.compile(r"\.{2,}")
_TRAILING = re.compile(r"[\s.]+$")


def _safe_char(char: str) -> str:
    if char in _RESERVED_CHARS:
        return "_"
    if char not in _JOINERS and unicodedata.category(char) in _UNSAFE_CATEGORIES:
        return "_"
    return char


def _truncate(text: str, max_bytes: int) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= max_bytes:
        return text
    # "ignore" drops a character cut in half rather than leaving broken UTF-8.
    return encoded[:max_bytes].decode("utf-8", "ignore")


def safe_name(name: str, *, max_bytes: int = MAX_NAME_BYTES) -> str:
    """Turn any text into one safe file name component (never empty, never a path).

    Path separators, Windows-reserved characters (``<>:"/\\|?*``), control
    and invisible format characters and runs of dots become ``_``; leading
    and trailing spaces and trailing dots go; a leading dot (a hidden file)
    becomes ``_``; reserved device names (``CON``, ``NUL.txt``, ``COM1``...)
    get a ``_`` prefix; the result is NFC and at most ``max_bytes`` in UTF-8.
    Idempotent. Raises ValueError when ``max_bytes`` is under 16.
    """
    if max_bytes < 16:
        raise ValueError(f"max_bytes must be at least 16, not {max_bytes}")
    if name.isascii():  # the usual case, and already NFC: one regex instead of a loop
        text = _ASCII_UNSAFE.sub("_", name)
    else:
        text = "".join(_safe_char(char) for char in unicodedata.normalize("NFC", name))
    text = _DOT_RUNS.sub("_", text).strip()
    if text.startswith("."):
        text = "_" + text[1:]
    text = _TRAILING.sub("", _truncate(text, max_bytes))
    # Windows treats "CON.docx" (and "con .txt") as the console device, whatever follows.
    if text.split(".", 1)[0].rstrip().upper() in _DEVICE_NAMES:
        text = _TRAILING.sub("", _truncate("_" + text, max_bytes))
    return text or "_"


class NamingError(Exception):
    """A row's file name cannot be made; the message is the row's reason."""


class Namer:
    """Decides every output name, in row order, so that any ``jobs`` gives the same names."""

    def __init__(
        self,
        *,
        stem: str,
        extension: str,
        pattern: str | None,
        delimiters: tuple[str, str],
        width: int,
        locale: str = DEFAULT_LOCALE,
    ) -> None:
        self._stem = stem
        self._extension = extension
        self._pattern = pattern
        self._delimiters = delimiters
        self._locale = locale
        self._width = width
        # Case-insensitive, as on Windows and macOS, where "Ada.docx" and
        # "ada.docx" are one file (and so are zip members once extracted there).
        self._used: set[str] = set()

    def name_for(self, number: int, values: Mapping[str, Any]) -> str:
        """The next name for this row, reserved. Raises NamingError."""
        if self._pattern is None:
            # The data row number, not a running count, so that a resumed run
            # (start_at) gives every row the name the first run gave it.
            stem = f"{self._stem}-{number:0{self._width}d}"
        else:
            stem = self._from_pattern(values)
        return self._reserve(stem)

    def reserve_quietly(self, number: int, values: Mapping[str, Any]) -> None:
        """Take the name a row before ``start_at`` had, so later rows keep theirs."""
        with contextlib.suppress(NamingError, MytypistError):
            self.name_for(number, values)

    def _from_pattern(self, values: Mapping[str, Any]) -> str:
        assert self._pattern is not None
        try:
            text = fill_text(self._pattern, values, delimiters=self._delimiters, locale=self._locale)
        except MytypistError as exc:
            raise NamingError(f"file name: {one_line(exc)}") from None
        lowered = text.lower()
        for extension in _OUTPUT_EXTENSIONS:
            if lowered.endswith(extension):
                # The template decides what is made: "x.docx" from a .docm
                # template would be a file Word refuses to open; "x.pdf" is
                # the PDF of x.docx, never x.pdf.pdf.
                text = text[: -len(extension)]
                break
        if not text.strip():
            raise NamingError("file name: the name pattern gives an empty name for this row")
        return text

    def _reserve(self, raw_stem: str) -> str:
        room = MAX_NAME_BYTES - len(self._extension.encode("utf-8"))
        stem = safe_name(raw_stem, max_bytes=room)
        name = stem + self._extension
        counter = 1
        while name.casefold() in self._used:
            counter += 1
            suffix = f"-{counter}"
            shorter = _TRAILING.sub("", _truncate(stem, room - len(suffix))) or "_"
            name = shorter + suffix + self._extension
        self._used.add(name.casefold())
        return name
