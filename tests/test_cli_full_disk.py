"""A disk that fills up under ``mytypist fill``: every row fails with the reason, nothing half-written.

The command runs as a real process with a file-size limit (``RLIMIT_FSIZE``,
SIGXFSZ ignored), so a write past the limit fails in the kernel with EFBIG as a
full disk fails with ENOSPC: no mocks between the writer and the failure.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from conftest import REPO
from mytypist_cli.data.records import open_records
from mytypist_cli.engine.template import Template

RECEIPT = REPO / "examples" / "receipt.docx"
RECEIPTS = REPO / "examples" / "receipts.csv"


def _limited(max_bytes: int) -> Callable[[], None]:
    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG from write() instead of a killed process
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))

    return limit


def _fill(max_bytes: int, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mytypist_cli", "fill", str(RECEIPT), str(RECEIPTS), *args],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_limited(max_bytes),
        env={**os.environ, **(env or {})},
    )


def test_documents_that_cannot_be_written_fail_each_row_and_say_to_make_room(tmp_path: Path) -> None:
    out = tmp_path / "receipts"
    run = _fill(8_000, "--out-dir", str(out))
    assert run.returncode == 1
    assert run.stdout == ""
    lines = run.stderr.splitlines()
    for row in range(1, 5):
        assert any(
            line.startswith(f"row {row}: cannot write ") and "File too large" in line for line in lines
        )
    assert (
        f"hint: make room in {out} (or let this user write there), then resume with --start-at 1 --skip-existing"
        in lines
    )
    assert list(out.iterdir()) == []  # no half-written document, no temporary file


def test_a_combined_chunk_that_cannot_be_written_fails_its_rows_with_the_reason(tmp_path: Path) -> None:
    template = Template.open(RECEIPT)
    rows = [record.values for record in open_records(RECEIPTS)]
    largest_document = max(len(template.render(values)) for values in rows)
    chunk = len(template.render_combined(rows))
    assert largest_document < chunk
    out = tmp_path / "pdfs"
    # One job, so one chunk of all four. Each receipt's own document fits, the chunk does not:
    # LibreOffice is never needed (a stand-in that would fail every conversion shows it was not asked).
    run = _fill(
        (largest_document + chunk) // 2,
        "--out-dir",
        str(out),
        "--to",
        "pdf",
        "--jobs",
        "1",
        env={"MYTYPIST_SOFFICE": "/bin/false"},
    )
    assert run.returncode == 1
    assert run.stdout == ""
    lines = run.stderr.splitlines()
    for row in range(1, 5):
        assert any(
            line.startswith(f"row {row}: PDF: cannot write ") and "chunk-00001.docx: File too large" in line
            for line in lines
        ), run.stderr
    assert "LibreOffice could not convert it" not in run.stderr
    assert (
        f"hint: make room in {out} (or let this user write there), then resume with --start-at 1 --skip-existing"
        in lines
    )
    assert list(out.iterdir()) == []
