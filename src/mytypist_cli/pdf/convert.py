"""PDF output through LibreOffice: find it, convert .docx files in batches, render a preview PNG.

Speed: starting LibreOffice costs about half a second once its profile is
seeded (``seed_profile``: otherwise it runs its graphics self-tests, a second
more, on every start), converting one document about a quarter of one. So
documents go to ``soffice --convert-to pdf`` in chunks (one start-up per
chunk, not per document), with ``jobs`` instances running at once, each with
its own temporary user profile (two instances sharing a profile block each other).

Robustness: LibreOffice writes the PDFs of a chunk in argument order, so the run
watches its temporary output folder and puts each PDF in place as soon as it is
whole (its lock file gone, or the next one begun), so results come as they are
made. It also opens each document only when it gets to it, so a caller may have
documents made while LibreOffice runs (``make``: the fast path renders its
combined chunks that way, LibreOffice starting after the first). When no new PDF
has appeared for ``timeout`` seconds the instance is killed (its whole process
group); the PDFs already written are kept, the document it was stuck on is
retried alone (and fails on its own if it hangs again) and the rest go back into
the queue. A document LibreOffice cannot load gets no PDF and fails its own
entry. Every instance runs in its own session and is killed in ``finally``,
Ctrl-C included; profiles and temporary folders are removed. PDFs are written
into a temporary folder inside ``out_dir`` and put in place by
:mod:`mytypist_cli.writer` (never over an existing PDF unless ``overwrite``), so
a reader never sees half a PDF.

Library code: imports neither typer nor rich, never prints or exits.
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import signal
import subprocess
import tempfile
import time
import zipfile
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mytypist_cli import lifeline, writer
from mytypist_cli.errors import ConversionError, ConverterMissingError, OutputError

# ConversionError and ConverterMissingError live in errors.py; re-exported for older imports.
__all__ = [
    "ConversionError",
    "ConversionResult",
    "ConverterMissingError",
    "convert_files",
    "convert_to_pdf",
    "find_soffice",
    "render_preview_png",
]

PathLike = str | os.PathLike[str]

SOFFICE_ENV = "MYTYPIST_SOFFICE"
INSTALL_HINT = (
    "install LibreOffice: `apt-get install libreoffice-writer-nogui` on Debian/Ubuntu, "
    "or the download from https://www.libreoffice.org/download/ elsewhere"
)
# Each start-up costs a fixed half second or more; bigger chunks only delay the first results and
# the retry after a hang.
MAX_CHUNK = 64
# The PDF export filter with Word bookmarks written as named destinations (how a combined PDF
# is split back per record); JSON filter options need LibreOffice 7.4 or later.
BOOKMARKS_FILTER = (
    'pdf:writer_pdf_Export:{"ExportBookmarksToPDFDestination":{"type":"boolean","value":"true"}}'
)
# LibreOffice's documented switch (vcl's list of environment variables) for PDF streams written
# uncompressed: for a caller that saves the PDF again, compressed, on a core LibreOffice is not using.
UNCOMPRESSED_ENV = "VCL_DEBUG_DISABLE_PDFCOMPRESSION"
POLL_SECONDS = 0.05
WORD_SUFFIXES = {".docx", ".docm", ".dotx", ".dotm"}
# Temporary LibreOffice profiles are made under this prefix (tests look for stray processes by it).
PROFILE_PREFIX = "mytypist-soffice-"
# LibreOffice 7.2 and later draw their graphics self-tests (about a second) on every start whose
# profile records no version, taking it for an upgrade; a headless conversion never records one. A
# last version no release reaches says "no upgrade" (utl::isProductVersionUpgraded), and a start
# with one document falls from about 1.8 s to 0.8 s with a new profile, 0.55 s with a used one.
_PROFILE_SEED = """\
<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Setup/Product"><prop oor:name="ooSetupLastVersion" oor:op="fuse">\
<value>9999.9</value></prop></item>
</oor:items>
"""


@dataclass(frozen=True)
class ConversionResult:
    """One input's outcome: ``pdf`` is the written file, or ``error`` says why there is none."""

    source: Path
    pdf: Path | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.pdf is not None


