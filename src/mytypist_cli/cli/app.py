"""The ``mytypist`` command: the app, its global options, and which group holds each command.

Each command group is a Typer of its own in a module beside this one
(extract.py, fill.py, library.py, pdf.py), composed here with ``add_typer``.
:data:`COMMANDS` names the module of every command; ``main`` and the tests both
read it. ``app`` has every command (for the tests and ``typer.testing``);
:func:`main`, the console script, builds only the group of the command being
run: typer builds every command's parameters before running one, and that (with
importing every group's module) was a good part of a one-document ``fill``'s
start-up. For the same reason ``app`` is built on first use (a PEP 562 module
``__getattr__``).

Every ``MytypistError`` becomes one ``error: ...`` line on stderr and exit
status 1 in one place (``cli/common.errors_to_exit``); usage errors are typer's
(exit 2). Heavy modules (rich, the database layer) are imported only where they
are used, so ``--help``, ``extract`` and ``fill PATH`` start fast.
"""

# No `from __future__ import annotations` here: typer reads main_options' annotations on
# every run, and evaluating them from strings (compiling each one) costs start-up time.

import gc
import importlib
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mytypist_cli import __version__
from mytypist_cli.cli.common import _state
from mytypist_cli.home import home_dir

# Every command and the module whose ``app`` holds it, in the order ``--help`` lists them.
COMMANDS: dict[str, str] = {
    "extract": "mytypist_cli.cli.extract",
    "fill": "mytypist_cli.cli.fill",
    "add": "mytypist_cli.cli.library",
    "list": "mytypist_cli.cli.library",
    "show": "mytypist_cli.cli.library",
    "remove": "mytypist_cli.cli.library",
    "export": "mytypist_cli.cli.library",
    "edit": "mytypist_cli.cli.library",
    "backup": "mytypist_cli.cli.library",
    "restore": "mytypist_cli.cli.library",
    "stats": "mytypist_cli.cli.library",
    "convert": "mytypist_cli.cli.pdf",
    "preview": "mytypist_cli.cli.pdf",
}

# Set by the completion script a shell runs (typer's and click's ``_{PROG}_COMPLETE``).
COMPLETE_VAR = "_MYTYPIST_COMPLETE"

HELP = "Fill Word templates that have <<placeholders>> with data from JSON, CSV, NDJSON or Excel."


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mytypist {__version__}")
        raise typer.Exit()


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


def build_app(modules: Iterable[str] | None = None, *, completion: bool = True) -> typer.Typer:
    """The ``mytypist`` app with the command groups in ``modules`` (each once, in order; all by default).

    ``completion`` adds typer's ``--install-completion`` and ``--show-completion``.
    """
    root = typer.Typer(
        name="mytypist",
        help=HELP,
        no_args_is_help=True,
        add_completion=completion,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    root.callback()(main_options)
    for module in dict.fromkeys(COMMANDS.values() if modules is None else modules):
        root.add_typer(importlib.import_module(module).app)
    return root


def command_name(args: Sequence[str]) -> str | None:
    """The known command ``args`` run, or None (no command, ``--help``, ``--version``, an unknown word).

    Only the app's own ``--home DIR``, ``--home=DIR`` and ``--debug`` may come first.
    """
    words = iter(args)
    for word in words:
        if word == "--home":
            next(words, None)
        elif not (word.startswith("--home=") or word == "--debug"):
            return word if word in COMMANDS else None
    return None


if TYPE_CHECKING:
    app: typer.Typer  # every command; built by __getattr__ on first use


def __getattr__(name: str) -> typer.Typer:
    """``app``, with every command, built on first use: ``main`` never needs all of them."""
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    built = globals()["app"] = build_app()
    return built


def main() -> None:
    """Console-script entry point: builds only the group of the command being run.

    With no command, ``--help``, ``--install-completion``, an unknown name or a
    shell's completion request (``_MYTYPIST_COMPLETE`` set) it builds everything,
    so the help and the completions list every command and typer's own errors
    (and suggestions) stay the same. The completion options are added only
    then: they come before any command, and a command's run need not build them.
    """
    # What is imported by now (the library, typer) lives until the process exits: frozen, the
    # collector never walks it again, nor does the collection at exit. That is about 10 ms of a
    # one-document fill, and it keeps the pages of forked batch workers shared.
    gc.freeze()
    command = None if COMPLETE_VAR in os.environ else command_name(sys.argv[1:])
    if command is None:
        build_app()()
    else:
        build_app([COMMANDS[command]], completion=False)()
