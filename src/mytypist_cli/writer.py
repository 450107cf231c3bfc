"""The one way mytypist writes a file: a private temporary file beside the target, then a rename.

Every output (``fill -o``, a batch's documents, ``--zip``, PDFs, ``--report``,
``export``, ``backup``, ``convert``, ``preview``) goes through here, so the rules
hold everywhere at once:

- Nothing is written through a path the run did not create: the temporary file
  is made by ``tempfile.mkstemp`` (``O_CREAT | O_EXCL``, an unpredictable name,
  never following a symlink) in the target's own folder, so the final rename
  stays on one file system and is atomic. An interrupted run leaves either the
  old file or the new one, never half of one.
- An existing file is never replaced unless ``overwrite``: without it the
  finished file is hard-linked to its name, which fails if the name was taken
  meanwhile (a rename would replace it silently).
- Only regular files (or a symlink, which is replaced, never followed) are
  replaced: a folder, a device node or a FIFO where the output goes is an
  error, as is an output that is one of the run's inputs, even with ``overwrite``.

Imports neither typer nor rich; raises ``OutputError``s, never prints.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from mytypist_cli.errors import OutputError, OutputExistsError

#: Prefix of every temporary file mytypist makes; leftovers of a killed run are easy to spot.
#: Names go on with the creating process's id (``.~mytypist-<pid>-``, see :func:`run_prefix`).
TEMP_PREFIX = ".~mytypist-"
#: A leftover whose name holds no process id is removed once it is this old (seconds).
LEFTOVER_SECONDS = 60.0

PathLike = str | os.PathLike[str]


def exists_message(target: PathLike) -> str:
    """The one wording for an output that is already there."""
    return f"{os.fspath(target)} exists; pass --overwrite to replace it"


def _reason(exc: OSError) -> str:
    return exc.strerror or " ".join(str(exc).split()) or type(exc).__name__


def _same_file(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def check_target(target: PathLike, *, overwrite: bool = False, inputs: Iterable[PathLike] = ()) -> None:
    """Raise ``OutputError`` unless ``target`` may be written as an output now.

    Refused: a path that is one of ``inputs`` (the same file, by device and inode,
    so another spelling or a hard link is caught too), even with ``overwrite``; a
    folder, device node, FIFO or socket, or a symlink to one; an existing file without ``overwrite``
    (``OutputExistsError``). A missing target is fine; its folder is not checked here.
    """
    shown = os.fspath(target)
    try:
        here = os.stat(target)  # follows a symlink: an input reached through a link is still the input
    except OSError:
        here = None
    if here is not None:
        for source in inputs:
            with contextlib.suppress(OSError):
                if _same_file(here, os.stat(source)):
                    raise OutputError(f"{shown} is an input of this run; choose another output name")
    try:
        own = os.lstat(target)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise OutputError(f"cannot write {shown}: {_reason(exc)}") from None
    if stat.S_ISDIR(own.st_mode):
        raise OutputError(f"{shown} is a folder; name a file")
    # A symlink is replaced (never written through) only where it leads to a regular file or
    # nowhere: /dev/stdout is a link to a device, and replacing it would break the system.
    if stat.S_ISLNK(own.st_mode) and here is not None and not stat.S_ISREG(here.st_mode):
        raise OutputError(
            f"{shown} is a link to something that is not a regular file; refusing to replace it"
        )
    if not (stat.S_ISREG(own.st_mode) or stat.S_ISLNK(own.st_mode)):
        raise OutputError(f"{shown} is not a regular file; refusing to replace it")
    if not overwrite:
        raise OutputExistsError(exists_message(shown))


def commit(temp: PathLike, target: PathLike, *, overwrite: bool = False) -> None:
    """Give the finished temporary file ``temp`` the name ``target``; the temporary name is gone after.

    Without ``overwrite`` a hard link is made first: it fails if the name is
    taken (by anything, a dangling symlink included), where a rename would
    silently replace. File systems without hard links (FAT, some network
    shares) fall back to a check and a rename. Raises ``OutputExistsError``
    or ``OutputError``; on error ``temp`` is left for the caller to remove.
    """
    shown = os.fspath(target)
    try:
        if overwrite:
            os.replace(temp, target)
            return
        try:
            os.link(temp, target, follow_symlinks=False)
        except FileExistsError:
            raise OutputExistsError(exists_message(shown)) from None
        except OSError:
            if os.path.lexists(target):
                raise OutputExistsError(exists_message(shown)) from None
            os.replace(temp, target)
            return
    except OutputError:
        raise
    except OSError as exc:
        raise OutputError(f"cannot write {shown}: {_reason(exc)}") from None
    # The output is in place: a second name that cannot be removed is no reason to fail.
    with contextlib.suppress(OSError):
        os.unlink(temp)


@functools.cache
def _new_file_mode() -> int:
    """The mode ``open()`` gives a new file: 0o666 less the umask (read once; it rarely changes)."""
    with contextlib.suppress(OSError, ValueError), open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("Umask:"):
                return 0o666 & ~int(line.split()[1], 8)
    mask = os.umask(0o022)  # no way to read it without setting it elsewhere
    os.umask(mask)
    return 0o666 & ~mask


def _make_temp(folder: str, prefix: str) -> tuple[int, str]:
    if prefix == TEMP_PREFIX:
        prefix = run_prefix()
    try:
        handle, temp = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=folder or ".")
    except OSError as exc:
        raise OutputError(f"cannot write in {folder or '.'}: {_reason(exc)}") from None
    # mkstemp makes the file 0o600, right while it is private; the finished output
    # gets the mode any new file would, or other users lose access to it.
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(handle, _new_file_mode())
    except OSError as exc:
        os.close(handle)
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise OutputError(f"cannot write in {folder or '.'}: {_reason(exc)}") from None
    return handle, temp


@contextlib.contextmanager
def staged(
    target: PathLike,
    *,
    overwrite: bool = False,
    inputs: Iterable[PathLike] = (),
    prefix: str = TEMP_PREFIX,
) -> Iterator[Path]:
    """Yield the path of a new, empty, private temporary file beside ``target``; commit it on success.

    For writers that need a path (SQLite's backup, ``zipfile``, a copy). The
    target is checked before and the temporary file removed whatever happens.
    Raises ``OutputError`` (``OutputExistsError`` for an existing file without ``overwrite``).
    """
    check_target(target, overwrite=overwrite, inputs=inputs)
    handle, temp = _make_temp(os.path.dirname(os.fspath(target)), prefix)
    os.close(handle)
    try:
        yield Path(temp)
        commit(temp, target, overwrite=overwrite)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temp)


@contextlib.contextmanager
def open_output(
    target: PathLike,
    mode: str = "wb",
    *,
    overwrite: bool = False,
    inputs: Iterable[PathLike] = (),
    **open_options: Any,
) -> Iterator[IO[Any]]:
    """Open a temporary file for writing (``"wb"`` or ``"w"`` with ``open_options``); commit it on success.

    Text mode is UTF-8 unless ``encoding`` is given (never the locale's
    encoding, which differs between machines). Raises ``OutputError``; a
    write that fails (a full disk) becomes one too; ValueError for another ``mode``.
    """
    if mode not in ("wb", "w", "wt"):
        raise ValueError(f"open_output writes a new file: mode must be 'wb' or 'w', not {mode!r}")
    if "b" not in mode:
        open_options.setdefault("encoding", "utf-8")
    with staged(target, overwrite=overwrite, inputs=inputs) as temp:
        try:
            with open(temp, mode, **open_options) as handle:
                yield handle
        except OSError as exc:
            raise OutputError(f"cannot write {os.fspath(target)}: {_reason(exc)}") from None


def write_bytes(
    target: PathLike,
    data: bytes,
    *,
    overwrite: bool = False,
    inputs: Iterable[PathLike] = (),
    prefix: str = TEMP_PREFIX,
    checked: bool = False,
) -> None:
    """Write ``data`` to ``target`` through a temporary file. Raises ``OutputError``.

    ``checked``: the caller has already run ``check_target`` (a batch checks
    its folder once, not every row); the final link still refuses a file that
    appeared meanwhile.
    """
    if not checked:
        check_target(target, overwrite=overwrite, inputs=inputs)
    if _write_unnamed(target, data, overwrite=overwrite, prefix=prefix):
        return
    handle, temp = _make_temp(os.path.dirname(os.fspath(target)), prefix)
    try:
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
        except OSError as exc:
            raise OutputError(f"cannot write {os.fspath(target)}: {_reason(exc)}") from None
        commit(temp, target, overwrite=overwrite)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temp)


def _write_unnamed(target: PathLike, data: bytes, *, overwrite: bool, prefix: str) -> bool:
    """Write ``data`` into a file with no name (Linux ``O_TMPFILE``), then give it ``target``'s name.

    A process killed while writing leaves nothing behind: the file has no
    name until it is complete, and the kernel frees it when its last handle
    closes. Returns False where the platform or file system has no unnamed
    files (the caller then uses a named temporary file); raises ``OutputError``.
    """
    flag = getattr(os, "O_TMPFILE", 0)
    if not flag:
        return False
    folder = os.path.dirname(os.fspath(target)) or "."
    try:
        # The mode is applied with the umask, as for any new file; nobody can open it meanwhile.
        handle = os.open(folder, flag | os.O_WRONLY | getattr(os, "O_CLOEXEC", 0), 0o666)
    except OSError as exc:
        if exc.errno in _NO_UNNAMED_FILES:
            return False
        raise OutputError(f"cannot write in {folder}: {_reason(exc)}") from None
    shown = os.fspath(target)
    try:
        try:
            with os.fdopen(handle, "wb", closefd=False) as stream:
                stream.write(data)
        except OSError as exc:
            raise OutputError(f"cannot write {shown}: {_reason(exc)}") from None
        # /proc/self/fd/N names the open file; linking it (AT_SYMLINK_FOLLOW) gives it a name.
        fd_path = f"/proc/self/fd/{handle}"
        if not overwrite:
            try:
                os.link(fd_path, target, follow_symlinks=True)
            except FileExistsError:
                raise OutputExistsError(exists_message(shown)) from None
            except OSError:
                # No /proc, no hard links (FAT, some network shares): a named temporary file.
                return False
            return True
        # Replacing: a hidden name first (only a kill in this instant leaves it, and
        # remove_leftovers knows it by its pid), then the atomic rename over the target.
        temp = os.path.join(
            folder, f"{run_prefix() if prefix == TEMP_PREFIX else prefix}{os.urandom(6).hex()}.tmp"
        )
        try:
            os.link(fd_path, temp, follow_symlinks=True)
        except OSError:
            return False
        try:
            commit(temp, target, overwrite=True)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(temp)
        return True
    finally:
        os.close(handle)


#: errno values meaning "no unnamed files here" (old kernels, FUSE, network and FAT file systems).
_NO_UNNAMED_FILES = frozenset(
    code
    for code in (
        getattr(errno, "EOPNOTSUPP", None),
        getattr(errno, "ENOTSUP", None),
        getattr(errno, "EISDIR", None),
        getattr(errno, "EINVAL", None),
        getattr(errno, "ENOENT", None),  # a missing folder: the named path says so
    )
    if code is not None
)


def write_text(
    target: PathLike,
    text: str,
    *,
    overwrite: bool = False,
    inputs: Iterable[PathLike] = (),
    encoding: str = "utf-8",
) -> None:
    """Write ``text`` exactly as given (no newline translation). Raises ``OutputError``."""
    write_bytes(target, text.encode(encoding), overwrite=overwrite, inputs=inputs)


def run_prefix(tag: str = "") -> str:
    """This process's temporary-file prefix (``.~mytypist-<pid>-``, plus ``tag``): a later run can tell
    whether the process that made a leftover is gone."""
    return f"{TEMP_PREFIX}{os.getpid()}-{tag}"


def _creator(name: str, prefix: str = TEMP_PREFIX) -> int | None:
    """The pid a temporary name was made by, None for a name without one (made before pids were kept)."""
    head = name[len(prefix) :].split("-", 1)[0]
    return int(head) if head.isdigit() else None


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    with contextlib.suppress(OSError), open(f"/proc/{pid}/stat", "rb") as status:
        return status.read().rsplit(b")", 1)[-1].split()[0] == b"Z"
    return False


def remove_leftovers(
    folder: PathLike, *, older_than: float = LEFTOVER_SECONDS, prefix: str = TEMP_PREFIX
) -> int:
    """Remove the temporary files (and PDF staging folders) killed runs left in ``folder``; return how many.

    A leftover is a ``.~mytypist-*`` entry whose creating process (the pid
    in its name) is gone, or, for a name without a pid, one older than
    ``older_than`` seconds. A running mytypist's files are never touched,
    nor is anything that is not a regular file or a folder. ``prefix`` names
    another kind of leftover (LibreOffice profiles). Never raises.
    """
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    now = time.time()
    for entry in entries:
        if not entry.name.startswith(prefix):
            continue
        pid = _creator(entry.name, prefix)
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if pid == os.getpid():
            continue
        stale = _gone(pid) if pid is not None else now - info.st_mtime > older_than
        if not stale:
            continue
        with contextlib.suppress(OSError):
            # A folder only with a pid: a long PDF conversion keeps its staging folder for minutes.
            if stat.S_ISDIR(info.st_mode) and pid is not None:
                shutil.rmtree(entry.path)
                removed += 1
            elif stat.S_ISREG(info.st_mode) and ".tmp" in entry.name:
                os.unlink(entry.path)
                removed += 1
    return removed
