"""PDF output through LibreOffice (pdf.py) and the convert / preview commands (cli_pdf.py).

Tests that need LibreOffice or poppler-utils skip with a message when they are
absent; the missing-LibreOffice message and the stand-in (hanging) soffice
tests run everywhere.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import unicodedata
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import REPO
from mytypist_cli.cli.app import app
from mytypist_cli.data.records import open_records
from mytypist_cli.engine.template import Template
from mytypist_cli.errors import ConverterMissingError
from mytypist_cli.pdf.convert import (
    ConversionResult,
    convert_to_pdf,
    find_soffice,
    render_preview_png,
    seed_profile,
)

runner = CliRunner()
EXAMPLES = REPO / "examples"

# (template, data, the column whose value must show in the PDF)
EXAMPLE_SETS = [
    ("offer-letter", "staff.csv", "full_name"),
    ("receipt", "receipts.csv", "customer_name"),
    ("affidavit", "affidavits.csv", "new_name"),
]


def _soffice() -> str | None:
    try:
        return str(find_soffice())
    except ConverterMissingError:
        return None


_MISSING = [
    name
    for name, found in [
        ("LibreOffice (soffice)", _soffice()),
        ("pdftotext (poppler-utils)", shutil.which("pdftotext")),
        ("pdfinfo (poppler-utils)", shutil.which("pdfinfo")),
        ("pdftoppm (poppler-utils)", shutil.which("pdftoppm")),
    ]
    if found is None
]
needs_libreoffice = pytest.mark.skipif(
    bool(_MISSING),
    reason=f"{', '.join(_MISSING)} not installed: apt-get install libreoffice-writer-nogui poppler-utils",
)


def _pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[1] for line in info.splitlines() if line.startswith("Pages:")))


def _text(pdf: Path) -> str:
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(unicodedata.normalize("NFC", text).split())


def _strays(*patterns: str) -> list[str]:
    """Command lines of live processes matching any pattern (pgrep -f), this test's own excluded."""
    found: list[str] = []
    for pattern in patterns:
        run = subprocess.run(["pgrep", "-af", pattern], capture_output=True, text=True)
        found += [line for line in run.stdout.splitlines() if "pgrep" not in line]
    return found


@pytest.fixture
def hanging_soffice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    """A stand-in soffice that never finishes; returns it and a unique pattern for pgrep."""
    marker = f"{os.getpid()}{time.monotonic_ns() % 100000}.5"
    script = tmp_path / "hanging-soffice"
    script.write_text(f"#!/bin/sh\nsleep {marker}\n")
    script.chmod(0o755)
    monkeypatch.setenv("MYTYPIST_SOFFICE", str(script))
    return script, f"sleep {marker}"


@pytest.fixture
def no_libreoffice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.delenv("MYTYPIST_SOFFICE", raising=False)


# -- runs everywhere ----------------------------------------------------------------------


def test_missing_libreoffice_says_how_to_install(no_libreoffice: None, tmp_path: Path) -> None:
    with pytest.raises(ConverterMissingError) as caught:
        find_soffice()
    assert "apt-get install libreoffice-writer-nogui" in str(caught.value)
    assert "libreoffice.org/download" in str(caught.value)
    with pytest.raises(ConverterMissingError):
        convert_to_pdf([tmp_path / "a.docx"], tmp_path / "out")


def test_convert_command_without_libreoffice(no_libreoffice: None, tmp_path: Path) -> None:
    document = tmp_path / "a.docx"
    document.write_bytes(b"PK")
    result = runner.invoke(app, ["convert", str(document)])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("error: LibreOffice (soffice) was not found on PATH")
    assert "apt-get install libreoffice-writer-nogui" in result.stderr
    assert "MYTYPIST_SOFFICE" in result.stderr


def test_a_bad_soffice_setting_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MYTYPIST_SOFFICE", str(tmp_path / "nowhere" / "soffice"))
    with pytest.raises(ConverterMissingError, match="MYTYPIST_SOFFICE=.*nowhere"):
        find_soffice()


