"""Tests for mytypist_cli.library: plain types and the sqlmodel-free lookup for ``fill NAME``."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from mytypist_cli import home
from mytypist_cli.errors import NotFoundError, StoreError
from mytypist_cli.library import migrations
from mytypist_cli.library.lookup import lookup_template
from mytypist_cli.library.store import open_store


@pytest.fixture
def db() -> Path:
    path = home.db_path()
    with open_store(path) as store:
        store.add_template(b"v1", name="invoice", placeholders=["a"], category="Sales")
        store.add_template(b"v2", name="invoice", placeholders=["a", "b"])
    return path


def test_lookup_matches_the_store(db: Path) -> None:
    latest = lookup_template(db, "invoice")
    first = lookup_template(db, "invoice@1")
    assert latest is not None
    assert first is not None
    assert (latest.data, latest.info.ref, latest.info.placeholders) == (b"v2", "invoice@2", ("a", "b"))
    assert first.data == b"v1"
    with open_store(db) as store:
        assert store.get_template("invoice@1") == first
        assert store.get_template("invoice") == latest


def test_lookup_not_found(db: Path) -> None:
    with pytest.raises(NotFoundError, match="no template named 'nope'"):
        lookup_template(db, "nope")
    with pytest.raises(NotFoundError, match=r"no version 9 \(versions: 1, 2\)"):
        lookup_template(db, "invoice@9")


def test_lookup_without_a_library_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "home" / "mytypist.db"
    with pytest.raises(NotFoundError):
        lookup_template(path, "invoice")
    assert not path.parent.exists()


def test_lookup_defers_to_open_store_for_an_older_schema(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    migrations.migrate(conn, upto="m001_templates")
    conn.close()
    before = path.read_bytes()
    assert lookup_template(path, "invoice") is None
    assert path.read_bytes() == before  # never migrates


def test_lookup_refuses_foreign_files(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"hello, not sqlite")
    with pytest.raises(StoreError, match="not an SQLite database"):
        lookup_template(garbage, "invoice")
    foreign = tmp_path / "foreign.db"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE people (name TEXT)")
    conn.close()
    with pytest.raises(StoreError, match="not a mytypist library"):
        lookup_template(foreign, "invoice")


def test_library_import_does_not_pull_in_sqlmodel() -> None:
    code = (
        "import sys, mytypist_cli.library.lookup; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sqlmodel', 'sqlalchemy')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
