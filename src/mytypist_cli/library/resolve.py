"""Open a template given any way a user names one: a ``Template``, a path, bytes, or a library name.

``fill``, ``extract`` and ``preview`` (and ``fill_batch``) all accept
``offer.docx`` or ``offer`` / ``offer@2``: a path that exists wins; otherwise
the name is looked up in the library of ``home``. Delimiters and locale given
by the caller win over the ones stored with a library template.

A template that cannot be found says what was probably meant: the closest
Word file in the folder given (or the current one), or the closest library
name. A data file given as the template (``fill staff.csv offer.docx``) says
that the template comes first.

Reads the library through the fast sqlmodel-free lookup first and opens the
full store only when that cannot answer. Imports neither typer nor rich.
"""

from __future__ import annotations

import difflib
import io
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

from mytypist_cli.engine.filters import DEFAULT_LOCALE
from mytypist_cli.engine.syntax import DEFAULT_DELIMITERS
from mytypist_cli.engine.template import SYNTAXES, Syntax, Template
from mytypist_cli.errors import MytypistError, NotFoundError, TemplateError

if TYPE_CHECKING:
    # The library is read only for a template given by name: a path never imports sqlite3.
    from mytypist_cli.library.lookup import StoredTemplate

TemplateSource = Template | str | os.PathLike[str] | bytes

#: The files a did-you-mean offers: the Word documents and templates the engine opens.
TEMPLATE_SUFFIXES = (".docx", ".docm", ".dotx", ".dotm")
#: How the command line is written, for the hint when the data came first.
FILL_USAGE = "mytypist fill TEMPLATE DATA"

_DOCX_SUFFIXES = {*TEMPLATE_SUFFIXES, ".doc"}
# What a data file (as the records reader knows them) is called in messages.
_DATA_KINDS = {
    ".csv": "CSV",
    ".tsv": "CSV",
    ".json": "JSON",
    ".ndjson": "NDJSON",
    ".jsonl": "NDJSON",
    ".xlsx": "Excel",
    ".xlsm": "Excel",
    ".xltx": "Excel",
    ".xltm": "Excel",
    ".xls": "Excel",
}
# How alike a name must be to be offered (difflib's ratio, 0 to 1).
_CLOSE_ENOUGH = 0.6


@dataclass(frozen=True)
class OpenedTemplate:
    """A compiled template and where it came from.

    ``label`` is how messages name it (the path as given, the library
    reference, or ``<template>``); ``path`` is the file it was read from, if
    any; ``library_name`` / ``library_version`` are set for a library template.
    """

    template: Template
    label: str
    path: Path | None = None
    library_name: str | None = None
    library_version: int | None = None

    @property
    def data(self) -> bytes:
        """The template file's bytes, as read."""
        return self.template.source

    @property
    def stem(self) -> str:
        """The stem of default output names: the library name or the file's stem."""
        if self.library_name:
            return self.library_name
        return Path(self.label).stem if self.path is not None else "document"


def open_template(
    source: TemplateSource,
    *,
    delimiters: str | None = None,
    locale: str | None = None,
    home: Path | None = None,
    usage: str | None = FILL_USAGE,
    syntax: str | None = None,
) -> OpenedTemplate:
    """Open ``source``: a ``Template`` (used as it is), bytes, a path, or a library ``NAME[@VERSION]``.

    A ``str`` or path-like that names an existing file is a path; any other
    ``str`` is looked up in the library in ``home`` (the default home when None).
    Raises TemplateError (with the source in the message), NotFoundError for a
    name the library lacks, StoreError for an unusable library, ValueError for
    malformed ``delimiters``. A source not found names the closest template
    file in its folder or library name (``did you mean offer-letter.docx?``);
    a data file given as the template says so, and that the template comes
    first in ``usage`` (None: only that it is not a template).
    ``syntax`` is ``Template.open``'s (``auto`` when None, or the one stored with a library template);
    an unknown one is a ValueError.
    """
    if isinstance(source, Template):
        return OpenedTemplate(source, "<template>")
    if isinstance(source, bytes | bytearray):
        return OpenedTemplate(_compile(bytes(source), "<template>", delimiters, locale, syntax), "<template>")
    label = os.fspath(source)
    path = Path(label)
    if path.exists():
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise TemplateError(f"{label}: cannot read ({exc.strerror})") from None
        try:
            template = _compile(data, label, delimiters, locale, syntax)
        except TemplateError:
            kind = _data_kind(path, data)
            if kind is None:
                raise
            hint = f"; the template comes first: {usage}" if usage else ", not a Word template"
            raise TemplateError(f"{label} looks like data ({kind}){hint}") from None
        return OpenedTemplate(template, label, path=path)
    if not isinstance(source, str):
        raise no_such_file(label, home)
    stored = _from_library(label, home)
    chosen = delimiters or " ".join(stored.info.delimiters)
    stored_syntax = getattr(stored.info, "syntax", None)
    template = _compile(stored.data, label, chosen, locale or stored.info.locale, syntax or stored_syntax)
    return OpenedTemplate(template, label, None, stored.info.name, stored.info.version)


