"""What a killed run left (temporary files, a PDF staging folder, a backup's hidden copy) the next run removes."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from typer.testing import CliRunner

from docx_factory import make_docx, para
from mytypist_cli import home, writer
from mytypist_cli.cli.app import app
from test_interrupts import HANG_GUARD, wait_until

runner = CliRunner()


def dead_pid() -> int:
    """The id of a process that has ended (and been reaped)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def leftovers(folder: Path) -> dict[str, Path]:
    """One of each kind of temporary entry, as a killed run (or a live one) leaves them."""
    gone = dead_pid()
    made = {
        "dead": folder / f".~mytypist-{gone}-abc123-x.tmp",
        "dead journal": folder / f".~mytypist-{gone}-q1.tmp-journal",
        "old, no pid": folder / ".~mytypist-q1w2e3.tmp",
        "fresh, no pid": folder / ".~mytypist-z9x8c7.tmp",
        "live": folder / f".~mytypist-{os.getpid()}-live.tmp",
        "dead staging": folder / f".~mytypist-{gone}-pdf-k2j3",
        "old staging, no pid": folder / ".~mytypist-pdf-k2j3",
    }
    folder.mkdir(parents=True, exist_ok=True)
    for name, path in made.items():
        if "staging" in name:
            path.mkdir()
            (path / "half.pdf").write_bytes(b"%PDF-")
        else:
            path.write_bytes(b"half")
    old = time.time() - 3600
    for name in ("old, no pid", "old staging, no pid"):
        os.utime(made[name], (old, old))
    return made


def kept(made: dict[str, Path]) -> set[str]:
    return {name for name, path in made.items() if path.exists()}


def test_remove_leftovers_keeps_what_a_live_run_may_still_use(tmp_path: Path) -> None:
    made = leftovers(tmp_path / "out")
    assert writer.remove_leftovers(tmp_path / "out") == 4
    assert kept(made) == {"fresh, no pid", "live", "old staging, no pid"}


def test_new_temporary_names_carry_the_process_id(tmp_path: Path) -> None:
    seen: list[str] = []
    with writer.staged(tmp_path / "a.txt") as temp:
        seen.append(temp.name)
    assert seen[0].startswith(f".~mytypist-{os.getpid()}-")


def test_a_batch_into_the_folder_removes_a_killed_runs_leftovers(tmp_path: Path) -> None:
    template = tmp_path / "letter.docx"
    template.write_bytes(make_docx(para("Dear <<name>>")))
    data = tmp_path / "names.csv"
    data.write_text("name\nAda\n", encoding="utf-8")
    made = leftovers(tmp_path / "out")
    result = runner.invoke(app, ["fill", str(template), str(data), "--out-dir", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert kept(made) == {"fresh, no pid", "live", "old staging, no pid"}


def test_a_dry_run_touches_nothing(tmp_path: Path) -> None:
    template = tmp_path / "letter.docx"
    template.write_bytes(make_docx(para("Dear <<name>>")))
    data = tmp_path / "names.csv"
    data.write_text("name\nAda\n", encoding="utf-8")
    made = leftovers(tmp_path / "out")
    result = runner.invoke(
        app, ["fill", str(template), str(data), "--out-dir", str(tmp_path / "out"), "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    assert kept(made) == set(made)


def test_a_backup_removes_the_hidden_copy_a_killed_backup_left(tmp_path: Path) -> None:
    template = tmp_path / "letter.docx"
    template.write_bytes(make_docx(para("Dear <<name>>")))
    assert runner.invoke(app, ["add", str(template)]).exit_code == 0
    made = leftovers(tmp_path / "backups")
    result = runner.invoke(app, ["backup", str(tmp_path / "backups" / "library.db")])
    assert result.exit_code == 0, result.output
    assert kept(made) == {"fresh, no pid", "live", "old staging, no pid"}


def test_resuming_a_sigkilled_batch_leaves_no_temporary_file(tmp_path: Path) -> None:
    template = tmp_path / "letter.docx"
    template.write_bytes(make_docx("".join(para(f"Dear <<name>>, line {i}") for i in range(40))))
    data = tmp_path / "names.csv"
    data.write_text("name\n" + "".join(f"person {i}\n" for i in range(3000)), encoding="utf-8")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "mytypist_cli", "fill", str(template), str(data), "--out-dir", str(out)]
    process = subprocess.Popen(
        [*command, "--jobs", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_until(lambda: out.is_dir() and len(list(out.glob("*.docx"))) >= 100, "some documents")
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=HANG_GUARD)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    # A killed run may or may not leave a temporary file: make sure one is there, as it would be.
    (out / f".~mytypist-{process.pid}-abcdef123456-zz.tmp").write_bytes(b"half")
    resumed = subprocess.run(
        [*command, "--skip-existing", "--jobs", "2"], capture_output=True, text=True, timeout=HANG_GUARD * 5
    )
    assert resumed.returncode == 0, resumed.stderr
    assert list(out.glob(".~mytypist-*")) == []
    assert len(list(out.glob("*.docx"))) == 3000


def test_a_backup_killed_at_any_moment_leaves_no_hidden_copy(tmp_path: Path) -> None:
    template = tmp_path / "letter.docx"
    template.write_bytes(make_docx(para("Dear <<name>>")))
    assert runner.invoke(app, ["add", str(template)]).exit_code == 0
    library = Path(os.environ["MYTYPIST_HOME"]) / home.DB_FILENAME
    # A library big enough that a backup takes a while to copy and write.
    with sqlite3.connect(library) as conn:
        conn.execute("CREATE TABLE ballast (data BLOB)")
        conn.executemany("INSERT INTO ballast VALUES (randomblob(?))", [(4_000_000,)] * 60)
    conn.close()
    folder = tmp_path / "backups"
    folder.mkdir()
    dest = folder / "library.db"
    for delay in (0.2, 0.5, 0.9, 1.4):
        process = subprocess.Popen(
            [sys.executable, "-m", "mytypist_cli", "backup", str(dest), "--overwrite"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            time.sleep(delay)
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=HANG_GUARD)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        left = sorted(entry.name for entry in folder.iterdir())
        assert left in ([], ["library.db"]), left
        if left:  # the backup finished before the kill: then it is whole
            with sqlite3.connect(dest) as copy:
                assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
                assert copy.execute("SELECT count(*) FROM ballast").fetchone() == (60,)
            copy.close()


def test_a_backup_is_one_self_contained_file(tmp_path: Path) -> None:
    template = tmp_path / "letter.docx"
    template.write_bytes(make_docx(para("Dear <<name>>")))
    assert runner.invoke(app, ["add", str(template)]).exit_code == 0
    dest = tmp_path / "backups" / "library.db"
    result = runner.invoke(app, ["backup", str(dest)])
    assert result.exit_code == 0, result.output
    assert sorted(entry.name for entry in dest.parent.iterdir()) == ["library.db"]
    with sqlite3.connect(dest) as copy:
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        assert copy.execute("SELECT count(*) FROM templates").fetchone()[0] >= 1
    copy.close()
    assert sorted(entry.name for entry in dest.parent.iterdir()) == ["library.db"]