def _word_zip(path: Path) -> Path:
    """A zip named .docx (passes the pre-check; the stand-in never looks inside)."""
    with zipfile.ZipFile(path, "w") as package:
        package.writestr("word/document.xml", "<w:document/>")
    return path


def test_hung_conversion_is_killed_and_reported(hanging_soffice: tuple[Path, str], tmp_path: Path) -> None:
    script, pattern = hanging_soffice
    documents = [_word_zip(tmp_path / "one.docx"), _word_zip(tmp_path / "two.docx")]
    seen = []
    started = time.monotonic()
    results = convert_to_pdf(documents, tmp_path / "out", timeout=0.5, on_result=seen.append)
    assert time.monotonic() - started < 15
    assert [r.source for r in results] == documents
    assert all(r.pdf is None and r.error == "timed out after 0.5 s (killed)" for r in results)
    assert sorted(r.source for r in seen) == sorted(documents)
    assert _strays(pattern, str(tmp_path)) == []
    assert os.listdir(tmp_path / "out") == []  # staging folder removed, no half PDFs


def test_convert_command_reports_the_hang(hanging_soffice: tuple[Path, str], tmp_path: Path) -> None:
    _script, pattern = hanging_soffice
    document = _word_zip(tmp_path / "stuck.docx")
    result = runner.invoke(app, ["convert", str(document), "--timeout", "1"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == textwrap.dedent(f"""\
        error: {document}: timed out after 1 s (killed)
        error: 1 of 1 document not converted
        """)
    assert _strays(pattern) == []


def test_ctrl_c_leaves_no_process_behind(hanging_soffice: tuple[Path, str], tmp_path: Path) -> None:
    script, pattern = hanging_soffice
    document = _word_zip(tmp_path / "slow.docx")
    code = (
        "import sys\nfrom mytypist_cli.pdf.convert import convert_to_pdf\n"
        f"convert_to_pdf([{str(document)!r}], {str(tmp_path / 'out')!r}, timeout=60)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while not _strays(pattern) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _strays(pattern), "the stand-in soffice never started"
    child.send_signal(signal.SIGINT)
    _out, err = child.communicate(timeout=20)
    assert child.returncode != 0
    assert b"KeyboardInterrupt" in err
    assert _strays(pattern, str(tmp_path)) == []


# A stand-in soffice that writes PDFs as LibreOffice 7.4 does: a lock file first, the PDF copied
# into place in two writes (the first ends in %%EOF, as a copy cut after an embedded PDF would),
# then the lock removed. After each PDF it waits (at most 30 s) for the run to report it, when
# $COPYING_SOFFICE_REPORTS names the folder where the test marks each reported PDF.
_COPYING_SOFFICE = """\
import os, pathlib, sys, time
reports = pathlib.Path(os.environ.get("COPYING_SOFFICE_REPORTS", ""))
args = sys.argv[1:]
out = pathlib.Path(args[args.index("--outdir") + 1])
sources = [pathlib.Path(a) for a in args if a.endswith(".docx")]
for source in sources:
    pdf, lock = out / (source.stem + ".pdf"), out / (".~lock." + source.stem + ".pdf#")
    lock.write_text("lock")
    with pdf.open("wb") as stream:
        stream.write(b"%PDF-1.6 first half %%EOF\\n")
        stream.flush()
        time.sleep(1)
        stream.write(b"second half of " + source.stem.encode() + b" %%EOF\\n")
    lock.unlink()
    if not reports.name:
        continue  # nobody to wait for
    reported = reports / ("reported-" + source.stem)
    for _ in range(300):
        if reported.exists():
            break
        time.sleep(0.1)
    else:
        (reports / "waited-out").write_text(source.stem)
"""


def test_each_pdf_is_reported_once_written_and_only_when_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COPYING_SOFFICE_REPORTS", str(tmp_path))
    script = tmp_path / "copying-soffice"
    script.write_text(f"#!{sys.executable}\n{_COPYING_SOFFICE}")
    script.chmod(0o755)
    sources = []
    for name in ("first", "second"):
        source = tmp_path / f"{name}.docx"
        with zipfile.ZipFile(source, "w") as archive:
            archive.writestr("word/document.xml", "<w:document/>")
        sources.append(source)
    out = tmp_path / "out"

    def reported(result: ConversionResult) -> None:
        assert result.pdf is not None, result.error
        reports.append(result.pdf.read_bytes())
        (tmp_path / f"reported-{result.source.stem}").write_text("")

    reports: list[bytes] = []
    results = convert_to_pdf(sources, out, soffice=script, on_result=reported, timeout=60)
    assert [r.error for r in results] == [None, None]
    assert reports == [
        b"%PDF-1.6 first half %%EOF\nsecond half of first %%EOF\n",
        b"%PDF-1.6 first half %%EOF\nsecond half of second %%EOF\n",
    ]
    assert not (tmp_path / "waited-out").exists()  # the first was reported before the run ended


def test_convert_command_never_takes_a_half_copied_pdf(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = tmp_path / "copying-soffice"
    script.write_text(f"#!{sys.executable}\n{_COPYING_SOFFICE}")
    script.chmod(0o755)
    monkeypatch.setenv("MYTYPIST_SOFFICE", str(script))
    monkeypatch.delenv("COPYING_SOFFICE_REPORTS", raising=False)
    sources = []
    for name in ("first", "second"):
        source = tmp_path / f"{name}.docx"
        with zipfile.ZipFile(source, "w") as archive:
            archive.writestr("word/document.xml", "<w:document/>")
        sources.append(str(source))
    out = tmp_path / "out"
    result = runner.invoke(app, ["convert", *sources, "--out-dir", str(out)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{out / 'first.pdf'}\n{out / 'second.pdf'}\n"
    assert result.stderr == ""
    for name in ("first", "second"):
        whole = f"%PDF-1.6 first half %%EOF\nsecond half of {name} %%EOF\n".encode()
        assert (out / f"{name}.pdf").read_bytes() == whole
    assert sorted(path.name for path in out.iterdir()) == ["first.pdf", "second.pdf"]


# A stand-in soffice that opens its documents in order as LibreOffice does: one that is not there
# (yet) is skipped with LibreOffice's message, one whose name holds "bad" gets no PDF. Each run
# appends the names it was given, and ``-`` for each it skipped, to $SKIPPING_SOFFICE_LOG.
_SKIPPING_SOFFICE = """\
import os, pathlib, sys, time
args = sys.argv[1:]
out = pathlib.Path(args[args.index("--outdir") + 1])
run = []
for source in (pathlib.Path(a) for a in args if a.endswith(".docx")):
    time.sleep(0.5)  # a document's load: the run makes the next one meanwhile
    if not source.exists():
        print("Error: source file could not be loaded", file=sys.stderr)
        run.append("-" + source.stem)
        continue
    run.append(source.stem)
    if "bad" not in source.stem:
        (out / (source.stem + ".pdf")).write_bytes(b"%PDF-1.6 " + source.read_bytes() + b" %%EOF\\n")
with open(os.environ["SKIPPING_SOFFICE_LOG"], "a") as log:
    log.write(" ".join(run) + "\\n")
"""


@pytest.fixture
def skipping_soffice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """The stand-in soffice above, and its log of runs."""
    script = tmp_path / "skipping-soffice"
    script.write_text(f"#!{sys.executable}\n{_SKIPPING_SOFFICE}")
    script.chmod(0o755)
    log = tmp_path / "runs.log"
    log.write_text("")
    monkeypatch.setenv("SKIPPING_SOFFICE_LOG", str(log))
    return script, log


def test_documents_made_while_libreoffice_runs_are_converted_in_that_run(
    skipping_soffice: tuple[Path, Path], tmp_path: Path
) -> None:
    script, log = skipping_soffice
    sources = [tmp_path / f"doc{n}.docx" for n in range(3)]
    made: list[tuple[str, str]] = []

    def make(source: Path) -> bool:
        made.append((source.stem, log.read_text()))
        source.write_bytes(source.stem.encode())
        return True

    results = convert_to_pdf(sources, tmp_path / "out", soffice=script, timeout=30, make=make)
    assert [r.error for r in results] == [None, None, None]
    assert [r.pdf.read_bytes() if r.pdf else b"" for r in results] == [
        f"%PDF-1.6 doc{n} %%EOF\n".encode() for n in range(3)
    ]
    assert made == [("doc0", ""), ("doc1", ""), ("doc2", "")]  # all made during the one run
    assert log.read_text() == "doc0 doc1 doc2\n"


def test_a_document_libreoffice_got_to_before_it_was_made_is_converted_in_a_second_run(
    skipping_soffice: tuple[Path, Path], tmp_path: Path
) -> None:
    script, log = skipping_soffice
    sources = [tmp_path / "first.docx", tmp_path / "late.docx"]

    def make(source: Path) -> bool:
        if source.stem == "late":
            time.sleep(2.5)  # the stand-in is done with "first" and past "late" by then
        source.write_bytes(source.stem.encode())
        return True

    results = convert_to_pdf(sources, tmp_path / "out", soffice=script, timeout=30, make=make)
    assert [r.error for r in results] == [None, None]
    assert results[1].pdf is not None
    assert results[1].pdf.read_bytes() == b"%PDF-1.6 late %%EOF\n"
    assert log.read_text() == "first -late\nlate\n"


def test_a_document_that_fails_after_it_was_made_late_is_tried_once_more_then_fails(
    skipping_soffice: tuple[Path, Path], tmp_path: Path
) -> None:
    script, log = skipping_soffice
    sources = [tmp_path / "good.docx", tmp_path / "bad.docx", tmp_path / "skipped.docx"]

    def make(source: Path) -> bool:
        if source.stem == "skipped":
            return False  # nothing to convert for it: no PDF, and LibreOffice is never asked again
        source.write_bytes(source.stem.encode())
        return True

    results = convert_to_pdf(sources, tmp_path / "out", soffice=script, timeout=30, make=make)
    assert [r.error for r in results] == [None, "LibreOffice could not convert it", "not made"]
    runs = log.read_text().splitlines()
    assert runs[-1] == "bad"  # its second and last try, alone
    assert len(runs) == 2
    assert runs[0] in ("good bad", "good bad -skipped")  # "skipped" is dropped once make says so
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == ["good.pdf"]


@pytest.fixture
def system_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty folder standing for the system's temporary folder (TMPDIR and tempfile's both)."""
    folder = tmp_path / "system-tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def test_libreoffice_keeps_its_working_files_in_a_folder_of_the_run_removed_after_a_kill(
    tmp_path: Path, system_temp: Path
) -> None:
    """LibreOffice leaves its copy of the document in TMPDIR when killed: that folder must be ours."""
    report = tmp_path / "tmpdir-seen"
    script = tmp_path / "stuck-soffice"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$TMPDIR" > {report}\n'
        'mkdir -p "$TMPDIR/lu1234.tmp" && echo "the filled document" > "$TMPDIR/lu1234.tmp/lu1235.tmp"\n'
        "exec sleep 60\n"
    )
    script.chmod(0o755)
    (result,) = convert_to_pdf(
        [_word_zip(tmp_path / "slow.docx")], tmp_path / "out", soffice=script, timeout=1
    )
    assert result.error == "timed out after 1 s (killed)"
    seen = Path(report.read_text().strip())
    assert seen.is_relative_to(system_temp)
    assert seen != system_temp  # a folder of the run's own
    assert not seen.exists()
    assert list(system_temp.iterdir()) == []  # profiles, working files: all gone


def test_files_that_are_not_word_documents_fail_alone(tmp_path: Path) -> None:
    text = tmp_path / "text.docx"
    text.write_text("hello")
    results = convert_to_pdf([text, tmp_path / "absent.docx"], tmp_path / "out", soffice="/bin/false")
    assert [r.error for r in results] == ["not a Word document (not a zip package)", "no such file"]


# -- with LibreOffice ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def examples_converted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path, str]]:
    """Each example filled with its first row and converted, beside its unfilled template (jobs=2)."""
    if _MISSING:
        pytest.skip(f"{', '.join(_MISSING)} not installed")
    work = tmp_path_factory.mktemp("examples")
    documents: list[Path] = []
    expected: dict[str, str] = {}
    for name, data, column in EXAMPLE_SETS:
        first = next(iter(open_records(EXAMPLES / data)))
        filled = work / f"{name}-filled.docx"
        filled.write_bytes(Template.open(EXAMPLES / f"{name}.docx").render(first.values))
        blank = work / f"{name}.docx"
        shutil.copyfile(EXAMPLES / f"{name}.docx", blank)
        documents += [filled, blank]
        expected[name] = str(first.values[column])
    results = convert_to_pdf(documents, work / "pdf", jobs=2)
    assert [r.error for r in results] == [None] * len(documents)
    assert [r.pdf for r in results] == [work / "pdf" / f"{d.stem}.pdf" for d in documents]
    return {
        name: (work / "pdf" / f"{name}-filled.pdf", work / "pdf" / f"{name}.pdf", value)
        for name, value in expected.items()
    }


@needs_libreoffice
@pytest.mark.parametrize("name", [name for name, _data, _column in EXAMPLE_SETS])
def test_every_example_converts(name: str, examples_converted: dict[str, tuple[Path, Path, str]]) -> None:
    filled, blank, value = examples_converted[name]
    assert filled.read_bytes().startswith(b"%PDF-")
    assert _pages(filled) == _pages(blank)
    text = _text(filled)
    assert " ".join(unicodedata.normalize("NFC", value).split()) in text
    assert "<<" not in text


@needs_libreoffice
def test_a_seeded_profile_starts_without_the_graphics_self_tests(tmp_path: Path) -> None:
    """A new profile's start draws LibreOffice's graphics self-tests (a second); a seeded one's does not."""
    document = tmp_path / "receipt.docx"
    shutil.copyfile(EXAMPLES / "receipt.docx", document)
    logs = {}
    for seeded in (False, True):
        profile = tmp_path / f"profile-{seeded}"
        if seeded:
            seed_profile(profile)
        out = tmp_path / f"out-{seeded}"
        command = [
            str(find_soffice()), f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
            "--convert-to", "pdf", "--outdir", str(out), str(document),
        ]  # fmt: skip
        subprocess.run(command, capture_output=True, timeout=180, check=True)
        assert (out / "receipt.pdf").read_bytes().startswith(b"%PDF-")
        logs[seeded] = (profile / "user" / "GraphicsRenderTests.log").exists()
    assert logs == {False: True, True: False}


@needs_libreoffice
@pytest.mark.slow
def test_a_real_conversion_killed_for_its_time_leaves_nothing_in_the_temporary_folder(
    tmp_path: Path, system_temp: Path
) -> None:
    template = Template.open(EXAMPLES / "receipt.docx")
    rows = [record.values for record in open_records(EXAMPLES / "receipts.csv")]
    document = tmp_path / "many.docx"
    document.write_bytes(template.render_combined(rows * 60))  # a few seconds of LibreOffice
    (result,) = convert_to_pdf([document], tmp_path / "out", timeout=1.5)
    assert result.error == "timed out after 1.5 s (killed)"
    assert list(system_temp.iterdir()) == []


@needs_libreoffice
def test_batch_with_two_jobs_and_a_corrupt_document(tmp_path: Path) -> None:
    template = Template.open(EXAMPLES / "receipt.docx")
    rows = [record.values for record in open_records(EXAMPLES / "receipts.csv")][:4]
    documents = []
    for number, values in enumerate(rows, 1):
        path = tmp_path / f"receipt-{number}.docx"
        path.write_bytes(template.render(values))
        documents.append(path)
    broken = tmp_path / "broken.docx"
    with zipfile.ZipFile(broken, "w") as package:  # a zip, but no Word document inside
        package.writestr("[Content_Types].xml", "<not xml")
        package.writestr("word/document.xml", "nope")
    documents.insert(2, broken)
    (tmp_path / "other").mkdir()
    namesake = tmp_path / "other" / "receipt-1.docx"  # would overwrite receipt-1.pdf
    shutil.copyfile(documents[0], namesake)
    seen = []
    results = convert_to_pdf([*documents, namesake], tmp_path / "out", jobs=2, on_result=seen.append)
    assert len(seen) == len(documents) + 1
    assert [r.source for r in results] == [*documents, namesake]
    assert results[-1].error == f"same output name (receipt-1.pdf) as {documents[0]}"
    by_name = {r.source.name: r for r in results[:-1]}
    assert by_name["broken.docx"].pdf is None
    assert by_name["broken.docx"].error == "LibreOffice could not convert it"
    for number, values in enumerate(rows, 1):
        result = by_name[f"receipt-{number}.docx"]
        assert result.pdf == tmp_path / "out" / f"receipt-{number}.pdf"
        assert str(values["customer_name"]) in _text(result.pdf)
    assert sorted(os.listdir(tmp_path / "out")) == [f"receipt-{n}.pdf" for n in range(1, 5)]
    assert _strays(str(tmp_path)) == []


@needs_libreoffice
def test_convert_command(tmp_path: Path) -> None:
    good = tmp_path / "offer.docx"
    good.write_bytes((EXAMPLES / "offer-letter.docx").read_bytes())
    bad = tmp_path / "bad.docx"
    bad.write_text("not a zip")
    small = tmp_path / "receipt.docx"  # one page: likely done first, still printed second
    small.write_bytes((EXAMPLES / "receipt.docx").read_bytes())
    result = runner.invoke(app, ["convert", str(good), str(bad), str(small), "--jobs", "2"])
    assert result.exit_code == 1
    assert result.stdout == f"{tmp_path / 'offer.pdf'}\n{tmp_path / 'receipt.pdf'}\n"
    assert result.stderr == textwrap.dedent(f"""\
        error: {bad}: not a Word document (not a zip package)
        error: 1 of 3 documents not converted
        """)
    assert _pages(tmp_path / "offer.pdf") >= 1

    out = tmp_path / "pdfs"
    result = runner.invoke(app, ["convert", str(good), "--out-dir", str(out)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{out / 'offer.pdf'}\n"
    assert result.stderr == ""


@needs_libreoffice
def test_preview_command_filled_and_blank(tmp_path: Path) -> None:
    png = tmp_path / "page.png"
    args = ["preview", str(EXAMPLES / "offer-letter.docx"), str(EXAMPLES / "staff.csv"), "-o", str(png)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{png}\n"
    assert result.stderr == ""
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")

    # By library name, without data: the placeholders as they are.
    assert runner.invoke(app, ["add", str(EXAMPLES / "offer-letter.docx")]).exit_code == 0
    blank = tmp_path / "blank.png"
    result = runner.invoke(app, ["preview", "offer-letter", "-o", str(blank), "--dpi", "50"])
    assert result.exit_code == 0, result.stderr
    assert blank.read_bytes().startswith(b"\x89PNG")
    assert blank.stat().st_size < png.stat().st_size  # 50 dpi against 96
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blank.png", "page.png"]


@needs_libreoffice
def test_preview_keeps_placeholder_names(tmp_path: Path) -> None:
    document = Template.open(EXAMPLES / "receipt.docx").render({}, missing="keep")
    png = render_preview_png(document, tmp_path / "receipt.png", dpi=30)
    assert png == tmp_path / "receipt.png"
    assert png.read_bytes().startswith(b"\x89PNG")


def test_preview_without_pdftoppm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ConverterMissingError, match="install poppler-utils"):
        render_preview_png(b"PK", tmp_path / "x.png", soffice="/bin/false")


@needs_libreoffice
def test_preview_command_of_the_first_group(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(EXAMPLES)
    png = tmp_path / "invoice.png"
    args = ["preview", "invoice.docx", "invoice-lines.csv", "--group-by", "invoice_no", "--set", "paid=no"]
    result = runner.invoke(app, [*args, "-o", str(png), "--dpi", "30"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{png}\n"
    assert result.stderr == ""
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
