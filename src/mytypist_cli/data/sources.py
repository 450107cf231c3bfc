"""Data for a fill, readable twice: a file, a stream or pipe spooled to a temporary file, or Python rows.

A fill reads its data twice: a first pass checks every row (a malformed line
fails the run before anything is written) and counts them (for file-name
widths and progress), the second fills. A regular file is simply reopened.
Anything that cannot be read twice (standard input, a named pipe, ``<(command)``
process substitution, ``/dev/stdin``, a binary stream) is copied once to a
private temporary file, which each pass reads from its start. Python rows
(an iterable of mappings) become numbered records held in memory.

Imports neither typer nor rich.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any, TypeGuard, cast

from mytypist_cli.data.records import BinaryInput, Record, open_records
from mytypist_cli.errors import DataError

DataInput = str | os.PathLike[str] | BinaryInput | Iterable[Mapping[str, Any]]


class Rows:
    """Records that can be iterated more than once, with the columns and name of their data.

    ``columns`` is None when they are not known before reading every row
    (NDJSON); ``path`` names the data in messages; ``file`` is the data file
    when it is one (so that no output of the run may replace it);
    ``header_note`` says which row was read as the header when a message about
    missing columns should (``DataSource.header_note``).
    """

    def __init__(
        self,
        reader: Any,
        *,
        columns: tuple[str, ...] | None,
        path: str,
        file: Path | None = None,
        header_note: str | None = None,
    ) -> None:
        self._reader = reader
        self.columns = columns
        self.path = path
        self.file = file
        self.header_note = header_note

    def __iter__(self) -> Iterator[Record]:
        return iter(self._reader())


def _is_regular_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


@contextlib.contextmanager
def open_data(
    data: DataInput,
    *,
    encoding: str | None = None,
    sheet: str | None = None,
    display_name: str | None = None,
) -> Iterator[Rows]:
    """Open ``data`` for reading twice; a spooled copy is removed when the block ends.

    ``data``: a path (``str`` or path-like), a binary stream (``sys.stdin.buffer``,
    ``BytesIO``), or an iterable of mappings (one record per mapping). Raises
    DataError for data that cannot be read (naming ``path:line``), ValueError for
    an unknown encoding.
    """
    if isinstance(data, str | os.PathLike):
        path = Path(data)
        name = display_name or os.fspath(data)
        if _is_regular_file(path):
            source = open_records(path, encoding=encoding, sheet=sheet, display_name=name)
            yield Rows(
                lambda: source,
                columns=source.columns,
                path=source.path,
                file=path,
                header_note=source.header_note,
            )
            return
        try:
            stream: IO[bytes] = open(path, "rb")  # noqa: SIM115 - closed right after spooling
        except OSError as exc:
            raise DataError(f"{name}: cannot read ({exc.strerror})") from None
        with stream, _spooled(stream, name) as spool:
            yield _reread(spool, name, encoding, sheet)
        return
    if _is_stream(data):
        stream_name = getattr(data, "name", None)
        name = display_name or (stream_name if isinstance(stream_name, str) else "<stream>")
        with _spooled(data, name) as spool:
            yield _reread(spool, name, encoding, sheet)
        return
    yield _from_mappings(cast(Iterable[Mapping[str, Any]], data), display_name or "<rows>")


def _is_stream(data: object) -> TypeGuard[BinaryInput]:
    return callable(getattr(data, "read", None))


@contextlib.contextmanager
def _spooled(stream: BinaryInput, name: str) -> Iterator[IO[bytes]]:
    with tempfile.TemporaryFile(prefix=".~mytypist-") as spool:
        try:
            shutil.copyfileobj(stream, spool)  # type: ignore[misc]
        except OSError as exc:
            raise DataError(f"{name}: cannot read ({exc.strerror})") from None
        yield spool


def _reread(spool: IO[bytes], name: str, encoding: str | None, sheet: str | None) -> Rows:
    def reader() -> Any:
        spool.seek(0)
        return open_records(spool, encoding=encoding, sheet=sheet, display_name=name)

    first = reader()
    return Rows(reader, columns=first.columns, path=name, header_note=first.header_note)


def _from_mappings(rows: Iterable[Mapping[str, Any]], name: str) -> Rows:
    records: list[Record] = []
    columns: dict[str, None] = {}
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, Mapping):
            kind = type(row).__name__
            raise DataError(f"{name}: row {number} is a {kind}, not a mapping of names to values")
        records.append(Record(number=number, line=number, values=dict(row)))
        columns.update(dict.fromkeys(str(key) for key in row))
    return Rows(lambda: records, columns=tuple(columns), path=name)
