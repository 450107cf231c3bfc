"""Fill one template with many records: name, render and write each document safely.

``run_rows`` takes a compiled ``Template`` and any iterable of records
(objects with ``.number`` and ``.values``, such as ``data.records.Record``)
and, row by row:

* decides the output name in the parent, in row order (``fill.naming``) and
  checks for an existing file;
* renders it (inline, or in worker processes when ``jobs > 1``; workers get
  the pickled ``Template``) and writes it through ``writer``, so an
  interrupted run never leaves a half-written document;
* reports a ``RowResult`` through ``on_result`` in row order. A failed row
  never stops the others.

A record may also be a ``Skipped`` (reported as skipped, never filled: a row
that gives no placeholder a value) or a ``data.grouping.Group`` (its key goes
into the result; a group with a ``problem`` fails with it).

The result is the same for every ``jobs``: same names, same bytes, same order.
This is the row engine under ``fill.pipeline.fill_batch``, which reads the
data, checks it and adds PDFs, reports and usage. Never prints or exits and
imports neither typer nor rich; batch-wide problems raise ``BatchError``,
per-row ones become results.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
import unicodedata
import uuid
import zipfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sized
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, Protocol

from mytypist_cli import lifeline, writer
from mytypist_cli.data.grouping import Group
from mytypist_cli.engine.pictures import DEFAULT_MAX_IMAGE_BYTES
from mytypist_cli.engine.template import Missing, Template
from mytypist_cli.errors import BatchError, MissingFieldsError, MytypistError, OutputError, OutputExistsError
from mytypist_cli.fill.hints import suggestions, used_names
from mytypist_cli.fill.naming import Namer, NamingError
from mytypist_cli.fill.results import BatchSummary, RowResult, Status, Why, one_line

if TYPE_CHECKING:
    # Only a pool needs these (about 8 ms to import): a one-document fill never does.
    from concurrent.futures import Future
    from multiprocessing.context import BaseContext

#: Below this many rows to render, worker processes cost more than they save.
INLINE_BELOW = 50
# Rows per task sent to a worker: enough to amortise pickling and queue round
# trips (measured: the parent's CPU per row fell by 60% from 8 to 16 rows, and
# little beyond), few enough that results stream back smoothly for a progress
# bar and every worker has several tasks in hand.
_CHUNK_ROWS = 16
# Rows handed to workers but not yet reported, per job: bounds memory (values,
# and document bytes in zip mode) however long a streamed input is.
_IN_FLIGHT_PER_JOB = 64


class RecordLike(Protocol):
    """What ``run_rows`` needs of a record: its data row number (from 1) and values."""

    @property
    def number(self) -> int: ...

    @property
    def values(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class Skipped:
    """A data row that is not a document (it gives no placeholder a value): reported, never filled.

    It does not count towards ``limit``. ``reason`` is its one-line message.
    """

    number: int
    line: int
    reason: str
    values: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BatchOptions:
    """How a batch is named, written and run.

    ``out_dir`` is ignored when ``zip_path`` is given. ``start_at`` is the
    1-based data row number to begin with (rows before it are not rendered);
    ``limit`` caps the rows handled from there (failed and skipped ones count,
    but not a ``Skipped`` row, which is no document).
    Raises ValueError for contradictory or out-of-range settings.
    """

    out_dir: Path = Path(".")
    name_pattern: str | None = None
    zip_path: Path | None = None
    overwrite: bool = False
    skip_existing: bool = False
    dry_run: bool = False
    limit: int | None = None
    start_at: int = 1
    jobs: int = 1
    missing: Missing = "error"
    allow_macros: bool = False
    image_dir: Path | None = None
    max_image_bytes: int = DEFAULT_MAX_IMAGE_BYTES
    #: Files the run reads (the template, the data): a row named as one of them is refused.
    inputs: tuple[Path, ...] = ()
    #: An fsspec URL folder (``s3://bucket/letters``) the documents go to instead of ``out_dir``.
    out_url: str | None = None
    #: ``(k, n)``: write only the k-th of n shares of the documents (names decided over all rows).
    shard: tuple[int, int] | None = None
    #: How many documents the whole run has (what ``shard`` splits); needed with ``shard``.
    documents: int = 0

    def __post_init__(self) -> None:
        if self.jobs < 1:
            raise ValueError(f"jobs must be at least 1, not {self.jobs}")
        if self.start_at < 1:
            raise ValueError(f"start_at counts data rows from 1, not {self.start_at}")
        if self.limit is not None and self.limit < 0:
            raise ValueError(f"limit must not be negative, not {self.limit}")
        if self.overwrite and self.skip_existing:
            raise ValueError("overwrite and skip_existing contradict each other; choose one")
        if self.zip_path is not None and self.skip_existing:
            raise ValueError("skip_existing applies to a folder of files, not to a zip archive")
        if self.missing not in ("error", "blank", "keep"):
            raise ValueError(f"missing must be 'error', 'blank' or 'keep', not {self.missing!r}")
        if self.shard is not None and not 1 <= self.shard[0] <= self.shard[1]:
            raise ValueError(f"--shard is K/N with 1 <= K <= N, not {self.shard[0]}/{self.shard[1]}")


# --------------------------------------------------------------------------- rendering


class _Task(NamedTuple):
    """One row to render; sent to a worker, so it holds only picklable plain data.

    A named tuple, not a dataclass: it pickles about ten times faster, and
    pickling is most of the parent's work per row when the workers are busy.
    """

    seq: int
    row: int
    file: str
    values: Mapping[str, Any]
    key: str | None = None


class _Outcome(NamedTuple):
    status: Status
    error: str | None
    missing: tuple[str, ...]
    blank: tuple[str, ...]
    data: bytes | None
    why: Why | None = None


@dataclass(frozen=True)
class _Config:
    """What every renderer (inline or in a worker) needs besides the template."""

    mode: Literal["folder", "zip", "dry"]
    missing: Missing
    allow_macros: bool
    overwrite: bool
    image_dir: Path | None
    max_image_bytes: int
    temp_prefix: str | None  # this run's temporary-file prefix, in folder mode
    out_url: str | None = None  # the documents go to this fsspec URL folder (one put each)
    #: A file already there with the very bytes this row makes counts as written: on a cluster a
    #: task can run twice (a worker lost after writing), and the second attempt finds the first's file.
    same_ok: bool = False
    #: The URL folder was listed when the rows were named (existing names failed or skipped then):
    #: each put goes straight to the store's conditional put, without asking for the name again.
    url_listed: bool = False


class _Renderer:
    """Renders (and in folder mode writes) one row; the same code inline and in workers."""

    def __init__(self, template: Template, config: _Config) -> None:
        self._template = template
        self._config = config
        self._used = used_names(template)

    def run(self, task: _Task) -> _Outcome:
        config = self._config
        try:
            filled = self._template.fill(
                task.values,
                missing=config.missing,
                allow_macros=config.allow_macros,
                image_dir=config.image_dir,
                max_image_bytes=config.max_image_bytes,
            )
        except MissingFieldsError as exc:
            hinted = MissingFieldsError(exc.names, suggestions(exc.names, task.values, self._used))
            return _Outcome("failed", one_line(hinted), exc.names, (), None)
        except MytypistError as exc:
            return _Outcome("failed", one_line(exc), (), (), None)
        except Exception as exc:
            # The last guard: a value that trips an unexpected error (a bug, or a
            # library's) fails its row, never the batch. KeyboardInterrupt and
            # SystemExit are not Exceptions, so they still stop the run.
            return _Outcome(
                "failed", f"cannot fill this row ({type(exc).__name__}: {one_line(exc)})", (), (), None
            )
        data: bytes | None = None
        if config.mode == "folder":
            assert config.temp_prefix is not None
            try:
                write_document(task.file, filled.data, config)
            except OutputError as exc:
                why: Why = "exists" if isinstance(exc, OutputExistsError) else "write"
                return _Outcome("failed", str(exc), filled.missing, filled.blank, None, why)
        elif config.mode == "zip":
            data = filled.data
        return _Outcome("ok", None, filled.missing, filled.blank, data)


def write_document(file: str, data: bytes, config: _Config) -> None:
    """Write one finished document (or PDF) where ``config`` says; raises OutputError (Exists: taken)."""
    if config.out_url is not None:
        from mytypist_cli import storage

        storage.put_new(
            file, data, overwrite=config.overwrite, same_ok=config.same_ok, checked=config.url_listed
        )
        return
    assert config.temp_prefix is not None
    try:
        writer.write_bytes(file, data, overwrite=config.overwrite, prefix=config.temp_prefix, checked=True)
    except OutputExistsError:
        if not (config.same_ok and _same_bytes(file, data)):
            raise


def _same_bytes(path: str, data: bytes) -> bool:
    try:
        with open(path, "rb") as existing:
            return existing.read(len(data) + 1) == data
    except OSError:
        return False


_WORKER: _Renderer | None = None


def _init_worker(template: Template, config: _Config, owner: int) -> None:
    """Pool initializer: compile the template once per worker process, which ends with ``owner``.

    ``owner`` is the process running the batch: a worker exits when it (or
    the worker's own parent, a fork server) is gone, so a killed batch leaves
    no worker running.
    """
    global _WORKER
    # Ctrl-C reaches the whole process group; only the parent handles it (it
    # stops submitting, waits for the few rows in hand, then cleans up), so a
    # worker is never killed between writing a temporary file and renaming it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A forked worker inherits the CLI's SIGTERM handler (which raises
    # KeyboardInterrupt); here SIGTERM, the parent-death signal, simply ends it.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    lifeline.die_with_parent(owner)
    _WORKER = _Renderer(template, config)


def _work_chunk(tasks: list[_Task]) -> list[_Outcome]:
    assert _WORKER is not None, "worker used without its initializer"
    return [_WORKER.run(task) for task in tasks]


def _mp_context() -> BaseContext:
    """How worker processes start: the fastest way that is safe here.

    fork starts workers in milliseconds with everything imported, but is only
    safe while this process has no other threads: a thread holding a lock at
    the moment of the fork (a progress bar's refresh thread, say) leaves that
    lock held forever in the child. With threads running, Linux uses a fork
    server instead: one clean process, started once per program with this
    module preloaded, forks the workers (measured: about 0.5 s the first time,
    0.1 s after, against 1 s or more every time for spawn). Elsewhere, spawn:
    macOS system libraries forbid fork, and Windows has nothing else.
    """
    import multiprocessing

    if sys.platform.startswith("linux"):
        if threading.active_count() == 1:
            return multiprocessing.get_context("fork")
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])
        return context
    return multiprocessing.get_context("spawn")


# --------------------------------------------------------------------------- the batch

_Slot = RowResult | _Task


class _Collector:
    """Receives outcomes in row order: writes zip members, counts, calls ``on_result``."""

    def __init__(
        self,
        *,
        mode: Literal["folder", "zip", "dry"],
        date_time: tuple[int, int, int, int, int, int],
        on_result: Callable[[RowResult], object] | None,
    ) -> None:
        self._mode = mode
        self.archive: zipfile.ZipFile | None = None  # set while the zip is open
        self._date_time = date_time
        self._on_result = on_result
        self.results: list[RowResult] = []
        self.outputs: list[str] = []
        self.written = 0

    def ready(self, result: RowResult) -> None:
        self._emit(result)

    def outcome(self, task: _Task, outcome: _Outcome) -> None:
        if outcome.status == "ok":
            if self._mode == "zip":
                assert self.archive is not None
                assert outcome.data is not None
                info = zipfile.ZipInfo(task.file, date_time=self._date_time)
                # Documents are zips already: storing is fast and deflating gains nothing.
                info.compress_type = zipfile.ZIP_STORED
                info.external_attr = 0o644 << 16
                try:
                    self.archive.writestr(info, outcome.data)
                except OSError as exc:
                    raise BatchError(f"cannot write the archive: {exc.strerror or one_line(exc)}") from None
                self.written += 1
            elif self._mode == "folder":
                self.outputs.append(task.file)
                self.written += 1
        self._emit(
            RowResult(
                task.row,
                task.file,
                outcome.status,
                outcome.error,
                outcome.missing,
                outcome.blank,
                outcome.why,
                task.key,
            )
        )

    def _emit(self, result: RowResult) -> None:
        self.results.append(result)
        if self._on_result is not None:
            self._on_result(result)


def run_rows(
    template: Template,
    records: Iterable[RecordLike],
    options: BatchOptions,
    *,
    stem: str,
    total: int | None = None,
    on_result: Callable[[RowResult], object] | None = None,
) -> BatchSummary:
    """Fill ``template`` once per record and write (or zip, or just check) the documents.

    ``stem`` starts the default names (``offer`` -> ``offer-0001.docx``).
    Default names use at least four digits, more when ``total`` (or
    ``len(records)``) says there are more rows; for a stream of unknown length
    they use four and simply grow past row 9999. ``on_result`` is called in
    row order as each row finishes, after its file is in place; an exception
    from it (KeyboardInterrupt included) stops the batch, shuts the workers
    down, removes temporary files and propagates.

    Raises MacroTemplateError for a macro-enabled template without
    ``allow_macros``, BatchError when the output folder cannot be used,
    OutputError when the archive cannot be written (OutputExistsError when it
    exists without ``overwrite``, and when a row's name is one of
    ``options.inputs``: the batch stops there, the input untouched). Other row
    problems are results, never exceptions.
    """
    started = time.perf_counter()
    if template.is_macro_enabled and not options.allow_macros:
        template.fill({}, allow_macros=False)  # raises the engine's MacroTemplateError

    mode: Literal["folder", "zip", "dry"] = (
        "dry" if options.dry_run else "zip" if options.zip_path is not None else "folder"
    )
    _prepare_output(options)
    if total is None and isinstance(records, Sized):
        total = len(records)
    namer = make_namer(template, options, stem=stem, total=total)
    run_id = uuid.uuid4().hex[:12]
    temp_dir = options.zip_path.parent if options.zip_path is not None else options.out_dir
    temp_prefix = writer.run_prefix(f"{run_id}-")
    config = _Config(
        mode,
        options.missing,
        options.allow_macros,
        options.overwrite,
        options.image_dir,
        options.max_image_bytes,
        temp_prefix if mode == "folder" else None,
        options.out_url,
        url_listed=True,
    )
    collector = _Collector(mode=mode, date_time=time.localtime()[:6], on_result=on_result)
    try:
        if options.zip_path is not None and mode == "zip":
            with (
                writer.staged(options.zip_path, overwrite=options.overwrite, prefix=temp_prefix) as staged,
                zipfile.ZipFile(staged, "w") as archive,
            ):
                collector.archive = archive
                _render_all(records, options, namer, mode, temp_dir, template, config, collector)
            collector.outputs.append(str(options.zip_path))
        else:
            _render_all(records, options, namer, mode, temp_dir, template, config, collector)
    finally:
        if mode == "folder" and options.out_url is None:
            # Catches what a worker or an interrupted write left behind.
            for leftover in temp_dir.glob(f"{temp_prefix}*.tmp"):
                with contextlib.suppress(OSError):
                    leftover.unlink()

    return BatchSummary.of(
        tuple(collector.results),
        written=collector.written,
        elapsed=time.perf_counter() - started,
        outputs=tuple(collector.outputs),
        dry_run=options.dry_run,
        zip_path=options.zip_path if mode == "zip" else None,
        output_kind=template.extension.lstrip(".") + ("+zip" if mode == "zip" else ""),
        destination=None if mode == "dry" else str(options.zip_path or options.out_url or options.out_dir),
    )


def make_namer(template: Template, options: BatchOptions, *, stem: str, total: int | None) -> Namer:
    """The row-order namer of a batch (``offer-0001.docx``, at least four digits, more for more rows)."""
    return Namer(
        stem=stem or "document",
        extension=template.extension,
        pattern=options.name_pattern,
        delimiters=template.delimiters,
        width=max(4, len(str(total))) if total is not None else 4,
        locale=template.locale,
    )


def _render_all(
    records: Iterable[RecordLike],
    options: BatchOptions,
    namer: Namer,
    mode: Literal["folder", "zip", "dry"],
    out_dir: Path,
    template: Template,
    config: _Config,
    collector: _Collector,
) -> None:
    """Name and render every record, inline for a small batch, in worker processes for a large one."""
    slots = _plan(records, options, namer, mode, out_dir)
    # Look ahead before paying for a pool: a small batch is done inline.
    head: list[_Slot] = []
    tasks_ahead = 0
    # memory:// lives in this process: what a worker process put there would be lost with it.
    in_process = options.out_url is not None and options.out_url.startswith("memory://")
    if options.jobs > 1 and not in_process:
        for slot in slots:
            head.append(slot)
            if isinstance(slot, _Task):
                tasks_ahead += 1
                if tasks_ahead >= INLINE_BELOW:
                    break
    if tasks_ahead >= INLINE_BELOW:
        _run_pool(chain(head, slots), template, config, options.jobs, collector)
        return
    renderer = _Renderer(template, config)
    for slot in chain(head, slots):
        if isinstance(slot, _Task):
            collector.outcome(slot, renderer.run(slot))
        else:
            collector.ready(slot)


def _prepare_output(options: BatchOptions) -> None:
    """Check (and unless a dry run, create) where the documents go. Raises BatchError."""
    if options.out_url is not None and options.zip_path is None:
        if not options.dry_run:
            from mytypist_cli import storage

            storage.prepare_folder(options.out_url)
        return
    if options.zip_path is not None:
        target = options.zip_path
        if target.is_dir():
            raise BatchError(f"{target} is a folder; give a .zip file name")
        if os.path.lexists(target) and not options.overwrite:
            raise OutputExistsError(writer.exists_message(target))
        folder = target.parent
    else:
        folder = options.out_dir
    if folder.exists() and not folder.is_dir():
        raise BatchError(f"{folder} exists and is not a folder")
    if options.dry_run:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BatchError(f"cannot create {folder}: {exc.strerror or exc}") from None


def _url_join(base: str, name: str) -> str:
    return base.rstrip("/") + "/" + name


def _join(base: str, name: str) -> str:
    """``str(Path(base) / name)``, without building a Path for every row."""
    return name if base == "." else os.path.join(base, name)


class _Existing:
    """Which names are already taken in the output folder, without a stat per row.

    The folder is listed once: a stat per row contends with the workers'
    renames in the same folder. Only a name that matches the listing (by case
    and Unicode form, as macOS and Windows compare) is confirmed with lstat,
    which also gives the file system's own verdict on case. A file that
    appears later is still never replaced: the final link refuses it.
    """

    def __init__(self, folder: Path, url: str | None = None) -> None:
        self._url = url
        if url is not None:
            from mytypist_cli import storage

            # An object store is listed once too; its listing is the truth (no case folding there).
            self._keys = storage.names_in(url)
            return
        try:
            listed = os.listdir(folder)
        except OSError:
            listed = []
        self._keys = {_fold(name) for name in listed}

    def has(self, name: str, path: str) -> bool:
        if self._url is not None:
            return name in self._keys
        # lexists: a dangling symlink in the way counts as taken too.
        return _fold(name) in self._keys and os.path.lexists(path)


def _identity(path: str | Path) -> tuple[int, int] | None:
    """A file's (device, inode), following links; None when it cannot be read."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    return (found.st_dev, found.st_ino)


def _identities(paths: Iterable[Path]) -> frozenset[tuple[int, int]]:
    return frozenset(found for found in map(_identity, paths) if found is not None)


def _fold(name: str) -> str:
    return unicodedata.normalize("NFC", name).casefold()


def _plan(
    records: Iterable[RecordLike],
    options: BatchOptions,
    namer: Namer,
    mode: Literal["folder", "zip", "dry"],
    out_dir: Path,
    outputs: Callable[[str], tuple[str, ...]] | None = None,
) -> Iterator[_Slot]:
    """Name every row in order; yield a ready result (failed or skipped) or a task to render.

    ``outputs`` maps a row's document path to every file the row will write
    (its PDF too, on a cluster): any of them already there makes the row exist.
    """
    if options.limit == 0:
        return
    url = options.out_url if mode != "zip" else None
    existing = _Existing(out_dir, url) if mode != "zip" else None
    inputs = _identities(options.inputs)
    base = url if url is not None else str(out_dir)
    handled = 0
    for seq, record in enumerate(records):
        if record.number < options.start_at:
            if not isinstance(record, Skipped):
                namer.reserve_quietly(record.number, record.values)
            continue
        mine = options.shard is None or _shard_of(handled, options) == options.shard[0]
        if isinstance(record, Skipped):
            if mine:
                yield RowResult(record.number, None, "skipped", record.reason, why="blank")
            continue
        if mine:
            yield _slot(seq, record, options, namer, existing, base, inputs, outputs)
        else:
            namer.reserve_quietly(record.number, record.values)  # another shard's row keeps its name
        handled += 1
        if options.limit is not None and handled >= options.limit:
            return  # before the next record is pulled: the rest of a stream is never read


def _shard_of(index: int, options: BatchOptions) -> int:
    """Which shard (1..n) the document at ``index`` (0-based, in row order) belongs to.

    Shards are consecutive runs of documents, so the n reports one after another are the whole
    run's report in row order; a skipped blank row goes with the document after it.
    """
    assert options.shard is not None
    count = options.documents if options.limit is None else min(options.documents, options.limit)
    shards = options.shard[1]
    if count <= 0:
        return 1
    return min(index, count - 1) * shards // count + 1


def _slot(
    seq: int,
    record: RecordLike,
    options: BatchOptions,
    namer: Namer,
    existing: _Existing | None,
    base: str,
    inputs: frozenset[tuple[int, int]] = frozenset(),
    outputs: Callable[[str], tuple[str, ...]] | None = None,
) -> _Slot:
    key = record.key if isinstance(record, Group) else None
    problem = record.problem if isinstance(record, Group) else None
    try:
        name = namer.name_for(record.number, record.values)
    except NamingError as exc:
        return RowResult(record.number, None, "failed", problem or str(exc), key=key)
    file = name if existing is None else (_url_join(base, name) if options.out_url else _join(base, name))
    if problem is not None:
        return RowResult(record.number, file, "failed", problem, key=key)
    taken = None
    if existing is not None:
        for target in (file,) if outputs is None else outputs(file):
            leaf = target.rsplit("/", 1)[-1] if options.out_url else os.path.basename(target)
            if existing.has(leaf, target):
                taken = target
                break
    if taken is not None:
        shown = file if outputs is None else outputs(file)[0]
        if inputs and _identity(taken) in inputs:
            # Even a dry run stops: the real run would replace the template or the data.
            raise OutputError(f"{taken} is an input of this run; choose another output name (--name)")
        if options.skip_existing:
            return RowResult(record.number, shown, "skipped", f"{taken} exists", why="exists", key=key)
        if not options.overwrite:
            return RowResult(
                record.number, shown, "failed", writer.exists_message(taken), why="exists", key=key
            )
    values = record.values
    if isinstance(values, Mapping) and not isinstance(values, dict):
        values = dict(values)  # a plain dict pickles for workers; a non-mapping fails in the engine
    return _Task(seq, record.number, file, values, key)


def _run_pool(
    slots: Iterator[_Slot],
    template: Template,
    config: _Config,
    jobs: int,
    collector: _Collector,
) -> None:
    """Render tasks in worker processes, reporting results strictly in row order."""
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    limit = jobs * _IN_FLIGHT_PER_JOB
    pending: deque[tuple[list[_Slot], Future[list[_Outcome]] | None]] = deque()
    in_flight = 0

    def report(entry: tuple[list[_Slot], Future[list[_Outcome]] | None]) -> int:
        chunk, future = entry
        outcomes = iter(future.result() if future is not None else [])
        done = 0
        for slot in chunk:
            if isinstance(slot, _Task):
                collector.outcome(slot, next(outcomes))
                done += 1
            else:
                collector.ready(slot)
        return done

    pool = ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=_mp_context(),
        initializer=_init_worker,
        # The Template pickles as its bytes and compiles again in each worker.
        initargs=(template, config, os.getpid()),
    )
    try:
        chunk: list[_Slot] = []
        tasks: list[_Task] = []
        for slot in chain(slots, [None]):
            if slot is not None:
                chunk.append(slot)
                if isinstance(slot, _Task):
                    tasks.append(slot)
                if len(chunk) < _CHUNK_ROWS:
                    continue
            if chunk:
                future = pool.submit(_work_chunk, tasks) if tasks else None
                pending.append((chunk, future))
                in_flight += len(tasks)
                chunk, tasks = [], []
            # Report what is finished at the front; block only when too much is in hand.
            while pending and (
                in_flight > limit or slot is None or pending[0][1] is None or pending[0][1].done()
            ):
                in_flight -= report(pending.popleft())
    except BrokenProcessPool:
        pool.shutdown(wait=True, cancel_futures=True)
        raise BatchError("a worker process stopped unexpectedly; try again with --jobs 1") from None
    except BaseException:
        # Ctrl-C, an error from on_result, or a bug: stop handing out rows and
        # wait for the few in progress, so nothing writes after the cleanup.
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
