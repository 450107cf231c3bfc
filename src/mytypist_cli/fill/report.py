"""The per-row report of a fill (``--report``): every row's number, file, status and error, as JSON or CSV.

Imports neither typer nor rich; written through the one writer.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from mytypist_cli import storage
from mytypist_cli.csv_cells import csv_safe
from mytypist_cli.fill.results import RowResult

REPORT_SUFFIXES = (".json", ".csv")


def check_report_path(path: Path | str) -> None:
    """Raise ValueError unless ``path`` (a path, or an fsspec URL) names a .json or .csv report."""
    if storage.suffix(path).lower() not in REPORT_SUFFIXES:
        raise ValueError(f"a report is .json or .csv, not {PurePosixPath(os.fspath(path)).name!r}")


def write_report(
    results: Iterable[RowResult],
    path: Path | str,
    *,
    overwrite: bool = False,
    inputs: Iterable[Path] = (),
    pages: bool = False,
) -> None:
    """Write every row's ``row``, ``file``, ``status`` and ``error`` as .json or .csv, atomically.

    ``pages`` (a combined run) adds each row's ``pages`` in the combined PDF
    (``4-5``; null or empty for a row not in it, or a combined .docx).

    JSON is an array of objects (``null`` for no file or no error); CSV has a
    header row (rows end with CRLF, as RFC 4180 says) and empty cells for
    those, and a text cell a spreadsheet would run as a formula (a file named
    ``=1+2.docx`` from data) gets a leading ``'``, as ``stats --csv`` does.
    An existing report is replaced only with ``overwrite``; a report
    that is one of ``inputs`` never. Raises ValueError for another extension,
    OutputError when the file cannot be written.
    """
    check_report_path(path)
    fields = ["row", "file", "status", "error", *(["pages"] if pages else [])]
    rows = [
        {
            "row": result.row,
            "file": result.file,
            "status": result.status,
            "error": result.error,
            **({"pages": result.pages} if pages else {}),
        }
        for result in results
    ]
    if storage.suffix(path).lower() == ".json":
        text = json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    else:
        buffer = io.StringIO()
        table = csv.DictWriter(buffer, fieldnames=fields)
        table.writeheader()
        table.writerows(
            {key: "" if value is None else csv_safe(value) for key, value in row.items()} for row in rows
        )
        text = buffer.getvalue()
    # A URL (s3://...) gets one put, with the same no-clobber rule.
    storage.write_bytes(path, text.encode("utf-8"), overwrite=overwrite, inputs=inputs)
