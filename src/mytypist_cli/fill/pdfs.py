"""PDFs for a filled batch: convert what ``fill_batch`` wrote, and bundle a zip.

``fill --pdf`` keeps each .docx and adds a PDF beside it; ``fill --to pdf``
keeps only the PDFs (the documents are written to a private staging folder
first); ``--zip`` bundles whichever were asked for. A document LibreOffice
cannot convert fails its own row, never the batch.

The fast path: LibreOffice spends most of its time per document loading it,
so the written rows are rendered again as combined documents of up to
``COMBINED_RECORDS`` records each (``Template.combined``: every record on
pages of its own, a bookmark on its first paragraph), converted with the
bookmarks exported as named destinations, and each chunk's PDF is split back
into one PDF per record (``pdf.split``). Each chunk is rendered as LibreOffice
is about to need it: the first of each run before it starts, the others while
it converts the ones before (so its start-up and the rendering overlap). When
a core is left over (fewer jobs than cores), LibreOffice writes the chunk PDFs
uncompressed and the split compresses each piece on that core, so LibreOffice,
the part that takes the time, has less to do. A chunk LibreOffice cannot convert,
that times out, or whose PDF cannot be split exactly, falls back to converting
its records' own documents one by one, so only a bad record fails. A
template with fields that depend on the whole document (a table of contents,
``PAGEREF``, ``NUMPAGES`` with page numbers restarting in a later section:
``engine.combine.page_exact_problems``, the one check) is converted one
document at a time from the start, and the summary says so.

Imports neither typer nor rich; never prints.
"""

from __future__ import annotations

import dataclasses
import io
import math
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from mytypist_cli import writer
from mytypist_cli.engine.template import Template
from mytypist_cli.errors import BatchError, ConversionError, MytypistError, OutputError
from mytypist_cli.fill.batch import BatchOptions, RecordLike, Skipped, run_rows
from mytypist_cli.fill.naming import safe_name
from mytypist_cli.fill.results import BatchSummary, RowResult, Why
from mytypist_cli.pdf.convert import ConversionResult, convert_to_pdf

