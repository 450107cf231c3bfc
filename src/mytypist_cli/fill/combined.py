"""``fill --combine FILE``: every record of a batch in one document (.docx), or its PDF.

The records are filled in row order into one combined document
(``Template.combined``: each record on pages of its own, its page numbers
restarting at 1), streamed into a temporary file beside the target and put
in place by :mod:`mytypist_cli.writer` (an existing file only with
``overwrite``). A record that cannot be filled fails its own row and is left
out; the document holds the others and the run reports the failure. A PDF is
the combined document converted once, with each record's first paragraph
exported as a named destination, so every row learns its pages in it
(``RowResult.pages``, ``4-5``).

Imports neither typer nor rich; never prints.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, cast

from mytypist_cli import writer
from mytypist_cli.data.grouping import Group
from mytypist_cli.engine.template import Template
from mytypist_cli.errors import ConversionError, MissingFieldsError, MytypistError, OutputError
from mytypist_cli.fill.batch import BatchOptions, RecordLike, Skipped
from mytypist_cli.fill.hints import suggestions, used_names
from mytypist_cli.fill.results import BatchSummary, RowResult, one_line

# Seconds the one combined document may take in LibreOffice beyond the per-document timeout, per record.
_SECONDS_PER_RECORD = 2.0


class _Discard(io.RawIOBase):
    """A sink for a dry run: the combined document is made (every record checked), then dropped."""

    def writable(self) -> bool:
        return True

    def write(self, data: object) -> int:
        return len(memoryview(data))  # type: ignore[arg-type]


class _NothingToWrite(Exception):
    """No record could be filled: no file is written (raised inside the staged write to drop it)."""


def run_combined(
    template: Template,
    records: Iterable[RecordLike],
    options: BatchOptions,
    target: Path,
    *,
    pdf: bool,
    soffice: Path | None,
    timeout: float,
    on_progress: Callable[[int], object] | None = None,
    on_result: Callable[[RowResult], object] | None = None,
    on_file: Callable[[str], object] | None = None,
    on_converted: Callable[[int, int], object] | None = None,
) -> BatchSummary:
    """Fill every record (from ``options.start_at``, up to ``options.limit``) into the one file ``target``.

    ``pdf``: ``target`` is the combined document's PDF (LibreOffice is
    ``soffice``; the document may take ``timeout`` seconds, plus a little per
    record). ``on_progress(done)`` after each record, ``on_result`` once per
    row in row order (after the file is in place, so a row knows its pages),
    ``on_file`` once for ``target``; with ``pdf``, ``on_converted(0, records)``
    as LibreOffice starts on the document and ``(records, records)`` once its
    PDF is in place (one document: nothing to count in between). Raises
    OutputError when ``target`` may not be written, ConversionError when
    LibreOffice cannot convert the combined document; a record's own problem
    is its row's result.
    """
    started = time.perf_counter()
    results: list[RowResult] = []
    added: list[int] = []  # positions in results of the records in the document, in order
    written = False
    if options.dry_run:
        sink = cast(IO[bytes], _Discard())
        _fill_all(template, records, options, sink, results, added, on_progress)
    else:
        try:
            written = _write(
                template,
                records,
                options,
                target,
                pdf,
                soffice,
                timeout,
                results,
                added,
                on_progress,
                on_converted,
            )
        except _NothingToWrite:
            written = False
    ok_file = str(target)
    final = [dataclasses.replace(row, file=ok_file) if row.status == "ok" else row for row in results]
    if on_result is not None:
        for row in final:
            on_result(row)
    if written and on_file is not None:
        on_file(ok_file)
    kind = "pdf" if pdf else template.extension.lstrip(".")
    ok = sum(row.status == "ok" for row in final)
    errors: tuple[str, ...] = ()
    if not written and not options.dry_run and not any(row.status == "failed" for row in final):
        # Every row blank or skipped (or none at all): the file asked for is not there, so not a success.
        errors = (f"no record to put in {target}: it was not written",)
    return BatchSummary.of(
        tuple(final),
        errors=errors,
        written=ok if written else 0,
        elapsed=time.perf_counter() - started,
        outputs=(ok_file,) if written else (),
        dry_run=options.dry_run,
        output_kind=f"{kind}+combined",
        destination=ok_file if written else None,
        combined=target,
    )


def _write(
    template: Template,
    records: Iterable[RecordLike],
    options: BatchOptions,
    target: Path,
    pdf: bool,
    soffice: Path | None,
    timeout: float,
    results: list[RowResult],
    added: list[int],
    on_progress: Callable[[int], object] | None,
    on_converted: Callable[[int, int], object] | None = None,
) -> bool:
    """Write the combined document (or its PDF) to ``target``; _NothingToWrite when no record filled."""
    inputs = options.inputs
    if not pdf:
        with (
            writer.staged(target, overwrite=options.overwrite, inputs=inputs) as staged,
            _opened(staged, target) as stream,
        ):
            _fill_all(template, records, options, stream, results, added, on_progress)
        return True
    from mytypist_cli.pdf.convert import convert_to_pdf
    from mytypist_cli.pdf.split import describe_pages, page_ranges

    writer.check_target(target, overwrite=options.overwrite, inputs=inputs)
    try:
        # Absolute: LibreOffice runs in another folder and names its results by absolute paths.
        folder = Path(
            tempfile.mkdtemp(prefix=writer.run_prefix("combine-"), dir=target.parent or None)
        ).resolve()
    except OSError as exc:
        raise OutputError(f"cannot write in {target.parent}: {exc.strerror or exc}") from None
    try:
        document = folder / f"{target.stem}{template.extension}"
        with writer.open_output(document, "wb") as stream:
            _fill_all(template, records, options, stream, results, added, on_progress)
        if on_converted is not None and added:
            on_converted(0, len(added))
        (outcome,) = convert_to_pdf(
            [document],
            folder / "pdf",
            timeout=timeout + _SECONDS_PER_RECORD * len(added),
            soffice=soffice,
            bookmarks=True,
        )
        if outcome.pdf is None:
            raise ConversionError(
                f"{target}: LibreOffice could not convert the combined document: {outcome.error}"
            )
        for position, page_range in zip(added, page_ranges(outcome.pdf, len(added)), strict=True):
            results[position] = dataclasses.replace(results[position], pages=describe_pages(page_range))
        writer.check_target(target, overwrite=options.overwrite, inputs=inputs)
        writer.commit(outcome.pdf, target, overwrite=options.overwrite)
        if on_converted is not None:
            on_converted(len(added), len(added))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return True


@contextlib.contextmanager
def _opened(staged: Path, target: Path) -> Iterator[IO[bytes]]:
    """The staged temporary file, open for writing (a full disk is an OutputError naming ``target``)."""
    try:
        with staged.open("wb") as stream:
            yield stream
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from None


def _fill_all(
    template: Template,
    records: Iterable[RecordLike],
    options: BatchOptions,
    out: IO[bytes],
    results: list[RowResult],
    added: list[int],
    on_progress: Callable[[int], object] | None,
) -> None:
    """Add every record to one combined document written to ``out``; one RowResult per row to ``results``.

    Raises _NothingToWrite, inside the document's ``with`` so that it is discarded, when no record filled.
    """
    with template.combined(
        out,
        missing=options.missing,
        allow_macros=options.allow_macros,
        image_dir=options.image_dir,
        max_image_bytes=options.max_image_bytes,
    ) as combined:
        _add_records(combined, template, records, options, results, added, on_progress)
        if not added:
            raise _NothingToWrite


def _add_records(
    combined: object,
    template: Template,
    records: Iterable[RecordLike],
    options: BatchOptions,
    results: list[RowResult],
    added: list[int],
    on_progress: Callable[[int], object] | None,
) -> None:
    """Each record from ``start_at`` up to ``limit`` into ``combined``, its RowResult into ``results``."""
    used = used_names(template)
    handled = 0
    if options.limit == 0:
        return
    for record in records:
        if record.number < options.start_at:
            continue
        if isinstance(record, Skipped):
            results.append(RowResult(record.number, None, "skipped", record.reason, why="blank"))
            continue
        key = record.key if isinstance(record, Group) else None
        problem = record.problem if isinstance(record, Group) else None
        if problem is not None:
            results.append(RowResult(record.number, None, "failed", problem, key=key))
        else:
            results.append(_add(combined, record, key, used))
            if results[-1].status == "ok":
                added.append(len(results) - 1)
        handled += 1
        if on_progress is not None:
            on_progress(handled)
        if options.limit is not None and handled >= options.limit:
            return


def _add(combined: object, record: RecordLike, key: str | None, used: frozenset[str]) -> RowResult:
    """One record into the combined document: ok, or failed with its own fill error (it is left out)."""
    values = dict(record.values)
    try:
        filled = combined.add(values)  # type: ignore[attr-defined]
    except MissingFieldsError as exc:
        hinted = MissingFieldsError(exc.names, suggestions(exc.names, values, used))
        return RowResult(record.number, None, "failed", one_line(hinted), exc.names, key=key)
    except MytypistError as exc:
        return RowResult(record.number, None, "failed", one_line(exc), key=key)
    except Exception as exc:
        # As for a row of its own: an unexpected error (a bug, a library's) fails the record, never the batch.
        return RowResult(
            record.number,
            None,
            "failed",
            f"cannot fill this row ({type(exc).__name__}: {one_line(exc)})",
            key=key,
        )
    del filled
    return RowResult(record.number, None, "ok", key=key)
