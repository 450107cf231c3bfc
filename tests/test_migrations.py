"""Tests for mytypist_cli.migrations (and that models.py mirrors the schema they build)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlmodel import SQLModel

from mytypist_cli.library import migrations, models


def connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}


def tables(conn: sqlite3.Connection) -> set[str]:
    return {
        row[0]
        for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        if not row[0].startswith("sqlite_")
    }


def test_blank_database_gets_the_expected_schema(tmp_path: Path) -> None:
    conn = connect(tmp_path / "x.db")
    assert migrations.migrate(conn) == [
        "m001_templates",
        "m002_usage_runs",
        "m003_template_locale",
        "m004_template_syntax",
    ]
    assert tables(conn) == {
        "_mytypist_migrations",
        "template_blobs",
        "templates",
        "runs",
        "run_fields",
    }
    assert migrations.applied(conn) == set(migrations.KNOWN_NAMES)
    assert migrations.migrate(conn) == []  # running again applies nothing


def test_models_mirror_the_migrated_schema(tmp_path: Path) -> None:
    conn = connect(tmp_path / "x.db")
    migrations.migrate(conn)
    migrated = tables(conn) - {"_mytypist_migrations"}
    # Every table model in models.py, by table name: one per migrated table, no more, no fewer.
    model_tables = {
        model.__tablename__: model.__table__
        for model in vars(models).values()
        if isinstance(model, type) and issubclass(model, SQLModel) and hasattr(model, "__table__")
    }
    assert set(model_tables) == migrated
    for name, table in model_tables.items():
        assert SQLModel.metadata.tables[name] is table, name  # the metadata the store queries through
        assert {c.name for c in table.columns} == columns(conn, name), name


def test_upto_builds_an_older_schema(tmp_path: Path) -> None:
    conn = connect(tmp_path / "x.db")
    assert migrations.migrate(conn, upto="m001_templates") == ["m001_templates"]
    assert "runs" not in tables(conn)
    assert migrations.migrate(conn) == ["m002_usage_runs", "m003_template_locale", "m004_template_syntax"]


def test_migration_names_are_ordered_and_unique() -> None:
    names = [step.__name__ for step in migrations.MIGRATIONS]
    assert len(names) == len(set(names))
    assert names == sorted(names)
    assert all(name[0] == "m" and name[1:4].isdigit() and name[4] == "_" for name in names)


def test_a_failing_step_leaves_neither_its_changes_nor_its_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def m999_broken(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE half_done (x INTEGER)")
        raise RuntimeError("boom")

    monkeypatch.setattr(migrations, "MIGRATIONS", (*migrations.MIGRATIONS, m999_broken))
    conn = connect(tmp_path / "x.db")
    with pytest.raises(RuntimeError, match="boom"):
        migrations.migrate(conn)
    assert "half_done" not in tables(conn)
    assert migrations.applied(conn) == set(migrations.KNOWN_NAMES)


def test_unknown_names_mean_a_newer_schema() -> None:
    assert migrations.unknown({"m001_templates", "m042_future"}) == {"m042_future"}
    assert migrations.unknown(set(migrations.KNOWN_NAMES)) == set()
