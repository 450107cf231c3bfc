"""The ``mytypist`` command: the app and its global options.

Each command parses options, calls one library function and shows the
result; ``extract`` lives in cli/extract.py, ``fill`` in cli/fill.py, the
library's commands in cli/library.py, the PDF commands in cli/pdf.py. Every ``MytypistError``
becomes one ``error: ...`` line on stderr and exit status 1 in one place
(``cli_common.errors_to_exit``); usage errors are typer's (exit 2). Heavy
modules (the database layer) are imported inside the commands that need
them, so ``--help`` and ``extract`` start fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mytypist_cli import __version__
from mytypist_cli.cli.common import _state
from mytypist_cli.home import home_dir

app = typer.Typer(
    name="mytypist",
    help="Fill Word templates that have <<placeholders>> with data from JSON, CSV, NDJSON or Excel.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mytypist {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    home: Annotated[
        Path | None,
        typer.Option(
            "--home",
            envvar="MYTYPIST_HOME",
            help="Folder for the template library and usage analytics.",
            show_default="the user data folder",
        ),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show a traceback on errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Fill Word templates that have <<placeholders>> with data from JSON, CSV, NDJSON or Excel."""
    _state["debug"] = debug
    # Resolved once here; the commands read it from _state and pass it to the library.
    _state["home"] = home.expanduser() if home is not None else home_dir()


def main() -> None:
    """Console-script entry point."""
    app()


# Each command group is a Typer of its own, composed here.
from mytypist_cli.cli import extract as _extract  # noqa: E402
from mytypist_cli.cli import fill as _fill  # noqa: E402
from mytypist_cli.cli import library as _library  # noqa: E402
from mytypist_cli.cli import pdf as _pdf  # noqa: E402

app.add_typer(_extract.app)
app.add_typer(_fill.app)
app.add_typer(_library.app)
app.add_typer(_pdf.app)
