"""The code stays ruff- and mypy-clean, and start-up loads only what it needs.

The import boundary (engine, store and analytics import neither typer nor
rich) is a ruff banned-import rule in pyproject.toml (TID251), and so is
importing the heavy libraries at module level (TID253); running ruff here
makes CI enforce both. The subprocess tests below check what a fresh
interpreter actually loads, which no lint rule can see through the imports.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO
from docx_factory import make_docx, para


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is not installed (pip install -e '.[test]')")
def test_ruff_clean() -> None:
    result = subprocess.run(["ruff", "check", "."], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_clean() -> None:
    pytest.importorskip("mypy")
    result = subprocess.run([sys.executable, "-m", "mypy"], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


# -- what start-up loads ---------------------------------------------------------------------

# Costly to import, or not the library's business: the CLI toolkit, the database layer,
# Excel, locale data, pictures, Jinja, PDFs, codes and the cluster. Each is imported where it
# is used (ruff TID251/TID253).
HEAVY = (
    "typer",
    "rich",
    "sqlmodel",
    "sqlalchemy",
    "openpyxl",
    "babel",
    "PIL",
    "docxtpl",
    "jinja2",
    "pikepdf",
    "pypdf",
    "pyromark",
    "segno",
    "barcode",
    "dask",
    "distributed",
    "fsspec",
    "s3fs",
)
REPORT = (
    "import atexit, sys\n"
    "atexit.register(lambda: print('LOADED', sorted({m.split('.')[0] for m in sys.modules}),"
    " file=sys.stderr))\n"
)


def _loaded(code: str, *args: str) -> set[str]:
    """The top-level packages a fresh interpreter holds when ``code`` is done (it may exit)."""
    done = subprocess.run(
        [sys.executable, "-c", REPORT + code, *args], capture_output=True, text=True, cwd=REPO
    )
    [line] = [line for line in done.stderr.splitlines() if line.startswith("LOADED ")]
    return set(ast.literal_eval(line.removeprefix("LOADED ")))


def test_importing_the_library_loads_nothing_heavy() -> None:
    loaded = _loaded("import mytypist_cli\nfrom mytypist_cli import Template\n")
    assert "mytypist_cli" in loaded
    assert sorted(loaded & set(HEAVY)) == []


def test_help_does_not_load_the_database_layer() -> None:
    code = "sys.argv = ['mytypist', '--help']\nfrom mytypist_cli.cli import main\nmain()\n"
    loaded = _loaded(code)
    assert "typer" in loaded  # it did run the command line
    assert sorted(loaded & {"sqlmodel", "sqlalchemy"}) == []


def test_one_document_fill_loads_neither_rich_nor_the_database_layer(tmp_path: Path) -> None:
    template = tmp_path / "t.docx"
    template.write_bytes(make_docx(para("Dear <<name>>")))
    out = tmp_path / "out.docx"
    code = "sys.argv = ['mytypist', *sys.argv[1:]]\nfrom mytypist_cli.cli import main\nmain()\n"
    loaded = _loaded(code, "fill", str(template), "--set", "name=Ada", "-o", str(out), "-q")
    assert out.exists()
    assert sorted(loaded & (set(HEAVY) - {"typer"})) == []
