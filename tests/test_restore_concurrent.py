"""``restore`` while other processes fill and read stats loses no usage run (issue 12).

Real processes: ``mytypist fill`` runs (each records a run in the journal), ``mytypist stats``
and a recorder that journals runs and ingests them (opening the library) in a tight loop,
while another process restores the library from a backup again and again. Afterwards every
run is somewhere a user can find it: in the live library, in one of the copies restore kept
(``mytypist-before-restore-*.db``), or still in the journal.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from docx_factory import make_docx, para
from mytypist_cli.home import db_path
from mytypist_cli.library.store import open_store
from mytypist_cli.usage import journal

pytestmark = pytest.mark.slow

CLI = [sys.executable, "-m", "mytypist_cli"]
FILLS = 8
RECORDED = 200
RESTORES = 30

RECORDER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from mytypist_cli.library.store import open_store
    from mytypist_cli.usage import journal

    db, count = Path(sys.argv[1]), int(sys.argv[2])
    for number in range(count):
        journal.record_run(
            started=journal.utc_now(), duration_ms=1, rows=1, documents=1, failures=0,
            output_kind="docx", template_path="recorded.docx", journal=db.with_name("usage.jsonl"),
        )
        open_store(db).close()  # ingests the journal into the library
    """
)

FILLER = textwrap.dedent(
    """
    import subprocess, sys
    from pathlib import Path

    template, out, count = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    cli = [sys.executable, "-m", "mytypist_cli"]
    done = 0
    for number in range(count):
        fill = [*cli, "fill", template, "--set", "name=Ada", "-o", str(out / f"{number}.docx")]
        done += subprocess.run(fill, capture_output=True).returncode == 0
        subprocess.run([*cli, "stats"], capture_output=True)
    print(done)
    """
)

RESTORER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from mytypist_cli.library.store import restore

    backup, db, count = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    for _ in range(count):
        restore(backup, db)
        time.sleep(0.05)
    """
)


def _run_ids(db: Path) -> set[str]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return {row[0] for row in conn.execute("SELECT id FROM runs")}
    finally:
        conn.close()


def _journal_ids(home: Path) -> set[str]:
    ids: set[str] = set()
    for path in home.glob("usage.jsonl*"):
        records, _ = journal.read_claimed(path)
        ids |= {str(record["id"]) for record in records}
    return ids


def test_restore_amid_fills_and_stats_loses_no_run(tmp_path: Path) -> None:
    home = Path(os.environ["MYTYPIST_HOME"])
    db = db_path(home)
    open_store(db).close()
    backup = tmp_path / "backup.db"
    assert subprocess.run([*CLI, "backup", str(backup)], capture_output=True).returncode == 0
    template = tmp_path / "letter.docx"
    template.write_bytes(make_docx(para("Dear <<name>>")))
    out = tmp_path / "out"
    out.mkdir()

    python = [sys.executable, "-c"]
    restorer = subprocess.Popen(
        [*python, RESTORER, str(backup), str(db), str(RESTORES)], stderr=subprocess.PIPE, text=True
    )
    recorder = subprocess.Popen(
        [*python, RECORDER, str(db), str(RECORDED)], stderr=subprocess.PIPE, text=True
    )
    filler = subprocess.Popen(
        [*python, FILLER, str(template), str(out), str(FILLS)], stdout=subprocess.PIPE, text=True
    )
    filled_text, _ = filler.communicate(timeout=600)
    _, recorder_errors = recorder.communicate(timeout=600)
    _, restorer_errors = restorer.communicate(timeout=600)
    assert recorder.returncode == 0, recorder_errors
    assert restorer.returncode == 0, restorer_errors
    filled = int(filled_text)
    assert filled == FILLS

    kept = sorted(home.glob("mytypist-before-restore-*.db"))
    assert len(kept) == RESTORES
    found = _run_ids(db) | _journal_ids(home)
    for copy in kept:
        found |= _run_ids(copy)
    assert len(found) == FILLS + RECORDED
