"""Tests for mytypist_cli.home: one place resolves the home directory."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import platformdirs
import pytest

from mytypist_cli import home


def test_env_var_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MYTYPIST_HOME", str(tmp_path / "h"))
    assert home.home_dir() == tmp_path / "h"
    assert home.db_path() == tmp_path / "h" / "mytypist.db"
    assert home.journal_path() == tmp_path / "h" / "usage.jsonl"
    assert not (tmp_path / "h").exists()  # resolving never creates anything


def test_platformdirs_when_unset() -> None:
    expected = Path(platformdirs.user_data_dir("mytypist", appauthor=False))
    assert home.home_dir({}) == expected
    assert home.home_dir({"MYTYPIST_HOME": ""}) == expected


def test_explicit_home_is_used_as_given(tmp_path: Path) -> None:
    assert home.db_path(tmp_path) == tmp_path / "mytypist.db"
    assert home.journal_path(tmp_path) == tmp_path / "usage.jsonl"


def test_home_is_cheap_to_import(tmp_path: Path) -> None:
    code = (
        "import sys, mytypist_cli.home as h; h.db_path(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('sqlmodel', 'sqlalchemy', 'platformdirs', 'typer', 'rich')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"MYTYPIST_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    ).stdout
    assert out.strip() == "[]"
