"""Fill one template with many rows: name, render and write each document safely.

``fill_batch`` takes the template's bytes and any iterable of records (objects
with ``.number`` and ``.values``, such as ``records.Record``) and, row by row:

* decides the output name in the parent, in row order (``<stem>-0001.docx`` or
  a ``name_pattern`` filled like the document), makes it safe (``safe_name``),
  gives repeats ``-2``, ``-3``... and checks for an existing file;
* renders it (inline, or in worker processes when ``jobs > 1``) and writes it
  to a hidden temporary name in the same folder that is then renamed, so an
  interrupted run never leaves a half-written document;
* reports a ``RowResult`` through ``on_result`` in row order. A failed row
  never stops the others.

The result is the same for every ``jobs``: same names, same bytes, same order.
This module never prints or exits and imports neither typer nor rich; batch-wide
problems raise ``BatchError`` (a ``MytypistError``), per-row ones become results.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import multiprocessing
import os
import re
import signal
import sys
import threading
import time
import unicodedata
import uuid
import zipfile
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sized
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from itertools import chain
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Any, Literal, NamedTuple, Protocol

from mytypist_cli.engine.filters import DEFAULT_LOCALE
from mytypist_cli.engine.pictures import DEFAULT_MAX_IMAGE_BYTES
from mytypist_cli.engine.syntax import DEFAULT_DELIMITERS
from mytypist_cli.engine.template import Missing, Template, fill_text
from mytypist_cli.errors import MissingFieldsError, MytypistError

__all__ = [
    "INLINE_BELOW",
    "MAX_NAME_BYTES",
    "BatchError",
    "BatchOptions",
    "BatchSummary",
    "RecordLike",
    "RowResult",
    "Status",
    "fill_batch",
    "safe_name",
    "write_report",
]

Status = Literal["ok", "failed", "skipped"]

#: Longest output file name, in UTF-8 bytes: under every common file system's
#: 255 limit with room for a ``-NN`` suffix and for archive tools that add to it.
MAX_NAME_BYTES = 200
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
_DOCUMENT_EXTENSIONS = (".docx", ".docm", ".dotx", ".dotm")
_TEMP_PREFIX = ".~mytypist-"


class BatchError(MytypistError):
    """The batch as a whole cannot run: the output folder or archive is unusable."""


class RecordLike(Protocol):
    """What ``fill_batch`` needs of a record: its data row number (from 1) and values."""

    @property
    def number(self) -> int: ...

    @property
    def values(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class BatchOptions:
    """How a batch is named, written and run.

    ``out_dir`` is ignored when ``zip_path`` is given. ``start_at`` is the
    1-based data row number to begin with (rows before it are not rendered);
    ``limit`` caps the rows handled from there (failed and skipped ones count).
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
    locale: str = DEFAULT_LOCALE
    image_dir: Path | None = None
    max_image_bytes: int = DEFAULT_MAX_IMAGE_BYTES

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


@dataclass(frozen=True)
class RowResult:
    """What happened to one data row.

    ``file`` is the path written (``out_dir/name``, as given), the member name
    in zip mode, or the name it would have in a dry run; None when no name
    could be made. ``error`` is one line (``missing value for full_name``) for
    failed and skipped rows, None for ok ones. ``missing`` / ``blank`` list
    the placeholder names with no value / empty text in this row.
    """

    row: int
    file: str | None
    status: Status
    error: str | None = None
    missing: tuple[str, ...] = ()
    blank: tuple[str, ...] = ()


