"""SQLModel table classes mirroring the latest schema built by ``migrations.py``.

These classes are for queries only: the tables are created and altered by the
append-only migrations, never by ``create_all`` (which cannot alter a table).
A test checks every column here exists in a freshly migrated database.

Imports sqlmodel (about 0.3 s): only ``store.py`` and ``analytics.py`` import
this module, never the fill path. Imports neither typer nor rich.
"""

from __future__ import annotations

from sqlalchemy import Column, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel


class TemplateBlob(SQLModel, table=True):
    """The bytes of a .docx template, stored once per sha256."""

    __tablename__ = "template_blobs"

    sha256: str = Field(primary_key=True)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class TemplateRow(SQLModel, table=True):
    """One version of a named template (metadata; bytes are in ``TemplateBlob``)."""

    __tablename__ = "templates"
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str
    version: int
    sha256: str = Field(foreign_key="template_blobs.sha256")
    size: int
    description: str = ""
    category: str | None = None
    tags: str = "[]"  # JSON array of strings
    delimiter_open: str = "<<"
    delimiter_close: str = ">>"
    placeholders: str = "[]"  # JSON array of strings, as found when added
    locale: str | None = None  # None: the default locale (en_NG)
    syntax: str | None = None  # None: auto (mytypist, mergefield or jinja as Template.open finds)
    created_utc: str
    updated_utc: str


class RunRow(SQLModel, table=True):
    """One recorded fill (ingested from the usage journal)."""

    __tablename__ = "runs"

    id: str = Field(primary_key=True)  # the journal's random run id
    template_name: str | None = None
    template_version: int | None = None
    template_path: str | None = None
    template_sha256: str | None = None
    started_utc: str
    duration_ms: int
    row_count: int
    documents: int
    failures: int
    output_kind: str


class RunFieldRow(SQLModel, table=True):
    """How many rows of one run lacked (missing) or left empty (blank) one placeholder."""

    __tablename__ = "run_fields"

    run_id: str = Field(foreign_key="runs.id", primary_key=True)
    placeholder: str = Field(primary_key=True)
    kind: str = Field(primary_key=True)  # "missing" | "blank"
    count: int