#: Records per combined document on the fast path: each extra document LibreOffice loads costs
#: about 0.15 s, so 50-100 keep most of the gain while a failed chunk still costs little.
COMBINED_RECORDS = 64
# Seconds a combined document may take beyond the per-document timeout, per record in it.
_SECONDS_PER_RECORD = 2.0


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
    on_progress: Callable[[], object] | None = None,
) -> list[RowResult]:
    """Convert every written row's document into ``pdf_dir``; return the rows with their PDF outcome.

    A row whose conversion fails (or whose PDF exists without ``overwrite``)
    becomes ``failed`` with the reason. With ``keep_docx`` False a converted
    row's ``file`` is its PDF. ``on_row`` is called for each converted or
    failed row, in row order; ``on_progress()`` once per document LibreOffice is done with.
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
            on_result=None if on_progress is None else _ticker(on_progress),
        )
    for (index, row), outcome in zip(todo, converted, strict=True):
        if outcome.pdf is None:
            final[index] = dataclasses.replace(row, status="failed", error=f"PDF: {outcome.error}", why="pdf")
        elif keep_docx:
            final[index] = row
        else:
            final[index] = dataclasses.replace(row, file=str(outcome.pdf))
    return _in_row_order(rows, final, on_row)


def convert_rows_combined(
    template: Template,
    results: Iterable[RowResult],
    values: Mapping[int, Mapping[str, Any]],
    options: BatchOptions,
    pdf_dir: Path,
    *,
    keep_docx: bool,
    timeout: float,
    soffice: Path | None,
    on_row: Callable[[RowResult], None] | None = None,
    on_progress: Callable[[int, int], object] | None = None,
) -> list[RowResult]:
    """``convert_rows`` through combined documents: the same PDFs, several times faster.

    ``values`` holds each row's values by row number (the rows are rendered
    again, ``COMBINED_RECORDS`` to a document, filled as ``options`` say).
    A row whose chunk cannot be converted or split exactly is converted from
    its own document, as ``convert_rows`` does. ``on_progress(done, total)``
    as records are converted, first with 0 done when there is any to convert.
    """
    rows = list(results)
    final: dict[int, RowResult] = {}
    todo: list[tuple[int, RowResult]] = []
    fallback: list[tuple[int, RowResult]] = []
    for index, row in enumerate(rows):
        if row.status != "ok" or row.file is None:
            final[index] = row
            continue
        target = pdf_path(row, pdf_dir)
        if target.exists() and not options.overwrite:
            final[index] = dataclasses.replace(
                row, status="failed", error=writer.exists_message(target), why="exists"
            )
        elif row.row in values:
            todo.append((index, row))
        else:
            fallback.append((index, row))
    total, done = len(todo) + len(fallback), 0

    def advance(count: int) -> None:
        nonlocal done
        done += count
        if on_progress is not None:
            on_progress(done, total)

    if total:
        advance(0)  # a whole chunk converts before its first record is done: show 0 of N until then

    if todo:
        # Chunks of equal size, as many for each LibreOffice instance (convert_to_pdf shares them out in
        # order): 200 records with jobs=2 are 4 chunks of 50, not 64, 64, 64 and 8 (128 records for one).
        per_job = math.ceil(len(todo) / (options.jobs * COMBINED_RECORDS))
        size = max(1, math.ceil(len(todo) / (options.jobs * per_job)))
        try:
            work = Path(tempfile.mkdtemp(prefix=writer.run_prefix("combined-"), dir=pdf_dir))
        except OSError as exc:
            raise BatchError(f"cannot write in {pdf_dir}: {exc.strerror or exc}") from None
        try:
            # Each chunk is rendered when LibreOffice is about to need it: the first of each run
            # before that run starts, the others while it converts (convert_to_pdf's ``make``).
            # convert_to_pdf names each source by its absolute path, so these are absolute too.
            planned = {
                (work / f"chunk-{number:05d}{template.extension}").absolute(): todo[start : start + size]
                for number, start in enumerate(range(0, len(todo), size), 1)
            }
            members: dict[Path, list[tuple[int, RowResult]]] = {}
            own_properties: set[int] = set()  # rows whose PDFs need titles of their own

            def make(source: Path) -> bool:
                """Write one chunk's combined document; False when none of its rows went in."""
                chunk = planned[source]
                document, kept, refused, own = _combined_document(template, chunk, values, options)
                fallback.extend(refused)  # each converted from its own document below
                if not kept:
                    return False
                try:
                    writer.write_bytes(source, document)
                except OutputError as exc:
                    # A full disk, say: converting each row alone would only fail the same way, later.
                    # With the documents kept, a row's document is there and only its PDF is not.
                    why: Why = "pdf" if keep_docx else "write"
                    for index, row in kept:
                        final[index] = dataclasses.replace(row, status="failed", error=f"PDF: {exc}", why=why)
                    advance(len(kept))
                    return False
                members[source] = kept
                own_properties.update(own)
                return True

            def arrived(outcome: ConversionResult) -> None:
                """Split a chunk's PDF and put its pieces in place while LibreOffice converts the next."""
                chunk = members.get(outcome.source)
                if chunk is None:
                    return  # nothing was made for it: its rows are in ``fallback`` already
                pieces = _split(outcome, len(chunk))
                if pieces is None:
                    fallback.extend(chunk)  # converted record by record below (and counted there)
                    return
                placed = 0
                for (index, row), piece in zip(chunk, pieces, strict=True):
                    if index in own_properties:
                        fallback.append((index, row))  # converted from its own document below
                        continue
                    final[index] = _place_piece(
                        row, piece, pdf_dir, keep_docx=keep_docx, overwrite=options.overwrite
                    )
                    placed += 1
                advance(placed)

            convert_to_pdf(
                list(planned),
                work / "pdf",
                jobs=options.jobs,
                timeout=timeout + _SECONDS_PER_RECORD * size,
                soffice=soffice,
                bookmarks=True,
                compress=not spare_core(options.jobs),
                on_result=arrived,
                make=make,
            )
        finally:
            shutil.rmtree(work, ignore_errors=True)
    if fallback:
        fallback.sort()
        alone = convert_rows(
            [row for _, row in fallback],
            pdf_dir,
            keep_docx=keep_docx,
            overwrite=options.overwrite,
            jobs=options.jobs,
            timeout=timeout,
            soffice=soffice,
            on_progress=lambda: advance(1),
        )
        for (index, _), row in zip(fallback, alone, strict=True):
            final[index] = row
    return _in_row_order(rows, final, on_row)


def spare_core(jobs: int) -> bool:
    """Whether ``jobs`` LibreOffice instances leave a core of this process's free for the split."""
    try:
        cores = len(os.sched_getaffinity(0))  # the cores this process may run on (a container's share)
    except AttributeError:  # macOS and Windows have no affinity call
        cores = os.cpu_count() or 1
    return jobs < cores


def _in_row_order(
    rows: list[RowResult], final: Mapping[int, RowResult], on_row: Callable[[RowResult], object] | None
) -> list[RowResult]:
    """The converted rows in row order, each written row also passed to ``on_row``."""
    ordered = [final[index] for index in range(len(rows))]
    if on_row is not None:
        for before, after in zip(rows, ordered, strict=True):
            if before.status == "ok" and before.file is not None:
                on_row(after)
    return ordered


def _combined_document(
    template: Template,
    chunk: list[tuple[int, RowResult]],
    values: Mapping[int, Mapping[str, Any]],
    options: BatchOptions,
) -> tuple[bytes, list[tuple[int, RowResult]], list[tuple[int, RowResult]], set[int]]:
    """One combined document of the chunk's rows: its bytes, the rows in it (in order), the rows refused.

    ``own``: the kept rows (by index) whose document properties differ from the first row's. Their
    pages are in the document, but its PDF carries the first row's title, so their own documents are
    converted instead.
    """
    kept: list[tuple[int, RowResult]] = []
    refused: list[tuple[int, RowResult]] = []
    buffer = io.BytesIO()
    try:
        with template.combined(
            buffer,
            missing=options.missing,
            allow_macros=options.allow_macros,
            image_dir=options.image_dir,
            max_image_bytes=options.max_image_bytes,
        ) as combined:
            for entry in chunk:
                try:
                    combined.add(values[entry[1].row])
                except MytypistError:
                    refused.append(entry)  # it filled alone: its own document is converted instead
                else:
                    kept.append(entry)
    except MytypistError:
        return b"", [], chunk, set()
    own = {kept[position][0] for position in combined.own_properties}
    return buffer.getvalue(), kept, refused, own


