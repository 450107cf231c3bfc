"""The ``mytypist`` command: the app, its global options, and ``extract``.

Each command parses options, calls one library function and shows the
result; ``fill`` lives in cli_fill.py, the library's commands in
cli_library.py, the PDF commands in cli_pdf.py. Every ``MytypistError``
becomes one ``error: ...`` line on stderr and exit status 1 in one place
(``cli_common.errors_to_exit``); usage errors are typer's (exit 2). Heavy
modules (the database layer) are imported inside the commands that need
them, so ``--help`` and ``extract`` start fast.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from mytypist_cli import __version__
from mytypist_cli.cli import output as show
from mytypist_cli.cli.common import (
    DelimitersOption,
    LocaleOption,
    _open_template,
    _state,
    errors_to_exit,
)
from mytypist_cli.engine.template import Placeholder, Template
from mytypist_cli.errors import MytypistError

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
    _state["home"] = home
    if home is not None:
        os.environ["MYTYPIST_HOME"] = str(home)


# -- extract -----------------------------------------------------------------------------


@app.command()
@errors_to_exit
def extract(
    template: Annotated[
        str,
        typer.Argument(
            help="The template: a .docx, .docm, .dotx or .dotm path, or a library NAME[@VERSION]."
        ),
    ],
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    output_format: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="table, names, json, csv (a header row to fill in) or skeleton (a JSON object to fill in).",
            show_default="table on a terminal, names when piped",
        ),
    ] = None,
    delimiters: DelimitersOption = None,
    locale: LocaleOption = None,
) -> None:
    """Show the placeholders a template needs.

    Example: mytypist extract offer-letter.docx
    """
    chosen = "json" if json_output else output_format
    if chosen is None:
        chosen = "table" if show.stdout.is_terminal else "names"
    if chosen not in ("table", "names", "json", "csv", "skeleton"):
        raise typer.BadParameter("choose table, names, json, csv or skeleton", param_hint="--format")
    opened = _open_template(template, delimiters, locale)
    compiled, label = opened.template, opened.label
    for problem in compiled.warnings:
        show.warning(f"{label}: {problem}")
    if not compiled.placeholders:
        opening, closing = compiled.delimiters
        hint = _other_delimiters_hint(opened.data, compiled.delimiters)
        show.warning(f"{label}: no {opening}placeholders{closing} found{hint}")
    names = list(compiled.names)
    if chosen == "json":
        show.print_json(
            {
                "template": label,
                "placeholders": [_placeholder_json(p) for p in compiled.placeholders],
                "warnings": [str(w) for w in compiled.warnings],
            }
        )
    elif chosen == "csv":
        # A spreadsheet has a column per value; lists come from rows (see --group-by).
        show.print_csv([p.name for p in compiled.placeholders if p.kind != "list"])
    elif chosen == "skeleton":
        show.print_json(_skeleton(compiled.placeholders))
    elif chosen == "names":
        show.print_lines(names)
    else:
        show.print_table(
            f"{label}: {len(names)} placeholder{'s' if len(names) != 1 else ''}",
            ["name", "kind", "uses", "filters", "parts"],
            (
                (
                    p.name + (f" ({', '.join(f.name for f in p.fields)})" if p.fields else ""),
                    p.kind,
                    p.count,
                    ", ".join(p.filters),
                    ", ".join(p.parts),
                )
                for p in compiled.placeholders
            ),
        )


def _placeholder_json(placeholder: Placeholder) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": placeholder.name,
        "kind": placeholder.kind,
        "count": placeholder.count,
        "parts": list(placeholder.parts),
        "filters": list(placeholder.filters),
    }
    if placeholder.kind == "list":
        entry["fields"] = [field.name for field in placeholder.fields]
    return entry


def _skeleton(placeholders: tuple[Placeholder, ...]) -> dict[str, Any]:
    """A JSON object to fill in: "" for values, false for conditions, a one-item list for lists."""
    skeleton: dict[str, Any] = {}
    for placeholder in placeholders:
        if placeholder.kind == "list":
            skeleton[placeholder.name] = [_skeleton(placeholder.fields)] if placeholder.fields else [""]
        elif placeholder.kind == "condition":
            skeleton[placeholder.name] = False
        else:
            skeleton[placeholder.name] = ""
    return skeleton


def _other_delimiters_hint(data: bytes, delimiters: tuple[str, str]) -> str:
    for other in ("{{ }}", "${ }", "« »", "<< >>"):
        if other == " ".join(delimiters):
            continue
        try:
            found = Template.open(data, delimiters=other).names
        except MytypistError:
            return ""
        if found:
            return f'; it has {other.split()[0]}…{other.split()[1]} ones: pass --delimiters "{other}"'
    return ""


def main() -> None:
    """Console-script entry point."""
    app()


# Each command group is a Typer of its own, composed here.
from mytypist_cli.cli import fill as _fill  # noqa: E402
from mytypist_cli.cli import library as _library  # noqa: E402
from mytypist_cli.cli import pdf as _pdf  # noqa: E402

app.add_typer(_fill.app)
app.add_typer(_library.app)
app.add_typer(_pdf.app)