def find_soffice(env: Mapping[str, str] = os.environ) -> Path:
    """The LibreOffice program: ``$MYTYPIST_SOFFICE``, else ``soffice`` or ``libreoffice`` on PATH.

    Raises ConverterMissingError, with how to install LibreOffice, when there is none.
    """
    given = env.get(SOFFICE_ENV)
    if given:
        found = shutil.which(given, path=env.get("PATH"))
        if found is None:
            raise ConverterMissingError(
                f"{SOFFICE_ENV}={given} is not an executable program; point it at LibreOffice's "
                f"soffice, or unset it and {INSTALL_HINT}"
            )
        return Path(found)
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name, path=env.get("PATH", os.defpath))
        if found is not None:
            return Path(found)
    raise ConverterMissingError(
        f"LibreOffice (soffice) was not found on PATH; {INSTALL_HINT} (or set {SOFFICE_ENV} to its soffice)"
    )


# -- batches ------------------------------------------------------------------------------


@dataclass
class _Chunk:
    """Documents for one LibreOffice run; ``alone`` marks a suspect retried on its own."""

    sources: list[Path]
    alone: bool = False


@dataclass
class _Instance:
    """One LibreOffice slot: its profile, and the run in progress (if any)."""

    profile: Path
    process: subprocess.Popen[bytes] | None = None
    chunk: _Chunk | None = None
    outdir: Path | None = None
    seen: set[str] = field(default_factory=set)
    locked: set[str] = field(default_factory=set)
    last_progress: float = 0.0


@dataclass(frozen=True)
class _Export:
    """How LibreOffice writes a run's PDFs: bookmarks as named destinations or not; streams compressed?"""

    bookmarks: bool
    compress: bool


@dataclass
class _Maker:
    """Documents written as LibreOffice runs get to them (``convert_to_pdf``'s ``make``)."""

    make: Callable[[Path], bool]
    finish: Callable[[ConversionResult], None]
    pending: set[Path]
    made_during_run: set[Path] = field(default_factory=set)

    def make_first(self, chunk: _Chunk) -> None:
        """Before a run starts: make its first document (dropping any there is nothing for)."""
        while chunk.sources and chunk.sources[0] in self.pending:
            if self._made(chunk.sources[0]):
                return
            del chunk.sources[0]

    def make_next(self, instance: _Instance) -> None:
        """While a run goes on: make the next of its documents not made yet, if any."""
        if instance.process is None or instance.chunk is None:
            return
        sources = instance.chunk.sources
        upcoming = next((source for source in sources if source in self.pending), None)
        if upcoming is None:
            return
        if self._made(upcoming):
            self.made_during_run.add(upcoming)
        else:
            sources.remove(upcoming)  # LibreOffice finds no file there and goes on to the next

    def take_early(self, missing: Sequence[Path]) -> list[Path]:
        """Of a finished run's documents without a PDF, those it may have got to before they were made.

        Those made while it went on (each given once: made before its next run,
        a second miss is a real one) and those not made yet (made when their
        next run starts).
        """
        early = [s for s in missing if s in self.made_during_run or s in self.pending]
        self.made_during_run.difference_update(early)
        return early

    def _made(self, source: Path) -> bool:
        self.pending.discard(source)
        if self.make(source):
            return True
        self.finish(ConversionResult(source, None, "not made"))
        return False


def convert_files(
    files: Iterable[PathLike],
    out_dir: PathLike | None = None,
    *,
    jobs: int = 1,
    timeout: float = 120.0,
    overwrite: bool = False,
    soffice: PathLike | None = None,
    on_result: Callable[[ConversionResult], None] | None = None,
) -> list[ConversionResult]:
    """Convert documents to PDF: into ``out_dir``, or each beside its document when None.

    What ``mytypist convert`` does. Without ``overwrite`` a PDF that exists
    fails its own document (the others still convert); a folder, device or one
    of the inputs where a PDF would go fails it even with ``overwrite``.
    ``on_result`` is called once per document as its outcome is known (in no
    particular order). Returns one ConversionResult per input, in input order.

    Raises ConverterMissingError when LibreOffice cannot be found (before any
    work), ConversionError when an output folder cannot be created or written
    to, ValueError for ``jobs < 1`` or ``timeout <= 0``.
    """
    program = Path(soffice) if soffice is not None else find_soffice()
    sources = [Path(file) for file in files]
    groups: dict[Path, list[Path]] = {}
    for source in sources:
        groups.setdefault(Path(out_dir) if out_dir is not None else source.parent, []).append(source)
    outcome: dict[Path, ConversionResult] = {}
    for target, group in groups.items():
        results = convert_to_pdf(
            group,
            target,
            jobs=jobs,
            timeout=timeout,
            overwrite=overwrite,
            soffice=program,
            on_result=on_result,
        )
        outcome.update(zip(group, results, strict=True))
    return [outcome[source] for source in sources]


