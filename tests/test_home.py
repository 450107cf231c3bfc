"""Tests for mytypist_cli.home: one place resolves the home directory."""

from __future__ import annotations

import os
import pwd
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


# -- no test reaches the real user's data folder (conftest.py) ---------------------------------

REAL_USER_HOME = Path(pwd.getpwuid(os.getuid()).pw_dir)


@pytest.fixture(scope="module")
def home_seen_by_a_module_fixture() -> tuple[Path, Path]:
    """What a module-scoped fixture sees: these run before any function-scoped autouse fixture."""
    return home.home_dir(), Path(platformdirs.user_data_dir("mytypist", appauthor=False))


def test_a_module_fixture_never_sees_the_real_data_folder(
    home_seen_by_a_module_fixture: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory
) -> None:
    base = tmp_path_factory.getbasetemp()
    for seen in home_seen_by_a_module_fixture:
        assert seen.is_relative_to(base), seen
        assert not seen.is_relative_to(REAL_USER_HOME / ".local"), seen


def test_platformdirs_cannot_reach_the_real_data_folder(tmp_path_factory: pytest.TempPathFactory) -> None:
    # A test that clears MYTYPIST_HOME falls back to platformdirs: that must be a temporary folder too.
    fallback = home.home_dir({})
    assert fallback.is_relative_to(tmp_path_factory.getbasetemp()), fallback