@dataclass(frozen=True)
class BatchSummary:
    """Totals for a finished batch.

    ``rows``: rows handled (from ``start_at``, up to ``limit``); ``ok``: rows
    rendered without error (would-be-written in a dry run); ``written``:
    documents actually written. ``missing`` / ``blank`` count, per
    placeholder name, the rows in which it had no value / empty text.
    ``outputs``: files written in row order (in zip mode: the archive).
    ``results``: every ``RowResult`` in row order.
    """

    rows: int
    ok: int
    written: int
    failed: int
    skipped: int
    missing: dict[str, int]
    blank: dict[str, int]
    elapsed: float
    outputs: tuple[str, ...]
    results: tuple[RowResult, ...]
    dry_run: bool
    zip_path: Path | None = None

    @property
    def failed_rows(self) -> tuple[int, ...]:
        """Row numbers that failed, in order (the first one is the ``--start-at`` hint)."""
        return tuple(result.row for result in self.results if result.status == "failed")


# --------------------------------------------------------------------------- safe names

# Windows refuses these in names; "/" and "\\" would also leave the folder.
_RESERVED_CHARS = frozenset('<>:"/\\|?*')
# Format characters are invisible; the bidirectional ones can disguise an
# extension ("evil\u202excod.exe"), so all of them go, except the joiners
# that some scripts need to spell words.
_JOINERS = frozenset("\u200c\u200d")
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cs", "Cf", "Zl", "Zp"})
_DEVICE_NAMES = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"{port}{digit}" for port in ("COM", "LPT") for digit in "0123456789\u00b9\u00b2\u00b3"}
)
_ASCII_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
_DOT_RUNS = re.compile(r"\.{2,}")
_TRAILING = re.compile(r"[\s.]+$")


def _safe_char(char: str) -> str:
    if char in _RESERVED_CHARS:
        return "_"
    if char not in _JOINERS and unicodedata.category(char) in _UNSAFE_CATEGORIES:
        return "_"
    return char


def _truncate(text: str, max_bytes: int) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= max_bytes:
        return text
    # "ignore" drops a character cut in half rather than leaving broken UTF-8.
    return encoded[:max_bytes].decode("utf-8", "ignore")


def safe_name(name: str, *, max_bytes: int = MAX_NAME_BYTES) -> str:
    """Turn any text into one safe file name component (never empty, never a path).

    Path separators, Windows-reserved characters (``<>:"/\\|?*``), control
    and invisible format characters and runs of dots become ``_``; leading
    and trailing spaces and trailing dots go; a leading dot (a hidden file)
    becomes ``_``; reserved device names (``CON``, ``NUL.txt``, ``COM1``...)
    get a ``_`` prefix; the result is NFC and at most ``max_bytes`` in UTF-8.
    Idempotent. Raises ValueError when ``max_bytes`` is under 16.
    """
    if max_bytes < 16:
        raise ValueError(f"max_bytes must be at least 16, not {max_bytes}")
    if name.isascii():  # the usual case, and already NFC: one regex instead of a loop
        text = _ASCII_UNSAFE.sub("_", name)
    else:
        text = "".join(_safe_char(char) for char in unicodedata.normalize("NFC", name))
    text = _DOT_RUNS.sub("_", text).strip()
    if text.startswith("."):
        text = "_" + text[1:]
    text = _TRAILING.sub("", _truncate(text, max_bytes))
    # Windows treats "CON.docx" (and "con .txt") as the console device, whatever follows.
    if text.split(".", 1)[0].rstrip().upper() in _DEVICE_NAMES:
        text = _TRAILING.sub("", _truncate("_" + text, max_bytes))
    return text or "_"


class _NameError(Exception):
    """A row's file name cannot be made; the message is the row's reason."""


