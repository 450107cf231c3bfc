"""``mytypist extract``: the placeholders a template needs, as a table, names, JSON, CSV or a skeleton.

``app`` is this group's Typer; cli/app.py composes it with ``add_typer``. The
command parses its options, opens the template, asks
:func:`mytypist_cli.engine.describe.describe` once and renders the result:
data on stdout, warnings on stderr.
"""

# No `from __future__ import annotations`: typer reads the command's annotations on every
# run, and evaluating them from strings costs start-up time (see cli/app.py).

from typing import Annotated, Literal

import typer

from mytypist_cli.cli import output as show
from mytypist_cli.cli.common import (
    DelimitersOption,
    LocaleOption,
    SyntaxOption,
    _open_template,
    errors_to_exit,
)
from mytypist_cli.engine.describe import Description, describe

Format = Literal["table", "names", "json", "csv", "skeleton"]

app = typer.Typer()


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
        Format | None,
        typer.Option(
            "--format",
            help="table, names, json, csv (a header row to fill in) or skeleton (a JSON object to fill in).",
            show_default="table on a terminal, names when piped",
        ),
    ] = None,
    delimiters: DelimitersOption = None,
    locale: LocaleOption = None,
    syntax: SyntaxOption = None,
) -> None:
    """Show the placeholders a template needs.

    Example: mytypist extract offer-letter.docx
    """
    chosen: Format
    if json_output:
        chosen = "json"
    elif output_format is not None:
        chosen = output_format
    else:
        chosen = "table" if show.stdout_is_terminal() else "names"
    opened = _open_template(template, delimiters, locale, syntax=syntax)
    description = describe(opened.template, opened.label)
    if syntax in (None, "", "auto") and description.syntax != "mytypist":
        chosen_syntax = description.syntax
        show.note(f"{opened.label}: read as {_SYNTAX_NAMES[chosen_syntax]} (--syntax {chosen_syntax})")
    for message in description.messages:
        show.warning(message)
    if chosen == "json":
        show.print_json(description.to_json_dict())
    elif chosen == "csv":
        show.print_csv(description.csv_header())
    elif chosen == "skeleton":
        show.print_json(description.skeleton())
    elif chosen == "names":
        show.print_lines(description.names)
    else:
        _draw_table(description)


_SYNTAX_NAMES = {"mergefield": "Word merge fields", "jinja": "a docxtpl (Jinja) template"}


def _draw_table(description: Description) -> None:
    count = len(description.names)
    show.print_table(
        f"{description.label}: {count} placeholder{'s' if count != 1 else ''}",
        ["name", "kind", "uses", "filters", "parts"],
        (
            (
                p.name + (f" ({', '.join(f.name for f in p.fields)})" if p.fields else ""),
                p.kind,
                p.count,
                ", ".join(p.filters),
                ", ".join(p.parts),
            )
            for p in description.placeholders
        ),
    )
