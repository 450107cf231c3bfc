"""Everything the command line shows: tables, JSON, CSV, messages, progress.

The only module (with cli.py) allowed to import rich. Data goes to stdout;
messages, warnings, progress and summaries go to stderr.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

stdout = Console(highlight=False, soft_wrap=True)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)


def error(message: str) -> None:
    """One line: ``error: ...`` on stderr."""
    stderr.print(f"error: {message}", markup=False, style="bold red" if stderr.is_terminal else None)


def warning(message: str) -> None:
    stderr.print(f"warning: {message}", markup=False, style="yellow" if stderr.is_terminal else None)


def note(message: str) -> None:
    stderr.print(message, markup=False)


def print_json(data: Any) -> None:
    """Pretty JSON on stdout, non-ASCII kept as it is."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def print_lines(lines: Iterable[str]) -> None:
    for line in lines:
        sys.stdout.write(line + "\n")


def print_csv(header: Sequence[str], rows: Iterable[Sequence[Any]] = ()) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)


def print_table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """A rich table on stdout (used when stdout is a terminal)."""
    table = Table(title=title, title_justify="left", header_style="bold")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*("" if cell is None else str(cell) for cell in row))
    stdout.print(table)


def progress(total: int | None) -> Progress:
    """A progress bar with rate and ETA on stderr (only used when stderr is a terminal)."""
    return Progress(
        TextColumn("[bold]filling"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
        console=stderr,
        transient=True,
        # Paths written to stdout pass above the bar only when stdout is the same terminal;
        # redirected, they must reach the file or pipe untouched.
        redirect_stdout=sys.stdout.isatty(),
        redirect_stderr=False,
    )