class _Namer:
    """Decides every output name, in row order, so that any ``jobs`` gives the same names."""

    def __init__(
        self,
        *,
        stem: str,
        extension: str,
        pattern: str | None,
        delimiters: tuple[str, str],
        width: int,
        locale: str = DEFAULT_LOCALE,
    ) -> None:
        self._stem = stem
        self._extension = extension
        self._pattern = pattern
        self._delimiters = delimiters
        self._locale = locale
        self._width = width
        # Case-insensitive, as on Windows and macOS, where "Ada.docx" and
        # "ada.docx" are one file (and so are zip members once extracted there).
        self._used: set[str] = set()

    def name_for(self, number: int, values: Mapping[str, Any]) -> str:
        """The next name for this row, reserved. Raises _NameError."""
        if self._pattern is None:
            # The data row number, not a running count, so that a resumed run
            # (start_at) gives every row the name the first run gave it.
            stem = f"{self._stem}-{number:0{self._width}d}"
        else:
            stem = self._from_pattern(values)
        return self._reserve(stem)

    def reserve_quietly(self, number: int, values: Mapping[str, Any]) -> None:
        """Take the name a row before ``start_at`` had, so later rows keep theirs."""
        with contextlib.suppress(_NameError, MytypistError):
            self.name_for(number, values)

    def _from_pattern(self, values: Mapping[str, Any]) -> str:
        assert self._pattern is not None
        try:
            text = fill_text(self._pattern, values, delimiters=self._delimiters, locale=self._locale)
        except MytypistError as exc:
            raise _NameError(f"file name: {_one_line(exc)}") from None
        lowered = text.lower()
        for extension in _DOCUMENT_EXTENSIONS:
            if lowered.endswith(extension):
                # The template decides what is made: "x.docx" from a .docm
                # template would be a file Word refuses to open.
                text = text[: -len(extension)]
                break
        if not text.strip():
            raise _NameError("file name: the name pattern gives an empty name for this row")
        return text

    def _reserve(self, raw_stem: str) -> str:
        room = MAX_NAME_BYTES - len(self._extension.encode("utf-8"))
        stem = safe_name(raw_stem, max_bytes=room)
        name = stem + self._extension
        counter = 1
        while name.casefold() in self._used:
            counter += 1
            suffix = f"-{counter}"
            shorter = _TRAILING.sub("", _truncate(stem, room - len(suffix))) or "_"
            name = shorter + suffix + self._extension
        self._used.add(name.casefold())
        return name


# --------------------------------------------------------------------------- rendering


class _Task(NamedTuple):
    """One row to render; sent to a worker, so it holds only picklable plain data.

    A named tuple, not a dataclass: it pickles about ten times faster, and
    pickling is most of the parent's work per row when the workers are busy.
    """

    seq: int
    row: int
    file: str
    temp: str | None
    values: Mapping[str, Any]


class _Outcome(NamedTuple):
    status: Status
    error: str | None
    missing: tuple[str, ...]
    blank: tuple[str, ...]
    data: bytes | None


@dataclass(frozen=True)
class _Config:
    """What every renderer (inline or in a worker) needs besides the template."""

    mode: Literal["folder", "zip", "dry"]
    missing: Missing
    allow_macros: bool
    overwrite: bool
    locale: str
    image_dir: Path | None
    max_image_bytes: int


class _Exists(Exception):
    pass


def _exists_message(file: str) -> str:
    return f"{file} exists; pass --overwrite to replace it"


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _commit(temp: str, final: str, *, overwrite: bool) -> None:
    """Move a finished temporary file to its name; never replaces unless ``overwrite``.

    Without overwrite a hard link is made first: it fails if the name was
    taken meanwhile (by another program), where a rename would silently replace.
    """
    if overwrite:
        os.replace(temp, final)
        return
    try:
        os.link(temp, final)
    except FileExistsError:
        raise _Exists from None
    except OSError:
        # No hard links on this file system (FAT, some network shares).
        if os.path.lexists(final):
            raise _Exists from None
        os.replace(temp, final)
        return
    os.unlink(temp)


class _Renderer:
    """Renders (and in folder mode writes) one row; the same code inline and in workers."""

    def __init__(self, template: Template, config: _Config) -> None:
        self._template = template
        self._config = config

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
        except MytypistError as exc:
            missing = exc.names if isinstance(exc, MissingFieldsError) else ()
            return _Outcome("failed", _one_line(exc), missing, (), None)
        data: bytes | None = None
        if config.mode == "folder":
            assert task.temp is not None
            try:
                _write_atomically(task.temp, task.file, filled.data, overwrite=config.overwrite)
            except _Exists:
                return _Outcome("failed", _exists_message(task.file), filled.missing, filled.blank, None)
            except OSError as exc:
                reason = exc.strerror or _one_line(exc)
                return _Outcome(
                    "failed", f"cannot write {task.file}: {reason}", filled.missing, filled.blank, None
                )
        elif config.mode == "zip":
            data = filled.data
        return _Outcome("ok", None, filled.missing, filled.blank, data)


