"""``mytypist fill``: one document, or one per row, as .docx, PDF or a zip.

Parses options, reads the data once to check it before anything is written,
then hands the rows to the batch layer (and to LibreOffice for PDFs).
Paths written go to stdout; messages, progress and the summary to stderr.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from mytypist_cli.cli import output as show
from mytypist_cli.cli.common import DelimitersOption, LocaleOption, _open_template, errors_to_exit
from mytypist_cli.engine.pictures import DEFAULT_MAX_IMAGE_BYTES
from mytypist_cli.engine.template import Filled, Template
from mytypist_cli.errors import DataError, MytypistError
from mytypist_cli.library.resolve import OpenedTemplate

app = typer.Typer()


def _parse_sets(pairs: list[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"expected key=value, not {pair!r}", param_hint="--set")
        values[key.strip()] = value
    return values


@app.command()
@errors_to_exit
def fill(
    template: Annotated[
        str,
        typer.Argument(
            help="The template: a .docx, .docm, .dotx or .dotm path, or a library NAME[@VERSION]."
        ),
    ],
    data: Annotated[
        str | None,
        typer.Argument(help="JSON, NDJSON, CSV or .xlsx data; - for standard input.", show_default=False),
    ] = None,
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="Write one document here; - for standard output.")
    ] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out-dir", help="Write one document per row into this folder.")
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(
            "--name",
            help='File-name pattern with placeholders, e.g. "<<last_name>>-<<first_name>>.docx".',
            show_default="<template>-0001.docx",
        ),
    ] = None,
    sets: Annotated[
        list[str] | None, typer.Option("--set", help="key=value to add or override (repeatable).")
    ] = None,
    missing: Annotated[
        str, typer.Option("--missing", help="What a name without a value does: error, blank or keep.")
    ] = "error",
    delimiters: DelimitersOption = None,
    locale: LocaleOption = None,
    allow_macros: Annotated[
        bool, typer.Option("--allow-macros", help="Allow a macro-enabled template (makes .docm files).")
    ] = False,
    zip_path: Annotated[Path | None, typer.Option("--zip", help="Write one .zip archive instead.")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace existing files.")] = False,
    skip_existing: Annotated[
        bool, typer.Option("--skip-existing", help="Skip rows whose file exists (to resume).")
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check every row; write nothing.")] = False,
    limit: Annotated[int | None, typer.Option("--limit", min=0, help="Fill at most N rows.")] = None,
    start_at: Annotated[int, typer.Option("--start-at", min=1, help="Start at data row N.")] = 1,
    jobs: Annotated[
        int | None,
        typer.Option("--jobs", "-j", min=1, help="Parallel processes.", show_default="the number of CPUs"),
    ] = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write a per-row report (.json or .csv).")
    ] = None,
    encoding: Annotated[
        str | None, typer.Option("--encoding", help="Text encoding of CSV data.", show_default="utf-8")
    ] = None,
    sheet: Annotated[str | None, typer.Option("--sheet", help="Excel sheet to read.")] = None,
    max_image_mb: Annotated[
        float,
        typer.Option(
            "--max-image-mb",
            envvar="MYTYPIST_MAX_IMAGE_MB",
            min=0.0001,
            help="Refuse pictures larger than this many megabytes.",
        ),
    ] = DEFAULT_MAX_IMAGE_BYTES / 1024 / 1024,
    pdf: Annotated[
        bool, typer.Option("--pdf", help="Also write a PDF beside each document (needs LibreOffice).")
    ] = False,
    to: Annotated[
        str, typer.Option("--to", help="docx, or pdf to keep only the PDFs (needs LibreOffice).")
    ] = "docx",
    pdf_timeout: Annotated[
        float,
        typer.Option(
            "--pdf-timeout",
            envvar="MYTYPIST_PDF_TIMEOUT",
            min=1,
            help="Seconds one document may take in LibreOffice before it is stopped and its row fails.",
        ),
    ] = 120.0,
    group_by: Annotated[
        str | None,
        typer.Option(
            "--group-by",
            help="One document per distinct value of this column; its rows become the list <<#rows>>.",
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No summary line.")] = False,
) -> None:
    """Fill a template with data: one document, or one per row.

    Examples:

      mytypist fill offer-letter.docx staff.csv --out-dir letters/

      mytypist fill offer-letter.docx --set full_name="Ada Obi" -o ada.docx
    """
    from mytypist_cli.data.grouping import group_records
    from mytypist_cli.fill.batch import BatchOptions, write_report

    if missing not in ("error", "blank", "keep"):
        raise typer.BadParameter("choose error, blank or keep", param_hint="--missing")
    if output is not None and (out_dir is not None or zip_path is not None):
        raise typer.BadParameter("-o writes one file; it cannot be combined with --out-dir or --zip")
    if to not in ("docx", "pdf"):
        raise typer.BadParameter("choose docx or pdf", param_hint="--to")
    overrides = _parse_sets(sets or [])
    if data is None and not overrides:
        raise typer.BadParameter("give a DATA file (or -), or values with --set", param_hint="DATA")

    opened = _open_template(template, delimiters, locale)
    compiled = opened.template
    soffice, converter_missing = _converter(pdf or to == "pdf", needed=to == "pdf" and not dry_run)
    # Relative picture paths in the data are read from the data file's folder.
    image_dir = Path(data).resolve().parent if data not in (None, "-") else Path.cwd()
    max_image_bytes = round(max_image_mb * 1024 * 1024)
    started_utc, started = _now_utc(), time.perf_counter()
    with _data_input(data, encoding, sheet) as source:
        if source is not None and source.columns is not None:
            _check_columns(compiled, source.columns, overrides, missing, source.path)
        if group_by is not None:
            if source is None:
                raise typer.BadParameter("--group-by needs a DATA file", param_hint="--group-by")
            source = _Grouped(group_records(source, group_by, path=source.path), source)
        # A first pass reads every row before anything is written: a malformed line
        # fails the run with nothing half-done, and the count sizes file names and progress.
        total = 1 if source is None else sum(1 for _ in source)
        records = _with_overrides(source, overrides)
        if output is not None:
            pictures = {"image_dir": image_dir, "max_image_bytes": max_image_bytes}
            conversion = _Conversion(soffice, to, pdf_timeout) if soffice is not None else None
            filled = _fill_one(
                compiled, records, total, output, missing, allow_macros, quiet, pictures, conversion
            )
            _record_usage(
                opened,
                started_utc,
                time.perf_counter() - started,
                rows=1,
                documents=1,
                failures=0,
                kind=_output_kind(filled.extension, soffice is not None, to, zipped=False),
                missing=dict.fromkeys(filled.missing, 1),
                blank=dict.fromkeys(filled.blank, 1),
            )
            _converter_missing_exit(converter_missing)
            return
        options = BatchOptions(
            out_dir=out_dir if out_dir is not None else Path.cwd(),
            name_pattern=name,
            zip_path=zip_path,
            overwrite=overwrite,
            skip_existing=skip_existing,
            dry_run=dry_run,
            limit=limit,
            start_at=start_at,
            jobs=jobs or os.cpu_count() or 1,
            missing=missing,  # type: ignore[arg-type]
            allow_macros=allow_macros,
            locale=compiled.locale,
            image_dir=image_dir,
            max_image_bytes=max_image_bytes,
        )
        if soffice is not None and not dry_run:
            summary = _run_batch_with_pdf(
                opened, compiled, records, total, options, quiet, _Conversion(soffice, to, pdf_timeout)
            )
        else:
            summary = _run_batch(opened.data, opened.stem, compiled, records, total, options, quiet)
    if report is not None:
        write_report(summary.results, report)
    if not dry_run:
        _record_usage(
            opened,
            started_utc,
            time.perf_counter() - started,
            rows=summary.rows,
            documents=summary.written,
            failures=summary.failed,
            kind=_output_kind(compiled.extension, soffice is not None, to, zipped=zip_path is not None),
            missing=summary.missing,
            blank=summary.blank,
        )
    _converter_missing_exit(converter_missing)
    if summary.failed:
        first = next(r.row for r in summary.results if r.status == "failed")
        show.note(f"hint: fix the data, then resume with --start-at {first} --skip-existing")
        raise typer.Exit(1)


def _now_utc() -> Any:
    import datetime as dt

    return dt.datetime.now(dt.UTC)


def _record_usage(
    opened: OpenedTemplate,
    started_utc: Any,
    seconds: float,
    *,
    rows: int,
    documents: int,
    failures: int,
    kind: str,
    missing: dict[str, int],
    blank: dict[str, int],
) -> None:
    """Append the run to the usage journal (never the values); a journal problem is only a warning."""
    import hashlib

    from mytypist_cli.usage import journal as usage

    try:
        usage.record_run(
            started=started_utc,
            duration_ms=round(seconds * 1000),
            rows=rows,
            documents=documents,
            failures=failures,
            output_kind=kind,
            template_name=opened.library_name,
            template_version=opened.library_version,
            template_path=None if opened.library_name else str(Path(opened.label).resolve()),
            template_sha256=hashlib.sha256(opened.data).hexdigest(),
            missing=missing,
            blank=blank,
        )
    except MytypistError as exc:
        show.warning(f"usage was not recorded: {exc}")


class _Grouped:
    """Grouped records with the columns and name of the data they came from."""

    def __init__(self, records: list[Any], source: Any) -> None:
        self._records = records
        self.columns = source.columns
        self.path = source.path

    def __iter__(self) -> Iterator[Any]:
        return iter(self._records)


@dataclass(frozen=True)
class _Conversion:
    """What turning documents into PDFs needs: LibreOffice, whether to keep the .docx, a timeout."""

    soffice: Path
    to: str
    timeout: float

    @property
    def keep_docx(self) -> bool:
        return self.to == "docx"


def _converter(wanted: bool, *, needed: bool) -> tuple[Path | None, MytypistError | None]:
    """LibreOffice, looked for before anything is written.

    Missing when only --pdf asked for it: the documents are still written and
    the run ends with status 1; missing for --to pdf: an error now.
    """
    if not wanted:
        return None, None
    from mytypist_cli.pdf.convert import ConverterMissingError, find_soffice

    try:
        return find_soffice(), None
    except ConverterMissingError as exc:
        if needed:
            raise
        show.error(f"{exc}; the .docx files are written, without PDFs")
        return None, exc


def _converter_missing_exit(problem: MytypistError | None) -> None:
    if problem is not None:
        raise typer.Exit(1)


def _output_kind(extension: str, converted: bool, to: str, *, zipped: bool) -> str:
    """The output kind usage analytics count: docx, docm, pdf, docx+pdf, each with +zip when bundled."""
    kind = extension.lstrip(".")
    if converted:
        kind = "pdf" if to == "pdf" else f"{kind}+pdf"
    return f"{kind}+zip" if zipped else kind


def _run_batch_with_pdf(
    opened: OpenedTemplate,
    compiled: Template,
    records: Iterator[Any],
    total: int,
    options: Any,
    quiet: bool,
    conversion: _Conversion,
) -> Any:
    """Fill, then convert with LibreOffice; --to pdf and --zip stage the documents in a private folder."""
    from mytypist_cli.fill.pdfs import bundle, convert_rows, pdf_path

    zipped = options.zip_path is not None
    final_dir = options.zip_path.parent if zipped else options.out_dir
    final_dir.mkdir(parents=True, exist_ok=True)
    staging = (
        Path(tempfile.mkdtemp(prefix=".mytypist-", dir=final_dir))
        if zipped or not conversion.keep_docx
        else None
    )
    try:
        documents = dataclasses.replace(options, out_dir=staging or options.out_dir, zip_path=None)
        summary = _run_batch(
            opened.data,
            opened.stem,
            compiled,
            records,
            total,
            documents,
            quiet=True,
            print_paths=conversion.keep_docx and not zipped,
        )
        pdf_dir = staging if zipped and staging is not None else final_dir
        started = time.perf_counter()

        def on_row(row: Any) -> None:
            if row.status == "failed":
                show.note(f"row {row.row}: {row.error}")
            elif not zipped:
                show.print_lines([str(pdf_path(row, pdf_dir))])

        results = convert_rows(
            summary.results,
            pdf_dir,
            keep_docx=conversion.keep_docx,
            overwrite=options.overwrite,
            jobs=options.jobs,
            timeout=conversion.timeout,
            soffice=conversion.soffice,
            on_row=on_row,
        )
        converted = sum(
            1
            for before, after in zip(summary.results, results, strict=True)
            if before.status == after.status == "ok"
        )
        if zipped:
            members: list[tuple[str, Path]] = []
            for row in results:
                if row.status == "ok" and row.file:
                    document = Path(row.file)
                    if conversion.keep_docx:
                        members.append((document.name, document))
                    pdf_file = pdf_path(row, pdf_dir)
                    members.append((pdf_file.name, pdf_file))
            bundle(options.zip_path, members, overwrite=options.overwrite)
        failed = sum(1 for row in results if row.status == "failed")
        summary = dataclasses.replace(
            summary, results=tuple(results), failed=failed, written=converted, ok=converted
        )
        if not quiet:
            where = options.zip_path if zipped else final_dir
            kind = "PDFs" if not conversion.keep_docx else "documents with their PDFs"
            tail = f" ({failed} failed)" if failed else ""
            seconds = time.perf_counter() - started
            show.note(f"wrote {converted} {kind} to {where} in {summary.elapsed + seconds:.2f} s{tail}")
        return summary
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)


def _run_batch(
    template_bytes: bytes,
    stem: str,
    compiled: Template,
    records: Iterator[Any],
    total: int,
    options: Any,
    quiet: bool,
    *,
    print_paths: bool = True,
) -> Any:
    """Fill every row, streaming paths to stdout and problems and progress to stderr."""
    from mytypist_cli.fill.batch import RowResult, fill_batch

    started = time.perf_counter()
    bar = show.progress(total) if show.stderr.is_terminal and not quiet else None
    task = bar.add_task("fill", total=total, rate="") if bar is not None else None

    def on_result(result: RowResult) -> None:
        if result.status == "failed":
            show.note(f"row {result.row}: {result.error}")
        elif (
            result.status == "ok"
            and result.file
            and print_paths
            and not options.dry_run
            and options.zip_path is None
        ):
            show.print_lines([result.file])
        if bar is not None and task is not None:
            if not bar.live.is_started:
                # Started only now: its refresh thread would make the batch's workers
                # start through a fork server instead of a plain, faster fork.
                bar.start()
            done = bar.tasks[0].completed + 1
            bar.update(task, advance=1, rate=f"{done / max(time.perf_counter() - started, 1e-9):,.0f} docs/s")

    try:
        summary = fill_batch(
            template_bytes,
            records,
            options,
            template_name=stem,
            delimiters=compiled.delimiters,
            total=total,
            on_result=on_result,
            compiled=compiled,
        )
    finally:
        if bar is not None:
            bar.stop()
    if not quiet:
        show.note(_summary_line(summary, options, time.perf_counter() - started))
    return summary


@contextlib.contextmanager
def _data_input(data: str | None, encoding: str | None, sheet: str | None) -> Iterator[Any]:
    """The data as a re-readable source; standard input is spooled to a temporary file first."""
    from mytypist_cli.data.records import open_records

    if data is None:
        yield None
        return
    if data != "-":
        yield open_records(Path(data), encoding=encoding, sheet=sheet, display_name=data)
        return
    with tempfile.TemporaryFile() as spool:
        shutil.copyfileobj(sys.stdin.buffer, spool)

        class _Rereadable:
            """Each pass reads the spooled copy from its start."""

            def __init__(self) -> None:
                spool.seek(0)
                self._first = open_records(spool, encoding=encoding, sheet=sheet, display_name="<stdin>")
                self.columns = self._first.columns
                self.path = self._first.path

            def __iter__(self) -> Iterator[Any]:
                spool.seek(0)
                source = open_records(spool, encoding=encoding, sheet=sheet, display_name="<stdin>")
                return iter(source)

        yield _Rereadable()


def _summary_line(summary: Any, options: Any, seconds: float) -> str:
    verb = "checked" if options.dry_run else "wrote"
    count = summary.ok if options.dry_run else summary.written
    where = options.zip_path or options.out_dir
    parts = [f"{verb} {count} document{'s' if count != 1 else ''}"]
    if not options.dry_run:
        parts.append(f"to {where}")
    parts.append(f"in {seconds:.2f} s")
    tail = []
    if summary.failed:
        tail.append(f"{summary.failed} failed")
    if summary.skipped:
        tail.append(f"{summary.skipped} skipped")
    return " ".join(parts) + (f" ({', '.join(tail)})" if tail else "")


def _check_columns(
    compiled: Template, columns: tuple[str, ...], overrides: dict[str, str], missing: str, path: str
) -> None:
    """Before any file is written: every name the data's columns lack, with the closest column."""
    from mytypist_cli.engine.syntax import normalise_name

    if missing != "error":
        return
    have = {normalise_name(c) for c in columns} | {normalise_name(k) for k in overrides}
    values = [p.name for p in compiled.placeholders if p.kind == "value"]
    absent = [n for n in values if n not in have and not _nested_column(n, have)]
    if not absent:
        return
    # Suggest only columns no placeholder uses: those are the likely misspellings.
    used = set(compiled.names)
    unused = [c for c in columns if normalise_name(c) not in used]
    folded = {_fold(c): c for c in unused}
    described = []
    for n in absent:
        similar = difflib.get_close_matches(n, unused, n=1, cutoff=0.6)
        close = folded.get(_fold(n)) or (similar[0] if similar else None)
        described.append(f"{n} (did you mean `{close}`?)" if close else n)
    raise DataError(
        f"{path}: no column for {', '.join(described)}; "
        "add the column, use --set, or --missing blank to leave them empty"
    )