def convert_to_pdf(
    docx_paths: Iterable[PathLike],
    out_dir: PathLike,
    *,
    jobs: int = 1,
    timeout: float = 120.0,
    overwrite: bool = False,
    soffice: PathLike | None = None,
    on_result: Callable[[ConversionResult], None] | None = None,
    bookmarks: bool = False,
    compress: bool = True,
    chunk_size: int = MAX_CHUNK,
    make: Callable[[Path], bool] | None = None,
) -> list[ConversionResult]:
    """Convert documents to PDF (``out_dir/<stem>.pdf``), with ``jobs`` LibreOffice instances.

    ``timeout``: seconds one document may take (the first of each run also
    waits for LibreOffice to start); a document that takes longer is killed
    and reported as failed. ``on_result`` is called once per document as its
    outcome is known. Returns one ConversionResult per input, in input order;
    a document that cannot be converted fails its own entry. An existing PDF
    of the same name is replaced only with ``overwrite``; otherwise it fails
    that document, as does a folder, device or input where the PDF would go.
    ``bookmarks``: export the documents' bookmarks as named PDF destinations
    (see ``pdf.split``). ``compress=False``: LibreOffice writes the PDFs'
    streams uncompressed (its zlib work is about 7% of converting a long
    document), for a caller that saves them again compressed, as
    ``pdf.split`` does, while LibreOffice goes on. ``chunk_size``: at most this
    many documents per LibreOffice start.

    ``make``: the documents do not exist yet and are written as LibreOffice
    needs them, so it starts before they are all made: ``make(path)`` writes
    one (whole, under its name at once, as ``writer.write_bytes`` does) and
    returns False when there is nothing to convert for that path (it then
    gets no PDF: ``error`` "not made"). Each LibreOffice run's first document
    is made before the run starts, the others while it converts the ones
    before them (it opens a document only when it gets to it); one made while
    its run was going and left without a PDF is converted once more in a run
    of its own, in case LibreOffice got to it first.

    Raises ConverterMissingError when LibreOffice cannot be found, ConversionError
    when ``out_dir`` cannot be created or written to, ValueError for ``jobs < 1`` or ``timeout <= 0``.
    """
    if jobs < 1:
        raise ValueError("jobs must be at least 1")
    if timeout <= 0:
        raise ValueError("timeout must be positive")
    program = Path(soffice) if soffice is not None else find_soffice()
    sources = [Path(p).absolute() for p in docx_paths]
    target = Path(out_dir)
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConversionError(f"{target}: cannot create the output folder ({exc.strerror})") from None

    results: dict[Path, ConversionResult] = {}

    def finish(result: ConversionResult) -> None:
        results[result.source] = result
        if on_result is not None:
            on_result(result)

    def place(written: Path) -> Path:
        """Put a finished PDF in place through the writer; raises OutputError."""
        final = target / written.name
        writer.check_target(final, overwrite=overwrite, inputs=sources)
        writer.commit(written, final, overwrite=overwrite)
        return final

    todo: list[Path] = []
    by_stem: dict[str, Path] = {}
    for source in sources:
        if by_stem.get(source.stem) == source:
            continue  # the same file twice: converted once
        problem = None if make is not None else _precheck(source)  # made later: not there yet
        if problem is None and source.stem in by_stem:
            problem = f"same output name ({source.stem}.pdf) as {by_stem[source.stem]}"
        if problem is None:
            # Checked now, so a PDF that would be refused costs no conversion; checked again when placed.
            try:
                writer.check_target(target / f"{source.stem}.pdf", overwrite=overwrite, inputs=sources)
            except OutputError as exc:
                problem = str(exc)
        if problem is not None:
            finish(ConversionResult(source, None, problem))
        else:
            by_stem[source.stem] = source
            todo.append(source)

    if todo:
        maker = _Maker(make, finish, set(todo)) if make is not None else None
        export = _Export(bookmarks=bookmarks, compress=compress)
        _run_batches(program, todo, target, jobs, timeout, finish, place, export, chunk_size, maker)
    return [results[source] for source in sources]