def _write_atomically(temp: str, final: str, data: bytes, *, overwrite: bool) -> None:
    try:
        # "x": a leftover of the same name is never written through (nor a symlink followed).
        with open(temp, "xb") as handle:
            handle.write(data)
        _commit(temp, final, overwrite=overwrite)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


_WORKER: _Renderer | None = None


def _init_worker(template_bytes: bytes, delimiters: tuple[str, str], config: _Config) -> None:
    """Pool initializer: compile the template once per worker process."""
    global _WORKER
    # Ctrl-C reaches the whole process group; only the parent handles it (it
    # stops submitting, waits for the few rows in hand, then cleans up), so a
    # worker is never killed between writing a temporary file and renaming it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _WORKER = _Renderer(Template.open(template_bytes, delimiters=delimiters, locale=config.locale), config)


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
        archive: zipfile.ZipFile | None,
        date_time: tuple[int, int, int, int, int, int],
        on_result: Callable[[RowResult], object] | None,
    ) -> None:
        self._mode = mode
        self._archive = archive
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
                assert self._archive is not None
                assert outcome.data is not None
                info = zipfile.ZipInfo(task.file, date_time=self._date_time)
                # Documents are zips already: storing is fast and deflating gains nothing.
                info.compress_type = zipfile.ZIP_STORED
                info.external_attr = 0o644 << 16
                try:
                    self._archive.writestr(info, outcome.data)
                except OSError as exc:
                    raise BatchError(f"cannot write the archive: {exc.strerror or _one_line(exc)}") from None
                self.written += 1
            elif self._mode == "folder":
                self.outputs.append(task.file)
                self.written += 1
        self._emit(
            RowResult(task.row, task.file, outcome.status, outcome.error, outcome.missing, outcome.blank)
        )

    def _emit(self, result: RowResult) -> None:
        self.results.append(result)
        if self._on_result is not None:
            self._on_result(result)