def _compile(
    data: bytes, label: str, delimiters: str | None, locale: str | None, syntax: str | None = None
) -> Template:
    if syntax not in (None, *SYNTAXES):
        raise ValueError(f"syntax must be one of {', '.join(SYNTAXES)}, not {syntax!r}")
    try:
        return Template.open(
            data,
            delimiters=delimiters or " ".join(DEFAULT_DELIMITERS),
            locale=locale or DEFAULT_LOCALE,
            syntax=cast(Syntax, syntax or "auto"),
        )
    except MytypistError as exc:
        exc.args = (f"{label}: {exc}",)
        raise


def _from_library(reference: str, home: Path | None) -> StoredTemplate:
    """A stored template by name; the fast read-only path first, then the full store."""
    from mytypist_cli.home import db_path
    from mytypist_cli.library.lookup import lookup_template

    database = db_path(home)
    try:
        stored = lookup_template(database, reference)
        if stored is None:
            from mytypist_cli.library.store import open_store

            with open_store(database) as store:
                stored = store.get_template(reference)
    except NotFoundError as exc:
        if _looks_like_path(reference):
            raise no_such_file(reference, home) from None
        raise NotFoundError(f"{reference}: no such file, and {exc}{_did_you_mean(reference, home)}") from None
    return stored


def _looks_like_path(reference: str) -> bool:
    suffix = Path(reference).suffix.lower()
    return any(sep in reference for sep in "/\\") or suffix in _DOCX_SUFFIXES or suffix in _DATA_KINDS


def no_such_file(label: str, home: Path | None = None, *, library: bool = True) -> TemplateError:
    """The TemplateError for a template file ``label`` that does not exist, with a did-you-mean.

    The closest .docx, .docm, .dotx or .dotm file in its folder, else (unless
    not ``library``) the closest name in the library in ``home``:
    ``ofer.docx: no such file; did you mean offer.docx?``.
    """
    return TemplateError(f"{label}: no such file{_did_you_mean(label, home, library=library)}")


def _did_you_mean(reference: str, home: Path | None, *, library: bool = True) -> str:
    """``; did you mean X?`` for the closest template file or library name, or "" when none is close.

    A path (a folder in it, or a file suffix) looks among the files first; a name
    among the library's names first. A data file's name is not offered a template.
    """
    name, _, version = reference.rpartition("@")
    if not name or not version.isdigit():
        name = reference
    if Path(name).suffix.lower() in _DATA_KINDS:
        return ""
    stored = _library_names(home) if library else []
    if name in stored:
        return ""  # the name is there; only the version is not
    files, names = _close_file(name), _close_name(name, stored)
    choices = [files, names] if _looks_like_path(name) else [names, files]
    found = next((choice for choice in choices if choice), None)
    return f"; did you mean {found}?" if found else ""


def _closest(word: str, candidates: dict[str, str]) -> str | None:
    """The candidate (by its lower-case key) closest to ``word``, if close enough."""
    match = difflib.get_close_matches(word.lower(), list(candidates), n=1, cutoff=_CLOSE_ENOUGH)
    return candidates[match[0]] if match else None


def _close_file(reference: str) -> str | None:
    """The template file in ``reference``'s folder closest to it, written as the user wrote the folder."""
    folder, base = os.path.split(reference)
    if not base:
        return None
    try:
        entries = [entry.name for entry in os.scandir(folder or ".") if entry.is_file()]
    except OSError:
        return None
    files = [entry for entry in entries if entry.lower().endswith(TEMPLATE_SUFFIXES)]
    if Path(base).suffix.lower() in _DOCX_SUFFIXES:
        found = _closest(base, {entry.lower(): entry for entry in files})
    else:  # a bare word: compare it with the files' stems
        found = _closest(base, {Path(entry).stem.lower(): entry for entry in files})
    if found is None or found == base:
        return None
    return os.path.join(folder, found) if folder else found


def _library_names(home: Path | None) -> list[str]:
    from mytypist_cli.home import db_path
    from mytypist_cli.library.lookup import template_names

    return template_names(db_path(home))


def _close_name(reference: str, library: list[str]) -> str | None:
    """The name in ``library`` closest to ``reference`` (or to its stem, for a file name)."""
    names = {name.lower(): name for name in library}
    found = _closest(reference, names)
    if found is None and Path(reference).suffix.lower() in _DOCX_SUFFIXES:
        found = _closest(Path(reference).stem, names)
    return found


def _data_kind(path: Path, data: bytes) -> str | None:
    """``CSV``, ``JSON``, ``NDJSON`` or ``Excel`` when ``data`` (read from ``path``) looks like data."""
    kind = _DATA_KINDS.get(path.suffix.lower())
    if kind is not None:
        return kind
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as package:
                return "Excel" if "xl/workbook.xml" in package.namelist() else None
        except (zipfile.BadZipFile, OSError, NotImplementedError):  # NotImplementedError: an odd zip version
            return None
    try:
        text = data[:4096].decode("utf-8-sig").lstrip()
    except UnicodeDecodeError:
        return None
    if text.startswith(("[", "{")):
        return "JSON"
    first_line = text.partition("\n")[0]
    return "CSV" if first_line and any(mark in first_line for mark in ",;\t") else None
