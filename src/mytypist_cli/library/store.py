"""The template library: one SQLite file holding versioned .docx templates and usage runs.

``open_store(path)`` is the only way in and the only place migrations run. It
refuses (``StoreError`` naming the file, file untouched) anything that is not a
mytypist library: garbage, a damaged database, another program's SQLite file,
or a library written by a newer mytypist.

Concurrency: several mytypist processes use one library at once. The database
is in WAL mode (readers never block the writer), every connection waits up to
30 s for a lock (``busy_timeout``), and every write transaction starts with
``BEGIN IMMEDIATE``: a deferred transaction that reads and then writes can fail
with SQLITE_BUSY no matter the timeout. Switching a new library to WAL can fail
with SQLITE_BUSY at once too, so ``open_store`` retries that. Every change is
one transaction, so a kill -9 leaves each change wholly applied or absent.

Restore: ``restore`` keeps a copy of the live library and then writes the backup's
content over it. A write committed between the two would be in neither, so
restore holds an exclusive ``flock`` on the library's folder for both steps, and
every write transaction takes it shared before it starts (``_restore_lock``): a
write lands wholly before the copy (so it is in the kept copy) or after the
swap (in the restored library). Runs recorded in the journal meanwhile stay
there until the next open ingests them into the restored library.

The store never parses .docx: ``add_template`` takes the bytes plus the
placeholder names and delimiters the caller got from the engine. It never
imports the engine, typer or rich, and never prints or exits.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import and_, delete, event, func, or_, text, update
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import Session, col, create_engine, select

from mytypist_cli import writer
from mytypist_cli.errors import NotFoundError, OutputError, StoreError
from mytypist_cli.home import JOURNAL_FILENAME
from mytypist_cli.library import migrations
from mytypist_cli.library.lookup import (
    BUSY_TIMEOUT_MS,
    StoredTemplate,
    TemplateInfo,
    check_header,
    check_schema,
    connect_raw,
    info_from_columns,
    lookup_template,
    not_found,
    parse_ref,
    validate_name,
)
from mytypist_cli.library.models import RunFieldRow, RunRow, TemplateBlob, TemplateRow
from mytypist_cli.usage import journal as usage

try:  # fcntl is POSIX-only; elsewhere restore cannot keep writers out (see _restore_lock).
    import fcntl
except ImportError:  # pragma: no cover - not on Linux/macOS
    fcntl = None  # type: ignore[assignment]

# Re-exported: the store's public API includes the plain types and helpers.
__all__ = [
    "AddResult",
    "IngestReport",
    "RestoreResult",
    "Store",
    "StoredTemplate",
    "TemplateInfo",
    "check_library_file",
    "lookup_template",
    "open_store",
    "parse_ref",
    "restore",
    "validate_name",
]

DEFAULT_DELIMITERS: tuple[str, str] = ("<<", ">>")

# Retries of switching a new library to WAL (see _enter_wal): 2,000 tries 10 to 20 ms apart,
# about the busy timeout's 30 s in all.
WAL_ATTEMPTS = 2_000
WAL_RETRY_SECONDS = 0.02

# Below this much free space, an SQLite "disk full" or "disk I/O error" is put down to the disk
# being full (see _reason): a WAL library needs room for its -wal and a 32 KiB -shm.
LOW_SPACE_BYTES = 256 * 1024

AddStatus = Literal["added", "new_version", "unchanged"]


# --- plain data returned to callers ----------------------------------------


@dataclass(frozen=True)
class AddResult:
    """What ``add_template`` did: ``added`` (new name), ``new_version`` or ``unchanged``."""

    status: AddStatus
    template: TemplateInfo
    previous: TemplateInfo | None = None

    @property
    def changed(self) -> bool:
        """False when identical bytes were already the latest version."""
        return self.status != "unchanged"


@dataclass(frozen=True)
class IngestReport:
    """What one ingest of the usage journal did."""

    runs_added: int = 0
    files: int = 0
    malformed: int = 0


@dataclass(frozen=True)
class RestoreResult:
    """Where a restore put things."""

    db_path: Path
    restored_from: Path
    previous_copy: Path | None
    migrations_applied: list[str] = field(default_factory=list)


def _clean_list(items: Sequence[str]) -> list[str]:
    """Strip, drop empties and duplicates, keep first-seen order."""
    seen: dict[str, None] = {}
    for item in items:
        cleaned = item.strip()
        if cleaned:
            seen.setdefault(cleaned, None)
    return list(seen)


def _now_text() -> str:
    return usage.format_utc(datetime.now(UTC))


def _info(row: TemplateRow) -> TemplateInfo:
    return info_from_columns(row.model_dump())


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# --- opening -----------------------------------------------------------------


def open_store(
    path: Path | str,
    *,
    journal: Path | None = None,
    ingest: bool = True,
) -> Store:
    """Open (creating if absent) the library at ``path``, migrate it, ingest the usage journal.

    ``journal`` defaults to ``usage.jsonl`` beside the database. Raises StoreError
    naming the file if it is not a mytypist library, is damaged, comes from a
    newer mytypist, or cannot be created.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create library directory {path.parent}: {exc}") from exc
    check_header(path)
    try:
        conn = connect_raw(path)
        try:
            # Validate before anything writes: a foreign file must stay byte-identical.
            check_schema(conn, path)
            _enter_wal(conn)
            migrations.migrate(conn)
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot open library {path}: {_reason(exc, path)}") from exc
    store = Store(path, journal=journal or path.with_name(JOURNAL_FILENAME))
    if ingest:
        try:
            store.ingest_usage()
        except BaseException:
            store.close()
            raise
    return store