def fill_batch(
    template_bytes: bytes,
    records: Iterable[RecordLike],
    options: BatchOptions,
    *,
    template_name: str,
    delimiters: str | tuple[str, str] = DEFAULT_DELIMITERS,
    total: int | None = None,
    on_result: Callable[[RowResult], object] | None = None,
    compiled: Template | None = None,
) -> BatchSummary:
    """Fill the template once per record and write (or zip, or just check) the documents.

    ``template_name`` gives the default names' stem (``offer.docx`` ->
    ``offer-0001.docx``). Default names use at least four digits, more when
    ``total`` (or ``len(records)``) says there are more rows; for a stream of
    unknown length they use four and simply grow past row 9999.
    ``on_result`` is called in row order as each row finishes, after its file
    is in place; an exception from it (KeyboardInterrupt included) stops the
    batch, shuts the workers down, removes temporary files and propagates.
    ``compiled``: the template already opened from ``template_bytes`` with the
    same delimiters and ``options.locale``, so this process need not compile it again.

    Raises TemplateError for an unusable template, MacroTemplateError for a
    macro-enabled one without ``allow_macros``, BatchError when the output
    folder or archive cannot be used (or the archive exists without
    ``overwrite``). Row problems are results, never exceptions.
    """
    started = time.perf_counter()
    # A caller that has already opened the template (the CLI has) spares compiling it again
    # here; worker processes still compile their own copy from the bytes.
    template = compiled or Template.open(template_bytes, delimiters=delimiters, locale=options.locale)
    if template.is_macro_enabled and not options.allow_macros:
        template.fill({}, allow_macros=False)  # raises the engine's MacroTemplateError

    mode: Literal["folder", "zip", "dry"] = (
        "dry" if options.dry_run else "zip" if options.zip_path is not None else "folder"
    )
    _prepare_output(options)
    if total is None and isinstance(records, Sized):
        total = len(records)
    namer = _Namer(
        stem=Path(template_name).stem or "document",
        extension=template.extension,
        pattern=options.name_pattern,
        delimiters=template.delimiters,
        width=max(4, len(str(total))) if total is not None else 4,
        locale=options.locale,
    )
    run_id = uuid.uuid4().hex[:12]
    temp_dir = options.zip_path.parent if options.zip_path is not None else options.out_dir
    temp_glob = f"{_TEMP_PREFIX}{run_id}-*.tmp"
    config = _Config(
        mode,
        options.missing,
        options.allow_macros,
        options.overwrite,
        options.locale,
        options.image_dir,
        options.max_image_bytes,
    )

    archive: zipfile.ZipFile | None = None
    zip_temp = temp_dir / f"{_TEMP_PREFIX}{run_id}-zip.tmp"
    try:
        if mode == "zip":
            try:
                archive = zipfile.ZipFile(zip_temp, "x")
            except OSError as exc:
                raise BatchError(f"cannot write {options.zip_path}: {exc.strerror or exc}") from None
        collector = _Collector(
            mode=mode,
            archive=archive,
            date_time=time.localtime()[:6],
            on_result=on_result,
        )
        slots = _plan(records, options, namer, mode, temp_dir, run_id)
        # Look ahead before paying for a pool: a small batch is done inline.
        head: list[_Slot] = []
        tasks_ahead = 0
        if options.jobs > 1:
            for slot in slots:
                head.append(slot)
                if isinstance(slot, _Task):
                    tasks_ahead += 1
                    if tasks_ahead >= INLINE_BELOW:
                        break
        if tasks_ahead >= INLINE_BELOW:
            _run_pool(
                chain(head, slots), template_bytes, template.delimiters, config, options.jobs, collector
            )
        else:
            renderer = _Renderer(template, config)
            for slot in chain(head, slots):
                if isinstance(slot, _Task):
                    collector.outcome(slot, renderer.run(slot))
                else:
                    collector.ready(slot)
        if archive is not None:
            assert options.zip_path is not None
            archive.close()
            archive = None
            try:
                _commit(str(zip_temp), str(options.zip_path), overwrite=options.overwrite)
            except _Exists:
                raise BatchError(_exists_message(str(options.zip_path))) from None
            except OSError as exc:
                raise BatchError(f"cannot write {options.zip_path}: {exc.strerror or exc}") from None
            collector.outputs.append(str(options.zip_path))
    finally:
        if archive is not None:
            with contextlib.suppress(OSError):
                archive.close()
        if mode != "dry":
            # Catches what a worker or an interrupted write left behind.
            for leftover in chain(temp_dir.glob(temp_glob), [zip_temp]):
                with contextlib.suppress(OSError):
                    leftover.unlink()

    results = tuple(collector.results)
    missing: Counter[str] = Counter()
    blank: Counter[str] = Counter()
    for result in results:
        missing.update(result.missing)
        blank.update(result.blank)
    counts = Counter(result.status for result in results)
    return BatchSummary(
        rows=len(results),
        ok=counts["ok"],
        written=collector.written,
        failed=counts["failed"],
        skipped=counts["skipped"],
        missing=dict(missing),
        blank=dict(blank),
        elapsed=time.perf_counter() - started,
        outputs=tuple(collector.outputs),
        results=results,
        dry_run=options.dry_run,
        zip_path=options.zip_path if mode == "zip" else None,
    )


