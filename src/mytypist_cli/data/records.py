"""Turn a data file or stream (JSON, NDJSON, CSV, Excel .xlsx) into records.

``open_records`` detects the format, reads what it must up front (a CSV or
Excel header, a whole JSON document) and returns a ``DataSource``: a lazy
iterable of ``Record``s that each carry their row number and the line (or
sheet row) where they start, so every error can say ``path:line``.

The header of a CSV file or a sheet is its first non-empty row, or, below a
title ("Staff list — September 2025", a blank row), the first row that is
unmistakably a header; when in doubt the first row stays the header, and
``DataSource.header_note`` says which row was read, for messages.

An Excel cell keeps its value (a number, a date) and prints as Excel shows
it with its number format (``data.excel_formats``); a formula saved without
its result (a workbook written by a script, never opened in a spreadsheet)
fails with a message naming its sheet and cell, since its value is unknown.

CSV and NDJSON are streamed one line at a time, so memory stays flat however
many rows there are. Every problem is raised as ``DataError`` with a one-line
message; this module never prints or exits, and imports neither typer nor rich.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import math
import os
import re
import unicodedata
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol

from mytypist_cli.engine.pictures import DEFAULT_MAX_IMAGE_BYTES
from mytypist_cli.errors import DataError

if TYPE_CHECKING:
    from mytypist_cli.data.excel_formats import NumberFormat

__all__ = ["FORMATS", "BinaryInput", "DataSource", "Record", "open_records"]

#: The formats ``open_records`` reads, as reported in ``DataSource.format``.
FORMATS = ("json", "ndjson", "csv", "xlsx")

_EXTENSIONS = {
    ".json": "json",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
    ".csv": "csv",
    ".tsv": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".xltx": "xlsx",
    ".xltm": "xlsx",
}
# Candidate CSV delimiters, in order of preference when the sniffer sees a tie.
_DELIMITERS = (",", ";", "\t", "|")
_SNIFF_BYTES = 16 * 1024
_SNIFF_ROWS = 20
# How far detection may read ahead to see a whole first line of `{...}` input;
# beyond this the input is taken to be one (large) JSON object.
_FIRST_LINE_LIMIT = 16 * 1024 * 1024
_CHUNK = 8 * 1024
_ZIP_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls, or an encrypted .xlsx
_BOM_UTF8 = codecs.BOM_UTF8
_BOMS_UTF16 = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_JSON_WS = " \t\r\n"


class BinaryInput(Protocol):
    """Anything with a binary ``read``: ``sys.stdin.buffer``, an open file, ``BytesIO``."""

    def read(self, size: int = ..., /) -> bytes | None: ...


@dataclass(frozen=True)
class Record:
    """One row of data.

    ``number`` counts data rows from 1 (a CSV or Excel header is not a row,
    nor are skipped blank rows); ``line`` is the 1-based line where the record
    starts in the source (for .xlsx: the sheet row number).
    """

    number: int
    line: int
    values: dict[str, Any]


class DataSource:
    """Records read from one input; iterate it to get ``Record``s lazily.

    A source opened from a path re-reads the file each time it is iterated
    (``repeatable`` is True); one opened from a stream can be iterated once,
    except JSON and .xlsx, which are held in memory anyway.
    """

    def __init__(
        self,
        *,
        path: str,
        format: str,
        columns: tuple[str, ...] | None,
        rows: Callable[[], Iterator[Record]],
        repeatable: bool,
        delimiter: str | None = None,
        sheet: str | None = None,
        header: _Header | None = None,
    ) -> None:
        self.path = path
        self.format = format
        #: Column names, known before iterating for CSV, .xlsx and JSON; None for NDJSON.
        self.columns = columns
        #: The CSV delimiter in use (None for other formats).
        self.delimiter = delimiter
        #: The worksheet read (None for other formats).
        self.sheet = sheet
        #: The line (.xlsx: sheet row) the header was read from; None for JSON and NDJSON.
        self.header_line = header.line if header else None
        #: The non-empty lines above the header that were skipped as its title
        #: (empty when the header is the first non-empty row).
        self.title_lines = header.title_lines if header else ()
        #: False when a row just below the header (among the few read ahead to
        #: find it) has values beyond its last column: the row read as the header
        #: may not be the table's.
        self.header_fits = header.fits if header else True
        self._below = header.below if header else None
        self.repeatable = repeatable
        self._rows = rows
        self._iterated = False

    @property
    def header_note(self) -> str | None:
        """Which row was read as the header, when a message about missing columns should say so.

        Said when rows above the header were skipped as a title, or when the row
        read may be a title rather than the header (a row below it, among those
        read ahead, is wider): ``the header was read from line 3: full_name,
        position, salary``. None otherwise.
        """
        if self.header_line is None or self.columns is None or (self.header_fits and not self.title_lines):
            return None
        row = "line" if self.sheet is None else "row"
        where = f"{row} {self.header_line}" + ("" if self.sheet is None else f" of sheet {self.sheet!r}")
        shown = ", ".join(self.columns[:_NOTE_COLUMNS])
        if len(self.columns) > _NOTE_COLUMNS:
            shown += f" and {len(self.columns) - _NOTE_COLUMNS} more"
        note = f"the header was read from {where}: {shown}"
        if not self.header_fits:
            note += f"; {row} {self._below} below it has more cells"
        return note

    def __iter__(self) -> Iterator[Record]:
        if self._iterated and not self.repeatable:
            raise RuntimeError(f"{self.path}: a stream can be read only once")
        self._iterated = True
        return self._rows()

    def __repr__(self) -> str:
        return f"<DataSource {self.path!r} format={self.format!r} columns={self.columns!r}>"


# --------------------------------------------------------------------------- input plumbing


class _Rewound(io.RawIOBase):
    """A read-once binary stream whose first bytes can be looked at before reading.

    Standard input cannot seek, so detection reads ahead into ``head`` and the
    reader is then served those bytes again followed by the rest of the stream.
    The wrapped stream is never closed here: its owner closes it.
    """

    def __init__(self, inner: BinaryInput) -> None:
        super().__init__()
        self._inner = inner
        self.head = bytearray()
        self._pos = 0
        self._started = False
        self.eof = False

    def fill(self, size: int) -> bytes:
        """Read ahead until ``head`` holds at least ``size`` bytes or the stream ends."""
        if self._started:
            raise RuntimeError("cannot read ahead once reading has started")
        while len(self.head) < size and not self.eof:
            chunk = self._inner.read(max(size - len(self.head), _CHUNK))
            if not chunk:
                self.eof = True
            else:
                self.head += chunk
        return bytes(self.head)

    def skip(self, count: int) -> None:
        """Serve the head from ``count`` on (used to drop a byte-order mark)."""
        self._pos = count

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        self._started = True
        if self._pos < len(self.head):
            count = min(len(view), len(self.head) - self._pos)
            view[:count] = self.head[self._pos : self._pos + count]
            self._pos += count
            if self._pos == len(self.head):
                # Served in full: let it go, so a long read keeps no copy of the start.
                self.head = bytearray()
                self._pos = 0
            return count
        if self.eof:
            return 0
        chunk = self._inner.read(len(view))
        if not chunk:
            self.eof = True
            return 0
        view[: len(chunk)] = chunk
        return len(chunk)

    def close(self) -> None:
        # Deliberately leave the inner stream open; only mark this wrapper closed.
        super().close()


def _open_path(path: Path, name: str) -> BinaryIO:
    try:
        return path.open("rb")
    except FileNotFoundError:
        raise DataError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise DataError(f"{name}: is a folder, not a data file") from None
    except OSError as exc:
        raise DataError(f"{name}: cannot open: {exc.strerror or exc}") from None


class _Encoding:
    """The codec to decode with, how to name it in messages, and the BOM to skip."""

    def __init__(self, codec: str, label: str, bom: int, ascii_lines: bool) -> None:
        self.codec = codec
        self.label = label
        self.bom = bom
        # True when b"\n" and b"\r" always mean line breaks (UTF-8, cp1252, latin-1...),
        # which lets CSV and NDJSON be split into lines before decoding.
        self.ascii_lines = ascii_lines


def _resolve_encoding(head: bytes, encoding: str | None) -> _Encoding:
    if encoding is None:
        if head.startswith(_BOM_UTF8):
            return _Encoding("utf-8", "UTF-8", len(_BOM_UTF8), True)
        if head.startswith(_BOMS_UTF16):
            # Excel's "Unicode Text" export is UTF-16 with a BOM; the codec eats the BOM.
            return _Encoding("utf-16", "UTF-16", 0, False)
        return _Encoding("utf-8", "UTF-8", 0, True)
    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        raise DataError(f"unknown encoding {encoding!r}") from None
    if codec in ("utf-8", "utf-8-sig"):
        bom = len(_BOM_UTF8) if head.startswith(_BOM_UTF8) else 0
        return _Encoding("utf-8", "UTF-8", bom, True)
    probe = "\r\n,;\t|\"'{}[]:azAZ09 "
    try:
        ascii_lines = probe.encode("ascii").decode(codec) == probe
    except UnicodeDecodeError:
        ascii_lines = False
    return _Encoding(codec, encoding, 0, ascii_lines)


def _decode_error(name: str, line: int | None, enc: _Encoding, byte: int, fmt: str) -> DataError:
    where = f"{name}:{line}" if line is not None else name
    if enc.codec != "utf-8":
        hint = "check --encoding"
    elif fmt == "csv":
        hint = "Excel on Windows saves CSV as cp1252: try --encoding cp1252"
    else:
        hint = "if the file was saved in another encoding, try --encoding NAME"
    return DataError(f"{where}: not {enc.label} text (byte 0x{byte:02x}); {hint}")


def _byte_lines(stream: io.BufferedReader[Any]) -> Iterator[bytes]:
    """Split a byte stream into lines ending in \\n, \\r\\n or \\r, keeping the endings.

    Linear in the input however long a line is: a chunk without a line break
    is only kept (never joined to what came before and split again), and the
    pieces of a line are joined once, when its break arrives.
    """
    parts: list[bytes] = []  # the line so far: no break yet, except perhaps a lone "\r" at its end
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            if parts:
                yield from b"".join(parts).splitlines(keepends=True)
            return
        if b"\n" not in chunk and b"\r" not in chunk and not (parts and parts[-1].endswith(b"\r")):
            parts.append(chunk)
            continue
        parts.append(chunk)
        lines = b"".join(parts).splitlines(keepends=True)
        pending = lines.pop()
        # A last line without its ending may continue in the next chunk; so may a
        # lone "\r", which could be the first half of "\r\n".
        if pending.endswith(b"\n"):
            lines.append(pending)
            pending = b""
        parts = [pending] if pending else []
        yield from lines


def _text_lines(stream: io.BufferedReader[Any], name: str, enc: _Encoding, fmt: str) -> Iterator[str]:
    """Decode a stream line by line, so a decoding error names its exact line."""
    if not enc.ascii_lines:
        # UTF-16 and friends: b"\n" is not a line break on its own, so decode first.
        # A decoding error can then only name the file, not the line.
        # (The wrapper closes the buffered reader when collected: harmless, since
        # that never closes the caller's stream.)
        text = io.TextIOWrapper(stream, encoding=enc.codec, newline="")
        try:
            yield from text
        except UnicodeDecodeError as exc:
            raise _decode_error(name, None, enc, exc.object[exc.start], fmt) from None
        return
    # Every line ends at a line break, so no character straddles two lines and
    # each can be decoded on its own (a plain decode is much faster than a codec
    # object's incremental one).
    codec = enc.codec
    for number, raw in enumerate(_byte_lines(stream), start=1):
        try:
            yield raw.decode(codec)
        except UnicodeDecodeError as exc:
            raise _decode_error(name, number, enc, exc.object[exc.start], fmt) from None


def _decode_all(data: bytes, name: str, enc: _Encoding, fmt: str) -> str:
    try:
        return data[enc.bom :].decode(enc.codec)
    except UnicodeDecodeError as exc:
        body = data[enc.bom :]
        line = body.count(b"\n", 0, exc.start) + 1 if enc.ascii_lines else None
        raise _decode_error(name, line, enc, body[exc.start], fmt) from None


# --------------------------------------------------------------------------- detection


def _format_from_name(name: str) -> str | None:
    suffix = Path(name).suffix.lower()
    if suffix == ".xls":
        raise DataError(f"{name}: old Excel .xls workbooks cannot be read; save it as .xlsx or CSV")
    return _EXTENSIONS.get(suffix)


def _sniff_format(head: _Rewound, name: str, encoding: str | None) -> str:
    """Tell the format from content: zip -> xlsx, `[` -> JSON, `{` -> JSON or NDJSON, else CSV."""
    sample = head.fill(4096)
    if not sample.strip():
        raise DataError(f"{name}: no data (the input is empty)")
    if sample.startswith(_ZIP_MAGIC):
        return "xlsx"
    if sample.startswith(_OLE2_MAGIC):
        raise DataError(f"{name}: an old Excel .xls workbook or an encrypted file; save it as .xlsx or CSV")
    enc = _resolve_encoding(sample, encoding)
    text = _peek_text(bytes(head.head), enc).lstrip(_JSON_WS)
    if text.startswith("["):
        return "json"
    if not text.startswith("{"):
        return "csv"
    # `{`: one JSON object, or NDJSON when the first line is a whole object and
    # more follows. Read ahead until the first line is complete and the next
    # non-blank text is in view (or the input ends).
    while True:
        text = _peek_text(bytes(head.head), enc).lstrip(_JSON_WS)
        first, newline, rest = text.partition("\n")
        if (newline and rest.strip(_JSON_WS)) or head.eof or len(head.head) >= _FIRST_LINE_LIMIT:
            break
        head.fill(len(head.head) * 2)
    if not newline or not rest.strip(_JSON_WS):
        return "json"
    try:
        return "ndjson" if isinstance(json.loads(first), dict) else "json"
    except RecursionError:
        return "ndjson"  # a first line nested too deeply: the reader says so, naming the line
    except ValueError:
        return "json"  # a pretty-printed object: its first line is not a whole object


def _peek_text(data: bytes, enc: _Encoding) -> str:
    decoder = codecs.getincrementaldecoder(enc.codec)("replace")
    return decoder.decode(data[enc.bom :], final=False)


# --------------------------------------------------------------------------- JSON


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _JSON_WS:
        pos += 1
    return pos


def _json_error(name: str, exc: json.JSONDecodeError) -> DataError:
    return DataError(f"{name}:{exc.lineno}: bad JSON: {exc.msg} (column {exc.colno})")


class _DuplicateKey(ValueError):
    """An object gives a key twice (or two keys equal after NFC normalisation)."""

    def __init__(self, key: str, other: str | None) -> None:
        super().__init__(key)
        self.key, self.other = key, other


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """json's object_pairs_hook: the object as a dict; raises _DuplicateKey rather than keep the last."""
    values = dict(pairs)
    if len(values) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key, None)
            seen.add(key)
    if not all(key.isascii() for key in values):
        normal: dict[str, str] = {}
        for key in values:
            nfc = unicodedata.normalize("NFC", key)
            if nfc in normal:
                raise _DuplicateKey(key, normal[nfc])
            normal[nfc] = key
    return values