def _split(outcome: ConversionResult, count: int) -> list[bytes] | None:
    """The chunk's PDF as one PDF per record, or None when it has none or cannot be split exactly."""
    from mytypist_cli.pdf.split import split_records

    if outcome.pdf is None:
        return None
    try:
        return split_records(outcome.pdf, count)
    except ConversionError:
        return None


def _place_piece(
    row: RowResult, piece: bytes, pdf_dir: Path, *, keep_docx: bool, overwrite: bool
) -> RowResult:
    target = pdf_path(row, pdf_dir)
    try:
        writer.write_bytes(target, piece, overwrite=overwrite)
    except OutputError as exc:
        return dataclasses.replace(row, status="failed", error=f"PDF: {exc}", why="pdf")
    return row if keep_docx else dataclasses.replace(row, file=str(target))


def _ticker(tick: Callable[[], object]) -> Callable[[ConversionResult], None]:
    def each(_outcome: ConversionResult) -> None:
        tick()

    return each


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
    on_converted: Callable[[int, int], object] | None = None,
    combined_pdfs: bool = True,
) -> BatchSummary:
    """Fill every row, then convert the documents with LibreOffice; bundle them when ``options.zip_path``.

    ``keep_docx`` False (``to="pdf"``) or a zip stages the documents in a
    private folder beside the output, removed after. ``on_result`` gets each
    row's final result in row order: a row that failed to fill at once, a
    converted (or failed) one after conversion. ``on_file`` gets each file
    written into the output folder (documents as written, PDFs as converted);
    ``on_filled`` every row as the filling pass finishes it (for progress),
    ``on_converted(done, total)`` as documents are converted (first ``(0, total)``). ``combined_pdfs``
    (the default) converts through combined documents when the template allows
    (see ``convert_rows_combined``); False converts each document on its own.
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

    values: dict[int, Mapping[str, Any]] = {}
    warnings: list[str] = []
    try:
        documents = dataclasses.replace(options, out_dir=staging or options.out_dir, zip_path=None)
        remembered = _remembering(records, values) if combined_pdfs else records
        summary = run_rows(template, remembered, documents, stem=stem, total=total, on_result=filled)
        pdf_dir = staging if zipped and staging is not None else final_dir
        first = next((row.file for row in summary.results if row.status == "ok" and row.file), None)
        problems: tuple[str, ...] = ()
        if combined_pdfs and first is not None:
            from mytypist_cli.engine.combine import page_exact_problems

            problems = page_exact_problems(template if template.source else Path(first))
        if problems:
            why = "; ".join(problems)
            warnings.append(f"{why}: its PDFs are made one document at a time (slower) so they match")

        def converted(row: RowResult) -> None:
            if row.status == "ok" and not zipped and on_file is not None:
                on_file(str(pdf_path(row, pdf_dir)))
            if on_result is not None:
                on_result(row)

        if combined_pdfs and not problems:
            results = convert_rows_combined(
                template,
                summary.results,
                values,
                options,
                pdf_dir,
                keep_docx=keep_docx,
                timeout=timeout,
                soffice=soffice,
                on_row=converted,
                on_progress=on_converted,
            )
        else:
            count, done = sum(1 for row in summary.results if row.status == "ok" and row.file), 0

            def tick() -> None:
                nonlocal done
                done += 1
                if on_converted is not None:
                    on_converted(done, count)

            if count and on_converted is not None:
                on_converted(0, count)  # LibreOffice starts before the first document is done

            results = convert_rows(
                summary.results,
                pdf_dir,
                keep_docx=keep_docx,
                overwrite=options.overwrite,
                jobs=options.jobs,
                timeout=timeout,
                soffice=soffice,
                on_row=converted,
                on_progress=tick,
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
        warnings=summary.warnings + tuple(warnings),
    )


def _remembering(records: Iterable[RecordLike], values: dict[int, Mapping[str, Any]]) -> Iterator[RecordLike]:
    """The records unchanged; keeps each one's values by row number (combined chunks fill them again)."""
    for record in records:
        if not isinstance(record, Skipped):
            values[record.number] = record.values
        yield record


def one_pdf(document: bytes, extension: str, stem: str, *, timeout: float, soffice: Path) -> bytes:
    """The PDF of one filled document, made in a private folder. Raises ConversionError."""
    with tempfile.TemporaryDirectory(prefix=writer.TEMP_PREFIX) as folder:
        source = Path(folder) / f"{safe_name(stem)}{extension}"
        source.write_bytes(document)
        (result,) = convert_to_pdf([source], folder, timeout=timeout, soffice=soffice)
        if result.pdf is None:
            raise ConversionError(f"{stem}: no PDF: {result.error}")
        return result.pdf.read_bytes()
