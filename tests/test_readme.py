"""Every command the README shows runs, and prints what the README says it prints.

The README's ```console blocks are sessions: ``$ command`` lines followed by
their output (stdout and stderr as a terminal shows them). They run in
order in a sandbox holding a copy of examples/, with a fresh MYTYPIST_HOME.
Only durations and timestamps are normalised.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO

README = REPO / "README.md"
_BLOCK = re.compile(r"```console\n(.*?)```", re.S)
_DURATION = re.compile(r"\b\d+(?:\.\d+)? (s|ms)\b")
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:[+-]\d\d:\d\d|Z)?")


def sessions() -> list[list[tuple[str, str]]]:
    """Each console block as (command, expected output) pairs."""
    blocks = []
    for block in _BLOCK.findall(README.read_text(encoding="utf-8")):
        pairs: list[tuple[str, list[str]]] = []
        for line in block.splitlines():
            if line.startswith("$ "):
                pairs.append((line[2:], []))
            elif pairs:
                pairs[-1][1].append(line)
        blocks.append([(command, "\n".join(output)) for command, output in pairs])
    return blocks


def normalise(text: str) -> str:
    """Durations and timestamps differ from run to run; nothing else may."""
    return _TIMESTAMP.sub("<time>", _DURATION.sub(r"N \1", text)).rstrip()


def test_readme_has_sessions() -> None:
    assert len(sessions()) >= 3


def test_every_readme_command_prints_what_the_readme_shows(tmp_path: Path) -> None:
    sandbox = tmp_path / "sandbox"
    shutil.copytree(REPO / "examples", sandbox / "examples")
    shims = tmp_path / "bin"
    shims.mkdir()
    shim = shims / "mytypist"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m mytypist_cli "$@"\n')
    shim.chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{shims}{os.pathsep}{os.environ['PATH']}",
        "MYTYPIST_HOME": str(tmp_path / "home"),
        "PYTHONUNBUFFERED": "1",  # stdout and stderr interleave as on a terminal
        "COLUMNS": "100",
        "TZ": "UTC",
    }
    env.pop("MYTYPIST_NO_ANALYTICS", None)
    failures = []
    converter = shutil.which("soffice") is not None
    for session in sessions():
        for command, expected in session:
            if not converter and any(
                word in command for word in ("--pdf", "--to pdf", " convert ", " preview ")
            ):
                continue  # LibreOffice is not installed here: the PDF commands are tested where it is
            result = subprocess.run(
                ["bash", "-c", command],
                cwd=sandbox,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=300,
            )
            if normalise(result.stdout) != normalise(expected):
                failures.append(f"$ {command}\n--- README\n{expected}\n--- actual\n{result.stdout}")
    if failures:
        pytest.fail("\n\n".join(failures))


def test_readme_python_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every ```python block of the README runs, from a folder holding the examples."""
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert blocks
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})
