"""A library on a full disk (issue 12): every write is one ``error: ...`` line naming the
library and "No space left on device", never a traceback nor SQLite's "cannot rollback - no
transaction is active", and the library keeps what it held (a failed add is rolled back)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from disk import tiny_disk
from docx_factory import make_docx, para, text_of
from mytypist_cli.cli.app import app
from mytypist_cli.usage import journal as usage

runner = CliRunner()

SMALL = make_docx(para("Dear <<name>>, welcome."))
# Random bytes do not compress: this template needs about 200 KB in the library.
BIG = make_docx(para("Dear <<name>>, see <<ref>>."), extra={"word/media/noise.bin": os.urandom(200_000)})


def cli(*args: str) -> Any:
    return runner.invoke(app, list(args))


def fill_disk(disk: Path, leave: int) -> Path:
    """Fill ``disk`` with one file, leaving about ``leave`` bytes free; return the filler."""
    stats = os.statvfs(disk)
    filler = disk / "filler"
    filler.write_bytes(b"\0" * max(stats.f_bavail * stats.f_frsize - leave, 0))
    return filler


def assert_disk_full_line(result: Any, library: Path) -> None:
    assert result.exit_code == 1, result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert str(library) in lines[0]
    assert "No space left on device" in lines[0]
    assert "rollback" not in lines[0]
    assert "Traceback" not in result.output


def names(home: Path) -> list[str]:
    result = cli("--home", str(home), "list", "--json", "--all-versions")
    assert result.exit_code == 0, result.output
    return [f"{t['name']}@{t['version']}" for t in json.loads(result.stdout)]


@pytest.fixture
def templates(tmp_path: Path) -> tuple[Path, Path]:
    small, big = tmp_path / "small.docx", tmp_path / "big.docx"
    small.write_bytes(SMALL)
    big.write_bytes(BIG)
    return small, big


@pytest.mark.parametrize("leave", [0, 16 * 1024, 64 * 1024])
def test_a_new_library_on_a_full_disk_is_one_line_and_opens_once_there_is_room(
    templates: tuple[Path, Path], leave: int
) -> None:
    small, _ = templates
    with tiny_disk(1024) as disk:
        home = disk / "home"
        filler = fill_disk(disk, leave)
        # The first open runs the migrations: a COMMIT failing with SQLITE_FULL used to be
        # hidden by "cannot rollback - no transaction is active".
        assert_disk_full_line(cli("--home", str(home), "add", str(small)), home / "mytypist.db")
        filler.unlink()
        assert names(home) == []
        assert cli("--home", str(home), "add", str(small)).exit_code == 0
        assert names(home) == ["small@1"]


@pytest.mark.parametrize("leave", [0, 32 * 1024, 100 * 1024])
def test_a_failed_add_on_a_full_disk_is_one_line_and_rolled_back(
    templates: tuple[Path, Path], leave: int
) -> None:
    small, big = templates
    with tiny_disk(1024) as disk:
        home = disk / "home"
        assert cli("--home", str(home), "add", str(small)).exit_code == 0
        filler = fill_disk(disk, leave)
        assert_disk_full_line(cli("--home", str(home), "add", str(big)), home / "mytypist.db")
        filler.unlink()
        assert names(home) == ["small@1"]
        result = cli("--home", str(home), "add", str(big))
        assert result.exit_code == 0, result.output
        assert names(home) == ["big@1", "small@1"]


def test_a_fill_whose_usage_record_fails_warns_and_writes_the_document(
    tmp_path: Path, templates: tuple[Path, Path]
) -> None:
    small, _ = templates
    out = tmp_path / "ada.docx"
    with tiny_disk(1024) as disk:
        home = disk / "home"
        assert cli("--home", str(home), "add", str(small)).exit_code == 0
        filler = fill_disk(disk, 0)
        result = cli("--home", str(home), "fill", str(small), "--set", "name=Ada", "-o", str(out))
        assert result.exit_code == 0, result.output
        journal = home / "usage.jsonl"
        assert result.stderr.splitlines() == [
            f"warning: usage was not recorded: cannot write usage journal {journal}:"
            " [Errno 28] No space left on device",
            f"wrote {out}",
        ]
        assert "Dear Ada, welcome." in text_of(out.read_bytes())
        filler.unlink()
        result = cli("--home", str(home), "stats", "--json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["total_runs"] == 0


def test_stats_ingesting_the_journal_on_a_full_disk_is_one_line_and_loses_no_run(
    templates: tuple[Path, Path],
) -> None:
    small, _ = templates
    with tiny_disk(2048) as disk:
        home = disk / "home"
        assert cli("--home", str(home), "add", str(small)).exit_code == 0
        # One run with many placeholders: ingesting it needs far more room than is left.
        missing = {f"field_{i:05d}_{'x' * 40}": 1 for i in range(4000)}
        record = usage.make_run_record(
            started=datetime.now(UTC),
            duration_ms=5,
            rows=1,
            documents=1,
            failures=0,
            output_kind="docx",
            template_name="small",
            template_version=1,
            missing=missing,
        )
        usage.append_record(record, home / "usage.jsonl")
        filler = fill_disk(disk, 64 * 1024)
        assert_disk_full_line(cli("--home", str(home), "stats"), home / "mytypist.db")
        filler.unlink()
        result = cli("--home", str(home), "stats", "--json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["total_runs"] == 1
        assert names(home) == ["small@1"]