def _precheck(source: Path) -> str | None:
    """A reason not to hand the file to LibreOffice at all, or None."""
    if not source.is_file():
        return "no such file"
    # LibreOffice would happily render a text file named .docx as plain text.
    if source.suffix.lower() in WORD_SUFFIXES and not zipfile.is_zipfile(source):
        return "not a Word document (not a zip package)"
    return None


def _run_batches(
    program: Path,
    todo: list[Path],
    target: Path,
    jobs: int,
    timeout: float,
    finish: Callable[[ConversionResult], None],
    place: Callable[[Path], Path],
    export: _Export,
    chunk_size: int = MAX_CHUNK,
    maker: _Maker | None = None,
) -> None:
    size = max(1, min(chunk_size, math.ceil(len(todo) / jobs)))
    queue: deque[_Chunk] = deque(_Chunk(todo[i : i + size]) for i in range(0, len(todo), size))
    # PDFs are staged beside their final place (os.replace stays atomic); profiles go to /tmp.
    try:
        work = Path(tempfile.mkdtemp(prefix=writer.run_prefix("pdf-"), dir=target))
    except OSError as exc:
        raise ConversionError(f"{target}: cannot write there ({exc.strerror})") from None
    try:
        # The pid in the name lets a later run remove the profiles of one killed outright.
        writer.remove_leftovers(tempfile.gettempdir(), prefix=PROFILE_PREFIX)
        profiles = Path(tempfile.mkdtemp(prefix=f"{PROFILE_PREFIX}{os.getpid()}-"))
    except OSError as exc:
        shutil.rmtree(work, ignore_errors=True)
        raise ConversionError(f"cannot make a temporary LibreOffice profile ({exc.strerror})") from None
    slots = range(min(jobs, len(queue)))
    instances = [_Instance(profile=profiles / f"profile{n}") for n in slots]
    try:
        for instance in instances:
            seed_profile(instance.profile)
        while queue or any(i.process is not None for i in instances):
            for instance in instances:
                if instance.process is None and queue:
                    chunk = queue.popleft()
                    if maker is not None:
                        maker.make_first(chunk)
                    if chunk.sources:
                        _start(program, instance, chunk, work, export)
                if instance.process is not None:
                    _watch(instance, timeout, place, queue, finish, maker)
            if maker is not None:
                for instance in instances:
                    maker.make_next(instance)
            time.sleep(POLL_SECONDS)
    finally:
        for instance in instances:
            _kill(instance)
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(profiles, ignore_errors=True)


def seed_profile(profile: Path) -> None:
    """Prepare a new LibreOffice profile folder: its starts skip the self-tests, and it holds the folder
    that ``soffice_environment`` makes LibreOffice's TMPDIR. Raises ConversionError."""
    user = profile / "user"
    try:
        user.mkdir(parents=True, exist_ok=True)
        (user / "registrymodifications.xcu").write_text(_PROFILE_SEED, encoding="utf-8")
        (profile / "tmp").mkdir(exist_ok=True)
    except OSError as exc:
        raise ConversionError(f"cannot make a temporary LibreOffice profile ({exc.strerror})") from None


def soffice_environment(profile: Path) -> dict[str, str]:
    """The environment for a LibreOffice using ``profile`` (seeded): its TMPDIR inside the profile.

    LibreOffice keeps a working copy of the document it converts (the filled text, names and all) in a
    folder of TMPDIR that it removes only when it exits on its own; inside the profile, it goes when
    the profile goes, even after a conversion killed for taking too long.
    """
    return {**os.environ, "TMPDIR": str(profile / "tmp")}