def _reason(exc: BaseException | None, path: Path) -> str:
    """SQLite's message for ``exc``, saying "No space left on device" when that is the cause.

    SQLite reports a full disk as SQLITE_FULL ("database or disk is full"), or, when the
    WAL index (``-shm``) cannot grow, as a bare SQLITE_IOERR ("disk I/O error"); neither
    names the cause a user can act on. The file system holding the library is asked.
    """
    message = str(exc)
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    if code not in (sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR):
        return message
    try:
        stats = os.statvfs(path.parent)
    except (OSError, AttributeError):
        return message
    if stats.f_bavail * stats.f_frsize < LOW_SPACE_BYTES:
        return f"{message}: No space left on device"
    return message


def _enter_wal(conn: sqlite3.Connection) -> None:
    """Put the library in WAL mode (a no-op once it is), retrying while another process holds it.

    Switching a new library to WAL takes the file for a moment, and SQLite may answer
    SQLITE_BUSY at once, without waiting in the busy handler (waiting could deadlock), when
    another process is reading or switching it too. That is retried a bounded number of
    times, a short sleep apart (about as long as the busy timeout in all); any other error
    and the last BUSY are raised.
    """
    for attempt in range(WAL_ATTEMPTS):
        try:
            conn.execute("PRAGMA journal_mode = WAL").fetchall()
            return
        except sqlite3.OperationalError as exc:
            busy = getattr(exc, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_BUSY
            if not busy or attempt == WAL_ATTEMPTS - 1:
                raise
        # A little random, so processes that collided do not collide again in step.
        time.sleep(random.uniform(WAL_RETRY_SECONDS / 2, WAL_RETRY_SECONDS))


def _make_engine(path: Path) -> Engine:
    # URL.create, not an f-string: a home path may contain "?" or "#".
    engine = create_engine(
        URL.create("sqlite", database=str(path)),
        connect_args={"timeout": BUSY_TIMEOUT_MS / 1000},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
        # Stop pysqlite from issuing its own (deferred) BEGIN: the "begin" hook
        # below decides how each transaction starts.
        dbapi_conn.isolation_level = None
        dbapi_conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        dbapi_conn.execute("PRAGMA foreign_keys = ON")
        # synchronous stays FULL (the default): the library is the only copy of
        # a user's templates, so a commit must survive power loss, not just kill -9.

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("mytypist_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


@contextmanager
def _restore_lock(db_path: Path, *, exclusive: bool) -> Iterator[None]:
    """Hold the restore lock of the library at ``db_path``: a ``flock`` on its folder.

    Exclusive for ``restore``'s copy-and-swap, shared for every write transaction
    (taken before the transaction starts, so a writer never holds SQLite's lock
    while waiting here). The folder, not a file: SQLite's own POSIX locks on the
    database are dropped when any descriptor of it in the process is closed, and a
    folder needs no extra file beside the library. Where the folder cannot be
    opened (or there is no flock) the lock is skipped: restore is then as before.
    """
    if fcntl is None:
        yield
        return
    try:
        handle = os.open(db_path.parent, os.O_RDONLY)
    except OSError:
        yield
        return
    try:
        fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield
    finally:
        os.close(handle)  # also releases the flock


# --- the store -----------------------------------------------------------------


class Store:
    """An open library. Use ``open_store``; close it (or use ``with``) when done."""

    def __init__(self, path: Path, *, journal: Path) -> None:
        self.path = path
        self.journal = journal
        self._engine = _make_engine(path)
        # Every transaction on this engine starts with BEGIN IMMEDIATE: it takes
        # the write lock up front, so it waits (busy_timeout) instead of failing.
        self._write_engine = self._engine.execution_options(mytypist_begin="IMMEDIATE")

    def close(self) -> None:
        """Release every connection."""
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Turn SQLite failures (damage, lock timeouts, I/O) into StoreError naming the file."""
        try:
            yield
        except DBAPIError as exc:
            raise StoreError(f"library {self.path}: {_reason(exc.orig, self.path)}") from exc
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"library {self.path}: {_reason(exc, self.path)}") from exc

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session in a deferred (read) transaction; for queries only."""
        with self._errors(), Session(self._engine) as session:
            yield session

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """A session in a BEGIN IMMEDIATE transaction, committed on success."""
        with (
            _restore_lock(self.path, exclusive=False),
            self._errors(),
            Session(self._write_engine) as session,
        ):
            yield session
            session.commit()

    # --- lookups ---

    @staticmethod
    def _rows(session: Session, name: str) -> list[TemplateRow]:
        query = select(TemplateRow).where(TemplateRow.name == name).order_by(col(TemplateRow.version))
        return list(session.exec(query))

    def _resolve(self, session: Session, ref: str) -> TemplateRow:
        name, version = parse_ref(ref)
        rows = self._rows(session, name)
        if rows and version is None:
            return rows[-1]
        for row in rows:
            if row.version == version:
                return row
        raise not_found(name, version, [r.version for r in rows], self.path)

    def get_info(self, ref: str) -> TemplateInfo:
        """Metadata of ``NAME`` (latest) or ``NAME@VERSION``. Raises NotFoundError."""
        with self.reading() as session:
            return _info(self._resolve(session, ref))

    def get_template(self, ref: str) -> StoredTemplate:
        """Metadata and .docx bytes of ``NAME`` (latest) or ``NAME@VERSION``.

        Raises NotFoundError, or StoreError if the stored bytes are missing.
        """
        with self.reading() as session:
            row = self._resolve(session, ref)
            blob = session.get(TemplateBlob, row.sha256)
            if blob is None:
                raise StoreError(f"library {self.path}: the bytes of {row.name}@{row.version} are missing")
            return StoredTemplate(info=_info(row), data=blob.content)

    def versions(self, name: str) -> list[TemplateInfo]:
        """Every version of ``name``, oldest first. Raises NotFoundError."""
        plain, _ = parse_ref(name)
        with self.reading() as session:
            rows = self._rows(session, plain)
        if not rows:
            raise NotFoundError(f"no template named {plain!r} in the library {self.path}")
        return [_info(row) for row in rows]

    def exists(self, ref: str) -> bool:
        """True if ``ref`` names a stored template (or version). Never raises NotFoundError."""
        try:
            self.get_info(ref)
        except NotFoundError:
            return False
        return True

    def list_templates(
        self,
        *,
        category: str | None = None,
        tag: str | None = None,
        search: str | None = None,
        all_versions: bool = False,
    ) -> list[TemplateInfo]:
        """Templates sorted by name (and version): the latest of each name unless ``all_versions``.

        ``category`` and ``tag`` match exactly (ignoring case); ``search`` is a
        case-insensitive substring of the name, description, category, tags or
        placeholders.
        """
        query = select(TemplateRow)
        if not all_versions:
            latest = (
                select(TemplateRow.name, func.max(TemplateRow.version).label("latest"))
                .group_by(col(TemplateRow.name))
                .subquery()
            )
            query = query.join(
                latest,
                and_(
                    col(TemplateRow.name) == latest.c.name,
                    col(TemplateRow.version) == latest.c.latest,
                ),
            )
        if category is not None:
            query = query.where(func.lower(TemplateRow.category) == category.lower())
        if tag is not None:
            query = query.where(
                text(
                    "EXISTS (SELECT 1 FROM json_each(templates.tags) AS t WHERE lower(t.value) = lower(:tag))"
                ).bindparams(tag=tag)
            )
        if search:
            pattern = _like_pattern(search)
            query = query.where(
                or_(
                    *(
                        column.like(pattern, escape="\\")
                        for column in (
                            col(TemplateRow.name),
                            col(TemplateRow.description),
                            col(TemplateRow.category),
                            col(TemplateRow.tags),
                            col(TemplateRow.placeholders),
                        )
                    )
                )
            )
        query = query.order_by(col(TemplateRow.name), col(TemplateRow.version))
        with self.reading() as session:
            return [_info(row) for row in session.exec(query)]

    # --- changes ---

    def add_template(
        self,
        data: bytes,
        *,
        placeholders: Sequence[str],
        name: str | None = None,
        path: Path | str | None = None,
        delimiters: tuple[str, str] = DEFAULT_DELIMITERS,
        category: str | None = None,
        tags: Sequence[str] | None = None,
        description: str | None = None,
        locale: str | None = None,
        syntax: str | None = None,
    ) -> AddResult:
        """Store template bytes under ``name`` (default: the stem of ``path``).

        The caller has already checked ``data`` with the engine and passes the
        placeholder names and delimiters it found. A new name becomes version
        1; different bytes (or delimiters) under an existing name become the
        next version, keeping the old ones; bytes identical to the latest
        version change nothing (status ``unchanged``). Category, tags,
        description and locale not given are carried over from the previous
        version; ``locale=""`` stores none (the default, en_NG). The same bytes
        with another locale are a new version, as with other delimiters: the
        locale changes what the template prints. The caller validates the locale.
        ``syntax`` is the one the engine read it with (mytypist, mergefield, jinja; None: auto);
        another syntax for the same bytes is a new version too.
        Raises StoreError for a bad name or a database failure.
        """
        if name is None:
            if path is None:
                raise StoreError("add_template needs a name or the template's path")
            name = Path(path).stem
        validate_name(name)
        open_, close = delimiters
        if not open_ or not close:
            raise StoreError(f"bad delimiters {delimiters!r}: both must be non-empty")
        digest = hashlib.sha256(data).hexdigest()
        now = _now_text()
        with self.writing() as session:
            rows = self._rows(session, name)
            latest = rows[-1] if rows else None
            if locale is not None:
                chosen_locale = locale.strip() or None
            else:
                chosen_locale = latest.locale if latest else None
            if (
                latest is not None
                and latest.sha256 == digest
                and (latest.delimiter_open, latest.delimiter_close) == delimiters
                and latest.locale == chosen_locale
                and (syntax is None or latest.syntax == syntax)
            ):
                info = _info(latest)
                return AddResult(status="unchanged", template=info, previous=info)
            if session.get(TemplateBlob, digest) is None:
                session.add(TemplateBlob(sha256=digest, content=data))
            inherit = latest
            row = TemplateRow(
                name=name,
                version=(latest.version + 1) if latest else 1,
                sha256=digest,
                size=len(data),
                description=(
                    description if description is not None else (inherit.description if inherit else "")
                ),
                category=(
                    (category or None) if category is not None else (inherit.category if inherit else None)
                ),
                tags=json.dumps(
                    _clean_list(tags) if tags is not None else (json.loads(inherit.tags) if inherit else [])
                ),
                delimiter_open=open_,
                delimiter_close=close,
                placeholders=json.dumps(_clean_list(placeholders)),
                locale=chosen_locale,
                syntax=syntax,
                created_utc=now,
                updated_utc=now,
            )
            session.add(row)
            session.flush()
            # Build plain data before commit expires the ORM objects.
            result = AddResult(
                status="new_version" if latest else "added",
                template=_info(row),
                previous=_info(latest) if latest else None,
            )
        return result

    def remove_template(self, ref: str) -> list[TemplateInfo]:
        """Remove a whole name (every version) or one ``NAME@VERSION``; return what was removed.

        Usage history is kept. Raises NotFoundError.
        """
        name, version = parse_ref(ref)
        with self.writing() as session:
            if version is None:
                doomed = self._rows(session, name)
                if not doomed:
                    raise NotFoundError(f"no template named {name!r} in the library {self.path}")
            else:
                doomed = [self._resolve(session, ref)]
            removed = [_info(row) for row in doomed]
            for row in doomed:
                session.delete(row)
            session.flush()
            # Bytes shared with another name or version stay; orphans go.
            session.execute(
                delete(TemplateBlob).where(col(TemplateBlob.sha256).not_in(select(TemplateRow.sha256)))
            )
        return removed

    def edit_template(
        self,
        name: str,
        *,
        rename: str | None = None,
        category: str | None = None,
        tags: Sequence[str] | None = None,
        description: str | None = None,
        locale: str | None = None,
    ) -> TemplateInfo:
        """Change the metadata of every version of ``name``; return the latest version.

        ``None`` leaves a field alone; ``category=""`` clears it, ``tags=[]``
        clears the tags, ``locale=""`` goes back to the default locale (en_NG;
        the caller validates a locale it sets). ``rename`` moves every version and the usage history to
        the new name. Raises NotFoundError, or StoreError for ``NAME@VERSION``,
        a bad new name, or a new name already in use.
        """
        plain, version = parse_ref(name)
        if version is not None:
            raise StoreError(f"edit changes every version of a template; give {plain!r} without @{version}")
        values: dict[str, Any] = {}
        if category is not None:
            values["category"] = category or None
        if tags is not None:
            values["tags"] = json.dumps(_clean_list(tags))
        if description is not None:
            values["description"] = description
        if locale is not None:
            values["locale"] = locale.strip() or None
        if rename is not None and rename != plain:
            values["name"] = validate_name(rename)
        with self.writing() as session:
            if not self._rows(session, plain):
                raise NotFoundError(f"no template named {plain!r} in the library {self.path}")
            if values:
                if "name" in values and self._rows(session, values["name"]):
                    raise StoreError(f"a template named {values['name']!r} already exists")
                values["updated_utc"] = _now_text()
                session.execute(update(TemplateRow).where(col(TemplateRow.name) == plain).values(**values))
                if "name" in values:
                    session.execute(
                        update(RunRow)
                        .where(col(RunRow.template_name) == plain)
                        .values(template_name=values["name"])
                    )
            final = values.get("name", plain)
            session.expire_all()
            return _info(self._rows(session, final)[-1])

    # --- usage journal ---

    def ingest_usage(self) -> IngestReport:
        """Move the runs recorded in the usage journal into the ``runs`` table.

        Safe to run from many processes at once and to repeat after a crash:
        runs are inserted with INSERT OR IGNORE on their id, and a claimed
        journal file is deleted only after its transaction commits.
        """
        added = malformed = files = 0
        try:
            claims = usage.claim_journal(self.journal)
        except OSError as exc:
            raise StoreError(f"cannot read usage journal {self.journal}: {exc}") from exc
        for claimed in claims:
            try:
                records, bad = usage.read_claimed(claimed)
            except OSError as exc:
                raise StoreError(f"cannot read usage journal {claimed}: {exc}") from exc
            malformed += bad
            runs: list[dict[str, Any]] = []
            fields: list[dict[str, Any]] = []
            for record in records:
                converted = _run_rows(record)
                if converted is None:
                    malformed += 1
                    continue
                runs.append(converted[0])
                fields.extend(converted[1])
            if runs:
                with self.writing() as session:
                    result = session.execute(
                        text(
                            "INSERT OR IGNORE INTO runs (id, template_name, template_version,"
                            " template_path, template_sha256, started_utc, duration_ms,"
                            " row_count, documents, failures, output_kind) VALUES (:id,"
                            " :template_name, :template_version, :template_path,"
                            " :template_sha256, :started_utc, :duration_ms, :row_count,"
                            " :documents, :failures, :output_kind)"
                        ),
                        runs,
                    )
                    added += max(int(getattr(result, "rowcount", 0) or 0), 0)
                    if fields:
                        session.execute(
                            text(
                                "INSERT OR IGNORE INTO run_fields (run_id, placeholder, kind,"
                                " count) VALUES (:run_id, :placeholder, :kind, :count)"
                            ),
                            fields,
                        )
            usage.release_claimed(claimed)
            files += 1
        return IngestReport(runs_added=added, files=files, malformed=malformed)

    def run_count(self) -> int:
        """Number of runs in the database (after ingesting at open)."""
        with self.reading() as session:
            return int(session.exec(select(func.count()).select_from(RunRow)).one())

    def field_counts(self) -> list[RunFieldRow]:
        """Every per-run missing/blank count (mainly for tests and debugging)."""
        with self.reading() as session:
            return list(session.exec(select(RunFieldRow)))

    # --- writing files out ---

    def _own_files(self) -> list[Path]:
        """The files that make up this library: never an output, even with ``overwrite``."""
        return [self.path, *(self.path.with_name(self.path.name + s) for s in ("-wal", "-shm")), self.journal]

    def _refuse_own(self, dest: Path) -> None:
        """Refuse an output named like one of the library's files, existing or not (the journal
        comes and goes: it is ingested when the library is opened). Raises StoreError."""
        resolved = dest.resolve()
        if any(resolved == own.resolve() for own in self._own_files()):
            raise StoreError(f"{dest} is one of the library's own files; choose another name")

    def export_template(self, ref: str, dest: Path | str, *, overwrite: bool = False) -> TemplateInfo:
        """Write the .docx bytes of ``NAME`` (latest) or ``NAME@VERSION`` to ``dest``, byte for byte.

        Written through :mod:`mytypist_cli.writer`: an existing file is replaced
        only with ``overwrite``. Raises StoreError for a name of one of the
        library's own files (even with ``overwrite``) or a database failure,
        OutputError (OutputExistsError), NotFoundError.
        """
        self._refuse_own(Path(dest))
        writer.check_target(dest, overwrite=overwrite, inputs=self._own_files())
        stored = self.get_template(ref)
        writer.write_bytes(dest, stored.data, overwrite=overwrite, inputs=self._own_files())
        return stored.info

    def backup(self, dest: Path | str, *, overwrite: bool = False) -> Path:
        """Copy the whole library to ``dest`` with SQLite's online backup API.

        The copy is a consistent snapshot even while other processes write,
        and is a single self-contained file, put in place by
        :mod:`mytypist_cli.writer` (its folder is created if needed). Raises
        StoreError if ``dest`` is the library itself (or one of its files) or the copy fails,
        OutputExistsError if it exists (unless ``overwrite``), OutputError if it
        cannot be written (a folder, a device, one of the library's files).
        """
        dest = Path(dest)
        if dest.resolve() == self.path.resolve():
            raise StoreError(f"cannot back up {self.path} onto itself")
        self._refuse_own(dest)
        writer.check_target(dest, overwrite=overwrite, inputs=self._own_files())
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot write {dest}: {exc.strerror or exc}") from None
        # A backup killed outright (SIGKILL) by an older mytypist left its hidden copy: remove it.
        writer.remove_leftovers(dest.parent)
        # The snapshot is taken in memory and written as a file with no name until it is whole
        # (writer's O_TMPFILE path), so a killed backup leaves nothing behind. It costs memory
        # twice the library's size while it runs, which a library of templates affords.
        data = _snapshot(self.path, shown=dest)
        writer.write_bytes(dest, data, overwrite=overwrite, inputs=self._own_files(), checked=True)
        return dest


def _run_rows(record: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """Convert one journal record to (runs row, run_fields rows); None if malformed."""
    try:
        run_id = str(record["id"])
        started = datetime.fromisoformat(str(record["started_utc"]))
        if started.tzinfo is None:
            return None
        row = {
            "id": run_id,
            "template_name": record.get("template_name"),
            "template_version": record.get("template_version"),
            "template_path": record.get("template_path"),
            "template_sha256": record.get("template_sha256"),
            "started_utc": usage.format_utc(started),
            "duration_ms": int(record["duration_ms"]),
            "row_count": int(record["rows"]),
            "documents": int(record["documents"]),
            "failures": int(record["failures"]),
            "output_kind": str(record["output_kind"]),
        }
        if row["template_name"] is None and row["template_path"] is None:
            return None
        fields = [
            {"run_id": run_id, "placeholder": str(placeholder), "kind": kind, "count": int(count)}
            for kind in ("missing", "blank")
            for placeholder, count in dict(record.get(kind) or {}).items()
        ]
    except (KeyError, TypeError, ValueError):
        return None
    return row, fields


def _sqlite_copy(src: Path, into: Path, *, shown: Path, src_readonly: bool = False) -> None:
    """Copy the SQLite database ``src`` into the file ``into`` with the backup API.

    ``shown`` is the name messages give the copy (``into`` may be a temporary
    file). Whatever happens, no ``-journal`` / ``-wal`` / ``-shm`` of ``into`` is
    left behind. Raises StoreError.
    """
    try:
        source = connect_raw(src, readonly=src_readonly)
        try:
            target = sqlite3.connect(into, isolation_level=None)
            try:
                # One step (pages=-1): a single read transaction on the source,
                # so the copy is one consistent snapshot; WAL lets writers go on.
                source.backup(target)
                # A backup should be one self-contained file, not db + -wal.
                target.execute("PRAGMA journal_mode = DELETE")
            finally:
                target.close()
        finally:
            source.close()
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(f"cannot copy library {src} to {shown}: {exc}") from exc
    finally:
        for suffix in ("-journal", "-wal", "-shm"):
            into.with_name(into.name + suffix).unlink(missing_ok=True)


def _snapshot(src: Path, *, shown: Path) -> bytes:
    """A consistent copy of the SQLite database ``src`` as the bytes of a self-contained file.

    SQLite's backup API copies it into memory in one read transaction (writers
    in WAL mode go on meanwhile). The file header's read and write versions
    are set to 1 (bytes 18 and 19), which is what ``journal_mode = DELETE``
    does, so the copy opens as one file, never as a database plus ``-wal``.
    Raises StoreError naming ``shown``.
    """
    try:
        source = connect_raw(src)
        try:
            memory = sqlite3.connect(":memory:", isolation_level=None)
            try:
                source.backup(memory)
                data = bytearray(memory.serialize())
            finally:
                memory.close()
        finally:
            source.close()
    except (OSError, sqlite3.Error, MemoryError) as exc:
        raise StoreError(f"cannot copy library {src} to {shown}: {exc}") from exc
    if len(data) >= 20:
        data[18] = data[19] = 1
    return bytes(data)


def _online_copy(src: Path, dest: Path, *, src_readonly: bool = False) -> None:
    """Copy an SQLite database with the backup API to a temp file, then rename into place.

    For restore's own files (the live library, the copy kept of it); a
    user-named output (``backup``) goes through the writer instead.
    """
    # The writer's run prefix: a copy a killed restore left is removed by the next one (remove_leftovers).
    tmp = dest.with_name(f"{writer.run_prefix('restore-')}{os.urandom(4).hex()}.tmp")
    try:
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot copy library {src} to {dest}: {exc}") from exc
        _sqlite_copy(src, tmp, shown=dest, src_readonly=src_readonly)
        try:
            os.replace(tmp, dest)
        except OSError as exc:
            raise StoreError(f"cannot copy library {src} to {dest}: {exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)


def check_library_file(path: Path | str) -> set[str]:
    """Check that ``path`` is a mytypist library this code can migrate; return its steps.

    Opens it read-only. Raises StoreError naming the file if it is missing,
    not SQLite, damaged, foreign, or from a newer mytypist.
    """
    path = Path(path)
    if not path.is_file():
        raise StoreError(f"{path} does not exist or is not a file")
    check_header(path)
    if path.stat().st_size == 0:
        raise StoreError(f"{path} is empty, not a mytypist library")
    try:
        conn = connect_raw(path, readonly=True)
        try:
            done = check_schema(conn, path)
            if not done:
                raise StoreError(f"{path} is not a mytypist library (no schema recorded)")
            verdict = conn.execute("PRAGMA quick_check").fetchone()
            if not verdict or verdict[0] != "ok":
                raise StoreError(f"{path} is damaged: {verdict[0] if verdict else 'no answer'}")
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path} is not a usable mytypist library: {exc}") from exc
    return done


def restore(src: Path | str, db_path: Path | str) -> RestoreResult:
    """Replace the library at ``db_path`` with the library file ``src``, then migrate it.

    ``src`` is checked first (read-only): it must be a mytypist library whose
    schema this code can migrate. The current library, if any, is kept as
    ``<stem>-before-restore-<UTC time><suffix>`` beside it. The content is put
    in place with SQLite's backup API (so processes that have the library open
    see the switch atomically); if the current file is unusable it is replaced
    as a file instead. Both steps run under the exclusive restore lock, so a run
    another process records meanwhile is in the kept copy, the restored library
    or the journal, never lost. A temporary copy a killed restore left in the
    folder is removed first. Close any Store on ``db_path`` before calling.
    Raises StoreError naming the offending file.
    """
    src, db_path = Path(src), Path(db_path)
    had = check_library_file(src)
    if db_path.exists() and src.resolve() == db_path.resolve():
        raise StoreError(f"cannot restore {db_path} from itself")
    previous: Path | None = None
    try:
        db_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot restore into {db_path}: {exc}") from exc
    # A restore killed outright left its temporary copy: this one removes it.
    writer.remove_leftovers(db_path.parent)
    with _restore_lock(db_path, exclusive=True):
        if db_path.exists():
            previous = _keep_copy_path(db_path)
            try:
                _online_copy(db_path, previous)
            except StoreError:
                # The current file is damaged or not SQLite: keep its bytes as they are.
                shutil.copy2(db_path, previous)
            try:
                source = connect_raw(src, readonly=True)
                try:
                    target = connect_raw(db_path)
                    try:
                        source.backup(target)
                    finally:
                        target.close()
                finally:
                    source.close()
            except sqlite3.OperationalError as exc:
                # Busy or I/O trouble: never swap the file under other processes.
                raise StoreError(f"cannot restore into {db_path}: {exc}") from exc
            except sqlite3.DatabaseError:
                _replace_file(src, db_path)
        else:
            _online_copy(src, db_path, src_readonly=True)
        open_store(db_path, ingest=False).close()  # migrates the restored library
    applied = [m.__name__ for m in migrations.MIGRATIONS if m.__name__ not in had]
    return RestoreResult(
        db_path=db_path, restored_from=src, previous_copy=previous, migrations_applied=applied
    )


def _replace_file(src: Path, db_path: Path) -> None:
    """Put a copy of ``src`` at ``db_path`` as a file, dropping the old WAL files."""
    staged = db_path.with_name(f"{writer.run_prefix('restore-')}{os.urandom(4).hex()}.tmp")
    _online_copy(src, staged, src_readonly=True)
    # A stale -wal would be replayed onto the new file and corrupt it.
    for suffix in ("-wal", "-shm"):
        stale = db_path.with_name(db_path.name + suffix)
        if stale.exists():
            stale.unlink()
    os.replace(staged, db_path)


def _keep_copy_path(db_path: Path) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    candidate = db_path.with_name(f"{db_path.stem}-before-restore-{stamp}{db_path.suffix}")
    counter = 1
    while candidate.exists():
        counter += 1
        candidate = db_path.with_name(f"{db_path.stem}-before-restore-{stamp}-{counter}{db_path.suffix}")
    return candidate
