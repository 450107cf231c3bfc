"""What a fill returns: one ``RowResult`` per data row and a ``BatchSummary`` for the run.

Plain frozen dataclasses with no behaviour beyond a few derived totals, so the
CLI, the report writer, usage analytics and library callers read the same
thing. Imports neither typer nor rich.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

Status = Literal["ok", "failed", "skipped"]
#: Why a row failed or was skipped, where the command line says something about it:
#: ``exists``, its output file is there already; ``blank``, it gives no placeholder a value;
#: ``pdf``, its document was made but not its PDF; ``write``, its output could not be written.
Why = Literal["exists", "blank", "pdf", "write"]


def one_line(exc: BaseException) -> str:
    """An exception as one line of text (its message with white space folded, or its type)."""
    return " ".join(str(exc).split()) or type(exc).__name__


@dataclass(frozen=True)
class RowResult:
    """What happened to one data row.

    ``file`` is the path written (``out_dir/name``, as given; the PDF with
    ``to="pdf"``), the member name in zip mode, or the name it would have in a
    dry run; None when no name could be made. ``error`` is one line
    (``missing value for full_name``) for failed and skipped rows, None for ok
    ones. ``missing`` / ``blank`` list the placeholder names with no value /
    empty text in this row. ``why``: ``exists`` for a row failed or skipped
    because its file exists, ``blank`` for a row skipped because it gives no
    placeholder a value (a note or spacer row; its ``file`` is None), ``pdf`` for a
    row whose document was made but not its PDF, ``write`` for one whose output
    could not be written (a full disk, a folder it may not write in). ``key``:
    with ``group_by``, the group's key (``row`` then counts groups). ``pages``:
    with ``combine`` into a PDF, the record's first and last page in it (``4-5``).
    """

    row: int
    file: str | None
    status: Status
    error: str | None = None
    missing: tuple[str, ...] = ()
    blank: tuple[str, ...] = ()
    why: Why | None = None
    key: str | None = None
    pages: str | None = None

    @property
    def label(self) -> str:
        """How messages name the row: ``row 3``, or ``group 3 (key INV-1)``."""
        return f"row {self.row}" if self.key is None else f"group {self.row} (key {self.key})"


@dataclass(frozen=True)
class BatchSummary:
    """Totals for a finished fill.

    ``rows``: rows handled (from ``start_at``, up to ``limit``); ``ok``: rows
    done without error (would-be-written in a dry run); ``written``: documents
    actually written. ``missing`` / ``blank`` count, per placeholder name, the
    rows in which it had no value / empty text. ``outputs``: files written in
    row order (in zip mode: the archive). ``results``: every ``RowResult`` in
    row order. ``output_kind`` is what usage analytics count (``docx``,
    ``pdf``, ``docx+pdf``, each with ``+zip`` when bundled); ``destination``
    where the run wrote (the folder, archive or file; None in a dry run).
    ``errors``: problems that did not stop the run but make it a failure (LibreOffice
    missing for ``pdf=True``: the documents are written without PDFs);
    ``warnings``: problems that do not (what the template holds that is not filled; usage
    that could not be recorded). ``combined``: the one file of a ``combine`` run.
    """

    rows: int
    ok: int
    written: int
    failed: int
    skipped: int
    missing: dict[str, int]
    blank: dict[str, int]
    elapsed: float
    outputs: tuple[str, ...]
    results: tuple[RowResult, ...]
    dry_run: bool
    zip_path: Path | None = None
    output_kind: str = "docx"
    destination: str | None = None
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    combined: Path | None = None

    @classmethod
    def of(cls, results: tuple[RowResult, ...], **fields: Any) -> BatchSummary:
        """A summary whose row counts and missing/blank tallies are derived from ``results``."""
        missing: Counter[str] = Counter()
        blank: Counter[str] = Counter()
        for result in results:
            missing.update(result.missing)
            blank.update(result.blank)
        counts = Counter(result.status for result in results)
        return cls(
            rows=len(results),
            ok=counts["ok"],
            failed=counts["failed"],
            skipped=counts["skipped"],
            missing=dict(missing),
            blank=dict(blank),
            results=results,
            **fields,
        )

    @property
    def failed_rows(self) -> tuple[int, ...]:
        """Row numbers that failed, in order (the first one is the ``--start-at`` hint)."""
        return tuple(result.row for result in self.results if result.status == "failed")

    @property
    def succeeded(self) -> bool:
        """No row failed and nothing went wrong around the rows: exit status 0."""
        return not self.failed and not self.errors