def _fold(name: str) -> str:
    return "".join(ch for ch in name.casefold() if ch.isalnum())


def _nested_column(name: str, have: set[str]) -> bool:
    return "." in name and name.split(".", 1)[0] in have


def _with_overrides(source: Any, overrides: dict[str, str]) -> Iterator[Any]:
    from mytypist_cli.data.records import Record

    if source is None:
        yield Record(number=1, line=0, values=dict(overrides))
        return
    for record in source:
        if overrides:
            record = Record(record.number, record.line, {**record.values, **overrides})
        yield record


def _fill_one(
    compiled: Template,
    records: Iterator[Any],
    total: int,
    output: str,
    missing: str,
    allow_macros: bool,
    quiet: bool,
    pictures: dict[str, Any],
    conversion: _Conversion | None = None,
) -> Filled:
    if total > 1:
        raise typer.BadParameter(
            "the data has more than one row; use --out-dir DIR to write one document per row",
            param_hint="-o",
        )
    first = next(records, None)
    if first is None:
        raise DataError("the data has no rows")
    if output == "-" and sys.stdout.isatty():
        raise typer.BadParameter(
            "refusing to write a document to a terminal; redirect it or name a file", param_hint="-o"
        )
    filled = compiled.fill(
        first.values,
        missing=missing,  # type: ignore[arg-type]
        allow_macros=allow_macros,
        **pictures,
    )
    data = filled.data
    pdf_data = _one_pdf(filled, output, conversion) if conversion is not None else None
    if conversion is not None and not conversion.keep_docx:
        assert pdf_data is not None
        data = pdf_data
    if output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return filled
    target = Path(output)
    _write_atomically(target, data)
    if conversion is not None and conversion.keep_docx and pdf_data is not None:
        _write_atomically(target.with_suffix(".pdf"), pdf_data)
    if not quiet:
        show.note(
            f"wrote {target}"
            + (f" and {target.with_suffix('.pdf')}" if conversion and conversion.keep_docx else "")
        )
    return filled


def _one_pdf(filled: Filled, output: str, conversion: _Conversion) -> bytes:
    """The PDF of one filled document, made in a private folder."""
    from mytypist_cli.pdf.convert import ConversionError, convert_to_pdf

    stem = Path(output).stem if output != "-" else "document"
    with tempfile.TemporaryDirectory(prefix=".mytypist-") as folder:
        document = Path(folder) / f"{stem}{filled.extension}"
        document.write_bytes(filled.data)
        (result,) = convert_to_pdf([document], folder, timeout=conversion.timeout, soffice=conversion.soffice)
        if result.pdf is None:
            raise ConversionError(f"{output}: no PDF: {result.error}")
        return result.pdf.read_bytes()


def _write_atomically(target: Path, data: bytes) -> None:
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, target)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise MytypistError(f"{target}: cannot write ({exc.strerror})") from None
