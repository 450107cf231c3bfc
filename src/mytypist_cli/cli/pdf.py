"""The PDF commands of ``mytypist``: convert (existing .docx files to PDF) and preview (first page as PNG).

``app`` is this group's Typer; cli/app.py composes it with
``add_typer``. Each command parses its options, calls one library function
(``pdf.convert.convert_files``, ``pdf.preview.preview``) and reports: written
paths on stdout, failures on stderr. Every ``MytypistError``
goes through cli/common.py's one ``errors_to_exit`` (one ``error: ...`` line, exit 1).

LibreOffice is found through ``MYTYPIST_SOFFICE`` or PATH (see ``pdf.find_soffice``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mytypist_cli.cli import output as show
from mytypist_cli.cli.common import (
    DelimitersOption,
    ListNameOption,
    LocaleOption,
    SetsOption,
    SheetOption,
    SyntaxOption,
    _state,
    errors_to_exit,
    parse_sets,
)

if TYPE_CHECKING:
    from mytypist_cli.pdf.convert import ConversionResult

app = typer.Typer()


TimeoutOption = Annotated[
    float,
    typer.Option(
        "--timeout",
        min=1,
        envvar="MYTYPIST_PDF_TIMEOUT",
        help="Seconds one document may take in LibreOffice before it is killed and counted as failed.",
    ),
]

OverwriteOption = Annotated[bool, typer.Option("--overwrite", help="Replace existing files.")]


# -- convert ------------------------------------------------------------------------------


@app.command()
@errors_to_exit
def convert(
    files: Annotated[
        list[Path], typer.Argument(help="Word documents to convert.", show_default=False, metavar="FILE...")
    ],
    out_dir: Annotated[
        Path | None,
        typer.Option("--out-dir", help="Write the PDFs here.", show_default="beside each document"),
    ] = None,
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", min=1, help="LibreOffice instances to run at once.")
    ] = 1,
    timeout: TimeoutOption = 120.0,
    overwrite: OverwriteOption = False,
) -> None:
    """Convert Word documents to PDF with LibreOffice (NAME.docx -> NAME.pdf).

    Prints the path of each PDF written; failures go to standard error and
    make the exit status 1. A PDF that exists is not replaced without
    --overwrite: that document fails, the others are still converted.

    Example:

      mytypist convert letters/*.docx --out-dir pdf/ --jobs 2
    """
    from mytypist_cli.errors import ConversionError
    from mytypist_cli.pdf.convert import convert_files

    printer = _InOrder(files)
    results = convert_files(
        files, out_dir, jobs=jobs, timeout=timeout, overwrite=overwrite, on_result=printer.add
    )
    failed = sum(1 for result in results if result.pdf is None)
    if failed:
        raise ConversionError(
            f"{failed} of {len(files)} document{'s' if len(files) != 1 else ''} not converted"
        )


class _InOrder:
    """Prints results in the order the files were given, each as soon as those before it are done.

    Instances finish out of order; this keeps the output stable. Paths are shown
    as the user typed them.
    """

    def __init__(self, files: list[Path]) -> None:
        self._shown = {path.absolute(): path for path in files}
        self._order = list(self._shown)
        self._done: dict[Path, ConversionResult] = {}
        self._next = 0

    def add(self, result: ConversionResult) -> None:
        self._done[result.source] = result
        while self._next < len(self._order) and self._order[self._next] in self._done:
            item = self._done[self._order[self._next]]
            self._next += 1
            if item.pdf is not None:
                show.print_lines([str(item.pdf)])
            else:
                show.error(f"{self._shown[item.source]}: {item.error}")


# -- preview ------------------------------------------------------------------------------


@app.command()
@errors_to_exit
def preview(
    template: Annotated[
        str, typer.Argument(help="The template: a .docx path or a library name.", show_default=False)
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="The PNG to write.", show_default=False)],
    data: Annotated[
        str | None,
        typer.Argument(
            help="JSON, NDJSON, CSV or .xlsx data (- reads standard input); the first row fills the page.",
            show_default="none: the template as it is written",
        ),
    ] = None,
    sets: SetsOption = None,
    sheet: SheetOption = None,
    group_by: Annotated[
        str | None,
        typer.Option(
            "--group-by",
            metavar="COLUMN",
            help="Fill the page with the first group of rows that share this column's value, as fill does.",
        ),
    ] = None,
    list_name: ListNameOption = None,
    delimiters: DelimitersOption = None,
    locale: LocaleOption = None,
    syntax: SyntaxOption = None,
    dpi: Annotated[int, typer.Option("--dpi", min=10, max=600, help="Resolution of the picture.")] = 96,
    timeout: TimeoutOption = 120.0,
    overwrite: OverwriteOption = False,
) -> None:
    """Render the first page of a template to a PNG: as it is written, or filled with the first row of DATA.

    Without DATA or --set the template is drawn exactly as it is written, every
    placeholder and section tag included. With DATA the first row (or with
    --group-by the first group) fills it, --set values on top; a placeholder
    without a value shows as it is written. Prints the PNG's path. An existing
    PNG is not replaced without --overwrite.

    Examples:

      mytypist preview offer-letter.docx staff.csv -o page.png

      mytypist preview invoice.docx invoice-lines.csv --group-by invoice_no -o invoice.png

      mytypist preview offer-letter.docx --set full_name="Ada Obi" -o ada.png

      mytypist preview offer-letter.docx -o as-written.png
    """
    import sys

    from mytypist_cli.engine.syntax import parse_delimiters
    from mytypist_cli.errors import OptionsError
    from mytypist_cli.pdf.preview import preview as render_preview

    if delimiters:  # "" means the default, as in open_template
        try:
            parse_delimiters(delimiters)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--delimiters") from None
    try:
        written = render_preview(
            template,
            sys.stdin.buffer if data == "-" else data,
            output=output,
            sets=parse_sets(sets or []),
            sheet=sheet,
            group_by=group_by,
            list_name=list_name,
            delimiters=delimiters,
            locale=locale,
            syntax=syntax,
            home=_state["home"],
            dpi=dpi,
            timeout=timeout,
            overwrite=overwrite,
        )
    except OptionsError as exc:
        raise typer.BadParameter(str(exc)) from None
    show.print_lines([str(written)])