def _json_limit_error(name: str, line: int, exc: RecursionError | ValueError) -> DataError:
    """A JSON value past Python's limits (nested too deeply, a 4,300-digit integer) or a key twice."""
    if isinstance(exc, _DuplicateKey):
        if exc.other is None:
            return DataError(f"{name}:{line}: bad JSON: the key {exc.key!r} is given twice in one object")
        return DataError(
            f"{name}:{line}: bad JSON: the keys {exc.other!r} and {exc.key!r} are the same text "
            "(in Unicode NFC form) in one object"
        )
    if isinstance(exc, RecursionError):
        return DataError(f"{name}:{line}: bad JSON: arrays or objects nested too deeply to read")
    return DataError(f"{name}:{line}: bad JSON: a number too long to read ({' '.join(str(exc).split()[:8])})")


def _parse_json(text: str, name: str) -> list[Record]:
    """Parse a JSON object or array of objects, noting the line where each object starts."""
    decoder = json.JSONDecoder(object_pairs_hook=_unique_keys)
    pos = _skip_ws(text, 0)
    if pos == len(text):
        raise DataError(f"{name}: empty input: expected a JSON object or an array of objects")
    line = 1 + text.count("\n", 0, pos)
    if text[pos] != "[":
        try:
            value, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise _json_error(name, exc) from None
        except (RecursionError, ValueError) as exc:
            raise _json_limit_error(name, line, exc) from None
        if _skip_ws(text, end) != len(text):
            _raise_standard_json_error(text, name)
        if not isinstance(value, dict):
            raise DataError(
                f"{name}:{line}: expected a JSON object or an array of objects, found {_kind(value)}"
            )
        return [Record(1, line, value)]
    # Walk the array element by element with raw_decode so that each record knows
    # its line; any structural problem is re-parsed by json.loads for its message.
    records: list[Record] = []
    counted = pos
    pos = _skip_ws(text, pos + 1)
    if pos < len(text) and text[pos] == "]":
        pos += 1
    else:
        while True:
            line += text.count("\n", counted, pos)
            counted = pos
            try:
                value, pos = decoder.raw_decode(text, pos)
            except json.JSONDecodeError as exc:
                raise _json_error(name, exc) from None
            except (RecursionError, ValueError) as exc:
                raise _json_limit_error(name, line, exc) from None
            index = len(records) + 1
            if not isinstance(value, dict):
                raise DataError(
                    f"{name}:{line}: array item {index} is {_kind(value)}, not an object "
                    "(each item of the array is one record)"
                )
            records.append(Record(index, line, value))
            pos = _skip_ws(text, pos)
            if pos < len(text) and text[pos] == ",":
                pos = _skip_ws(text, pos + 1)
                continue
            if pos < len(text) and text[pos] == "]":
                pos += 1
                break
            _raise_standard_json_error(text, name)
    if _skip_ws(text, pos) != len(text):
        _raise_standard_json_error(text, name)
    return records


