"""A batch on a Dask cluster: names and checks here, rendering, PDFs and writes on the workers.

``run_chunks`` is what ``fill_batch(..., cluster=...)`` (``mytypist fill
--cluster ADDRESS``) runs after the data has been read and checked as for a
local run:

* names are decided here, in row order (``fill.batch``'s plan), so names and
  ``-2`` suffixes are those of a local run, and a file already at the
  destination is failed or skipped here as locally;
* rows go to the workers in chunks, each with the pickled ``Template`` (its
  source bytes; a worker compiles it once and keeps it). A worker renders each
  row, converts the chunk to PDF when asked (with its own LibreOffice), and
  writes every file atomically: a file with no name (or a temporary name)
  linked into place on a file system, one put on object storage;
* outcomes come back in row order to the same ``on_result`` (summary, report,
  progress, usage) as a local run. A chunk Dask runs again (its worker was
  lost) finds the files its first attempt wrote: the very same bytes count as
  written (``storage.put_new(same_ok=True)``), anything else as an existing file.

Workers use their own credentials for the store (environment, instance roles);
nothing but the rows, the template and the settings is sent. With
``cluster=None`` the same chunks run here, one after another (PDFs to a URL on
one machine).

dask and distributed are imported only inside functions, and only when a
cluster is used; without them the error says how to install them. Never
prints or exits; imports neither typer nor rich.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import pickle
import socket
import tempfile
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

from mytypist_cli import storage, writer
from mytypist_cli.engine.template import Missing, Template
from mytypist_cli.errors import (
    BatchError,
    ConverterMissingError,
    ExtraMissingError,
    MytypistError,
    OutputError,
    OutputExistsError,
)
from mytypist_cli.fill.batch import (
    BatchOptions,
    RecordLike,
    _Config,
    _Outcome,
    _plan,
    _Renderer,
    _Slot,
    _Task,
    make_namer,
    write_document,
)
from mytypist_cli.fill.results import BatchSummary, RowResult, Why, one_line

#: What a worker makes of each row: the document only, the document and its PDF, or the PDF only.
PdfMode = Literal["docx", "pdf"] | None
#: Rows per task: a task costs the scheduler a few milliseconds, a document a millisecond to render.
DOCX_CHUNK_ROWS = 64
#: At most this many PDFs per task: one LibreOffice start (about 2 s) for them all, converted as
#: one combined document and split back (fill.pdfs), as a local run does. On a cluster a run is cut
#: into at least two tasks per worker (fewer rows each when there are few), so all get work.
PDF_CHUNK_ROWS = 64
_PDF_TASKS_PER_WORKER = 2
#: How long to wait for the scheduler to answer (a Dask duration).
CONNECT_TIMEOUT = "20s"
#: Tasks in hand per worker: enough to keep each busy, few enough to bound the client's memory.
_IN_FLIGHT_PER_WORKER = 4


def run_chunks(
    template: Template,
    records: Iterable[RecordLike],
    options: BatchOptions,
    *,
    stem: str,
    total: int | None,
    cluster: object | None,
    pdf: PdfMode = None,
    soffice: Path | None = None,
    timeout: float = 120.0,
    chunk_rows: int | None = None,
    on_result: Callable[[RowResult], object] | None = None,
) -> BatchSummary:
    """Fill every record on ``cluster`` (a ``distributed.Client`` or a scheduler address; None: here).

    ``pdf``: None writes documents, ``"docx"`` documents with their PDFs beside
    them, ``"pdf"`` only the PDFs (a row's ``file`` is then its PDF). ``soffice``
    is used only when the chunks run here; a worker finds its own LibreOffice.
    ``on_result`` gets each row's result in row order. Raises ExtraMissingError
    without dask, BatchError when the cluster cannot be reached or a chunk
    cannot be run, OutputError for an output folder that cannot be used.
    """
    if template.is_macro_enabled and not options.allow_macros:
        template.fill({}, allow_macros=False)  # raises the engine's MacroTemplateError
    if options.zip_path is not None:
        raise BatchError("a zip archive is built on one machine; write the files with --out-dir instead")
    if cluster is not None and (options.out_url or "").startswith("memory://"):
        raise BatchError("memory:// lives in this process; the workers cannot write there")
    # The scheduler first: an address that does not answer leaves nothing made.
    client: Any = None
    made_here = False
    if cluster is not None:
        client, made_here = connect(cluster)
    try:
        return _run_chunks(
            template, records, options, stem, total, client, pdf, soffice, timeout, chunk_rows, on_result
        )
    finally:
        if made_here:
            with contextlib.suppress(Exception):
                client.close()


def _run_chunks(
    template: Template,
    records: Iterable[RecordLike],
    options: BatchOptions,
    stem: str,
    total: int | None,
    client: Any,
    pdf: PdfMode,
    soffice: Path | None,
    timeout: float,
    chunk_rows: int | None,
    on_result: Callable[[RowResult], object] | None,
) -> BatchSummary:
    started = time.perf_counter()
    _prepare(options)
    namer = make_namer(template, options, stem=stem, total=total)
    run_id = uuid.uuid4().hex[:12]
    config = _Config(
        "zip",  # the renderer returns the bytes; the chunk writes them (and their PDF) itself
        options.missing,
        options.allow_macros,
        options.overwrite,
        options.image_dir,
        options.max_image_bytes,
        writer.run_prefix(f"{run_id}-"),
        options.out_url,
        same_ok=True,
        url_listed=True,
    )
    slots = _plan(records, options, namer, "folder", options.out_dir, outputs=_outputs_of(pdf))
    blob = pickle.dumps(template)
    job = _Job(hashlib.sha256(blob).hexdigest(), blob, config, pdf, timeout)
    results: list[RowResult] = []

    def emit(result: RowResult) -> None:
        results.append(result)
        if on_result is not None:
            on_result(result)

    rows = chunk_rows or (DOCX_CHUNK_ROWS if pdf is None else PDF_CHUNK_ROWS)
    try:
        if client is None:
            # memory:// lives in this process: its chunks run here, one after another.
            jobs = 1 if (options.out_url or "").startswith("memory://") else options.jobs
            if chunk_rows is None and pdf is not None and total:
                rows = _pdf_rows(None, total, jobs)
            _run_here(slots, job, rows, soffice, emit, jobs)
        else:
            if chunk_rows is None and pdf is not None and total:
                rows = _pdf_rows(client, total, 0)
            _run_on_cluster(slots, job, rows, client, run_id, emit)
    finally:
        if options.out_url is None:
            for leftover in options.out_dir.glob(f"{config.temp_prefix}*.tmp"):
                with contextlib.suppress(OSError):
                    leftover.unlink()
    written = sum(1 for result in results if result.status == "ok")
    outputs: list[str] = []
    for result in results:
        if result.status == "ok" and result.file:
            outputs.extend(_outputs_of(pdf)(result.file) if pdf != "pdf" else (result.file,))
    kind = template.extension.lstrip(".")
    return BatchSummary.of(
        tuple(results),
        written=written,
        elapsed=time.perf_counter() - started,
        outputs=tuple(outputs),
        dry_run=False,
        output_kind="pdf" if pdf == "pdf" else f"{kind}+pdf" if pdf == "docx" else kind,
        destination=options.out_url or str(options.out_dir),
    )


def _prepare(options: BatchOptions) -> None:
    if options.out_url is not None:
        storage.prepare_folder(options.out_url)
        return
    try:
        options.out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BatchError(f"cannot create {options.out_dir}: {exc.strerror or exc}") from None


def _pdf_of(file: str) -> str:
    """The PDF beside a document (``a/b.docx`` -> ``a/b.pdf``), for a path or a URL."""
    if storage.is_url(file):
        head, _, name = file.rpartition("/")
        return f"{head}/{Path(name).stem}.pdf"
    head, name = os.path.split(file)
    return os.path.join(head, Path(name).stem + ".pdf")


def _outputs_of(pdf: PdfMode) -> Callable[[str], tuple[str, ...]]:
    """The files a row whose document is ``file`` writes (the first is the one its result names)."""
    if pdf == "pdf":
        return lambda file: (_pdf_of(file),)
    if pdf == "docx":
        return lambda file: (file, _pdf_of(file))
    return lambda file: (file,)


@dataclasses.dataclass(frozen=True)
class _Job:
    """What every chunk of one run shares; pickled into each task (a few kilobytes for most templates)."""

    digest: str
    template: bytes  # pickle.dumps(Template): its source bytes and open options
    config: _Config
    pdf: PdfMode
    timeout: float


# --------------------------------------------------------------------------- the client side


def _chunks(slots: Iterator[_Slot], rows: int) -> Iterator[tuple[list[_Slot], list[_Task]]]:
    chunk: list[_Slot] = []
    tasks: list[_Task] = []
    for slot in slots:
        chunk.append(slot)
        if isinstance(slot, _Task):
            tasks.append(slot)
            if len(tasks) >= rows:
                yield chunk, tasks
                chunk, tasks = [], []
    if chunk:
        yield chunk, tasks


def _report(
    chunk: list[_Slot], outcomes: list[_Outcome], job: _Job, emit: Callable[[RowResult], None]
) -> None:
    found = iter(outcomes)
    for slot in chunk:
        if isinstance(slot, _Task):
            outcome = next(found)
            emit(
                RowResult(
                    slot.row,
                    _outputs_of(job.pdf)(slot.file)[0],
                    outcome.status,
                    outcome.error,
                    outcome.missing,
                    outcome.blank,
                    outcome.why,
                    slot.key,
                )
            )
        else:
            emit(slot)


def _run_here(
    slots: Iterator[_Slot],
    job: _Job,
    rows: int,
    soffice: Path | None,
    emit: Callable[[RowResult], None],
    jobs: int = 1,
) -> None:
    """The chunks on this machine: one after another, or in ``jobs`` worker processes."""
    if jobs <= 1:
        for chunk, tasks in _chunks(slots, rows):
            _report(chunk, work_chunk(job, tasks, soffice) if tasks else [], job, emit)
        return
    from concurrent.futures import ProcessPoolExecutor

    from mytypist_cli.fill.batch import _mp_context

    with ProcessPoolExecutor(max_workers=jobs, mp_context=_mp_context()) as pool:
        pending: deque[tuple[list[_Slot], Any]] = deque()
        try:
            for chunk, tasks in _chunks(slots, rows):
                pending.append((chunk, pool.submit(work_chunk, job, tasks, soffice) if tasks else None))
                while pending and (
                    len(pending) > jobs * _IN_FLIGHT_PER_WORKER
                    or pending[0][1] is None
                    or pending[0][1].done()
                ):
                    _finish(pending.popleft(), job, emit)
            while pending:
                _finish(pending.popleft(), job, emit)
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)  # the rows in hand finish: no file half-made
            raise


def connect(cluster: object) -> tuple[Any, bool]:
    """A ``distributed.Client`` for ``cluster`` (a client, or an address), and whether it was made here.

    Raises ExtraMissingError without distributed, BatchError when the scheduler cannot be reached.
    """
    try:
        import distributed
    except ImportError:
        raise ExtraMissingError(f"--cluster needs dask[distributed]: {storage.INSTALL_HINT}") from None
    if isinstance(cluster, distributed.Client):
        return cluster, False
    if not isinstance(cluster, str):
        kind = type(cluster).__name__
        raise BatchError(f"cluster is a distributed.Client or a scheduler address, not {kind}")
    try:
        return distributed.Client(cluster, timeout=CONNECT_TIMEOUT, set_as_default=False), True  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError) as exc:
        raise BatchError(f"cannot reach the Dask scheduler at {cluster}: {one_line(exc)}") from None


def _workers(client: Any) -> int:
    try:
        return max(1, len(client.scheduler_info(n_workers=-1).get("workers", {})))
    except Exception:
        return 1


def _pdf_rows(client: Any, total: int, jobs: int) -> int:
    """PDF rows per task: up to PDF_CHUNK_ROWS, fewer so every worker (or job) has tasks (200 on 2: 50)."""
    workers = jobs if client is None else _workers(client)
    share = -(-total // (max(1, workers) * _PDF_TASKS_PER_WORKER))
    return max(1, min(PDF_CHUNK_ROWS, share))


def _run_on_cluster(
    slots: Iterator[_Slot],
    job: _Job,
    rows: int,
    client: Any,
    run_id: str,
    emit: Callable[[RowResult], None],
) -> None:
    pending: deque[tuple[list[_Slot], Any]] = deque()
    limit = _workers(client) * _IN_FLIGHT_PER_WORKER
    try:
        for number, (chunk, tasks) in enumerate(_chunks(slots, rows)):
            future = None
            if tasks:
                if job.config.out_url is None:
                    # A worker's working folder is not ours: it gets the folder as an absolute path
                    # (the same on every machine that mounts the shared file system there).
                    tasks = [task._replace(file=os.path.abspath(task.file)) for task in tasks]
                # pure=False and a key of this run: a chunk is never mistaken for another run's.
                future = client.submit(
                    work_chunk, job, tasks, key=f"mytypist-{run_id}-{number}", pure=False, retries=2
                )
            pending.append((chunk, future))
            while pending and (len(pending) > limit or pending[0][1] is None or pending[0][1].done()):
                _finish(pending.popleft(), job, emit)
        while pending:
            _finish(pending.popleft(), job, emit)
    except BaseException:
        # Ctrl-C or a failed chunk: nothing more is sent, and what is queued is withdrawn.
        with contextlib.suppress(Exception):
            client.cancel([future for _, future in pending if future is not None])
        raise


def _finish(entry: tuple[list[_Slot], Any], job: _Job, emit: Callable[[RowResult], None]) -> None:
    chunk, future = entry
    outcomes: list[_Outcome] = []
    if future is not None:
        try:
            outcomes = future.result()
        except MytypistError:
            raise
        except Exception as exc:
            raise BatchError(f"a chunk of rows could not be run: {one_line(exc)}") from None
    _report(chunk, outcomes, job, emit)


# --------------------------------------------------------------------------- the worker side

# Compiled templates by digest, kept for the life of a worker process (a run sends one).
_TEMPLATES: dict[str, Template] = {}


def _template(job: _Job) -> Template:
    found = _TEMPLATES.get(job.digest)
    if found is None:
        found = pickle.loads(job.template)  # noqa: S301 - our own Template, from this run's client
        if len(_TEMPLATES) > 8:
            _TEMPLATES.clear()
        _TEMPLATES[job.digest] = found
    return found


def work_chunk(job: _Job, tasks: list[_Task], soffice: Path | None = None) -> list[_Outcome]:
    """On a worker: render, convert (when asked) and write each row; one outcome per task, in order.

    No outcome carries the bytes back: they stay on the worker, written where they go.
    """
    renderer = _Renderer(_template(job), job.config)
    rendered = [renderer.run(task) for task in tasks]
    pdfs: dict[int, bytes | str] = {}
    if job.pdf is not None:
        pdfs = _convert(job, tasks, rendered, soffice)
    outcomes: list[_Outcome] = []
    for index, (task, outcome) in enumerate(zip(tasks, rendered, strict=True)):
        if outcome.status != "ok" or outcome.data is None:
            outcomes.append(outcome._replace(data=None))
            continue
        files: list[tuple[str, bytes]] = []
        if job.pdf != "pdf":
            files.append((task.file, outcome.data))
        if job.pdf is not None:
            made = pdfs[index]
            if isinstance(made, str):
                outcomes.append(outcome._replace(status="failed", error=made, data=None, why="pdf"))
                continue
            files.append((_pdf_of(task.file), made))
        try:
            for file, data in files:
                write_document(file, data, job.config)
        except OutputError as exc:
            why: Why = "exists" if isinstance(exc, OutputExistsError) else "write"
            outcomes.append(outcome._replace(status="failed", error=str(exc), data=None, why=why))
            continue
        outcomes.append(outcome._replace(data=None))
    return outcomes


def _convert(
    job: _Job, tasks: list[_Task], rendered: list[_Outcome], soffice: Path | None
) -> dict[int, bytes | str]:
    """Each rendered row's PDF bytes, or the reason it has none, by index; one LibreOffice run a chunk.

    The chunk's records go through one combined document split back per record
    (``fill.pdfs.convert_rows_combined``, a record it cannot place converted
    alone), unless the template has fields that need each document on its own
    (``engine.combine.page_exact_problems``): then each document is converted.
    """
    from mytypist_cli.fill.pdfs import convert_rows_combined, pdf_path
    from mytypist_cli.pdf.convert import convert_to_pdf, find_soffice

    todo = [index for index, outcome in enumerate(rendered) if outcome.status == "ok" and outcome.data]
    if not todo:
        return {}
    try:
        program = soffice or find_soffice()
    except ConverterMissingError as exc:
        host = socket.gethostname()
        reason = f"the worker on {host} cannot make PDFs: {exc}; install LibreOffice on every worker"
        return dict.fromkeys(todo, reason)
    made: dict[int, bytes | str] = {}
    with tempfile.TemporaryDirectory(prefix=writer.TEMP_PREFIX) as folder:
        sources = []
        (Path(folder) / "in").mkdir()
        for index in todo:
            # Named as the output (names in a batch are unique), as a local run names what it converts.
            source = Path(folder) / "in" / os.path.basename(tasks[index].file.rsplit("/", 1)[-1])
            data = rendered[index].data
            assert data is not None
            source.write_bytes(data)
            sources.append(source)
        if not _whole_documents(job):
            config = job.config
            options = BatchOptions(
                out_dir=Path(folder),
                missing=config.missing,
                allow_macros=config.allow_macros,
                image_dir=config.image_dir,
                max_image_bytes=config.max_image_bytes,
            )
            rows = [
                RowResult(tasks[index].row, str(source), "ok")
                for index, source in zip(todo, sources, strict=True)
            ]
            values = {tasks[index].row: tasks[index].values for index in todo}
            pdf_dir = Path(folder) / "pdf"
            pdf_dir.mkdir()
            try:
                converted = convert_rows_combined(
                    _template(job),
                    rows,
                    values,
                    options,
                    pdf_dir,
                    keep_docx=True,
                    timeout=job.timeout,
                    soffice=program,
                )
            except MytypistError as exc:
                return dict.fromkeys(todo, f"no PDF: {one_line(exc)}")
            for index, row in zip(todo, converted, strict=True):
                if row.status == "ok":
                    made[index] = pdf_path(row, pdf_dir).read_bytes()
                else:
                    made[index] = row.error or "LibreOffice could not convert it"
            return made
        try:
            results = convert_to_pdf(sources, Path(folder) / "out", timeout=job.timeout, soffice=program)
        except MytypistError as exc:
            return dict.fromkeys(todo, f"no PDF: {one_line(exc)}")
        for index, result in zip(todo, results, strict=True):
            if result.pdf is None:
                made[index] = f"LibreOffice could not convert it: {result.error}"
            else:
                made[index] = result.pdf.read_bytes()
    return made


# Templates whose records must each be converted alone, by digest (asked once per worker process).
_WHOLE: dict[str, bool] = {}


def _whole_documents(job: _Job) -> bool:
    found = _WHOLE.get(job.digest)
    if found is None:
        from mytypist_cli.engine.combine import page_exact_problems

        found = _WHOLE[job.digest] = bool(page_exact_problems(_template(job)))
    return found


# --------------------------------------------------------------------------- Dask DataFrames

#: The columns of ``fill_dataframe``'s result, one row per data row.
RESULT_COLUMNS = ("row", "file", "status", "error", "why")


def fill_dataframe(
    template: Any,
    frame: Any,
    *,
    out_dir: str | os.PathLike[str],
    name: str | None = None,
    stem: str | None = None,
    to: Literal["docx", "pdf"] = "docx",
    pdf: bool = False,
    pdf_timeout: float = 120.0,
    sets: dict[str, Any] | None = None,
    missing: Missing = "error",
    overwrite: bool = False,
    skip_existing: bool = False,
    allow_macros: bool = False,
    image_dir: str | os.PathLike[str] | None = None,
    max_image_bytes: int | None = None,
) -> Any:
    """Fill ``template`` once per row of a ``dask.dataframe.DataFrame``, on the workers; return the results.

    The rows never come to this machine: each partition is filled where it
    is (``dd.read_parquet("s3://...")`` read on the workers), and the result
    is a Dask DataFrame of ``row`` (the global row number, from 1), ``file``,
    ``status`` (ok, failed, skipped), ``error`` and ``why``, one row per data
    row. Nothing is written until it is computed (``.compute()``,
    ``.to_parquet(...)``). A row's name comes from ``name`` alone, or is
    ``<stem>-<row number>`` (``stem``: the template file's, else ``document``);
    a name two rows share (compared as macOS and Windows do, ignoring case) fails the
    later row instead of getting a ``-2`` suffix. ``out_dir`` is a folder every
    worker sees at the same path, or an fsspec URL (``s3://bucket/letters/``).
    ``to="pdf"`` keeps only PDFs, ``pdf=True`` adds one beside each document
    (LibreOffice on every worker). A file already there fails its row
    (``skip_existing``: skipped; ``overwrite``: replaced), except one with
    exactly the bytes the row makes (a partition Dask ran again counts it as written).

    Here, before returning, the partitions are counted (for the global row
    numbers) and, with ``name``, the names are computed once on the workers
    to find those two rows share (only those come back). Raises ExtraMissingError
    without dask, DataError for missing columns (unless ``missing`` is not
    ``error``), OptionsError for contradictory settings, TemplateError for the template.
    """
    try:
        import pandas as pd  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError:
        raise ExtraMissingError("fill_dataframe needs dask[dataframe] (pandas)") from None
    from mytypist_cli.engine.pictures import DEFAULT_MAX_IMAGE_BYTES
    from mytypist_cli.errors import OptionsError
    from mytypist_cli.fill.pipeline import _check_columns
    from mytypist_cli.library.resolve import open_template

    if to == "pdf" and pdf:
        raise OptionsError("--pdf adds PDFs beside the documents and --to pdf keeps only PDFs: choose one")
    try:
        options = BatchOptions(
            overwrite=overwrite,
            skip_existing=skip_existing,
            missing=missing,
            allow_macros=allow_macros,
            image_dir=Path(image_dir).absolute() if image_dir is not None else Path.cwd(),
            max_image_bytes=DEFAULT_MAX_IMAGE_BYTES if max_image_bytes is None else max_image_bytes,
        )
    except ValueError as exc:
        raise OptionsError(str(exc)) from None
    opened = open_template(template)
    compiled = opened.template
    if compiled.is_macro_enabled and not allow_macros:
        compiled.fill({}, allow_macros=False)  # raises the engine's MacroTemplateError
    columns = tuple(str(column) for column in frame.columns)
    if missing == "error":
        _check_columns(compiled, columns, sets or {}, "the DataFrame")
    folder = os.fspath(out_dir)
    url = folder if storage.is_url(folder) else None
    if url is not None:
        storage.prepare_folder(url)
    else:
        folder = os.path.abspath(folder)
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError as exc:
            raise BatchError(f"cannot create {folder}: {exc.strerror or exc}") from None
    lengths = [int(count) for count in frame.map_partitions(len).compute()]
    offsets = [sum(lengths[:index]) for index in range(len(lengths))]
    naming = _Naming(
        stem=stem or (opened.stem if opened.stem != "<template>" else "document"),
        extension=compiled.extension,
        pattern=name,
        delimiters=compiled.delimiters,
        width=max(4, len(str(sum(lengths)))),
        locale=compiled.locale,
        sets=dict(sets or {}),
    )
    shared: dict[int, int] = {}
    if name is not None:
        shared = _shared_names(frame, naming, offsets, pd)
    config = _Config(
        "zip",
        missing,
        allow_macros,
        overwrite,
        options.image_dir,
        options.max_image_bytes,
        writer.run_prefix(f"{uuid.uuid4().hex[:12]}-"),
        url,
        same_ok=True,
    )
    blob = pickle.dumps(compiled)
    mode: PdfMode = "pdf" if to == "pdf" else "docx" if pdf else None
    job = _Job(hashlib.sha256(blob).hexdigest(), blob, config, mode, pdf_timeout)
    meta = pd.DataFrame(
        {column: pd.Series(dtype="int64" if column == "row" else "object") for column in RESULT_COLUMNS}
    )
    return frame.map_partitions(
        _fill_partition,
        job,
        naming,
        url or folder,
        offsets,
        shared,
        skip_existing,
        meta=meta,
        enforce_metadata=False,
        align_dataframes=False,
    )


@dataclasses.dataclass(frozen=True)
class _Naming:
    """How ``fill_dataframe`` names a row: from the pattern alone, or ``<stem>-<row number>``."""

    stem: str
    extension: str
    pattern: str | None
    delimiters: tuple[str, str]
    width: int
    locale: str
    sets: dict[str, Any]

    def name(self, number: int, values: dict[str, Any]) -> str:
        """The row's name (no ``-2``: a fresh namer each time). Raises NamingError."""
        from mytypist_cli.fill.naming import Namer

        namer = Namer(
            stem=self.stem,
            extension=self.extension,
            pattern=self.pattern,
            delimiters=self.delimiters,
            width=self.width,
            locale=self.locale,
        )
        return namer.name_for(number, values)


def _values(record: dict[Any, Any], sets: dict[str, Any]) -> dict[str, Any]:
    """A DataFrame row as a CSV row's values: NaN and None as empty text, numpy scalars as Python's."""
    values: dict[str, Any] = {}
    for key, value in record.items():
        if value is None or (isinstance(value, float) and value != value):
            value = ""
        elif hasattr(value, "item") and type(value).__module__ == "numpy":
            value = value.item()
        values[str(key)] = value
    values.update(sets)
    return values


def _rows_of(partition: Any, first: int, sets: dict[str, Any]) -> Iterator[tuple[int, dict[str, Any]]]:
    for index, record in enumerate(partition.to_dict("records")):
        yield first + index + 1, _values(record, sets)


def _partition_names(partition: Any, naming: _Naming, offsets: list[int], partition_info: Any = None) -> Any:
    import pandas as pd  # type: ignore[import-untyped,import-not-found,unused-ignore]

    from mytypist_cli.fill.naming import NamingError

    first = offsets[partition_info["number"]] if partition_info else 0
    rows, keys = [], []
    for number, values in _rows_of(partition, first, naming.sets):
        try:
            keys.append(naming.name(number, values).casefold())
        except (NamingError, MytypistError):
            continue  # the row fails when it is filled, saying why
        rows.append(number)
    return pd.DataFrame({"row": pd.Series(rows, dtype="int64"), "key": pd.Series(keys, dtype="object")})


def _shared_names(frame: Any, naming: _Naming, offsets: list[int], pd: Any) -> dict[int, int]:
    """Row number -> the earlier row whose name it shares; only such rows come back here."""
    meta = pd.DataFrame({"row": pd.Series(dtype="int64"), "key": pd.Series(dtype="object")})
    names = frame.map_partitions(_partition_names, naming, offsets, meta=meta, enforce_metadata=False)
    counts = names["key"].value_counts()
    repeated = list(counts[counts > 1].index.compute())
    if not repeated:
        return {}
    found = names[names["key"].isin(repeated)].compute().sort_values("row")
    first: dict[str, int] = {}
    shared: dict[int, int] = {}
    for row, key in zip(found["row"], found["key"], strict=True):
        if key in first:
            shared[int(row)] = first[key]
        else:
            first[key] = int(row)
    return shared


def _fill_partition(
    partition: Any,
    job: _Job,
    naming: _Naming,
    folder: str,
    offsets: list[int],
    shared: dict[int, int],
    skip_existing: bool,
    partition_info: Any = None,
) -> Any:
    """On a worker: fill one partition's rows; its part of the results, in row order."""
    import pandas as pd  # type: ignore[import-untyped,import-not-found,unused-ignore]

    from mytypist_cli.engine.syntax import normalise_name
    from mytypist_cli.fill.hints import has_value, used_names
    from mytypist_cli.fill.naming import NamingError

    first = offsets[partition_info["number"]] if partition_info else 0
    used = used_names(_template(job))
    url = job.config.out_url
    results: list[tuple[int, str | None, str, str | None, str | None]] = []
    tasks: list[_Task] = []
    slots: list[_Slot] = []
    for number, values in _rows_of(partition, first, naming.sets):
        if not any(has_value(value) and normalise_name(key) in used for key, value in values.items()):
            slots.append(
                RowResult(
                    number,
                    None,
                    "skipped",
                    f"row {number}: no value for any placeholder; skipped",
                    why="blank",
                )
            )
            continue
        try:
            file_name = naming.name(number, values)
        except (NamingError, MytypistError) as exc:
            slots.append(RowResult(number, None, "failed", str(exc)))
            continue
        file = storage.join(folder, file_name) if url else os.path.join(folder, file_name)
        targets = _outputs_of(job.pdf)(file)
        if number in shared:
            reason = f"{targets[0]}: row {shared[number]} has the same name; give each row its own (--name)"
            slots.append(RowResult(number, targets[0], "failed", reason, why="exists"))
            continue
        if skip_existing and any(storage.exists(t) if url else os.path.lexists(t) for t in targets):
            slots.append(RowResult(number, targets[0], "skipped", f"{targets[0]} exists", why="exists"))
            continue
        task = _Task(len(tasks), number, file, values)
        tasks.append(task)
        slots.append(task)
    outcomes = work_chunk(job, tasks) if tasks else []
    emitted: list[RowResult] = []
    _report(slots, outcomes, job, emitted.append)
    for result in emitted:
        results.append((result.row, result.file, result.status, result.error, result.why))
    table = pd.DataFrame.from_records(results, columns=list(RESULT_COLUMNS))
    table["row"] = table["row"].astype("int64")
    for column in RESULT_COLUMNS[1:]:
        table[column] = table[column].astype("object")
    return table
