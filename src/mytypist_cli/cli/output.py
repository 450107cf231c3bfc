"""Everything the command line shows: tables, JSON, CSV, messages, progress.

The only module (with the other cli/ modules) allowed to import rich. Data goes to
stdout; messages, warnings, progress and summaries go to stderr.

rich is imported only when something needs it: a table, a progress bar, or a
message to a terminal. A one-document ``fill`` in a shell loop writes its one
line to a pipe or file, and importing rich would be a good part of its start-up.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

    # Made on first use by __getattr__ below.
    stdout: Console
    stderr: Console


def __getattr__(name: str) -> Any:
    """``stdout`` and ``stderr``: rich consoles, made (and rich imported) on first use."""
    if name not in ("stdout", "stderr"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return _console(name)


def _console(name: str) -> Console:
    """The rich console for ``stdout`` or ``stderr``, kept as a module global once made."""
    made: Console | None = globals().get(name)
    if made is None:
        from rich.console import Console

        made = Console(stderr=name == "stderr", highlight=False, soft_wrap=True)
        globals()[name] = made
    return made


def _maybe_terminal(stream: IO[str]) -> bool:
    """False only when rich would certainly not treat ``stream`` as a terminal."""
    if os.environ.get("TTY_COMPATIBLE") or os.environ.get("FORCE_COLOR") is not None:
        return True  # rich decides from these
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def stdout_is_terminal() -> bool:
    """Whether stdout is a terminal (as rich sees it): tables there, plain lines to pipes.

    Cheaper than ``stdout.is_terminal``: rich is imported only when it may be one.
    """
    return _maybe_terminal(sys.stdout) and _console("stdout").is_terminal


def stderr_is_terminal() -> bool:
    """Whether stderr is a terminal (as rich sees it): progress bars and colour only there.

    Cheaper than ``stderr.is_terminal``: rich is imported only when it may be one.
    """
    return _maybe_terminal(sys.stderr) and _console("stderr").is_terminal


def _message(text: str, style: str | None) -> None:
    """One line on stderr: plain when it is a file or pipe, styled by rich on a terminal."""
    if not _maybe_terminal(sys.stderr):
        sys.stderr.write(text + "\n")
        return
    console = _console("stderr")
    console.print(text, markup=False, style=style if console.is_terminal else None)


def error(message: str) -> None:
    """One line: ``error: ...`` on stderr."""
    _message(f"error: {message}", "bold red")


def warning(message: str) -> None:
    _message(f"warning: {message}", "yellow")


def note(message: str) -> None:
    _message(message, None)


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


@dataclass(frozen=True)
class Column:
    """A table column, and what may give when the terminal is too narrow for the table.

    ``whole``: a name, date or number, never wrapped (it is cut with an ellipsis
    only when nothing else can give). Other columns wrap between words.
    ``drop``: the table leaves the column out when it does not fit otherwise,
    the lowest ``drop`` first; None: always shown.
    """

    header: str
    whole: bool = False
    drop: int | None = None


# Below this, a column that wraps between words is not narrowed for the sake of the others.
_WRAPPED_MIN = 10


def _needed(column: Column, cells: Sequence[str]) -> int:
    """The narrowest the column can be without breaking what must stay whole."""
    from rich.cells import cell_len

    texts = [column.header, *cells]
    if column.whole:
        return max(cell_len(text) for text in texts)
    longest = max((cell_len(word) for text in texts for word in text.split()), default=1)
    return min(longest, _WRAPPED_MIN)


def _fitting(columns: Sequence[Column], rows: Sequence[Sequence[str]], width: int) -> list[int]:
    """The indexes of the columns to show in ``width``: droppable ones go, lowest ``drop`` first."""
    needed = [_needed(column, [row[index] for row in rows]) for index, column in enumerate(columns)]
    shown = list(range(len(columns)))
    # The default box: a border left of each column and one at the end, one space of padding each side.
    while sum(needed[index] + 3 for index in shown) + 1 > width:
        droppable = [index for index in shown if columns[index].drop is not None]
        if not droppable:
            break
        shown.remove(min(droppable, key=lambda index: columns[index].drop or 0))
    return shown


def print_table(title: str | None, columns: Sequence[str | Column], rows: Iterable[Sequence[Any]]) -> None:
    """A rich table on stdout (used when stdout is a terminal), made to fit its width.

    A plain ``str`` column wraps (and folds a long word); see :class:`Column` for others.
    """
    from rich.table import Table

    specs = [column if isinstance(column, Column) else Column(column) for column in columns]
    cells = [["" if cell is None else str(cell) for cell in row] for row in rows]
    console = _console("stdout")
    shown = _fitting(specs, cells, console.width)
    table = Table(title=title, title_justify="left", header_style="bold")
    for index in shown:
        if specs[index].whole:
            table.add_column(specs[index].header, no_wrap=True, overflow="ellipsis")
        else:
            table.add_column(specs[index].header, overflow="fold")
    for row in cells:
        table.add_row(*(row[index] for index in shown))
    console.print(table)


def stdout_width() -> int:
    """How many columns the tables on stdout may use (the terminal's, else 80 or COLUMNS)."""
    return _console("stdout").width


def print_fields(fields: Iterable[tuple[str, str]], key_width: int = 13) -> None:
    """``key  value`` lines on stdout; on a terminal a long value wraps between words, indented."""
    if not stdout_is_terminal():
        print_lines(f"{key:<{key_width}}{value}".rstrip() for key, value in fields)
        return
    import textwrap

    room = max(_console("stdout").width - key_width, 20)
    for key, value in fields:
        lines = textwrap.wrap(value, room, break_long_words=False, break_on_hyphens=False) or [""]
        print_lines(
            [f"{key:<{key_width}}{lines[0]}".rstrip(), *(" " * key_width + line for line in lines[1:])]
        )


def progress(total: int | None, *, label: str = "filling") -> Progress:
    """A progress bar with rate and ETA on stderr (only used when stderr is a terminal)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(
        TextColumn(f"[bold]{label}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
        console=_console("stderr"),
        transient=True,
        # Paths written to stdout pass above the bar only when stdout is the same terminal;
        # redirected, they must reach the file or pipe untouched.
        redirect_stdout=sys.stdout.isatty(),
        redirect_stderr=False,
    )
