"""PDFs for a filled batch: convert what ``fill_batch`` wrote, and bundle a zip.

``fill --pdf`` keeps each .docx and adds a PDF beside it; ``fill --to pdf``
keeps only the PDFs (the documents are written to a private staging folder
first); ``--zip`` bundles whichever were asked for. A document LibreOffice
cannot convert fails its own row, never the batch.

Imports neither typer nor rich; never prints.
"""

from __future__ import annotations

import dataclasses
import os
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

from mytypist_cli.fill.batch import BatchError, RowResult
from mytypist_cli.pdf.convert import ConversionResult, convert_to_pdf


def convert_rows(
    results: Iterable[RowResult],
    pdf_dir: Path,
    *,
    keep_docx: bool,
    overwrite: bool,
    jobs: int,
    timeout: float,
    soffice: Path | None,
    on_row: Callable[[RowResult], None] | None = None,
) -> list[RowResult]:
    """Convert every written row's document into ``pdf_dir``; return the rows with their PDF outcome.

    A row whose conversion fails (or whose PDF exists without ``overwrite``)
    becomes ``failed`` with the reason. With ``keep_docx`` False a converted
    row's ``file`` is its PDF. ``on_row`` is called for each converted or
    failed row, in row order.
    """
    rows = list(results)
    todo: list[tuple[int, RowResult]] = []
    final: dict[int, RowResult] = {}
    for index, row in enumerate(rows):
        if row.status != "ok" or row.file is None:
            final[index] = row
            continue
        target = pdf_path(row, pdf_dir)
        if target.exists() and not overwrite:
            final[index] = dataclasses.replace(
                row, status="failed", error=f"{target} exists; pass --overwrite to replace it"
            )
            continue
        todo.append((index, row))
    converted: list[ConversionResult] = []
    if todo:
        converted = convert_to_pdf(
            [Path(row.file or "") for _, row in todo], pdf_dir, jobs=jobs, timeout=timeout, soffice=soffice
        )
    for (index, row), outcome in zip(todo, converted, strict=True):
        if outcome.pdf is None:
            final[index] = dataclasses.replace(row, status="failed", error=f"PDF: {outcome.error}")
        elif keep_docx:
            final[index] = row
        else:
            final[index] = dataclasses.replace(row, file=str(outcome.pdf))
    ordered = [final[index] for index in range(len(rows))]
    if on_row is not None:
        for before, after in zip(rows, ordered, strict=True):
            if before.status == "ok" and before.file is not None:
                on_row(after)
    return ordered


def pdf_path(row: RowResult, pdf_dir: Path) -> Path:
    """Where a converted row's PDF is."""
    return pdf_dir / (Path(row.file or "").stem + ".pdf")


def bundle(zip_path: Path, files: Iterable[tuple[str, Path]], *, overwrite: bool) -> None:
    """Write ``(member name, file)`` pairs into ``zip_path`` atomically; never replace it unless asked."""
    if zip_path.exists() and not overwrite:
        raise BatchError(f"{zip_path} exists; pass --overwrite to replace it")
    temporary = zip_path.with_name(f".{zip_path.name}.{os.getpid()}.tmp")
    try:
        with zipfile.ZipFile(temporary, "w", zipfile.ZIP_STORED) as archive:
            for member, path in files:
                archive.write(path, member)
        os.replace(temporary, zip_path)
    except OSError as exc:
        raise BatchError(f"cannot write {zip_path}: {exc.strerror or exc}") from None
    finally:
        temporary.unlink(missing_ok=True)
