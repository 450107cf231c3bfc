"""Plain data about stored templates, and a fast read-only lookup that skips sqlmodel.

The types here (``TemplateInfo``, ``StoredTemplate``), the ``NAME@VERSION``
parser and the file checks are shared by ``store.py``. They live apart from it
so that ``fill NAME`` can read one template with :func:`lookup_template`
(stdlib ``sqlite3``, read-only) instead of paying about 0.3 s to import
sqlmodel. The lookup never creates, migrates or writes the library: when the
file is missing the name is simply not found, and when the schema is not the
current one it returns None so the caller falls back to ``open_store``, the
only place migrations run.

Stdlib only; imports neither sqlmodel/sqlalchemy nor typer nor rich.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from mytypist_cli.errors import NotFoundError, StoreError
from mytypist_cli.library import migrations
from mytypist_cli.usage.journal import format_utc

BUSY_TIMEOUT_MS = 30_000
SQLITE_HEADER = b"SQLite format 3\x00"


@dataclass(frozen=True)
class TemplateInfo:
    """Metadata of one stored template version (no bytes)."""

    name: str
    version: int
    sha256: str
    size: int
    description: str
    category: str | None
    tags: tuple[str, ...]
    delimiters: tuple[str, str]
    placeholders: tuple[str, ...]
    created: datetime
    updated: datetime
    locale: str | None = None  # None: the default locale (en_NG)
    syntax: str | None = None  # None: auto; else mytypist, mergefield or jinja

    @property
    def ref(self) -> str:
        """``NAME@VERSION``, which resolves to exactly this version."""
        return f"{self.name}@{self.version}"

    def to_json_dict(self) -> dict[str, Any]:
        """Return the stable JSON shape used by ``list --json`` and ``show --json``."""
        return {
            "name": self.name,
            "version": self.version,
            "category": self.category,
            "tags": list(self.tags),
            "description": self.description,
            "placeholders": list(self.placeholders),
            "delimiters": list(self.delimiters),
            "locale": self.locale,
            "syntax": self.syntax or "auto",
            "sha256": self.sha256,
            "size": self.size,
            "created": format_utc(self.created),
            "updated": format_utc(self.updated),
        }


@dataclass(frozen=True)
class StoredTemplate:
    """One template version: its metadata and its .docx bytes."""

    info: TemplateInfo
    data: bytes


def info_from_columns(columns: Mapping[str, Any]) -> TemplateInfo:
    """Build a TemplateInfo from the columns of one ``templates`` row."""
    return TemplateInfo(
        name=columns["name"],
        version=int(columns["version"]),
        sha256=columns["sha256"],
        size=int(columns["size"]),
        description=columns["description"],
        category=columns["category"],
        tags=tuple(json.loads(columns["tags"])),
        delimiters=(columns["delimiter_open"], columns["delimiter_close"]),
        placeholders=tuple(json.loads(columns["placeholders"])),
        created=datetime.fromisoformat(columns["created_utc"]),
        updated=datetime.fromisoformat(columns["updated_utc"]),
        locale=columns.get("locale"),
        syntax=columns.get("syntax"),
    )


# --- references and names ----------------------------------------------------


def parse_ref(ref: str) -> tuple[str, int | None]:
    """Split ``NAME@VERSION`` into (name, version); a plain name gives version None.

    Raises StoreError for an empty name or a version that is not a positive integer.
    """
    name, sep, version_text = ref.rpartition("@")
    if not sep:
        name, version = ref, None
    else:
        if not version_text.isdigit() or int(version_text) < 1:
            raise StoreError(f"bad template reference {ref!r}: the version after @ must be 1, 2, …")
        version = int(version_text)
    if not name.strip():
        raise StoreError(f"bad template reference {ref!r}: the name is empty")
    return name, version


def validate_name(name: str) -> str:
    """Return ``name`` if usable as a library name, else raise StoreError saying why."""
    if not name or name != name.strip():
        raise StoreError(f"bad template name {name!r}: empty or has leading/trailing spaces")
    if "@" in name:
        raise StoreError(f"bad template name {name!r}: '@' separates NAME@VERSION")
    if any(ord(ch) < 32 or ch == "\x7f" for ch in name):
        raise StoreError(f"bad template name {name!r}: contains control characters")
    return name


def not_found(name: str, version: int | None, versions: list[int], path: Path) -> NotFoundError:
    """The NotFoundError for ``name`` (or ``name@version``) with what does exist."""
    if not versions:
        return NotFoundError(f"no template named {name!r} in the library {path}")
    known = ", ".join(str(v) for v in versions)
    return NotFoundError(f"template {name!r} has no version {version} (versions: {known})")


# --- checking files ------------------------------------------------------------


def connect_raw(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    """A plain sqlite3 connection in autocommit mode with the busy timeout set."""
    if readonly:
        conn = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=ro",
            uri=True,
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,
        )
    else:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


def check_header(path: Path) -> None:
    """Refuse a non-empty file that is not SQLite before SQLite ever opens it."""
    try:
        with path.open("rb") as handle:
            head = handle.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        return
    except OSError as exc:
        raise StoreError(f"cannot read library {path}: {exc}") from exc
    if head and head != SQLITE_HEADER:
        raise StoreError(f"{path} is not a mytypist library (not an SQLite database); it was left untouched")


def check_schema(conn: sqlite3.Connection, path: Path) -> set[str]:
    """Return the applied migrations; raise StoreError for a foreign or newer database."""
    tables = {
        row[0]
        for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        if not str(row[0]).startswith("sqlite_")
    }
    if tables and migrations.MIGRATIONS_TABLE not in tables:
        raise StoreError(
            f"{path} is an SQLite database but not a mytypist library "
            f"(tables: {', '.join(sorted(tables)[:5])}); it was left untouched"
        )
    done = migrations.applied(conn)
    newer = migrations.unknown(done)
    if newer:
        raise StoreError(
            f"{path} was written by a newer mytypist (unknown schema steps: "
            f"{', '.join(sorted(newer))}); upgrade mytypist to use it"
        )
    return done


# --- the fast read path -----------------------------------------------------------


def lookup_template(db_path: Path | str, ref: str) -> StoredTemplate | None:
    """Read ``NAME`` (latest) or ``NAME@VERSION`` read-only, without importing sqlmodel.

    Returns None when this fast path cannot answer (the library's schema is
    not the current one, or SQLite cannot open it read-only): then call
    ``open_store(db_path).get_template(ref)``, which migrates first. A missing
    library file means the name is not found; nothing is created.
    Raises NotFoundError, or StoreError for a file that is not a mytypist library.
    """
    path = Path(db_path)
    name, version = parse_ref(ref)
    if not path.exists() or path.stat().st_size == 0:
        raise not_found(name, version, [], path)
    check_header(path)
    try:
        conn = connect_raw(path, readonly=True)
    except sqlite3.Error:
        return None
    try:
        conn.row_factory = sqlite3.Row
        # One read transaction, so the schema check and the reads see one snapshot.
        conn.execute("BEGIN")
        if check_schema(conn, path) != migrations.KNOWN_NAMES:
            return None
        rows = conn.execute("SELECT * FROM templates WHERE name = ? ORDER BY version", (name,)).fetchall()
        chosen = rows[-1] if rows and version is None else None
        for row in rows:
            if row["version"] == version:
                chosen = row
        if chosen is None:
            raise not_found(name, version, [row["version"] for row in rows], path)
        blob = conn.execute(
            "SELECT content FROM template_blobs WHERE sha256 = ?", (chosen["sha256"],)
        ).fetchone()
        if blob is None:
            raise StoreError(f"library {path}: the bytes of {name}@{chosen['version']} are missing")
        return StoredTemplate(info=info_from_columns(dict(chosen)), data=bytes(blob[0]))
    except sqlite3.OperationalError:
        return None  # e.g. a WAL library in a read-only folder: let open_store try
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot read library {path}: {exc}") from exc
    finally:
        conn.close()


def template_names(db_path: Path | str) -> list[str]:
    """Every name in the library at ``db_path``, sorted, read-only (for did-you-mean hints).

    Never raises: a missing, foreign or unreadable library has no names. Nothing is created.
    """
    path = Path(db_path)
    try:
        if not path.is_file() or path.stat().st_size == 0:
            return []
        check_header(path)
        conn = connect_raw(path, readonly=True)
    except (OSError, StoreError, sqlite3.Error):
        return []
    try:
        return [str(row[0]) for row in conn.execute("SELECT DISTINCT name FROM templates ORDER BY name")]
    except sqlite3.Error:
        return []
    finally:
        conn.close()