def _prepare_output(options: BatchOptions) -> None:
    """Check (and unless a dry run, create) where the documents go. Raises BatchError."""
    if options.zip_path is not None:
        target = options.zip_path
        if target.is_dir():
            raise BatchError(f"{target} is a folder; give a .zip file name")
        if os.path.lexists(target) and not options.overwrite:
            raise BatchError(_exists_message(str(target)))
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

    def __init__(self, folder: Path) -> None:
        try:
            listed = os.listdir(folder)
        except OSError:
            listed = []
        self._keys = {_fold(name) for name in listed}

    def has(self, name: str, path: str) -> bool:
        # lexists: a dangling symlink in the way counts as taken too.
        return _fold(name) in self._keys and os.path.lexists(path)


def _fold(name: str) -> str:
    return unicodedata.normalize("NFC", name).casefold()


def _plan(
    records: Iterable[RecordLike],
    options: BatchOptions,
    namer: _Namer,
    mode: Literal["folder", "zip", "dry"],
    out_dir: Path,
    run_id: str,
) -> Iterator[_Slot]:
    """Name every row in order; yield a ready result (failed or skipped) or a task to render."""
    if options.limit == 0:
        return
    existing = _Existing(out_dir) if mode != "zip" else None
    base = str(out_dir)
    temp_prefix = _join(base, f"{_TEMP_PREFIX}{run_id}-") if mode == "folder" else None
    handled = 0
    for seq, record in enumerate(records):
        if record.number < options.start_at:
            namer.reserve_quietly(record.number, record.values)
            continue
        yield _slot(seq, record, options, namer, existing, base, temp_prefix)
        handled += 1
        if options.limit is not None and handled >= options.limit:
            return  # before the next record is pulled: the rest of a stream is never read


def _slot(
    seq: int,
    record: RecordLike,
    options: BatchOptions,
    namer: _Namer,
    existing: _Existing | None,
    base: str,
    temp_prefix: str | None,
) -> _Slot:
    try:
        name = namer.name_for(record.number, record.values)
    except _NameError as exc:
        return RowResult(record.number, None, "failed", str(exc))
    if existing is None:
        file = name
    else:
        file = _join(base, name)
        if existing.has(name, file):
            if options.skip_existing:
                return RowResult(record.number, file, "skipped", f"{file} exists")
            if not options.overwrite:
                return RowResult(record.number, file, "failed", _exists_message(file))
    temp = f"{temp_prefix}{seq}.tmp" if temp_prefix is not None else None
    values = record.values
    if isinstance(values, Mapping) and not isinstance(values, dict):
        values = dict(values)  # a plain dict pickles for workers; a non-mapping fails in the engine
    return _Task(seq, record.number, file, temp, values)


def _run_pool(
    slots: Iterator[_Slot],
    template_bytes: bytes,
    delimiters: tuple[str, str],
    config: _Config,
    jobs: int,
    collector: _Collector,
) -> None:
    """Render tasks in worker processes, reporting results strictly in row order."""
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
        initargs=(template_bytes, delimiters, config),
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


# --------------------------------------------------------------------------- report


def write_report(results: Iterable[RowResult], path: Path) -> None:
    """Write every row's ``row``, ``file``, ``status`` and ``error`` as .json or .csv, atomically.

    JSON is an array of objects (``null`` for no file or no error); CSV has a
    header row and empty cells for those. Raises ValueError for another
    extension, BatchError when the file cannot be written.
    """
    kind = path.suffix.lower()
    rows = [
        {"row": result.row, "file": result.file, "status": result.status, "error": result.error}
        for result in results
    ]
    if kind == ".json":
        text = json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    elif kind == ".csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=["row", "file", "status", "error"])
        writer.writeheader()
        writer.writerows({key: "" if value is None else value for key, value in row.items()} for row in rows)
        text = buffer.getvalue()
    else:
        raise ValueError(f"a report is .json or .csv, not {path.name!r}")
    temp = path.with_name(f"{_TEMP_PREFIX}{uuid.uuid4().hex[:12]}-report.tmp")
    try:
        # newline="": the CSV writer already ends rows with \r\n (RFC 4180).
        with open(temp, "x", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(temp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise BatchError(f"cannot write report {path}: {exc.strerror or _one_line(exc)}") from None
