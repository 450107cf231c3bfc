"""The conversion progress bar of ``fill --to pdf``: what a user sees on a terminal, and off one.

The command runs in a real process with stderr on a pseudo-terminal (as in a
shell) and stdout a pipe (as in ``mytypist fill ... > paths.txt``): the
terminal shows a "converting" bar that counts the PDFs, from 0 of N while
LibreOffice starts up to N of N, gone (it is transient) before the summary
line; the pipe gets only the paths. ``--combine all.pdf`` shows the same bar
around its one conversion. With stderr a pipe too, no bar and no
escape codes at all. Both PDF paths are checked: combined chunks, and one
document at a time (a template with a PAGEREF field).
"""

from __future__ import annotations

import fcntl
import os
import pty
import shutil
import struct
import subprocess
import sys
import termios
import threading
from pathlib import Path

import pytest

from docx_factory import make_docx, para

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed"),
]

PAGEREF = (
    '<w:p><w:bookmarkStart w:id="0" w:name="top"/><w:r><w:t>Top</w:t></w:r><w:bookmarkEnd w:id="0"/></w:p>'
    '<w:p><w:fldSimple w:instr=" PAGEREF top \\h "><w:r><w:t>1</w:t></w:r></w:fldSimple></w:p>'
)
PATHS = {"combined chunks": "", "one document at a time": PAGEREF}


def _environment() -> dict[str, str]:
    """This environment without what would make rich decide on its own (forced colour, widths)."""
    dropped = ("FORCE_COLOR", "NO_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLUMNS", "LINES", "TERM")
    env = {key: value for key, value in os.environ.items() if key not in dropped}
    return env | {"TERM": "xterm-256color", "MYTYPIST_NO_ANALYTICS": "1"}


def _fill(template: Path, data: Path, out: Path, *, terminal: bool) -> tuple[int, str, str]:
    """Run ``mytypist fill TEMPLATE DATA --out-dir OUT --to pdf``: exit code, stdout, stderr.

    With ``terminal`` stderr is a pseudo-terminal 100 columns wide, and the
    stderr returned is everything written to it, escape codes included.
    """
    return _run([str(template), str(data), "--out-dir", str(out), "--to", "pdf"], terminal=terminal)


def _run(arguments: list[str], *, terminal: bool) -> tuple[int, str, str]:
    """``mytypist fill ARGUMENTS`` in a real process, stderr on a pseudo-terminal with ``terminal``."""
    command = [sys.executable, "-m", "mytypist_cli", "fill", *arguments]
    if not terminal:
        done = subprocess.run(command, capture_output=True, text=True, env=_environment(), timeout=300)
        return done.returncode, done.stdout, done.stderr
    controller, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    screen: list[bytes] = []

    def read() -> None:
        while True:
            try:
                data = os.read(controller, 1 << 16)
            except OSError:  # EIO: every writer has closed the terminal
                return
            if not data:
                return
            screen.append(data)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=follower,
            env=_environment(),
        )
        os.close(follower)
        follower = -1
        stdout, _ = process.communicate(timeout=300)
        reader.join(timeout=30)
    finally:
        if follower >= 0:
            os.close(follower)
        os.close(controller)
    return process.returncode, stdout.decode(), b"".join(screen).decode(errors="replace")


@pytest.fixture(params=list(PATHS))
def template(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    path = tmp_path / "note.docx"
    path.write_bytes(make_docx(para("Hello <<name>>") + PATHS[request.param]))
    return path


@pytest.fixture
def people(tmp_path: Path) -> Path:
    path = tmp_path / "people.csv"
    path.write_text("name\nAda\nTunde\nBisi\n", encoding="utf-8")
    return path


def test_a_terminal_shows_the_conversion_bar_and_stdout_only_the_paths(
    tmp_path: Path, template: Path, people: Path
) -> None:
    out = tmp_path / "pdfs"
    code, stdout, screen = _fill(template, people, out, terminal=True)
    assert code == 0, screen
    assert stdout.splitlines() == [str(out / f"note-000{n}.pdf") for n in (1, 2, 3)]
    assert "converting" in screen
    assert "0/3" in screen  # shown while LibreOffice starts, before any PDF is done
    assert "3/3" in screen
    assert screen.index("0/3", screen.index("converting")) < screen.rindex("3/3")
    assert "PDFs/s" in screen
    # The bar is gone before the summary, which is the last thing on the terminal.
    assert "wrote 3 PDFs" in screen
    assert screen.rindex("converting") < screen.rindex("wrote 3 PDFs")


def test_without_a_terminal_there_is_no_bar(tmp_path: Path, template: Path, people: Path) -> None:
    out = tmp_path / "pdfs"
    code, stdout, stderr = _fill(template, people, out, terminal=False)
    assert code == 0, stderr
    assert stdout.splitlines() == [str(out / f"note-000{n}.pdf") for n in (1, 2, 3)]
    assert "wrote 3 PDFs" in stderr
    assert "converting" not in stderr
    assert "3/3" not in stderr
    assert "\x1b" not in stderr
    assert "\x1b" not in stdout


def test_combine_pdf_shows_the_conversion_bar_while_libreoffice_converts(
    tmp_path: Path, people: Path
) -> None:
    template = tmp_path / "note.docx"
    template.write_bytes(make_docx(para("Hello <<name>>")))
    combined = tmp_path / "all.pdf"
    code, stdout, screen = _run([str(template), str(people), "--combine", str(combined)], terminal=True)
    assert code == 0, screen
    assert stdout.splitlines() == [str(combined)]
    assert combined.read_bytes().startswith(b"%PDF")
    assert "converting" in screen
    assert screen.index("0/3", screen.index("converting")) < screen.rindex("3/3")
    assert screen.rindex("converting") < screen.rindex("wrote")
