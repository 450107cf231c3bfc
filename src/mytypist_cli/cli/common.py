"""What every command shares: one error-to-exit translation, the template options, opening a template.

Imported by cli.py and the cli_* command modules; imports typer (a CLI module) but never rich
directly, and never the database layer at import time.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from mytypist_cli.cli import output as show
from mytypist_cli.engine.template import Template
from mytypist_cli.errors import MytypistError, TemplateError

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


@dataclass(frozen=True)
class _Opened:
    """A compiled template and where it came from (a file, or the library)."""

    template: Template
    data: bytes
    label: str
    library_name: str | None = None
    library_version: int | None = None

    @property
    def stem(self) -> str:
        return self.library_name or Path(self.label).stem


def _open_template(source: str, delimiters: str | None, locale: str | None) -> _Opened:
    """Open a template by path or, when no such file exists, by library name (NAME or NAME@VERSION).

    Explicit --delimiters and --locale win over the ones stored with a library template.
    """
    path = Path(source)
    stored = None
    if path.exists():
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise TemplateError(f"{source}: cannot read ({exc.strerror})") from None
    else:
        stored = _from_library(source)
        data = stored.data
    chosen = delimiters or (" ".join(stored.info.delimiters) if stored is not None else "<< >>")
    if locale is None:
        locale = (stored.info.locale if stored is not None else None) or "en_NG"
    try:
        template = Template.open(data, delimiters=chosen, locale=locale)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--delimiters") from None
    except MytypistError as exc:
        exc.args = (f"{source}: {exc}",)
        raise
    if stored is None:
        return _Opened(template, data, source)
    return _Opened(template, data, source, stored.info.name, stored.info.version)


def _from_library(reference: str) -> Any:
    """A stored template by name; the fast read-only path first, then the full store."""
    from mytypist_cli.errors import NotFoundError
    from mytypist_cli.home import db_path
    from mytypist_cli.library.lookup import lookup_template

    looks_like_path = (
        any(sep in reference for sep in "/\\") or Path(reference).suffix.lower() in _DOCX_SUFFIXES
    )
    try:
        stored = lookup_template(db_path(), reference)
        if stored is None:
            from mytypist_cli.library.store import open_store

            with open_store(db_path()) as store:
                stored = store.get_template(reference)
    except NotFoundError as exc:
        if looks_like_path:
            raise TemplateError(f"{reference}: no such file") from None
        raise NotFoundError(f"{reference}: no such file, and {exc}") from None
    return stored


_DOCX_SUFFIXES = {".docx", ".docm", ".dotx", ".dotm", ".doc"}
