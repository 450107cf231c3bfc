"""Outputs at an fsspec URL (``s3://``, ``gs://``, ``memory://``...): the same no-clobber rule as ``writer``.

A local path never comes here: it goes through ``writer`` (a temporary file,
then a link or rename). An object store has no rename, so a document is
written with one put of its whole bytes, never as a stream a reader could
see half of. Without ``overwrite`` the name is checked first and then put
with fsspec's ``mode="create"`` (S3's ``If-None-Match: *``) where the store
supports it; where it does not, the check and the put are two steps, and a
file written by someone else between them is replaced (there is no atomic
create-if-absent on such a store).

fsspec (and s3fs, gcsfs...) are imported only here, and only when a URL is
used; without them the error says how to install them. Raises
``OutputError`` / ``OutputExistsError`` / ``ExtraMissingError``; never prints.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from mytypist_cli import writer
from mytypist_cli.errors import ExtraMissingError, OutputError, OutputExistsError
from mytypist_cli.fill.results import one_line

#: What installs everything a URL output or ``--cluster`` needs.
INSTALL_HINT = "pip install 'mytypist-cli[cluster]'"
# A scheme of two letters or more: "C:\\x" (a Windows drive) stays a local path.
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+://")

Target = str | os.PathLike[str]
Written = Literal["written", "same"]


def is_url(target: object) -> bool:
    """True for ``scheme://...`` text (an fsspec URL); False for a local path or a stream."""
    return isinstance(target, str) and _URL.match(target) is not None


def join(base: str, name: str) -> str:
    """``base/name`` for a URL folder (one slash between them)."""
    return base.rstrip("/") + "/" + name


def suffix(target: Target) -> str:
    """The extension of a local path or a URL (``.json``)."""
    return PurePosixPath(os.fspath(target)).suffix


def _filesystem(url: str) -> tuple[Any, str]:
    """The fsspec file system for ``url`` and the path inside it. Raises ExtraMissingError, OutputError."""
    try:
        import fsspec  # type: ignore[import-untyped]
    except ImportError:
        raise ExtraMissingError(f"{url}: writing to a URL needs fsspec: {INSTALL_HINT}") from None
    try:
        fs, path = fsspec.core.url_to_fs(url)
    except ImportError as exc:  # the store's own package (s3fs for s3://) is missing
        raise ExtraMissingError(f"{url}: {one_line(exc)}; {INSTALL_HINT}") from None
    except (ValueError, OSError) as exc:
        raise OutputError(f"{url}: {one_line(exc)}") from None
    return fs, path


def exists(url: str) -> bool:
    """Whether something is stored under ``url``. Raises OutputError when the store cannot be asked."""
    fs, path = _filesystem(url)
    try:
        return bool(fs.exists(path))
    except Exception as exc:
        raise OutputError(f"cannot read {url}: {one_line(exc)}") from None


def names_in(folder: str) -> set[str]:
    """The names directly under a URL folder (empty when it is not there yet). Raises OutputError."""
    fs, path = _filesystem(folder)
    try:
        listed = fs.ls(path, detail=False, refresh=True)
    except FileNotFoundError:
        return set()
    except Exception as exc:
        raise OutputError(f"cannot list {folder}: {one_line(exc)}") from None
    return {PurePosixPath(str(item)).name for item in listed}


def prepare_folder(folder: str) -> None:
    """Make sure a URL folder can take outputs (made where the store has folders). Raises OutputError."""
    fs, path = _filesystem(folder)
    try:
        if fs.isfile(path):
            raise OutputError(f"{folder} exists and is not a folder")
        fs.makedirs(path, exist_ok=True)
    except OutputError:
        raise
    except Exception as exc:
        raise OutputError(f"cannot write in {folder}: {one_line(exc)}") from None


def check_output(target: Target, *, overwrite: bool = False, inputs: Iterable[Target] = ()) -> None:
    """``writer.check_target`` for a local path; a URL: refuse an existing object without ``overwrite``."""
    if not is_url(target):
        writer.check_target(target, overwrite=overwrite, inputs=inputs)
        return
    url = os.fspath(target)
    if not overwrite and exists(url):
        raise OutputExistsError(writer.exists_message(url))


def _taken(exc: BaseException) -> bool:
    """Whether a failed conditional put says the name is taken (S3 answers 412 Precondition Failed)."""
    if isinstance(exc, FileExistsError):
        return True
    text = str(exc)
    return "PreconditionFailed" in text or "Precondition Failed" in text or "412" in text


def put_new(
    url: str, data: bytes, *, overwrite: bool = False, same_ok: bool = False, checked: bool = False
) -> Written:
    """Store ``data`` at ``url`` in one put; return ``written``, or ``same`` when ``same_ok`` found it there.

    Without ``overwrite`` an existing object is never replaced (checked, then a
    conditional put where the store has one). ``checked``: the caller has just
    listed the folder (a batch does, once): the put goes straight to the
    conditional put, two requests fewer on S3 (a HEAD and a LIST). ``same_ok``:
    an object already there with exactly these bytes (an earlier attempt of the
    same run's task) counts as written. Raises OutputExistsError, OutputError.
    """
    fs, path = _filesystem(url)
    try:
        if overwrite:
            fs.pipe_file(path, data)
            return "written"
        if not checked and fs.exists(path):
            return _existing(fs, path, url, data, same_ok)
        try:
            fs.pipe_file(path, data, mode="create")
        except (NotImplementedError, TypeError):  # a store (or an old fsspec) without conditional puts
            fs.pipe_file(path, data)
        except Exception as exc:
            if _taken(exc):
                return _existing(fs, path, url, data, same_ok)
            raise
    except OutputError:
        raise
    except Exception as exc:
        raise OutputError(f"cannot write {url}: {one_line(exc)}") from None
    return "written"


def _existing(fs: Any, path: str, url: str, data: bytes, same_ok: bool) -> Written:
    if same_ok:
        with contextlib.suppress(Exception):
            if fs.cat_file(path) == data:
                return "same"
    raise OutputExistsError(writer.exists_message(url))


def write_bytes(
    target: Target, data: bytes, *, overwrite: bool = False, inputs: Iterable[Target] = ()
) -> None:
    """``writer.write_bytes`` for a local path, ``put_new`` for a URL. Raises OutputError."""
    if is_url(target):
        put_new(os.fspath(target), data, overwrite=overwrite)
    else:
        writer.write_bytes(target, data, overwrite=overwrite, inputs=inputs)


@contextlib.contextmanager
def staged(target: Target, *, overwrite: bool = False, inputs: Iterable[Target] = ()) -> Iterator[Path]:
    """``writer.staged`` for a local path; for a URL a private local file, put whole at the end."""
    if not is_url(target):
        with writer.staged(target, overwrite=overwrite, inputs=inputs) as temp:
            yield temp
        return
    url = os.fspath(target)
    check_output(url, overwrite=overwrite)
    with tempfile.TemporaryDirectory(prefix=writer.run_prefix()) as folder:
        temp = Path(folder) / ("staged" + suffix(url))
        yield temp
        put_new(url, temp.read_bytes(), overwrite=overwrite)
