"""A --pdf run stopped by SIGTERM leaves no LibreOffice running, no staging folder and no profile."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from docx_factory import make_docx, para
from test_interrupts import HANG_GUARD, descendants, running, wait_until


@pytest.mark.skipif(shutil.which("soffice") is None, reason="needs LibreOffice")
def test_sigterm_during_pdf_conversion_leaves_no_libreoffice_and_no_profile(tmp_path: Path) -> None:
    marker = f"mytypist-pdf-kill-{uuid.uuid4().hex}"
    template = tmp_path / "letter.docx"
    template.write_bytes(make_docx(para("Dear <<name>>")))
    data = tmp_path / "names.csv"
    data.write_text("name\n" + "".join(f"person {i}\n" for i in range(60)), encoding="utf-8")
    out = tmp_path / marker
    private_tmp = tmp_path / "tmp"  # where the run makes its LibreOffice profiles
    private_tmp.mkdir()
    command = [sys.executable, "-m", "mytypist_cli", "fill", str(template), str(data), "--out-dir", str(out)]
    log = tmp_path / "stderr.txt"
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [*command, "--pdf", "--jobs", "2"],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env={**os.environ, "TMPDIR": str(private_tmp)},
        )
    below: set[int] = set()
    try:

        def converting() -> bool:
            below.update(descendants(process.pid))
            return any(_name(pid) in ("soffice.bin", "oosplash") for pid in running(below))

        wait_until(converting, "LibreOffice to start")
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=HANG_GUARD)
        below.update(running(below))
        wait_until(lambda: not running(below), "LibreOffice to exit")
    finally:
        for pid in running(below):
            os.kill(pid, signal.SIGKILL)
        if process.poll() is None:
            process.kill()
            process.wait()
    stderr_text = log.read_text(encoding="utf-8")
    assert process.returncode == 143, stderr_text
    assert "Traceback" not in stderr_text
    assert list(private_tmp.iterdir()) == []
    assert list(out.glob(".~mytypist-*")) == []


def _name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


# A PAGEREF field sends a batch down the one-PDF-per-document path (whose staging folder shows how far
# LibreOffice got); without one the records go as combined chunks split back per record.
_PER_DOCUMENT = '<w:p><w:fldSimple w:instr=" PAGEREF here "><w:r><w:t>1</w:t></w:r></w:fldSimple></w:p>'


@pytest.mark.skipif(shutil.which("soffice") is None, reason="needs LibreOffice")
@pytest.mark.parametrize("path", ["per-document", "combined"])
def test_sigkill_during_pdf_conversion_leaves_no_libreoffice_running_and_a_rerun_tidies(
    tmp_path: Path, path: str
) -> None:
    template = tmp_path / "letter.docx"
    template.write_bytes(make_docx(para("Dear <<name>>") + (_PER_DOCUMENT if path == "per-document" else "")))
    data = tmp_path / "names.csv"
    data.write_text("name\n" + "".join(f"person {i}\n" for i in range(256)), encoding="utf-8")
    out = tmp_path / f"mytypist-pdf-kill-{uuid.uuid4().hex}"
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(private_tmp)}
    command = [sys.executable, "-m", "mytypist_cli", "fill", str(template), str(data), "--out-dir", str(out)]
    process = subprocess.Popen(
        [*command, "--pdf", "--jobs", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    below: set[int] = set()
    try:

        def converting() -> bool:
            below.update(descendants(process.pid))
            return any(_name(pid) == "soffice.bin" for pid in running(below))

        wait_until(converting, "LibreOffice to start")
        below.update(descendants(process.pid))
        process.kill()
        process.wait(timeout=HANG_GUARD)
        wait_until(lambda: not running(below), "LibreOffice to exit")
    finally:
        for pid in running(below):
            os.kill(pid, signal.SIGKILL)
        if process.poll() is None:
            process.kill()
            process.wait()
    if path == "per-document":
        # Each LibreOffice had a chunk of 64 documents: left alone, it would have converted them all.
        staged = [len(list(run.glob("*.pdf"))) for run in out.glob(".~mytypist-*pdf-*/run*")]
        assert staged, "LibreOffice was not converting when the run was killed"
        assert all(count < 64 for count in staged), staged
    else:
        # The combined chunks were being converted: their staging folder is there until the rerun.
        assert list(out.glob(".~mytypist-*combined-*/chunk-*")), "no combined chunk was being converted"
    # What SIGKILL leaves (its profiles, a staging folder) the next conversion removes.
    left = [path.name for path in private_tmp.iterdir()]
    assert left, "the killed run left no profile: nothing to tidy"
    assert all(name.startswith(f"mytypist-soffice-{process.pid}-") for name in left), left
    rerun = subprocess.run(
        [*command, "--pdf", "--overwrite", "--limit", "1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=HANG_GUARD * 3,
    )
    assert "Traceback" not in rerun.stderr
    assert list(private_tmp.iterdir()) == []
    assert list(out.glob(".~mytypist-*")) == []
