"""Shared fixtures: no test reaches the real user's data folder, and the corpus location.

At session start (before any module- or class-scoped fixture runs) MYTYPIST_HOME,
HOME and XDG_DATA_HOME point into a session temporary folder, so neither the
mytypist home nor platformdirs' user data folder can be the real one; every test
then gets a fresh MYTYPIST_HOME of its own on top.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # for docx_factory

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"


@pytest.fixture(scope="session", autouse=True)
def _session_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A home folder for the whole session; session-scoped, so it is set before any other fixture."""
    base = tmp_path_factory.mktemp("session")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(base / "user"))
        patch.setenv("XDG_DATA_HOME", str(base / "user" / ".local" / "share"))
        patch.setenv("MYTYPIST_HOME", str(base / "mytypist"))
        yield base


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MYTYPIST_HOME", str(tmp_path_factory.mktemp("home")))
    monkeypatch.delenv("MYTYPIST_NO_ANALYTICS", raising=False)
