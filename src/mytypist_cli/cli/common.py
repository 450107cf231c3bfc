"""What every command shares: one error-to-exit translation, the template options, opening a template.

Imported by cli.py and the cli_* command modules; imports typer (a CLI module) but never rich
directly, and never the database layer at import time.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer

from mytypist_cli.cli import output as show
from mytypist_cli.errors import MytypistError
from mytypist_cli.library.resolve import OpenedTemplate

F = TypeVar("F", bound=Callable[..., Any])
_state: dict[str, Any] = {"debug": False, "home": None}


def errors_to_exit(function: F) -> F:
    """The one place where library errors become a message and an exit status."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except MytypistError as exc:
            if _state["debug"]:
                raise
            show.error(str(exc))
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            show.error("interrupted")
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


DelimitersOption = Annotated[
    str | None,
    typer.Option(
        "--delimiters",
        envvar="MYTYPIST_DELIMITERS",
        help='The placeholder delimiters, open and close separated by a space: "{{ }}", "${ }", "« »".',
        show_default="<< >>, or the ones stored with a library template",
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


def _open_template(source: str, delimiters: str | None, locale: str | None) -> OpenedTemplate:
    """Open a template by path or library name; malformed --delimiters are a usage error."""
    from mytypist_cli.library.resolve import open_template

    try:
        return open_template(source, delimiters=delimiters, locale=locale, home=_state["home"])
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--delimiters") from None
