"""PDFs for a filled batch: convert what ``fill_batch`` wrote, and bundle a zip.

``fill --pdf`` keeps each .docx and adds a PDF beside it; ``fill --to pdf``
keeps only the PDFs (the documents are written to a private staging folder
first); ``--zip`` bundles whichever were asked for. A document LibreOffice
cannot convert fails its own row, never the batch.

Imports neither typer nor rich; never prints.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

from mytypist_cli import writer
from mytypist_cli.engine.template import Template
from mytypist_cli.errors import BatchError, ConversionError
from mytypist_cli.fill.batch import BatchOptions, RecordLike, run_rows
from mytypist_cli.fill.naming import safe_name
from mytypist_cli.fill.results import BatchSummary, RowResult
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
                row, status="failed", error=writer.exists_message(target), why="exists"
            )
            continue
        todo.append((index, row))
    converted: list[ConversionResult] = []
    if todo:
        converted = convert_to_pdf(
            [Path(row.file or "") for _, row in todo],
            pdf_dir,
            jobs=jobs,
            timeout=timeout,
            overwrite=overwrite,
            soffice=soffice,
        )
    for (index, row), outcome in zip(todo, converted, strict=True):
        if outcome.pdf is None:
            final[index] = dataclasses.replace(row, status="failed", error=f"PDF: {outcome.error}", why="pdf")
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
    with writer.staged(zip_path, overwrite=overwrite) as staged:
        try:
            with zipfile.ZipFile(staged, "w", zipfile.ZIP_STORED) as archive:
                for member, path in files:
                    archive.write(path, member)
        except OSError as exc:
            raise BatchError(f"cannot write {zip_path}: {exc.strerror or exc}") from None


def run_with_pdfs(
    template: Template,
    records: Iterable[RecordLike],
    options: BatchOptions,
    *,
    stem: str,
    total: int | None,
    keep_docx: bool,
    timeout: float,
    soffice: Path,
    on_result: Callable[[RowResult], object] | None = None,
    on_file: Callable[[str], object] | None = None,
    on_filled: Callable[[RowResult], object] | None = None,
) -> BatchSummary:
    """Fill every row, then convert the documents with LibreOffice; bundle them when ``options.zip_path``.

    ``keep_docx`` False (``to="pdf"``) or a zip stages the documents in a
    private folder beside the output, removed after. ``on_result`` gets each
    row's final result in row order: a row that failed to fill at once, a
    converted (or failed) one after conversion. ``on_file`` gets each file
    written into the output folder (documents as written, PDFs as converted);
    ``on_filled`` every row as the filling pass finishes it (for progress).
    """
    zipped = options.zip_path is not None
    final_dir = options.zip_path.parent if options.zip_path is not None else options.out_dir
    try:
        final_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BatchError(f"cannot create {final_dir}: {exc.strerror or exc}") from None
    staging = (
        Path(tempfile.mkdtemp(prefix=writer.run_prefix(), dir=final_dir)) if zipped or not keep_docx else None
    )

    def filled(row: RowResult) -> None:
        if on_filled is not None:
            on_filled(row)
        if row.status != "ok":
            if on_result is not None:
                on_result(row)
        elif staging is None and row.file and on_file is not None:
            on_file(row.file)

    try:
        documents = dataclasses.replace(options, out_dir=staging or options.out_dir, zip_path=None)
        summary = run_rows(template, records, documents, stem=stem, total=total, on_result=filled)
        pdf_dir = staging if zipped and staging is not None else final_dir

        def converted(row: RowResult) -> None:
            if row.status == "ok" and not zipped and on_file is not None:
                on_file(str(pdf_path(row, pdf_dir)))
            if on_result is not None:
                on_result(row)

        results = convert_rows(
            summary.results,
            pdf_dir,
            keep_docx=keep_docx,
            overwrite=options.overwrite,
            jobs=options.jobs,
            timeout=timeout,
            soffice=soffice,
            on_row=converted,
        )
        pairs = zip(summary.results, results, strict=True)
        written = sum(1 for before, after in pairs if before.status == after.status == "ok")
        outputs: list[str] = []
        if options.zip_path is not None:
            members: list[tuple[str, Path]] = []
            for row in results:
                if row.status == "ok" and row.file:
                    document = Path(row.file)
                    if keep_docx:
                        members.append((document.name, document))
                    pdf_file = pdf_path(row, pdf_dir)
                    members.append((pdf_file.name, pdf_file))
            bundle(options.zip_path, members, overwrite=options.overwrite)
            outputs.append(str(options.zip_path))
        else:
            for row in results:
                if row.status == "ok" and row.file:
                    if keep_docx:
                        outputs.append(row.file)
                    outputs.append(str(pdf_path(row, pdf_dir)))
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
    kind = f"{template.extension.lstrip('.')}+pdf" if keep_docx else "pdf"
    return dataclasses.replace(
        summary,
        results=tuple(results),
        failed=sum(1 for row in results if row.status == "failed"),
        ok=written,
        written=written,
        outputs=tuple(outputs),
        zip_path=options.zip_path,
        output_kind=kind + ("+zip" if zipped else ""),
        destination=str(options.zip_path or options.out_dir),
    )


def one_pdf(document: bytes, extension: str, stem: str, *, timeout: float, soffice: Path) -> bytes:
    """The PDF of one filled document, made in a private folder. Raises ConversionError."""
    with tempfile.TemporaryDirectory(prefix=writer.TEMP_PREFIX) as folder:
        source = Path(folder) / f"{safe_name(stem)}{extension}"
        source.write_bytes(document)
        (result,) = convert_to_pdf([source], folder, timeout=timeout, soffice=soffice)
        if result.pdf is None:
            raise ConversionError(f"{stem}: no PDF: {result.error}")
        return result.pdf.read_bytes()
