"""Shared fixtures: an isolated MYTYPIST_HOME for every test, and the corpus location."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # for docx_factory

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MYTYPIST_HOME", str(tmp_path_factory.mktemp("home")))
    monkeypatch.delenv("MYTYPIST_NO_ANALYTICS", raising=False)