def _start(program: Path, instance: _Instance, chunk: _Chunk, work: Path, export: _Export) -> None:
    outdir = Path(tempfile.mkdtemp(prefix="run", dir=work))
    command = [
        str(program),
        f"-env:UserInstallation={instance.profile.as_uri()}",
        "--headless",
        "--invisible",
        "--nologo",
        "--norestore",
        "--nodefault",
        "--nolockcheck",
        "--convert-to",
        BOOKMARKS_FILTER if export.bookmarks else "pdf",
        "--outdir",
        str(outdir.absolute()),  # LibreOffice reads a relative one like ".~mytypist-1-pdf-x/run" as no folder
        *(str(s) for s in chunk.sources),
    ]
    # Its own session: killing the group takes oosplash and soffice.bin with it.
    # The parent-death signal ends it should this process be killed outright
    # (SIGTERM and Ctrl-C reach the cleanup in _run_batches instead).
    instance.process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=soffice_environment(instance.profile) | ({} if export.compress else {UNCOMPRESSED_ENV: "1"}),
        start_new_session=True,
        preexec_fn=lifeline.parent_death_preexec(),
    )
    instance.chunk = chunk
    instance.outdir = outdir
    instance.seen = set()
    instance.locked = set()
    instance.last_progress = time.monotonic()


def _watch(
    instance: _Instance,
    timeout: float,
    place: Callable[[Path], Path],
    queue: deque[_Chunk],
    finish: Callable[[ConversionResult], None],
    maker: _Maker | None = None,
) -> None:
    """Check one running instance: harvest it when it ended, kill it when it is stuck."""
    assert instance.process is not None
    assert instance.chunk is not None
    assert instance.outdir is not None
    now = time.monotonic()
    with contextlib.suppress(OSError):
        names = set(os.listdir(instance.outdir))
        if names != instance.seen:
            if names - instance.seen:
                instance.last_progress = now
            instance.seen = names
            instance.locked |= {name[len(_LOCK) : -1] for name in names if _is_lock(name)}
            _harvest_finished(instance, place, finish)
    ended = instance.process.poll() is not None
    if not ended and now - instance.last_progress <= timeout:
        return
    returncode = instance.process.returncode
    _kill(instance)
    chunk, outdir = instance.chunk, instance.outdir
    instance.chunk = instance.outdir = None
    missing = _harvest(chunk, outdir, place, finish)
    if ended and maker is not None and (early := maker.take_early(missing)):
        # LibreOffice may have got to these before they were made: once more, in a run of their own.
        queue.append(_Chunk(early))
        missing = [source for source in missing if source not in early]
    if not missing:
        return
    if not ended:
        # Stuck on the first document without a PDF (LibreOffice goes in argument order).
        suspect, rest = missing[0], missing[1:]
        if chunk.alone or len(chunk.sources) == 1:
            finish(ConversionResult(suspect, None, f"timed out after {timeout:g} s (killed)"))
        else:
            queue.appendleft(_Chunk([suspect], alone=True))
        if rest:
            queue.append(_Chunk(rest))
    elif returncode != 0 and len(chunk.sources) > 1:
        # It crashed part-way: give each remaining document a run of its own.
        queue.extend(_Chunk([source], alone=True) for source in missing)
    else:
        for source in missing:
            finish(ConversionResult(source, None, _could_not(returncode)))


def _could_not(returncode: int | None) -> str:
    reason = "LibreOffice could not convert it"
    if returncode not in (0, None):
        reason += f" (exit status {returncode})"
    return reason


def _harvest_finished(
    instance: _Instance, place: Callable[[Path], Path], finish: Callable[[ConversionResult], None]
) -> None:
    """While LibreOffice runs, put in place each PDF it has finished writing.

    LibreOffice writes a PDF into a temporary file, copies it to its name and
    then removes the lock file (``.~lock.NAME.pdf#``) it made first: a PDF
    whose lock was seen and is gone is finished. It also converts its
    documents in argument order, so once a document's PDF appears every
    earlier one is done (the rule when a lock was never seen). Results are
    known at once (a progress bar moves, a chunk is split while the next
    converts) instead of when the run ends.
    """
    assert instance.chunk is not None
    assert instance.outdir is not None
    sources, outdir, seen = instance.chunk.sources, instance.outdir, instance.seen
    written = [n for n, source in enumerate(sources) if f"{source.stem}.pdf" in seen]
    if not written:
        return

    def done(number: int, name: str) -> bool:
        unlocked = name in instance.locked and f"{_LOCK}{name}#" not in seen
        return (number < written[-1] or unlocked) and _complete_pdf(outdir / name)

    finished = [source for n, source in enumerate(sources) if n in written and done(n, f"{source.stem}.pdf")]
    for source in finished:
        try:
            final = place(outdir / f"{source.stem}.pdf")
        except OutputError as exc:
            finish(ConversionResult(source, None, str(exc)))
        else:
            finish(ConversionResult(source, final))
    if finished:
        instance.chunk.sources = [source for source in sources if source not in finished]


