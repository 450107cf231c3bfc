"""The library's schema as an append-only list of ``mNNN_description(conn)`` steps.

``SQLModel.metadata.create_all`` creates missing tables but never alters an
existing one, so the schema is defined here, in plain SQL, one step at a time.
Rules, because databases in the wild were made by every released version:

- A step that has shipped is never edited; a change is a new step appended
  to ``MIGRATIONS``. Each step says *why* it exists.
- Each step runs in its own ``BEGIN IMMEDIATE`` transaction together with its
  record in ``_mytypist_migrations``, so a crash leaves it wholly applied or
  not at all, and two processes opening a fresh library never both apply it.
- Only ``store.open_store`` calls :func:`migrate`; command code never does.

``models.py`` mirrors the latest schema for queries; a test checks the two agree.
Stdlib only (``sqlite3``); imports neither sqlmodel nor typer nor rich.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

MIGRATIONS_TABLE = "_mytypist_migrations"

Migration = Callable[[sqlite3.Connection], None]


def m001_templates(conn: sqlite3.Connection) -> None:
    """The template library: versioned templates, their bytes stored once by sha256."""
    # Bytes live in their own table so listing templates never reads the blobs,
    # and identical bytes under two names are stored once.
    conn.execute(
        """
        CREATE TABLE template_blobs (
            sha256 TEXT PRIMARY KEY NOT NULL,
            content BLOB NOT NULL
        )
        """
    )
    # One row per (name, version). tags and placeholders are JSON arrays of
    # strings; times are ISO-8601 UTC text with a fixed width, so they sort.
    conn.execute(
        """
        CREATE TABLE templates (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            version INTEGER NOT NULL CHECK (version >= 1),
            sha256 TEXT NOT NULL REFERENCES template_blobs (sha256),
            size INTEGER NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            category TEXT,
            tags TEXT NOT NULL DEFAULT '[]',
            delimiter_open TEXT NOT NULL DEFAULT '<<',
            delimiter_close TEXT NOT NULL DEFAULT '>>',
            placeholders TEXT NOT NULL DEFAULT '[]',
            created_utc TEXT NOT NULL,
            updated_utc TEXT NOT NULL,
            UNIQUE (name, version)
        )
        """
    )
    conn.execute("CREATE INDEX ix_templates_sha256 ON templates (sha256)")


def m002_usage_runs(conn: sqlite3.Connection) -> None:
    """Usage analytics: one row per fill, plus per-placeholder missing/blank counts."""
    # The id is the random run id written to the usage journal, so ingesting a
    # journal twice (after a crash) inserts nothing twice (INSERT OR IGNORE).
    # The template is referenced by name/version (or path/sha256), not by a
    # foreign key: removing a template must not erase its history.
    conn.execute(
        """
        CREATE TABLE runs (
            id TEXT PRIMARY KEY NOT NULL,
            template_name TEXT,
            template_version INTEGER,
            template_path TEXT,
            template_sha256 TEXT,
            started_utc TEXT NOT NULL,
            duration_ms INTEGER NOT NULL,
            row_count INTEGER NOT NULL,
            documents INTEGER NOT NULL,
            failures INTEGER NOT NULL,
            output_kind TEXT NOT NULL
        )
        """
    )
    conn.execute("CREATE INDEX ix_runs_started_utc ON runs (started_utc)")
    conn.execute("CREATE INDEX ix_runs_template_name ON runs (template_name)")
    # Names only, never values: values are often personal data.
    conn.execute(
        """
        CREATE TABLE run_fields (
            run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            placeholder TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('missing', 'blank')),
            count INTEGER NOT NULL,
            PRIMARY KEY (run_id, placeholder, kind)
        )
        """
    )


def m003_template_locale(conn: sqlite3.Connection) -> None:
    """A template remembers its locale (month names, separators), as it remembers its delimiters."""
    # Nullable with no default: NULL means the default locale (en_NG), so the
    # rows of older libraries keep filling exactly as they did.
    conn.execute("ALTER TABLE templates ADD COLUMN locale TEXT")


def m004_template_syntax(conn: sqlite3.Connection) -> None:
    """A template remembers its syntax (<< >>, merge fields, Jinja), as it remembers its delimiters."""
    # Nullable with no default: NULL means auto, which is what older versions read every template with.
    conn.execute("ALTER TABLE templates ADD COLUMN syntax TEXT")


MIGRATIONS: Sequence[Migration] = (
    m001_templates,
    m002_usage_runs,
    m003_template_locale,
    m004_template_syntax,
)

KNOWN_NAMES: frozenset[str] = frozenset(step.__name__ for step in MIGRATIONS)


def ensure_migrations_table(conn: sqlite3.Connection) -> None:
    """Create the bookkeeping table if it is missing (inside the caller's transaction)."""
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} ("
        " name TEXT PRIMARY KEY NOT NULL,"
        " applied_utc TEXT NOT NULL)"
    )


def applied(conn: sqlite3.Connection) -> set[str]:
    """Return the names of the migrations recorded in ``conn`` (empty if none)."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (MIGRATIONS_TABLE,)
    ).fetchone()
    if not exists:
        return set()
    return {row[0] for row in conn.execute(f"SELECT name FROM {MIGRATIONS_TABLE}")}


def unknown(names: set[str]) -> set[str]:
    """Return the recorded names this code does not know: the file is from a newer mytypist."""
    return names - KNOWN_NAMES


def _rollback(conn: sqlite3.Connection) -> None:
    """Roll back after a failed step without hiding why it failed.

    SQLite may already have rolled the transaction back itself (a full disk,
    SQLITE_FULL, does), and then ROLLBACK fails with "cannot rollback - no
    transaction is active"; a rollback that fails for another reason is
    dropped too: the step's own error is the one to report.
    """
    if not conn.in_transaction:
        return
    with contextlib.suppress(sqlite3.Error):
        conn.execute("ROLLBACK")


def migrate(conn: sqlite3.Connection, upto: str | None = None) -> list[str]:
    """Apply the pending migrations in order, each in its own BEGIN IMMEDIATE transaction.

    ``conn`` must be in autocommit mode (``isolation_level=None``) so the
    transactions here are the only ones. ``upto`` stops after that step (tests
    use it to build a database of an older schema). Returns the names applied.
    Raises sqlite3.Error; the caller (``open_store``) turns it into StoreError.
    """
    done: list[str] = []
    for step in MIGRATIONS:
        name = step.__name__
        # Cheap check without a write lock: an up-to-date library (the usual
        # case) opens without ever serialising with other processes.
        if name not in applied(conn):
            conn.execute("BEGIN IMMEDIATE")
            try:
                ensure_migrations_table(conn)
                # Re-check under the lock: another process may have just applied it.
                if name not in applied(conn):
                    step(conn)
                    conn.execute(
                        f"INSERT INTO {MIGRATIONS_TABLE} (name, applied_utc) VALUES (?, ?)",
                        (name, datetime.now(UTC).isoformat(timespec="microseconds")),
                    )
                    done.append(name)
                conn.execute("COMMIT")
            except BaseException:
                _rollback(conn)
                raise
        if name == upto:
            break
    return done
