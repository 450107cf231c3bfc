"""Open a template given any way a user names one: a ``Template``, a path, bytes, or a library name.

``fill``, ``extract`` and ``preview`` (and ``fill_batch``) all accept
``offer.docx`` or ``offer`` / ``offer@2``: a path that exists wins; otherwise
the name is looked up in the library of ``home``. Delimiters and locale given
by the caller win over the ones stored with a library template.

Reads the library through the fast sqlmodel-free lookup first and opens the
full store only when that cannot answer. Imports neither typer nor rich.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mytypist_cli.engine.filters import DEFAULT_LOCALE
from mytypist_cli.engine.syntax import DEFAULT_DELIMITERS
from mytypist_cli.engine.template import Template
from mytypist_cli.errors import MytypistError, NotFoundError, TemplateError

if TYPE_CHECKING:
    # The library is read only for a template given by name: a path never imports sqlite3.
    from mytypist_cli.library.lookup import StoredTemplate

TemplateSource = Template | str | os.PathLike[str] | bytes

_DOCX_SUFFIXES = {".docx", ".docm", ".dotx", ".dotm", ".doc"}


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
) -> OpenedTemplate:
    """Open ``source``: a ``Template`` (used as it is), bytes, a path, or a library ``NAME[@VERSION]``.

    A ``str`` or path-like that names an existing file is a path; any other
    ``str`` is looked up in the library in ``home`` (the default home when None).
    Raises TemplateError (with the source in the message), NotFoundError for a
    name the library lacks, StoreError for an unusable library, ValueError for
    malformed ``delimiters``.
    """
    if isinstance(source, Template):
        return OpenedTemplate(source, "<template>")
    if isinstance(source, bytes | bytearray):
        return OpenedTemplate(_compile(bytes(source), "<template>", delimiters, locale), "<template>")
    label = os.fspath(source)
    path = Path(label)
    if path.exists():
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise TemplateError(f"{label}: cannot read ({exc.strerror})") from None
        return OpenedTemplate(_compile(data, label, delimiters, locale), label, path=path)
    if not isinstance(source, str):
        raise TemplateError(f"{label}: no such file")
    stored = _from_library(label, home)
    chosen = delimiters or " ".join(stored.info.delimiters)
    template = _compile(stored.data, label, chosen, locale or stored.info.locale)
    return OpenedTemplate(template, label, None, stored.info.name, stored.info.version)


def _compile(data: bytes, label: str, delimiters: str | None, locale: str | None) -> Template:
    try:
        return Template.open(
            data,
            delimiters=delimiters or " ".join(DEFAULT_DELIMITERS),
            locale=locale or DEFAULT_LOCALE,
        )
    except MytypistError as exc:
        exc.args = (f"{label}: {exc}",)
        raise


def _from_library(reference: str, home: Path | None) -> StoredTemplate:
    """A stored template by name; the fast read-only path first, then the full store."""
    from mytypist_cli.home import db_path
    from mytypist_cli.library.lookup import lookup_template

    looks_like_path = (
        any(sep in reference for sep in "/\\") or Path(reference).suffix.lower() in _DOCX_SUFFIXES
    )
    database = db_path(home)
    try:
        stored = lookup_template(database, reference)
        if stored is None:
            from mytypist_cli.library.store import open_store

            with open_store(database) as store:
                stored = store.get_template(reference)
    except NotFoundError as exc:
        if looks_like_path:
            raise TemplateError(f"{reference}: no such file") from None
        raise NotFoundError(f"{reference}: no such file, and {exc}") from None
    return stored
