"""What ``mytypist preview`` does: the first page of a template, as written or filled, as a PNG.

The template is opened as everywhere else (a path or a library ``NAME[@VERSION]``,
:func:`mytypist_cli.library.resolve.open_template`). Without data or values it
is converted exactly as it is written: every placeholder and every section tag
shows, and no section is left out (rendering it with nothing would drop the
line items and the conditional paragraphs). With data (read as ``fill`` reads
it: :func:`mytypist_cli.data.sources.open_data`, and
:func:`mytypist_cli.data.grouping.group_records` for ``group_by``) the first
row or group fills it, ``sets`` on top; a name without a value stays as it is
written. The PNG goes through :mod:`mytypist_cli.writer`.

Library code: imports neither typer nor rich, never prints or exits.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mytypist_cli import writer
from mytypist_cli.data.grouping import ROWS, group_records
from mytypist_cli.data.sources import DataInput, open_data
from mytypist_cli.engine.syntax import normalise_name
from mytypist_cli.errors import DataError, OptionsError
from mytypist_cli.library.resolve import OpenedTemplate, TemplateSource, open_template
from mytypist_cli.pdf.convert import find_soffice, render_preview_png

__all__ = ["PREVIEW_USAGE", "preview", "preview_document"]

#: How the command line is written, for the hint when the data came first.
PREVIEW_USAGE = "mytypist preview TEMPLATE DATA -o PAGE.png"


def preview(
    template: TemplateSource,
    data: DataInput | None = None,
    *,
    output: str | os.PathLike[str],
    sets: Mapping[str, Any] | None = None,
    sheet: str | None = None,
    group_by: str | None = None,
    list_name: str | None = None,
    delimiters: str | None = None,
    locale: str | None = None,
    home: Path | None = None,
    syntax: str | None = None,
    dpi: int = 96,
    timeout: float = 120.0,
    overwrite: bool = False,
    soffice: str | os.PathLike[str] | None = None,
) -> Path:
    """Render the first page of ``template`` to the PNG ``output``: as written, or filled (see
    :func:`preview_document` for ``data``, ``sets``, ``sheet``, ``group_by`` and ``list_name``).

    ``output`` is checked before any work: it is replaced only with
    ``overwrite``, never when it is the template or the data. Returns the PNG's path.

    Raises ConverterMissingError when LibreOffice or pdftoppm is missing,
    OutputError (OutputExistsError) for an output that cannot be written,
    TemplateError / NotFoundError / StoreError for the template, DataError for
    data that cannot be read or has no rows, OptionsError for options that
    contradict each other, ConversionError when LibreOffice fails, ValueError
    for malformed ``delimiters``.
    """
    program = Path(soffice) if soffice is not None else find_soffice()
    _check_options(data, group_by, list_name)
    opened = open_template(
        template, delimiters=delimiters, locale=locale, home=home, usage=PREVIEW_USAGE, syntax=syntax
    )
    data_file = _data_file(data)
    inputs = [path for path in (opened.path, data_file) if path is not None]
    writer.check_target(output, overwrite=overwrite, inputs=inputs)
    document = _document(opened, data, sets, sheet, group_by, list_name)
    return render_preview_png(
        document, output, dpi=dpi, timeout=timeout, overwrite=overwrite, inputs=inputs, soffice=program
    )


def preview_document(
    template: TemplateSource,
    data: DataInput | None = None,
    *,
    sets: Mapping[str, Any] | None = None,
    sheet: str | None = None,
    group_by: str | None = None,
    list_name: str | None = None,
    delimiters: str | None = None,
    locale: str | None = None,
    home: Path | None = None,
    syntax: str | None = None,
) -> bytes:
    """The .docx a preview draws: the template's own bytes, or the template filled.

    Without ``data`` and ``sets``: the template exactly as it is written. With
    ``data`` (a path, as for ``fill``; ``sheet`` picks an Excel sheet): its first
    row, or with ``group_by`` its first group (the rows the list ``list_name``,
    default ``rows``), with ``sets`` on top; ``sets`` alone fill what they name.
    Names without a value stay as they are written. Pictures named in the data
    are read from the data file's folder (the current folder without one).

    Raises TemplateError / NotFoundError / StoreError for the template,
    DataError for data that cannot be read, has no rows or cannot be grouped,
    OptionsError for ``group_by`` without ``data`` or ``list_name`` without
    ``group_by``, ValueError for malformed ``delimiters``.
    """
    _check_options(data, group_by, list_name)
    opened = open_template(
        template, delimiters=delimiters, locale=locale, home=home, usage=PREVIEW_USAGE, syntax=syntax
    )
    return _document(opened, data, sets, sheet, group_by, list_name)


def _check_options(data: DataInput | None, group_by: str | None, list_name: str | None) -> None:
    if group_by is not None and data is None:
        raise OptionsError("--group-by needs a DATA file")
    if list_name is not None and group_by is None:
        raise OptionsError("--list-name names the list --group-by makes: give --group-by COLUMN too")


def _data_file(data: DataInput | None) -> Path | None:
    return Path(data) if isinstance(data, str | os.PathLike) else None


def _document(
    opened: OpenedTemplate,
    data: DataInput | None,
    sets: Mapping[str, Any] | None,
    sheet: str | None,
    group_by: str | None,
    list_name: str | None,
) -> bytes:
    if data is None and not sets:
        return opened.data
    values: dict[str, Any] = {}
    if data is not None:
        values = _first(opened, data, sheet, group_by, list_name or ROWS)
    values.update(sets or {})
    data_file = _data_file(data)
    image_dir = data_file.resolve().parent if data_file is not None else Path.cwd()
    return opened.template.render(values, missing="keep", allow_macros=True, image_dir=image_dir)


def _first(
    opened: OpenedTemplate, data: DataInput, sheet: str | None, group_by: str | None, list_name: str
) -> dict[str, Any]:
    """The values of the first row of ``data``, or of its first group with ``group_by``."""
    name = os.fspath(data) if isinstance(data, str | os.PathLike) else None
    with open_data(data, sheet=sheet, display_name=name) as rows:
        if group_by is None:
            first = next(iter(rows), None)
            if first is None:
                raise DataError(f"{rows.path}: no rows")
            return dict(first.values)
        if rows.columns is not None:
            columns = {normalise_name(column): column for column in rows.columns}
            if normalise_name(group_by) not in columns:
                close = difflib.get_close_matches(group_by, list(rows.columns), n=1)
                hint = f" (did you mean `{close[0]}`?)" if close else ""
                raise DataError(f"{rows.path}: no column {group_by!r} to group by{hint}")
        outside = [placeholder for placeholder in opened.template.names if placeholder != list_name]
        groups = group_records(rows, group_by, path=rows.path, list_name=list_name, outside=outside)
    if not groups:
        raise DataError(f"{rows.path}: no rows")
    if groups[0].problem is not None:
        raise DataError(f"{rows.path}: group {groups[0].key}: {groups[0].problem}")
    return dict(groups[0].values)
