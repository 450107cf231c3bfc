"""``fill_batch``: everything ``mytypist fill`` does, as one library call.

The order of a fill, and why:

1. Settings are checked against each other (``OptionsError``) and the
   template is opened (a ``Template``, bytes, a path or a library name).
2. LibreOffice is looked for when PDFs are wanted, before anything is written.
3. Every output path is checked (an existing file without ``overwrite``, a
   folder or device where a file goes, an output that is an input).
4. The data is opened readable twice (``data.sources``); its columns are
   checked against what the template needs (``Template.missing_from``), and a
   first pass reads every row, so a malformed line or a missing column fails
   the run with nothing written and the row count sizes names and progress.
   A row that gives no name the template uses a value (a note under a table)
   is no document: it is reported as skipped. ``group_by`` groups the rows
   (``data.grouping``) after that.
5. Rows are filled (``fill.batch``), converted (``fill.pdfs``), reported
   (``fill.report``) and, when asked, recorded in the usage journal.

Never prints or exits; imports neither typer nor rich. Raises
``MytypistError`` subclasses for whole-run problems; a row's problem is its
``RowResult``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import hashlib
import heapq
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any, Literal

from mytypist_cli import storage, writer
from mytypist_cli.data.grouping import ROWS, Group, group_records
from mytypist_cli.data.records import Record
from mytypist_cli.data.sources import DataInput, open_data
from mytypist_cli.engine.describe import describe
from mytypist_cli.engine.pictures import DEFAULT_MAX_IMAGE_BYTES
from mytypist_cli.engine.syntax import normalise_name
from mytypist_cli.engine.template import Filled, Missing, Template, group_values
from mytypist_cli.errors import (
    ConverterMissingError,
    DataError,
    MissingFieldsError,
    MytypistError,
    OptionsError,
    OutputError,
    OutputExistsError,
    TemplateError,
)
from mytypist_cli.fill.batch import BatchOptions, Skipped, run_rows
from mytypist_cli.fill.hints import did_you_mean, has_value, suggestions, used_names
from mytypist_cli.fill.report import check_report_path, write_report
from mytypist_cli.fill.results import BatchSummary, RowResult
from mytypist_cli.library.resolve import OpenedTemplate, TemplateSource, open_template

OutputFormat = Literal["docx", "pdf"]
_DOCUMENT_SUFFIXES = (".docx", ".docm", ".dotx", ".dotm")
#: Seconds one document may take in LibreOffice before it is stopped and its row fails.
DEFAULT_PDF_TIMEOUT = 120.0


@dataclasses.dataclass(frozen=True)
class _Plan:
    """The settings of one fill, checked; what the stages below share."""

    opened: OpenedTemplate
    sets: dict[str, Any]
    output: Path | str | IO[bytes] | None  # a str is an fsspec URL (s3://...)
    pdf: bool
    to: OutputFormat
    pdf_timeout: float
    soffice: Path | None
    report: Path | str | None
    inputs: tuple[Path, ...]
    batch: BatchOptions
    combine: Path | None = None  # every record into this one file (.docx or .pdf)
    zip_url: str | None = None  # --zip to a URL: made in a private local file, then put whole


def fill_batch(
    template: TemplateSource,
    data: DataInput | None = None,
    *,
    sets: Mapping[str, Any] | None = None,
    output: str | os.PathLike[str] | IO[bytes] | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    name: str | None = None,
    zip_path: str | os.PathLike[str] | None = None,
    combine: str | os.PathLike[str] | None = None,
    to: OutputFormat = "docx",
    pdf: bool = False,
    pdf_timeout: float = DEFAULT_PDF_TIMEOUT,
    soffice: str | os.PathLike[str] | None = None,
    report: str | os.PathLike[str] | None = None,
    overwrite: bool = False,
    skip_existing: bool = False,
    start_at: int = 1,
    limit: int | None = None,
    jobs: int | None = None,
    dry_run: bool = False,
    missing: Missing = "error",
    allow_macros: bool = False,
    delimiters: str | None = None,
    locale: str | None = None,
    syntax: str | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    group_by: str | None = None,
    list_name: str | None = None,
    image_dir: str | os.PathLike[str] | None = None,
    max_image_bytes: int = DEFAULT_MAX_IMAGE_BYTES,
    home: str | os.PathLike[str] | None = None,
    record_usage: bool | str | os.PathLike[str] = False,
    on_progress: Callable[[int, int], object] | None = None,
    on_result: Callable[[RowResult], object] | None = None,
    on_file: Callable[[str], object] | None = None,
    on_converted: Callable[[int, int], object] | None = None,
    shard: tuple[int, int] | None = None,
    cluster: object | None = None,
) -> BatchSummary:
    """Fill ``template`` with ``data``: one document (``output``) or one per row, as ``mytypist fill`` does.

    ``template``: a ``Template``, bytes, a path, or a library ``NAME[@VERSION]``
    (looked up in the library in ``home``); ``delimiters`` and ``locale`` apply
    when it is opened here and win over a library template's own, as does ``syntax``
    (``Template.open``'s: auto, mytypist, mergefield or jinja). ``data``: a
    path (JSON, NDJSON, CSV or .xlsx; ``encoding`` and ``sheet`` as for
    ``open_records``), a binary stream, or an iterable of mappings; None to fill
    one document from ``sets`` alone. ``sets`` add or override values in every row.

    Where: ``output`` writes one document (a path, or a writable binary
    stream); otherwise one per row into ``out_dir`` (default: the current
    folder) named by ``name`` (a pattern with placeholders; default
    ``<template>-0001.docx``), or into the archive ``zip_path``. ``to="pdf"``
    keeps only PDFs, ``pdf=True`` adds a PDF beside each document (LibreOffice:
    found on PATH or ``MYTYPIST_SOFFICE``, or given as ``soffice``). An
    ``output`` or a ``name`` ending in ``.pdf`` makes PDFs as ``to="pdf"``
    does (with ``pdf=True``: the document beside it, named ``.docx``).
    ``combine`` writes every record into one file instead: a .docx (the
    template's extension), or a .pdf (each row's ``pages`` then says where
    it is); a record that cannot be filled fails its row and is left out.
    ``report``: a .json or .csv file listing every row. ``output``, ``out_dir``,
    ``zip_path`` and ``report`` may be fsspec URLs (``s3://bucket/letters/``,
    ``memory://``; needs the ``[cluster]`` extra), written with one put per
    file and the same no-clobber rule. Nothing is replaced
    unless ``overwrite``; ``skip_existing`` skips rows whose file exists;
    an output that is the template or the data file is refused always.

    Which rows: ``start_at`` (a data row number, from 1), ``limit``; a row
    with no value for any name the template uses is skipped (not counted by
    ``limit``). ``group_by`` makes one record per distinct value of that
    column, its rows the list ``list_name`` (default ``rows``); a row with a
    blank key continues the group above it. How: ``jobs`` worker processes (default: the number of
    CPUs; small batches run inline), ``dry_run`` checks every row and writes
    nothing, ``missing`` (``error``, ``blank`` or ``keep``) decides what a name
    without a value does, ``allow_macros`` permits a .docm/.dotm template,
    pictures are read relative to ``image_dir`` (default: the data file's
    folder, else the current one) up to ``max_image_bytes`` each.
    ``shard=(k, n)`` fills only the k-th of n consecutive shares of the
    documents, named as a single run names them (so the n reports together
    are the single run's report). ``cluster`` (a ``distributed.Client`` or a
    scheduler address such as ``tcp://host:8786``) renders, converts and
    writes on the cluster's workers (``fill.cluster``); names, checks and
    results stay here, in row order.

    ``record_usage``: True appends the run to the usage journal in ``home``
    (the default home when None), a path names the journal; False (the
    default) records nothing. ``on_progress(done, total)`` after each row is
    filled; ``on_result(row_result)`` once per row with its final result, in
    row order; ``on_file(path)`` for each file a batch writes into its folder;
    ``on_converted(done, total)`` as LibreOffice converts a batch's documents (or the combined one).

    Raises OptionsError for settings that contradict each other, TemplateError,
    NotFoundError or StoreError for the template, DataError for data that
    cannot be read or lacks columns, OutputError for an output that may not be
    written, ConverterMissingError when ``to="pdf"`` and LibreOffice is not
    installed, MissingFieldsError or RenderError when the one document of
    ``output`` cannot be filled. A row's problem in a batch is its RowResult.
    """
    started_utc, started = datetime.now(UTC), time.perf_counter()
    if data is None and not sets:
        raise OptionsError("give a DATA file (or -), or values with --set")
    if group_by is not None and data is None:
        raise OptionsError("--group-by needs a DATA file")
    if list_name is not None and group_by is None:
        raise OptionsError("--list-name names the list --group-by makes: give --group-by COLUMN too")
    opened = open_template(
        template,
        delimiters=delimiters,
        locale=locale,
        home=None if home is None else Path(home),
        syntax=syntax,
    )
    _refuse_nothing_to_fill(opened)
    data_file = _data_file(data)
    target, to = _output_format(_output_target(output), name, to, pdf, opened.template.extension)
    combined = None
    if combine is not None:
        combined, to = _combine_format(Path(combine), to, pdf, opened.template.extension)
        if output is not None or zip_path is not None or out_dir is not None or name is not None:
            raise OptionsError("--combine writes one file: it cannot go with -o, --out-dir, --zip or --name")
        if skip_existing:
            raise OptionsError("--skip-existing resumes a folder of files; --combine writes one file")
        if storage.is_url(os.fspath(combine)):
            raise OptionsError("--combine writes a file on this machine, not at a URL")
    if shard is not None and (output is not None or combine is not None):
        raise OptionsError("--shard splits a batch of files: it cannot go with -o or --combine")
    if cluster is not None and combine is not None:
        raise OptionsError(_CLUSTER_COMBINE)
    if cluster is not None and zip_path is not None:
        raise OptionsError(_CLUSTER_ZIP)
    if cluster is not None and output is not None:
        raise OptionsError("--cluster fills a batch of files (--out-dir); -o writes one document here")
    zip_url = os.fspath(zip_path) if isinstance(zip_path, str) and storage.is_url(zip_path) else None
    plan = _Plan(
        opened=opened,
        sets=dict(sets or {}),
        output=target,
        pdf=pdf,
        to=to,
        pdf_timeout=pdf_timeout,
        soffice=None,
        report=_path_or_url(report),
        combine=combined,
        zip_url=zip_url,
        inputs=tuple(path for path in (opened.path, data_file) if path is not None),
        batch=_batch_options(
            out_dir=out_dir,
            name=name,
            zip_path=zip_path,
            overwrite=overwrite,
            skip_existing=skip_existing,
            dry_run=dry_run,
            limit=limit,
            start_at=start_at,
            jobs=jobs,
            missing=missing,
            allow_macros=allow_macros,
            image_dir=image_dir,
            data_file=data_file,
            max_image_bytes=max_image_bytes,
            inputs=tuple(path for path in (opened.path, data_file) if path is not None),
            shard=shard,
        ),
    )
    _check_settings(plan, output, out_dir, zip_path)
    problems: list[str] = []
    plan = _find_converter(plan, soffice, problems, on_workers=cluster is not None)
    _check_outputs(plan)

    with _records(plan, data, encoding, sheet, group_by, list_name or ROWS) as rows:
        if shard is not None:
            plan = dataclasses.replace(plan, batch=dataclasses.replace(plan.batch, documents=rows.fillable))
        if plan.combine is not None:
            summary = _fill_combined(plan, rows, on_progress, on_result, on_file, on_converted)
        elif plan.output is not None:
            summary = _fill_one(plan, rows, on_progress, on_result)
        elif plan.zip_url is not None:
            summary = _fill_zip_url(plan, rows, on_progress, on_result, on_converted)
        else:
            summary = _fill_many(
                plan, rows.records, rows.total, on_progress, on_result, on_file, on_converted, cluster
            )
    if plan.report is not None:
        write_report(
            summary.results,
            plan.report,
            overwrite=overwrite,
            inputs=plan.inputs,
            pages=plan.combine is not None,
        )
    # What the template holds that looks like a placeholder but is not filled (a stray "<<", a
    # placeholder in a SmartArt diagram): said on every fill, so it is never passed over silently.
    warnings = [f"{opened.label}: {problem}" for problem in opened.template.warnings]
    if record_usage and not dry_run:
        journal = None if record_usage is True else Path(record_usage)
        problem = _record_usage(plan, summary, started_utc, time.perf_counter() - started, journal, home)
        if problem:
            warnings.append(problem)
    return dataclasses.replace(
        summary,
        elapsed=time.perf_counter() - started,
        errors=summary.errors + tuple(problems),
        warnings=summary.warnings + tuple(warnings),
    )


# --------------------------------------------------------------------------- settings


def _data_file(data: DataInput | None) -> Path | None:
    if isinstance(data, str | os.PathLike):
        return Path(data)
    return None


#: Why --combine and --zip are refused with --cluster (README, "Beyond one machine").
_CLUSTER_COMBINE = (
    "--combine makes one file from every record on one machine; on a cluster write one file per row "
    "with --out-dir (drop --cluster to combine here)"
)
_CLUSTER_ZIP = (
    "--zip builds one archive on this machine; with --cluster write the files with --out-dir "
    "(an object store holds many files well), or drop --cluster"
)


def _path_or_url(target: str | os.PathLike[str] | None) -> Path | str | None:
    """A local path as a Path; an fsspec URL kept as text (``Path("s3://b")`` would make it ``s3:/b``)."""
    if target is None:
        return None
    if isinstance(target, str) and storage.is_url(target):
        return target
    return Path(target)


def _with_suffix(target: Path | str, suffix: str) -> Path | str:
    """``target`` with its extension replaced by ``suffix``, for a Path or a URL."""
    if isinstance(target, Path):
        return target.with_suffix(suffix)
    old = storage.suffix(target)
    return (target[: -len(old)] if old else target) + suffix


def _output_target(output: str | os.PathLike[str] | IO[bytes] | None) -> Path | str | IO[bytes] | None:
    if output is None:
        return None
    if isinstance(output, str | os.PathLike):
        return _path_or_url(output)
    return output


def _output_format(
    output: Path | str | IO[bytes] | None, name: str | None, to: OutputFormat, pdf: bool, extension: str
) -> tuple[Path | str | IO[bytes] | None, OutputFormat]:
    """What an output's own name asks for: ``-o q.pdf`` or ``--name "<<x>>.pdf"`` is a PDF."""
    if isinstance(output, Path | str):
        suffix = storage.suffix(output).lower()
        if suffix == ".pdf" and pdf:
            return _with_suffix(output, extension), to  # the document, with its PDF beside it
        if suffix == ".pdf":
            return output, "pdf"
        if suffix in _DOCUMENT_SUFFIXES and to == "pdf":
            raise OptionsError(f"--to pdf writes a PDF, and -o {output} names a Word document: name a .pdf")
    if output is None and name is not None and name.strip().lower().endswith(".pdf") and not pdf:
        return output, "pdf"
    return output, to


def _combine_format(combine: Path, to: OutputFormat, pdf: bool, extension: str) -> tuple[Path, OutputFormat]:
    """What ``combine``'s name asks for: ``all.pdf`` a PDF, ``all.docx`` (the template's kind) a document."""
    suffix = combine.suffix.lower()
    if pdf:
        raise OptionsError("--combine writes one file: name it .pdf for a PDF instead of adding --pdf")
    if suffix == ".pdf":
        return combine, "pdf"
    if suffix == extension.lower() and to == "docx":
        return combine, "docx"
    if suffix == extension.lower():
        raise OptionsError(
            f"--to pdf writes a PDF, and --combine {combine} names a Word document: name a .pdf"
        )
    raise OptionsError(f"--combine names a {extension} or .pdf file, not {combine.name!r}")


def _batch_options(
    *,
    out_dir: str | os.PathLike[str] | None,
    name: str | None,
    zip_path: str | os.PathLike[str] | None,
    jobs: int | None,
    image_dir: str | os.PathLike[str] | None,
    data_file: Path | None,
    **settings: Any,
) -> BatchOptions:
    if image_dir is None:
        # Relative picture paths in the data are read from the data file's folder.
        image_dir = data_file.resolve().parent if data_file is not None else Path.cwd()
    out_url = zip_url = None
    if isinstance(out_dir, str) and storage.is_url(out_dir):
        out_url, out_dir = out_dir, None
    if isinstance(zip_path, str) and storage.is_url(zip_path):
        # A URL archive is built in a private local file first (fill_batch sets where) and put whole.
        zip_url, zip_path = zip_path, Path(zip_path.rstrip("/").rsplit("/", 1)[-1] or "archive.zip")
    try:
        return BatchOptions(
            out_dir=Path(out_dir) if out_dir is not None else Path.cwd(),
            out_url=None if zip_url is not None else out_url,
            name_pattern=name,
            zip_path=Path(zip_path) if zip_path is not None else None,
            jobs=jobs or os.cpu_count() or 1,
            image_dir=Path(image_dir),
            **settings,
        )
    except ValueError as exc:
        raise OptionsError(str(exc)) from None


def _check_settings(
    plan: _Plan,
    output: object,
    out_dir: object,
    zip_path: object,
) -> None:
    if plan.to not in ("docx", "pdf"):
        raise OptionsError(f"--to is docx or pdf, not {plan.to!r}")
    if output is not None and (out_dir is not None or zip_path is not None):
        raise OptionsError("-o writes one file; it cannot be combined with --out-dir or --zip")
    if plan.pdf and plan.to == "pdf":
        raise OptionsError("--pdf adds PDFs beside the documents and --to pdf keeps only PDFs: choose one")
    if plan.pdf and plan.output is not None and not isinstance(plan.output, Path | str):
        raise OptionsError("--pdf writes a PDF beside the document, and a stream has no beside: use --to pdf")
    if plan.report is not None:
        try:
            check_report_path(plan.report)
        except ValueError as exc:
            raise OptionsError(str(exc)) from None


def _find_converter(
    plan: _Plan, soffice: str | os.PathLike[str] | None, problems: list[str], *, on_workers: bool = False
) -> _Plan:
    """LibreOffice, looked for before anything is written.

    Missing when only ``pdf=True`` asked for it: the documents are still written
    and the summary carries the error; missing for ``to="pdf"``: an error now.
    ``on_workers``: cluster workers convert with their own LibreOffice, so this
    machine need not have one (a worker without it fails its rows saying so).
    """
    if not plan.pdf and plan.to != "pdf":
        return plan
    from mytypist_cli.pdf.convert import find_soffice

    if soffice is not None:
        return dataclasses.replace(plan, soffice=Path(soffice))
    if on_workers and not plan.batch.dry_run:
        return dataclasses.replace(plan, soffice=Path("soffice"))  # each worker finds its own
    try:
        return dataclasses.replace(plan, soffice=find_soffice())
    except ConverterMissingError as exc:
        if plan.to == "pdf" and not plan.batch.dry_run:
            raise
        problems.append(f"{exc}; the .docx files are written, without PDFs")
        return dataclasses.replace(plan, pdf=False)


def _check_outputs(plan: _Plan) -> None:
    """Refuse, before any work, every output that may not be written."""
    batch = plan.batch
    if plan.report is not None:
        storage.check_output(plan.report, overwrite=batch.overwrite, inputs=plan.inputs)
    if batch.dry_run:
        return
    if plan.combine is not None:
        writer.check_target(plan.combine, overwrite=batch.overwrite, inputs=plan.inputs)
        return
    if isinstance(plan.output, Path | str):
        for target in _single_targets(plan, plan.output):
            try:
                storage.check_output(target, overwrite=batch.overwrite, inputs=plan.inputs)
            except OutputExistsError:
                if not batch.skip_existing:
                    raise
    elif plan.output is None and plan.zip_url is not None:
        storage.check_output(plan.zip_url, overwrite=batch.overwrite)
    elif plan.output is None and batch.zip_path is not None:
        writer.check_target(batch.zip_path, overwrite=batch.overwrite, inputs=plan.inputs)
    elif plan.output is None and batch.out_url is not None:
        return  # the store is asked once, as the batch lists the folder
    elif plan.output is None:
        folder = batch.out_dir
        if folder.is_symlink() and not folder.exists():
            raise OutputError(f"{folder} is a link to {os.readlink(folder)}, which does not exist")
        if os.path.lexists(folder) and not folder.is_dir():
            raise OutputError(f"{folder} exists and is not a folder")
        if folder.is_dir():
            _check_writable(folder)


def _check_writable(folder: Path) -> None:
    """Refuse a folder no document could be written in, once, rather than once per row."""
    with contextlib.suppress(OSError, AttributeError):
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            raise OutputError(f"cannot write in {folder}: {os.strerror(errno.EROFS)}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write in {folder}: {os.strerror(errno.EACCES)}")


def _single_targets(plan: _Plan, output: Path | str) -> list[Path | str]:
    if plan.soffice is not None and plan.to == "pdf":
        return [output]
    if plan.soffice is not None and plan.pdf:
        return [output, _with_suffix(output, ".pdf")]
    return [output]


# --------------------------------------------------------------------------- data


_Item = Record | Group | Skipped


@dataclasses.dataclass(frozen=True)
class _Data:
    """The records of a fill, after the first pass.

    ``total``: every record (skipped blank rows too); ``fillable``: the
    documents they make from ``start_at`` on (before ``limit``); ``grouped``:
    the records are groups.
    """

    records: Iterator[_Item]
    total: int
    fillable: int
    grouped: bool


@contextlib.contextmanager
def _records(
    plan: _Plan,
    data: DataInput | None,
    encoding: str | None,
    sheet: str | None,
    group_by: str | None,
    list_name: str,
) -> Iterator[_Data]:
    """The records to fill, with the sets applied, after a first pass that checks and counts them."""
    template = plan.opened.template
    per = template.records_per_document
    if data is None:
        one = _by_document([Record(number=1, line=0, values=dict(plan.sets))], per)
        yield _Data(iter(one), 1, 1, grouped=False)
        return
    with contextlib.ExitStack() as stack:
        try:
            rows = stack.enter_context(open_data(data, encoding=encoding, sheet=sheet))
        except ValueError as exc:  # an unknown encoding
            raise OptionsError(str(exc)) from None
        if rows.columns is not None and group_by is not None:
            _check_group_column(rows.columns, group_by, list_name, rows.path)
        if rows.columns is not None and plan.batch.missing == "error":
            extra = (list_name,) if group_by is not None else ()
            _check_columns(
                template,
                (*rows.columns, *extra),
                plan.sets,
                rows.path,
                group_by=group_by,
                list_name=list_name,
                header_note=rows.header_note,
            )
        used = used_names(template)
        source: Callable[[], Iterator[_Item]]
        if group_by is not None:
            used |= {normalise_name(group_by)}
            outside = [name for name in template.names if name != list_name]
            grouped = _grouped(_mark_blank(rows, used, rows.path), group_by, rows.path, list_name, outside)
            source = grouped.__iter__
        else:

            def source() -> Iterator[_Item]:  # reads the data again for the second pass
                return _mark_blank(rows, used, rows.path)

        # The first pass: a malformed line fails the run here, with nothing written.
        total = fillable = 0
        for record in _by_document(source(), per):
            total += 1
            if not isinstance(record, Skipped) and record.number >= plan.batch.start_at:
                fillable += 1
        documents = _by_document(_with_sets(source(), plan.sets), per)
        yield _Data(documents, total, fillable, grouped=group_by is not None)


def _by_document(items: Iterable[_Item], per: int) -> Iterator[_Item]:
    """Records as documents: with Word NEXT fields, ``per`` consecutive records make one (labels).

    Each document is numbered from 1 (its default file name and report row);
    a short last sheet leaves the missing records' fields empty, as Word does.
    """
    if per == 1:
        yield from items
        return
    number = 0
    pending: list[Record] = []

    def document() -> Record:
        values = group_values([record.values for record in pending], pending[0].number, per)
        return Record(number=number, line=pending[0].line, values=values)

    for item in items:
        if not isinstance(item, Record):
            yield item  # skipped rows are reported as they are; groups fill one document each
            continue
        if not pending:
            number += 1
        pending.append(item)
        if len(pending) == per:
            yield document()
            pending = []
    if pending:
        yield document()


def _refuse_nothing_to_fill(opened: OpenedTemplate) -> None:
    """A template with no placeholder at all would come out unfilled for every row: refuse it.

    Most often it was written with other delimiters (``{{ name }}``), which the
    message names. Raises TemplateError.
    """
    template = opened.template
    if template.placeholders or template.syntax != "mytypist":
        return
    found = describe(template, opened.label).messages[-1]
    raise TemplateError(f"{found}; there is nothing to fill")


def _mark_blank(records: Iterable[Record], used: frozenset[str], path: str) -> Iterator[Record | Skipped]:
    """Each record, or a ``Skipped`` for one that gives no name the template uses a value."""
    known: dict[str, bool] = {}  # key -> whether the template uses it, normalised once per key
    for record in records:
        for key, value in record.values.items():
            hit = known.get(key)
            if hit is None:
                hit = known[key] = normalise_name(str(key)) in used
            if hit and has_value(value):
                yield record
                break
        else:
            reason = f"{path}:{record.line}: no value for any placeholder; skipped"
            yield Skipped(record.number, record.line, reason)


def _grouped(
    records: Iterable[Record | Skipped], key: str, path: str, list_name: str, outside: list[str]
) -> list[_Item]:
    """Groups and skipped blank rows in the order they start; a blank row counts as the group before it."""
    blanks: list[Skipped] = []
    kept: list[Record] = []
    for record in records:
        if isinstance(record, Skipped):
            blanks.append(record)
        else:
            kept.append(record)
    groups: list[_Item] = [*group_records(kept, key, path=path, list_name=list_name, outside=outside)]
    merged: list[_Item] = []
    number = 1
    for item in heapq.merge(groups, list[_Item](blanks), key=lambda item: item.line):
        if isinstance(item, Group):
            number = item.number
            merged.append(item)
        else:
            merged.append(dataclasses.replace(item, number=number))
    return merged


def _with_sets(records: Iterable[_Item], sets: dict[str, Any]) -> Iterator[_Item]:
    for record in records:
        if not sets or isinstance(record, Skipped):
            yield record
        else:
            yield dataclasses.replace(record, values={**record.values, **sets})


def _check_group_column(columns: tuple[str, ...], key: str, list_name: str, path: str) -> None:
    """The key column exists, and no column is called what the list will be."""
    have = {normalise_name(column) for column in columns}
    if normalise_name(key) not in have:
        close = did_you_mean(key, columns)
        hint = f" (did you mean `{close}`?)" if close else ""
        raise DataError(f"{path}: no column {key!r} to group by{hint}")
    if normalise_name(list_name) in have:
        raise DataError(
            f"{path}: --group-by makes the list {list_name}, and the data has a column of that name; "
            "name the list otherwise with --list-name"
        )


def _check_columns(
    template: Template,
    columns: tuple[str, ...],
    sets: Mapping[str, Any],
    path: str,
    *,
    group_by: str | None = None,
    list_name: str = ROWS,
    header_note: str | None = None,
) -> None:
    """Before any file is written: every name the data's columns lack, with the closest unused column.

    ``header_note`` (which row was read as the header, when in doubt) follows the names.
    """
    absent = template.missing_from((*columns, *sets))
    if not absent:
        return
    used = used_names(template)
    unused = [column for column in columns if normalise_name(column) not in used]
    lists = {placeholder.name for placeholder in template.placeholders if placeholder.kind == "list"}
    described = []
    guessed = set()
    for name in absent:
        close = did_you_mean(name, unused)
        text = f"the list {name}" if name in lists else name
        described.append(f"{text} (did you mean `{close}`?)" if close else text)
        if close:
            guessed.add(name)
    values = [name for name in absent if name not in lists]
    missing_lists = [name for name in absent if name in lists]
    ways = []
    if values or set(missing_lists) <= guessed:
        ways.append("add the column")
    if values:
        ways.append("use --set")
    if missing_lists and group_by is None and not set(missing_lists) <= guessed:
        named = "" if missing_lists[0] == ROWS else f" --list-name {missing_lists[0]}"
        ways.append(f"fill a list from flat rows with --group-by COLUMN{named}")
    elif missing_lists and group_by is not None:
        ways.append(f"name the list --group-by makes with --list-name {missing_lists[0]}")
    ways.append(f"or --missing blank to leave {'it' if len(absent) == 1 else 'them'} empty")
    note = f" ({header_note})" if header_note else ""
    raise DataError(f"{path}: no column for {', '.join(described)}{note}; {', '.join(ways)}")


# --------------------------------------------------------------------------- one document


def _fill_one(
    plan: _Plan,
    rows: _Data,
    on_progress: Callable[[int, int], object] | None,
    on_result: Callable[[RowResult], object] | None,
) -> BatchSummary:
    """The one document of ``output``: from the one record ``start_at`` and ``limit`` leave."""
    started = time.perf_counter()
    template, batch = plan.opened.template, plan.batch
    noun = "group" if rows.grouped else "row"
    count = rows.fillable if batch.limit is None else min(rows.fillable, batch.limit)
    if count > 1:
        since = f" from {noun} {batch.start_at} on" if batch.start_at > 1 else ""
        raise OptionsError(
            f"the data has {rows.fillable} {noun}s{since}; -o writes one document: "
            f"use --out-dir DIR to write one per {noun}, or --limit 1 for the first"
        )
    skipped: list[RowResult] = []
    record: Record | Group | None = None
    for item in rows.records:
        if item.number < batch.start_at:
            continue
        if isinstance(item, Skipped):
            skipped.append(RowResult(item.number, None, "skipped", item.reason, why="blank"))
        elif record is None and batch.limit != 0:
            record = item
            if batch.limit is not None:
                break
    if record is None:
        raise DataError(
            f"the data has no {noun} to fill"
            + (f" from {noun} {batch.start_at} on" if batch.start_at > 1 else "")
            + (f": {skipped[0].error}" if skipped else "")
        )
    key = record.key if isinstance(record, Group) else None
    if isinstance(record, Group) and record.problem is not None:
        raise DataError(f"{noun} {record.number} (key {key}): {record.problem}")
    target = plan.output
    shown = str(target) if isinstance(target, Path | str) else "-"
    if isinstance(target, Path | str) and batch.skip_existing and _exists(target):
        result = RowResult(record.number, shown, "skipped", f"{shown} exists", why="exists", key=key)
        return _one_summary(plan, result, skipped, written=(), started=started, on_result=on_result)
    try:
        filled = template.fill(
            record.values,
            missing=batch.missing,
            allow_macros=batch.allow_macros,
            image_dir=batch.image_dir,
            max_image_bytes=batch.max_image_bytes,
        )
    except MissingFieldsError as exc:
        raise MissingFieldsError(
            exc.names, suggestions(exc.names, record.values, used_names(template))
        ) from None
    written: list[str] = []
    if not batch.dry_run:
        written = _write_one(plan, filled, target)
    if on_progress is not None:
        on_progress(1, 1)
    result = RowResult(record.number, shown, "ok", None, filled.missing, filled.blank, key=key)
    return _one_summary(plan, result, skipped, written=tuple(written), started=started, on_result=on_result)


def _exists(target: Path | str) -> bool:
    return storage.exists(target) if isinstance(target, str) else os.path.lexists(target)


def _write_one(plan: _Plan, filled: Filled, target: Path | str | IO[bytes] | None) -> list[str]:
    from mytypist_cli.fill.pdfs import one_pdf

    document = filled.data
    if isinstance(target, str):
        stem = PurePosixPath(target).stem
    else:
        stem = target.stem if isinstance(target, Path) else plan.opened.stem
    pdf_bytes = None
    if plan.soffice is not None:
        pdf_bytes = one_pdf(document, filled.extension, stem, timeout=plan.pdf_timeout, soffice=plan.soffice)
    main = pdf_bytes if pdf_bytes is not None and plan.to == "pdf" else document
    if not isinstance(target, Path | str):
        assert target is not None
        target.write(main)
        target.flush()
        return []
    overwrite = plan.batch.overwrite
    storage.write_bytes(target, main, overwrite=overwrite, inputs=plan.inputs)
    if pdf_bytes is not None and plan.to == "docx":
        beside = _with_suffix(target, ".pdf")
        storage.write_bytes(beside, pdf_bytes, overwrite=overwrite, inputs=plan.inputs)
        return [str(target), str(beside)]
    return [str(target)]


def _one_summary(
    plan: _Plan,
    result: RowResult,
    blank_rows: list[RowResult],
    *,
    written: tuple[str, ...],
    started: float,
    on_result: Callable[[RowResult], object] | None,
) -> BatchSummary:
    results = tuple(sorted([result, *blank_rows], key=lambda row: row.row))
    if on_result is not None:
        for row in results:
            on_result(row)
    ok = result.status == "ok"
    return BatchSummary(
        rows=len(results),
        ok=int(ok),
        written=int(bool(written)),
        failed=0,
        skipped=sum(row.status == "skipped" for row in results),
        missing=dict.fromkeys(result.missing, 1),
        blank=dict.fromkeys(result.blank, 1),
        elapsed=time.perf_counter() - started,
        outputs=written,
        results=results,
        dry_run=plan.batch.dry_run,
        output_kind=_output_kind(plan, zipped=False),
        destination=None if plan.batch.dry_run else result.file,
    )


def _output_kind(plan: _Plan, *, zipped: bool) -> str:
    """What usage analytics count: docx, docm, pdf, docx+pdf, each with +zip when bundled."""
    kind = plan.opened.template.extension.lstrip(".")
    if plan.soffice is not None:
        kind = "pdf" if plan.to == "pdf" else f"{kind}+pdf"
    return f"{kind}+zip" if zipped else kind


# --------------------------------------------------------------------------- one combined file


def _fill_combined(
    plan: _Plan,
    rows: _Data,
    on_progress: Callable[[int, int], object] | None,
    on_result: Callable[[RowResult], object] | None,
    on_file: Callable[[str], object] | None,
    on_converted: Callable[[int, int], object] | None = None,
) -> BatchSummary:
    """Every record into the one file ``plan.combine`` (``fill.combined``)."""
    from mytypist_cli.fill.combined import run_combined

    assert plan.combine is not None
    total = rows.fillable if plan.batch.limit is None else min(rows.fillable, plan.batch.limit)
    if not plan.batch.dry_run:
        writer.remove_leftovers(plan.combine.parent)
    return run_combined(
        plan.opened.template,
        rows.records,
        plan.batch,
        plan.combine,
        pdf=plan.to == "pdf" and plan.soffice is not None,
        soffice=plan.soffice,
        timeout=plan.pdf_timeout,
        on_progress=None if on_progress is None else lambda done: on_progress(done, total),
        on_result=on_result,
        on_file=on_file,
        on_converted=on_converted,
    )


# --------------------------------------------------------------------------- many documents


def _fill_many(
    plan: _Plan,
    records: Iterator[_Item],
    total: int,
    on_progress: Callable[[int, int], object] | None,
    on_result: Callable[[RowResult], object] | None,
    on_file: Callable[[str], object] | None,
    on_converted: Callable[[int, int], object] | None = None,
    cluster: object | None = None,
) -> BatchSummary:
    batch = plan.batch
    done = 0
    if not batch.dry_run and (batch.out_url is None or batch.zip_path is not None):
        # A run of the same folder that was killed left its temporary files: a rerun tidies them.
        writer.remove_leftovers(batch.zip_path.parent if batch.zip_path is not None else batch.out_dir)

    def progress(row: RowResult) -> None:
        nonlocal done
        done += 1
        if on_progress is not None:
            on_progress(done, total)

    url_pdfs = plan.soffice is not None and batch.out_url is not None
    if not batch.dry_run and (cluster is not None or url_pdfs):
        # On a cluster, and for PDFs to a URL on one machine: each chunk is rendered, converted and
        # put where it goes by the same worker code (fill.cluster), the names decided here.
        from mytypist_cli.fill.cluster import run_chunks

        def each_done(row: RowResult) -> None:
            progress(row)
            if on_result is not None:
                on_result(row)
            if on_file is not None and row.status == "ok" and row.file and not batch.dry_run:
                for path in row_files(row):
                    on_file(path)

        def row_files(row: RowResult) -> list[str]:
            if plan.soffice is not None and plan.to == "docx" and row.file:
                return [row.file, str(_with_suffix(row.file, ".pdf"))]
            return [row.file] if row.file else []

        return run_chunks(
            plan.opened.template,
            records,
            batch,
            stem=plan.opened.stem,
            total=total,
            cluster=cluster,
            pdf=None if plan.soffice is None else plan.to,
            soffice=plan.soffice,
            timeout=plan.pdf_timeout,
            on_result=each_done,
        )

    if plan.soffice is not None and not batch.dry_run:
        from mytypist_cli.fill.pdfs import run_with_pdfs

        return run_with_pdfs(
            plan.opened.template,
            records,
            batch,
            stem=plan.opened.stem,
            total=total,
            keep_docx=plan.to == "docx",
            timeout=plan.pdf_timeout,
            soffice=plan.soffice,
            on_result=on_result,
            on_file=on_file,
            on_filled=progress,
            on_converted=on_converted,
        )

    def each(row: RowResult) -> None:
        progress(row)
        if on_result is not None:
            on_result(row)
        if (
            on_file is not None
            and row.status == "ok"
            and row.file
            and not batch.dry_run
            and batch.zip_path is None
        ):
            on_file(row.file)

    return run_rows(plan.opened.template, records, batch, stem=plan.opened.stem, total=total, on_result=each)


def _fill_zip_url(
    plan: _Plan,
    rows: _Data,
    on_progress: Callable[[int, int], object] | None,
    on_result: Callable[[RowResult], object] | None,
    on_converted: Callable[[int, int], object] | None,
) -> BatchSummary:
    """``--zip URL``: the archive is built in a private local folder, then put whole in one go."""
    import tempfile

    assert plan.zip_url is not None
    assert plan.batch.zip_path is not None
    with tempfile.TemporaryDirectory(prefix=writer.run_prefix()) as folder:
        local = Path(folder) / plan.batch.zip_path.name
        staged = dataclasses.replace(plan, batch=dataclasses.replace(plan.batch, zip_path=local))
        summary = _fill_many(staged, rows.records, rows.total, on_progress, on_result, None, on_converted)
        if plan.batch.dry_run or not local.exists():
            return summary
        storage.put_new(plan.zip_url, local.read_bytes(), overwrite=plan.batch.overwrite)
    return dataclasses.replace(
        summary, outputs=(plan.zip_url,), destination=plan.zip_url, zip_path=Path(plan.zip_url)
    )


# --------------------------------------------------------------------------- usage


def _record_usage(
    plan: _Plan,
    summary: BatchSummary,
    started_utc: datetime,
    seconds: float,
    journal: Path | None,
    home: str | os.PathLike[str] | None,
) -> str | None:
    """Append the run to the usage journal (never the values); a problem is returned as a warning."""
    from mytypist_cli.home import journal_path
    from mytypist_cli.usage import journal as usage

    opened = plan.opened
    try:
        usage.record_run(
            started=started_utc,
            duration_ms=round(seconds * 1000),
            rows=summary.rows,
            documents=summary.written,
            failures=summary.failed,
            output_kind=summary.output_kind,
            template_name=opened.library_name,
            template_version=opened.library_version,
            template_path=None if opened.path is None else str(opened.path.resolve()),
            template_sha256=hashlib.sha256(opened.data).hexdigest(),
            missing=summary.missing,
            blank=summary.blank,
            journal=journal or journal_path(None if home is None else Path(home)),
        )
    except MytypistError as exc:
        return f"usage was not recorded: {exc}"
    return None
