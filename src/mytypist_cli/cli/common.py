"""What every command shares: the run's state, one error-to-exit translation, the template options.

Imported by cli/app.py and the other cli/ command modules; imports typer (a CLI
module) but never rich directly, and never the database layer at import time.
"""

from __future__ import annotations

import contextlib
import functools
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, TypedDict, TypeVar, cast

import typer

from mytypist_cli.cli import output as show
from mytypist_cli.engine.template import Syntax
from mytypist_cli.errors import MytypistError
from mytypist_cli.library.resolve import OpenedTemplate

F = TypeVar("F", bound=Callable[..., Any])


class State(TypedDict):
    """What the app callback settles before any command runs."""

    debug: bool
    """``--debug``: let errors raise with their traceback."""
    home: Path | None
    """The home folder (``--home``, ``MYTYPIST_HOME`` or the user data folder), resolved once;
    None only before the callback has run."""


_state: State = {"debug": False, "home": None}


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C would be: the library cleans up after both alike."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """While a command runs, SIGTERM raises ``Terminated`` (a KeyboardInterrupt) in the main thread.

    Python's default for SIGTERM ends the process at once: no ``finally`` runs,
    so temporary files and worker processes would be left behind.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def errors_to_exit(function: F) -> F:
    """The one place where library errors become a message and an exit status.

    Ctrl-C exits with 130 and SIGTERM with 143 (128 + the signal), each after
    the command's cleanup has run.
    """

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            with _sigterm_as_interrupt():
                return function(*args, **kwargs)
        except MytypistError as exc:
            if _state["debug"]:
                raise
            show.error(str(exc))
            raise typer.Exit(1) from None
        except Terminated:
            show.error("terminated")
            raise typer.Exit(128 + signal.SIGTERM) from None
        except KeyboardInterrupt:
            show.error("interrupted")
            raise typer.Exit(130) from None

    return cast(F, wrapper)


DelimitersOption = Annotated[
    str | None,
    typer.Option(
        "--delimiters",
        envvar="MYTYPIST_DELIMITERS",
        help='The placeholder delimiters, open and close separated by a space: "{{ }}", "${ }", "« »".',
        show_default="<< >>, or the ones stored with a library template",
    ),
]


SyntaxOption = Annotated[
    Syntax | None,
    typer.Option(
        "--syntax",
        envvar="MYTYPIST_SYNTAX",
        help="How the template marks what is filled: auto, mytypist (<< >>), mergefield (Word's merge "
        "fields) or jinja (docxtpl's {{ }} and {% %}).",
        show_default="auto, or the one stored with a library template",
    ),
]


LocaleOption = Annotated[
    str | None,
    typer.Option(
        "--locale",
        envvar="MYTYPIST_LOCALE",
        help="Locale for month names, separators and currency symbols in filters.",
        show_default="en_NG, or the one stored with a library template",
    ),
]


SetsOption = Annotated[
    list[str] | None, typer.Option("--set", help="key=value to add or override (repeatable).")
]

SheetOption = Annotated[str | None, typer.Option("--sheet", help="Excel sheet to read.")]

ListNameOption = Annotated[
    str | None,
    typer.Option(
        "--list-name",
        metavar="NAME",
        help="With --group-by: the name of the list the rows become, e.g. items for <<#items>>.",
        show_default="rows",
    ),
]


def _open_template(
    source: str,
    delimiters: str | None,
    locale: str | None,
    usage: str | None = None,
    syntax: str | None = None,
) -> OpenedTemplate:
    """Open a template by path or library name; malformed --delimiters are a usage error.

    ``usage`` is the command line a data file given as the template is told
    (``mytypist fill TEMPLATE DATA``); None says only that it is not a template.
    """
    from mytypist_cli.library.resolve import open_template

    try:
        return open_template(
            source, delimiters=delimiters, locale=locale, home=_state["home"], usage=usage, syntax=syntax
        )
    except ValueError as exc:
        hint = "--syntax" if str(exc).startswith("syntax") else "--delimiters"
        raise typer.BadParameter(str(exc), param_hint=hint) from None


def parse_sets(pairs: list[str]) -> dict[str, str]:
    """``--set key=value`` options as a dict (the last of a key wins); a pair without = is a usage error."""
    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"expected key=value, not {pair!r}", param_hint="--set")
        values[key.strip()] = value
    return values