def _harvest(
    chunk: _Chunk, outdir: Path, place: Callable[[Path], Path], finish: Callable[[ConversionResult], None]
) -> list[Path]:
    """Put each complete PDF in place; return the sources that have none."""
    missing: list[Path] = []
    for source in chunk.sources:
        written = outdir / f"{source.stem}.pdf"
        if not _complete_pdf(written):
            missing.append(source)
            continue
        try:
            final = place(written)
        except OutputError as exc:
            finish(ConversionResult(source, None, str(exc)))
            continue
        finish(ConversionResult(source, final))
    shutil.rmtree(outdir, ignore_errors=True)
    return missing


_LOCK = ".~lock."


def _is_lock(name: str) -> bool:
    """A LibreOffice lock file's name: ``.~lock.`` + the locked file's name + ``#``."""
    return name.startswith(_LOCK) and name.endswith("#")


def _complete_pdf(path: Path) -> bool:
    """True for a PDF that was written to its end (a killed run can leave half of one)."""
    try:
        with path.open("rb") as stream:
            stream.seek(0, os.SEEK_END)
            stream.seek(max(0, stream.tell() - 1024))
            return b"%%EOF" in stream.read()
    except OSError:
        return False


def _kill(instance: _Instance) -> None:
    """Kill an instance's whole process group and reap it; harmless when it already ended."""
    process = instance.process
    if process is None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)
    instance.process = None


# -- preview ------------------------------------------------------------------------------


def render_preview_png(
    source: bytes | PathLike,
    out_png: PathLike,
    *,
    dpi: int = 96,
    timeout: float = 120.0,
    overwrite: bool = False,
    inputs: Iterable[PathLike] = (),
    soffice: PathLike | None = None,
) -> Path:
    """Render the first page of a document (bytes or a path) to a PNG at ``dpi``; return its path.

    The PNG's folder is created if needed; the PNG is written through
    :mod:`mytypist_cli.writer`, checked before any work: an existing file is
    replaced only with ``overwrite``, and never when it is ``source`` or one of
    ``inputs``. Raises ConverterMissingError when LibreOffice or pdftoppm
    (poppler-utils) is missing, ConversionError when the document cannot be
    converted, OutputError (OutputExistsError) when the PNG cannot be written.
    """
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        raise ConverterMissingError(
            "pdftoppm was not found on PATH: install poppler-utils "
            "(`apt-get install poppler-utils` on Debian/Ubuntu, `brew install poppler` on macOS)"
        )
    program = Path(soffice) if soffice is not None else find_soffice()
    out = Path(out_png)
    given = [*inputs, *([] if isinstance(source, bytes) else [source])]
    writer.check_target(out, overwrite=overwrite, inputs=given)
    with tempfile.TemporaryDirectory(prefix="mytypist-preview-") as scratch:
        work = Path(scratch)
        if isinstance(source, bytes):
            document = work / "preview.docx"
            document.write_bytes(source)
            label = "the document"
        else:
            document = Path(source)
            label = str(source)
        (result,) = convert_to_pdf([document], work / "pdf", timeout=timeout, soffice=program)
        if result.pdf is None:
            raise ConversionError(f"{label}: {result.error}")
        _first_page_png(pdftoppm, result.pdf, work / "page", dpi, timeout, label)
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            picture = (work / "page.png").read_bytes()
        except OSError as exc:
            raise OutputError(f"cannot write {out}: {exc.strerror or exc}") from None
    writer.write_bytes(out, picture, overwrite=overwrite, inputs=given)
    return out


def _first_page_png(pdftoppm: str, pdf: Path, prefix: Path, dpi: int, timeout: float, label: str) -> None:
    command: Sequence[str] = [
        pdftoppm, "-png", "-singlefile", "-f", "1", "-l", "1", "-r", str(dpi), str(pdf), str(prefix),
    ]  # fmt: skip
    try:
        done = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise ConversionError(f"{label}: pdftoppm timed out after {timeout:g} s") from None
    if done.returncode != 0 or not prefix.with_suffix(".png").is_file():
        detail = done.stderr.decode(errors="replace").strip().splitlines()
        raise ConversionError(f"{label}: pdftoppm failed" + (f" ({detail[-1]})" if detail else ""))