def _raise_standard_json_error(text: str, name: str) -> None:
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise _json_error(name, exc) from None
    except (RecursionError, ValueError) as exc:
        raise _json_limit_error(name, 1, exc) from None
    raise DataError(f"{name}: bad JSON")  # pragma: no cover - json.loads agreed with us


def _columns_of(records: Iterable[Record]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for record in records:
        seen.update(dict.fromkeys(record.values))
    return tuple(seen)


# --------------------------------------------------------------------------- NDJSON


def _ndjson_rows(lines: Iterator[str], name: str) -> Iterator[Record]:
    number = 0
    for line, text in enumerate(lines, start=1):
        if not text.strip(_JSON_WS):
            continue  # blank lines are tolerated, commonly a trailing one
        try:
            # Without its line ending, so "column" in an error stays on this line.
            value = json.loads(text.rstrip("\r\n"), object_pairs_hook=_unique_keys)
        except json.JSONDecodeError as exc:
            raise DataError(f"{name}:{line}: bad JSON: {exc.msg} (column {exc.colno})") from None
        except (RecursionError, ValueError) as exc:
            raise _json_limit_error(name, line, exc) from None
        if not isinstance(value, dict):
            raise DataError(f"{name}:{line}: expected a JSON object on this line, found {_kind(value)}")
        number += 1
        yield Record(number, line, value)


# --------------------------------------------------------------------------- CSV

#: The longest CSV field read: a base64 picture as large as the default
#: --max-image-mb (base64 is 4/3 of the bytes), with room for line breaks.
#: Python's csv module stops at 128 KiB, and calls a longer field "never closed".
MAX_CSV_FIELD = DEFAULT_MAX_IMAGE_BYTES * 4 // 3 + DEFAULT_MAX_IMAGE_BYTES // 16 + 4096


def _allow_long_fields() -> None:
    """Raise csv's field size limit (process-wide) to MAX_CSV_FIELD; never lower it."""
    if csv.field_size_limit() < MAX_CSV_FIELD:
        csv.field_size_limit(MAX_CSV_FIELD)


def _sniff_delimiter(sample: str, complete: bool, preferred: tuple[str, ...]) -> str:
    """Pick the delimiter that splits the header and the first rows most consistently.

    Parsing with the csv module keeps this quote-aware; csv.Sniffer is not used
    because it misreads short or quoted samples.
    """

    def parse(delimiter: str) -> list[list[str]]:
        reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
        rows: list[list[str]] = []
        try:
            for row in reader:
                if any(row):
                    rows.append(row)
                if len(rows) > _SNIFF_ROWS + _HEADER_SEARCH:
                    break
        except csv.Error:
            pass
        if not complete and rows and len(rows) <= _SNIFF_ROWS + _HEADER_SEARCH:
            rows.pop()  # the sample may end half-way through the last row
        return rows

    def score(delimiter: str) -> tuple[float, int, int]:
        rows = parsed[delimiter][: _SNIFF_ROWS + 1]
        if not rows:
            return (-1.0, 0, -preferred.index(delimiter))
        width = len(rows[0])
        body = rows[1:]
        agreeing = sum(len(row) == width for row in body) / len(body) if body else 1.0
        return (agreeing if width > 1 else -1.0, width, -preferred.index(delimiter))

    parsed = {delimiter: parse(delimiter) for delimiter in preferred}
    if all(len(rows[0]) <= 1 for rows in parsed.values() if rows):
        # No delimiter splits the first row: one column, or a title above the
        # table. Judge each delimiter from the first row it splits into two
        # values or more (where the header would be looked for), if any.
        for delimiter, rows in parsed.items():
            starts = (
                i for i, row in enumerate(rows[:_HEADER_SEARCH]) if sum(bool(c.strip()) for c in row) >= 2
            )
            parsed[delimiter] = rows[next(starts, 0) :]
    return max(preferred, key=score)


def _check_header(cells: list[str], name: str, line: int, label: Callable[[int], str]) -> tuple[str, ...]:
    """Trim header names, drop trailing unnamed columns; refuse other gaps and duplicates.

    ``label`` names a column in messages (CSV: its number; .xlsx: its letter).
    """
    names = [cell.lstrip("\ufeff").strip() for cell in cells]
    while names and not names[-1]:
        names.pop()  # Excel leaves empty header cells after the last column
    seen: dict[str, int] = {}
    for column, header in enumerate(names, start=1):
        if not header:
            raise DataError(f"{name}:{line}: column {label(column)} of the header has no name")
        # The engine matches names after NFC normalisation, so "é" twice in two
        # spellings would collide there: refuse it here, where the line is known.
        key = unicodedata.normalize("NFC", header)
        if key in seen:
            raise DataError(
                f"{name}:{line}: column {header!r} appears twice in the header "
                f"(columns {label(seen[key])} and {label(column)})"
            )
        seen[key] = column
    return tuple(names)


# --------------------------------------------------------------------------- the header row

# A title above the table ("Staff list — September 2025", a blank row, then the
# header) is common in spreadsheets and their CSV exports. A first row of two or
# more names is the header, as it always was. Otherwise (one value, or values
# with gaps) the header is looked for among the first _HEADER_SEARCH non-empty
# rows, and taken only when it is unmistakable: every row above it a title (one
# value, or values with gaps in at most half its columns), itself two or more
# distinct names that are text, and the _HEADER_BELOW rows below it fitting
# within its columns (the first with two values or more; one other may be a
# broken row, which reading reports by its line). Else the first row stays the
# header, and ``DataSource.header_note`` lets the missing-column message say
# which row was read: a wrong guess could fill documents from the wrong cells.
_HEADER_SEARCH = 10
_HEADER_BELOW = 5
_NOTE_COLUMNS = 8


@dataclass(frozen=True)
class _Peeked:
    """A non-empty row read ahead while looking for the header.

    ``names`` is each cell as a header name would be ("" when empty);
    ``text`` tells which cells hold text with a letter in it (could name a column).
    """

    line: int
    names: list[str]
    text: list[bool]

    @property
    def filled(self) -> int:
        return sum(1 for name in self.names if name.strip())

    @property
    def width(self) -> int:
        """The number of columns up to the last non-empty cell."""
        return max((i + 1 for i, name in enumerate(self.names) if name.strip()), default=0)


@dataclass(frozen=True)
class _Header:
    """The row chosen as the header, as ``DataSource`` reports it."""

    index: int  # into the rows read ahead
    line: int
    title_lines: tuple[int, ...]
    fits: bool
    below: int | None  # the line of the first row read ahead below the header wider than it


def _valid_header(row: _Peeked) -> bool:
    try:
        return bool(_check_header(list(row.names), "", row.line, str))
    except DataError:
        return False


def _header_like(row: _Peeked) -> bool:
    """Two or more distinct names, each text, with no gap: a header when below a title."""
    width = row.width
    return width >= 2 and row.filled == width and all(row.text[:width]) and _valid_header(row)


def _title_like(row: _Peeked, width: int) -> bool:
    """One value, or a few with gaps between them: not a header or a row of a table this wide."""
    return row.filled <= 1 or (row.filled < row.width and 2 * row.filled <= width)


def _find_header(peek: Callable[[int], list[_Peeked]]) -> _Header:
    """Choose the header among the rows ``peek(n)`` reads ahead (at least one, at most n)."""
    rows = peek(1 + _HEADER_BELOW)
    index = 0
    if not (rows[0].width >= 2 and _valid_header(rows[0])):
        rows = peek(_HEADER_SEARCH + _HEADER_BELOW)
        for i in range(1, min(_HEADER_SEARCH, len(rows))):
            row = rows[i]
            if not _header_like(row):
                continue
            width = row.width
            below = rows[i + 1 : i + 1 + _HEADER_BELOW]
            if (
                below
                and below[0].filled >= 2
                and below[0].width <= width
                and sum(other.width > width for other in below) <= 1
                and all(_title_like(above, width) for above in rows[:i])
            ):
                index = i
                break
    header = rows[index]
    wider = [row.line for row in rows[index + 1 :] if row.width > header.width]
    return _Header(
        index=index,
        line=header.line,
        title_lines=tuple(row.line for row in rows[:index]),
        fits=not wider,
        below=wider[0] if wider else None,
    )


def _has_letter(text: str) -> bool:
    return any(char.isalpha() for char in text)


class _CsvReader:
    """Parses one pass over a CSV stream: the header on construction, then rows."""

    def __init__(
        self,
        raw: _Rewound,
        name: str,
        enc: _Encoding,
        delimiter: str,
        sep_line: bool,
    ) -> None:
        self.name = name
        raw.skip(enc.bom)
        self._stream = io.BufferedReader(raw, buffer_size=_CHUNK)
        _allow_long_fields()
        self._reader = csv.reader(
            _text_lines(self._stream, name, enc, "csv"), delimiter=delimiter, strict=True
        )
        self.columns: tuple[str, ...] = ()
        if sep_line:
            self._next()  # Excel's "sep=;" line names the delimiter; it is not the header
        # Rows read ahead to find the header (non-empty ones only: blank rows are
        # no records), and an error met reading ahead, raised when rows reach it.
        self._ahead: list[tuple[int, list[str]]] = []
        self._error: DataError | None = None
        if self._read_ahead(1) == 0:
            raise DataError(f"{name}: no header row (the file is empty)")
        self.header = _find_header(self._peek)
        start, cells = self._ahead[self.header.index]
        del self._ahead[: self.header.index + 1]
        self.columns = _check_header(cells, name, start, str)
        if not self.columns:  # cells of spaces only
            raise DataError(f"{name}:{start}: the header row has no names")

    def _read_ahead(self, count: int) -> int:
        """Read until ``count`` non-empty rows are held (or the data ends); how many are held.

        Only the first row's error is raised here; a later row's waits for ``rows``.
        """
        while len(self._ahead) < count and self._error is None:
            try:
                row = self._next()
            except DataError as exc:
                if not self._ahead:
                    raise
                self._error = exc
                break
            if row is None:
                break
            if any(row[1]):
                self._ahead.append(row)
        return len(self._ahead)

    def _peek(self, count: int) -> list[_Peeked]:
        self._read_ahead(count)
        return [_Peeked(start, cells, [_has_letter(cell) for cell in cells]) for start, cells in self._ahead]

    def _next(self) -> tuple[int, list[str]] | None:
        start = self._reader.line_num + 1
        try:
            return start, next(self._reader)
        except StopIteration:
            return None
        except csv.Error as exc:
            message = str(exc)
            if "field larger than" in message:
                # A field this long is either real (it is refused) or a quote left open to the end.
                raise DataError(
                    f"{self.name}:{start}: a field in this row is longer than "
                    f"{MAX_CSV_FIELD // 1_000_000} MB, the most mytypist reads in a cell (or a quoted "
                    'field is never closed: a stray " character?)'
                ) from None
            if "unexpected end of data" in message:
                raise DataError(
                    f"{self.name}:{start}: a quoted field that starts in this row is never "
                    'closed (a stray " character?)'
                ) from None
            raise DataError(f"{self.name}:{self._reader.line_num}: malformed CSV: {message}") from None

    def rows(self) -> Iterator[Record]:
        columns = self.columns
        width = len(columns)
        number = 0
        while (row := self._next_row()) is not None:
            start, cells = row
            if not any(cells):
                continue  # blank lines and rows of empty cells (Excel leaves these) are skipped
            if len(cells) > width:
                if any(cells[width:]):
                    raise DataError(
                        f"{self.name}:{start}: row has {len(cells)} cells but the header has {width}"
                    )
                cells = cells[:width]  # a trailing empty cell ("a,b,") loses nothing
            number += 1
            # zip stops at the shorter list: cells missing from a short row stay
            # absent, i.e. *missing*, unlike an empty cell, which is an empty value.
            yield Record(number, start, dict(zip(columns, cells, strict=False)))

    def _next_row(self) -> tuple[int, list[str]] | None:
        if self._ahead:
            return self._ahead.pop(0)
        if self._error is not None:
            raise self._error
        return self._next()

    def close(self) -> None:
        self._stream.close()


# --------------------------------------------------------------------------- xlsx


def _xlsx_value(value: Any) -> Any:
    if value is None:
        return ""  # an empty cell is an empty value, as in CSV
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            return value
        if value.is_integer():
            return int(value)
        # Excel stores 15 significant digits; beyond that is binary float noise
        # (0.1+0.2 -> 0.30000000000000004).
        return float(f"{value:.15g}")
    if isinstance(value, dt.datetime):
        return value.date() if value.time() == dt.time() and value.tzinfo is None else value
    return value


def _xlsx_cell(value: Any, fmt: NumberFormat | None) -> Any:
    """A cell's value for a record: the value itself, shown as Excel shows it with its format."""
    value = _xlsx_value(value)
    if fmt is None or value == "":
        return value
    if type(value) is dt.date and fmt.code == "yyyy-mm-dd":
        return value  # openpyxl's format for dates: the text is the same, and so stays the type
    return fmt.cell(value)


class _Uncalculated:
    """A formula cell saved without its result."""

    def __repr__(self) -> str:
        return "<uncalculated>"


_UNCALCULATED = _Uncalculated()


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _xlsx_header_name(value: Any) -> str:
    value = _xlsx_value(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _sheet_parser(book: Any, sheet: Any, source: Any) -> Any:
    """openpyxl's streaming sheet parser, telling formulas saved without a result from empty cells.

    This is the parser a read-only worksheet uses (openpyxl.worksheet._reader);
    it is used directly because with ``data_only`` it reports both a formula
    never calculated and an empty cell as None, and the rows it yields carry
    each cell's style, which names its number format.
    """
    from openpyxl.worksheet._reader import FORMULA_TAG, WorkSheetParser

    class Parser(WorkSheetParser):
        def parse_cell(self, element: Any) -> dict[str, Any]:
            cell: dict[str, Any] = super().parse_cell(element)
            if cell["value"] is None and element.find(FORMULA_TAG) is not None:
                # A formula whose result is empty text is saved as t="str" with an empty <v>.
                cell["value"] = "" if cell["data_type"] == "str" else _UNCALCULATED
            return cell

    return Parser(
        source,
        sheet._shared_strings,
        data_only=True,
        epoch=book.epoch,
        date_formats=book._date_formats,
        timedelta_formats=book._timedelta_formats,
    )


class _Workbook:
    """An open read-only workbook and the worksheet to read; closes both."""

    def __init__(self, data: BinaryIO, name: str, sheet: str | None) -> None:
        import openpyxl  # deferred: only .xlsx input pays for importing it

        self.name = name
        try:
            with warnings.catch_warnings():
                # openpyxl warns about styles and extensions it ignores; the CLI's
                # stderr is for our messages, and the tests turn warnings into errors.
                warnings.simplefilter("ignore")
                self.book = openpyxl.load_workbook(data, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises a zoo of types for broken files
            detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise DataError(f"{name}: not a readable .xlsx workbook ({detail})") from None
        self._formats: dict[int, NumberFormat | None] = {}
        try:
            sheets = self.book.worksheets
            if sheet is None:
                if not sheets:
                    raise DataError(f"{name}: the workbook has no worksheets")
                self.sheet = sheets[0]
            else:
                titles = [ws.title for ws in sheets]
                if sheet not in titles:
                    listed = ", ".join(repr(title) for title in titles)
                    raise DataError(f"{name}: no sheet named {sheet!r}; the sheets are {listed}")
                self.sheet = sheets[titles.index(sheet)]
        except BaseException:
            self.close()
            raise

    def rows(self) -> Iterator[tuple[int, tuple[Any, ...], tuple[int, ...]]]:
        """Yield (sheet row number, cell values, cell style ids) for each row the sheet stores.

        The sheet's stored dimension is not used: some generators write a wrong
        one ("A1"), which would cut rows off.
        """
        book: Any = self.book
        sheet: Any = self.sheet
        unreadable = f"{self.name}: cannot read sheet {self.sheet.title!r}"
        try:
            source = sheet._get_source()
        except Exception as exc:
            raise DataError(f"{unreadable}: {exc}") from None
        with source:
            it = _sheet_parser(book, sheet, source).parse()
            while True:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    try:
                        number, cells = next(it)
                    except StopIteration:
                        return
                    except Exception as exc:
                        raise DataError(f"{unreadable}: {exc}") from None
                width = max((cell["column"] for cell in cells), default=0)
                values: list[Any] = [None] * width
                styles = [0] * width
                for cell in cells:
                    column = cell["column"] - 1
                    values[column] = cell["value"]
                    styles[column] = cell["style_id"]
                yield number, tuple(values), tuple(styles)

    def number_format(self, style: int) -> NumberFormat | None:
        """The number format of cells of this style; None for General (values print as they are)."""
        if style in self._formats:
            return self._formats[style]
        from openpyxl.styles.numbers import BUILTIN_FORMATS, BUILTIN_FORMATS_MAX_SIZE

        from mytypist_cli.data.excel_formats import number_format  # deferred: only .xlsx needs it

        book: Any = self.book
        try:
            format_id = int(book._cell_styles[style].numFmtId)
        except (IndexError, TypeError, ValueError, AttributeError):
            format_id = 0
        if format_id < BUILTIN_FORMATS_MAX_SIZE:
            code = BUILTIN_FORMATS.get(format_id, "General")
        else:
            try:
                code = str(book._number_formats[format_id - BUILTIN_FORMATS_MAX_SIZE])
            except IndexError:
                code = "General"
        epoch1904 = book.epoch.year == 1904
        general = code.strip().lower() in ("", "general")
        fmt = None if general else number_format(code, format_id, epoch1904)
        self._formats[style] = fmt
        return fmt

    def uncalculated(self, line: int, column: int) -> DataError:
        return DataError(
            f"{self.name}:{line}: cell {_letter(column + 1)}{line} of sheet {self.sheet.title!r} has a "
            "formula with no saved result (the workbook was written by a program and never "
            "calculated); open it in Excel or LibreOffice, save it, and try again"
        )

    def close(self) -> None:
        self.book.close()


def _letter(column: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(column)


_Rows = Iterator[tuple[int, tuple[Any, ...], tuple[int, ...]]]


def _xlsx_header(book: _Workbook, rows: _Rows, name: str) -> tuple[tuple[str, ...], _Header]:
    """Find the header (the first non-empty row, or one below a title) and check it."""
    ahead: list[tuple[int, tuple[Any, ...]]] = []

    def peek(count: int) -> list[_Peeked]:
        while len(ahead) < count:
            try:
                number, values, _styles = next(rows)
            except StopIteration:
                break
            except DataError:
                if not ahead:
                    raise
                break  # rows beyond the header: iterating the source meets it again
            if any(not _is_empty(value) for value in values):
                ahead.append((number, values))
        return [_xlsx_peeked(number, values) for number, values in ahead]

    if not peek(1):
        raise DataError(f"{name}: the sheet is empty: no header row")
    header = _find_header(peek)
    number, values = ahead[header.index]
    if _UNCALCULATED in values:
        raise book.uncalculated(number, values.index(_UNCALCULATED))
    cells = ["" if value is None else _xlsx_header_name(value) for value in values]
    return _check_header(cells, name, number, _letter), header


def _xlsx_peeked(line: int, values: tuple[Any, ...]) -> _Peeked:
    names = []
    for value in values:
        if value is _UNCALCULATED:
            names.append("=")  # a value, unknown: not a name
        else:
            names.append("" if _is_empty(value) else _xlsx_header_name(value))
    text = [isinstance(value, str) and _has_letter(value) for value in values]
    return _Peeked(line, names, text)


def _xlsx_records(book: _Workbook, rows: _Rows, columns: tuple[str, ...], name: str) -> Iterator[Record]:
    width = len(columns)
    number = 0
    formats = book.number_format
    for line, values, styles in rows:
        if all(_is_empty(value) for value in values):
            continue  # Excel keeps formatted but empty rows; they are not data
        if _UNCALCULATED in values:
            raise book.uncalculated(line, values.index(_UNCALCULATED))
        for column in range(width, len(values)):
            if not _is_empty(values[column]):
                raise DataError(
                    f"{name}:{line}: cell {_letter(column + 1)}{line} has a value "
                    "but its column has no name in the header"
                )
        number += 1
        cells = {
            key: _xlsx_cell(values[i], formats(styles[i])) if i < len(values) else ""
            for i, key in enumerate(columns)
        }
        yield Record(number, line, cells)


# --------------------------------------------------------------------------- entry point


def open_records(
    source: str | os.PathLike[str] | BinaryInput,
    *,
    format: str | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    display_name: str | None = None,
) -> DataSource:
    """Open JSON, NDJSON, CSV or .xlsx data from a path or binary stream as records.

    The format comes from ``format``, else the file extension (of the path, or of
    ``display_name`` for a stream), else the content. ``encoding`` applies to
    text formats (default UTF-8 with or without BOM); ``sheet`` picks an .xlsx
    worksheet (default: the first) and is ignored for other formats. A stream is
    not closed. Headers (CSV, .xlsx) and whole JSON documents are read now;
    rows are read as the source is iterated.

    Raises ``DataError`` (``path:line: ...``) for unreadable, undecodable or
    malformed data, here or while iterating; ``ValueError`` for an unknown ``format``.
    """
    if format is not None and format not in FORMATS:
        raise ValueError(f"unknown data format {format!r}; expected one of {', '.join(FORMATS)}")
    path: Path | None
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        name = display_name or str(source)
    else:
        path = None
        stream_name = getattr(source, "name", None)
        name = display_name or (stream_name if isinstance(stream_name, str) else "<stream>")
    if encoding is not None:
        _resolve_encoding(b"", encoding)  # an unknown encoding fails before any reading

    def reopen() -> tuple[_Rewound, BinaryIO | None]:
        if path is None:
            assert not isinstance(source, str | os.PathLike)
            return _Rewound(source), None
        owned = _open_path(path, name)
        return _Rewound(owned), owned

    first, owned = reopen()
    try:
        fmt = format or _format_from_name(name) or _sniff_format(first, name, encoding)
        if fmt == "xlsx":
            return _open_xlsx(first, path, name, sheet)
        if fmt == "json":
            enc = _resolve_encoding(first.fill(4), encoding)
            text = _decode_all(first.readall(), name, enc, "json")
            records = _parse_json(text, name)
            return DataSource(
                path=name,
                format="json",
                columns=_columns_of(records),
                rows=lambda: iter(records),
                repeatable=True,
            )
        if fmt == "ndjson":
            return _open_ndjson(first, reopen, path is not None, name, encoding)
        return _open_csv(first, reopen, path is not None, name, encoding)
    finally:
        # A path is reopened each time the source is iterated; a stream is the caller's.
        if owned is not None:
            owned.close()


def _open_xlsx(first: _Rewound, path: Path | None, name: str, sheet: str | None) -> DataSource:
    if path is None:
        # A zip needs seeking; a stream is read into memory once.
        data = first.readall()

        def opener() -> BinaryIO:
            return io.BytesIO(data)
    else:

        def opener() -> BinaryIO:
            return _open_path(path, name)

    with opener() as handle:
        book = _Workbook(handle, name, sheet)
        try:
            columns, header = _xlsx_header(book, book.rows(), name)
            title = book.sheet.title
        finally:
            book.close()

    def rows() -> Iterator[Record]:
        with opener() as handle:
            book = _Workbook(handle, name, title)
            try:
                it = book.rows()
                for number, _values, _styles in it:
                    if number == header.line:
                        break
                yield from _xlsx_records(book, it, columns, name)
            finally:
                book.close()

    return DataSource(
        path=name, format="xlsx", columns=columns, rows=rows, repeatable=True, sheet=title, header=header
    )


def _open_ndjson(
    first: _Rewound,
    reopen: Callable[[], tuple[_Rewound, BinaryIO | None]],
    from_path: bool,
    name: str,
    encoding: str | None,
) -> DataSource:
    enc = _resolve_encoding(first.fill(4), encoding)
    pending: list[_Rewound] = [] if from_path else [first]

    def rows() -> Iterator[Record]:
        raw, handle = reopen() if from_path else (pending.pop(), None)
        try:
            raw.fill(4)
            raw.skip(enc.bom)
            stream = io.BufferedReader(raw, buffer_size=_CHUNK)
            yield from _ndjson_rows(_text_lines(stream, name, enc, "ndjson"), name)
        finally:
            if handle is not None:
                handle.close()

    return DataSource(path=name, format="ndjson", columns=None, rows=rows, repeatable=from_path)


def _open_csv(
    first: _Rewound,
    reopen: Callable[[], tuple[_Rewound, BinaryIO | None]],
    from_path: bool,
    name: str,
    encoding: str | None,
) -> DataSource:
    head = first.fill(_SNIFF_BYTES)
    enc = _resolve_encoding(head, encoding)
    sample = _peek_text(head, enc)
    sep = re.match(r"sep=([^\r\n])(?:\r\n|\r|\n|$)", sample)
    if sep:
        delimiter = sep.group(1)
    elif Path(name).suffix.lower() == ".tsv":
        delimiter = "\t"
    else:
        delimiter = _sniff_delimiter(sample, first.eof, _DELIMITERS)
    sep_line = sep is not None
    reader = _CsvReader(first, name, enc, delimiter, sep_line)
    columns = reader.columns
    if from_path:
        reader.close()
    pending = [] if from_path else [reader]

    def rows() -> Iterator[Record]:
        if not from_path:
            yield from pending.pop().rows()
            return
        raw, handle = reopen()
        try:
            raw.fill(_SNIFF_BYTES)
            again = _CsvReader(raw, name, enc, delimiter, sep_line)
            if again.columns != columns:
                raise DataError(f"{name}: the header changed while the file was being read")
            yield from again.rows()
        finally:
            if handle is not None:
                handle.close()

    return DataSource(
        path=name,
        format="csv",
        columns=columns,
        rows=rows,
        repeatable=from_path,
        delimiter=delimiter,
        header=reader.header,
    )
