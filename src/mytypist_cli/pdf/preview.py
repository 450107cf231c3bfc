"""What ``mytypist preview`` does: a template filled with the first row of its data, first page as a PNG.

The template is opened as everywhere else (a path or a library ``NAME[@VERSION]``,
:func:`mytypist_cli.library.resolve.open_template`), the data read with
:func:`mytypist_cli.data.records.open_records`; placeholders without a value stay
as they are written. The PNG goes through :mod:`mytypist_cli.writer`.

Library code: imports neither typer nor rich, never prints or exits.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from mytypist_cli import writer
from mytypist_cli.data.records import open_records
from mytypist_cli.errors import DataError
from mytypist_cli.library.resolve import TemplateSource, open_template
from mytypist_cli.pdf.convert import find_soffice, render_preview_png

__all__ = ["preview"]


def preview(
    template: TemplateSource,
    data: str | os.PathLike[str] | None = None,
    *,
    output: str | os.PathLike[str],
    delimiters: str | None = None,
    locale: str | None = None,
    home: Path | None = None,
    dpi: int = 96,
    timeout: float = 120.0,
    overwrite: bool = False,
    soffice: str | os.PathLike[str] | None = None,
) -> Path:
    """Render the first page of ``template``, filled with the first row of ``data``, to the PNG ``output``.

    Without ``data`` the placeholders show as they are written. Relative picture
    paths in the data are read from the data file's folder (the current folder
    without data), as ``fill`` does. ``output`` is checked before any work: it
    is replaced only with ``overwrite``, never when it is the template or the data.
    Returns the PNG's path.

    Raises ConverterMissingError when LibreOffice or pdftoppm is missing,
    OutputError (OutputExistsError) for an output that cannot be written,
    TemplateError / NotFoundError / StoreError for the template, DataError for
    data that cannot be read or has no rows, ConversionError when LibreOffice
    fails, ValueError for malformed ``delimiters``.
    """
    program = Path(soffice) if soffice is not None else find_soffice()
    opened = open_template(template, delimiters=delimiters, locale=locale, home=home)
    inputs = [path for path in (opened.path, data) if path is not None]
    writer.check_target(output, overwrite=overwrite, inputs=inputs)
    values: dict[str, Any] = {}
    if data is not None:
        first = next(iter(open_records(Path(data), display_name=os.fspath(data))), None)
        if first is None:
            raise DataError(f"{os.fspath(data)}: no rows")
        values = first.values
    image_dir = Path(data).resolve().parent if data is not None else Path.cwd()
    document = opened.template.render(values, missing="keep", allow_macros=True, image_dir=image_dir)
    return render_preview_png(
        document, output, dpi=dpi, timeout=timeout, overwrite=overwrite, inputs=inputs, soffice=program
    )
