"""``fill_batch`` in the library does what ``mytypist fill`` does: same files, same results, same errors.

Each case runs the same template and data through the command line and through
the library and compares what a user would see: the documents' bytes, every
row's result, the error message. Also here: the one-document rules (``-o``
never replaces a file unasked, never an input of the run), data that can be
read only once (a named pipe, ``/dev/stdin``), and usage recorded only when asked.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conftest import REPO
from disk import tiny_disk
from docx_factory import make_docx, para, paragraphs
from mytypist_cli import (
    BatchSummary,
    DataError,
    MissingFieldsError,
    OptionsError,
    OutputError,
    OutputExistsError,
    RowResult,
    Template,
    fill_batch,
)
from mytypist_cli.cli.app import app
from mytypist_cli.home import journal_path

runner = CliRunner()
EXAMPLES = REPO / "examples"


@pytest.fixture
def template(tmp_path: Path) -> Path:
    path = tmp_path / "letter.docx"
    path.write_bytes(make_docx(para("Dear <<first_name>> <<last_name>>, <<fee|money>>")))
    return path


@pytest.fixture
def staff(tmp_path: Path) -> Path:
    path = tmp_path / "staff.csv"
    path.write_text("first_name,last_name,fee\nAda,Obi,1500\nTunde,Bello,x\nNgozi,Eze,20\n", encoding="utf-8")
    return path


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def relative(results: Any) -> list[tuple[Any, ...]]:
    """Results as a user compares them: row, file name, status, error (paths differ between the runs)."""
    return [
        (r["row"], Path(r["file"]).name if r["file"] else None, r["status"], r["error"])
        if isinstance(r, dict)
        else (r.row, Path(r.file).name if r.file else None, r.status, r.error)
        for r in results
    ]


def cli(*args: str) -> Any:
    return runner.invoke(app, list(args))


# --------------------------------------------------------------------------- the same as the CLI


@pytest.mark.parametrize(
    ("options", "cli_options"),
    [
        ({}, []),
        ({"name": "<<last_name>>-<<first_name>>"}, ["--name", "<<last_name>>-<<first_name>>"]),
        ({"sets": {"fee": "7"}}, ["--set", "fee=7"]),
        ({"start_at": 2, "limit": 1}, ["--start-at", "2", "--limit", "1"]),
        ({"missing": "blank"}, ["--missing", "blank"]),
    ],
)
def test_a_folder_batch_is_byte_identical_through_both(
    tmp_path: Path, template: Path, staff: Path, options: dict[str, Any], cli_options: list[str]
) -> None:
    report = tmp_path / "cli-report.json"
    result = cli(
        "fill",
        str(template),
        str(staff),
        "--out-dir",
        str(tmp_path / "cli"),
        "--report",
        str(report),
        *cli_options,
    )
    summary = fill_batch(template, staff, out_dir=tmp_path / "lib", **options)
    assert result.exit_code == (0 if summary.succeeded else 1)
    assert folder_bytes(tmp_path / "cli") == folder_bytes(tmp_path / "lib")
    assert relative(json.loads(report.read_text(encoding="utf-8"))) == relative(summary.results)


def test_a_zip_is_the_same_through_both(tmp_path: Path, template: Path, staff: Path) -> None:
    result = cli("fill", str(template), str(staff), "--zip", str(tmp_path / "cli.zip"))
    summary = fill_batch(template, staff, zip_path=tmp_path / "lib.zip")
    assert result.exit_code == 1  # row 2's fee is not a number, in both
    assert summary.failed_rows == (2,)
    assert summary.outputs == (str(tmp_path / "lib.zip"),)
    import zipfile

    with zipfile.ZipFile(tmp_path / "cli.zip") as one, zipfile.ZipFile(tmp_path / "lib.zip") as other:
        assert one.namelist() == other.namelist() == ["letter-0001.docx", "letter-0003.docx"]
        for member in one.namelist():
            assert one.read(member) == other.read(member)


def test_group_by_is_the_same_through_both(tmp_path: Path) -> None:
    invoice = EXAMPLES / "invoice.docx"
    lines = EXAMPLES / "invoice-lines.csv"
    result = cli(
        "fill", str(invoice), str(lines), "--group-by", "invoice_no", "--out-dir", str(tmp_path / "cli")
    )
    assert result.exit_code == 0, result.stderr
    summary = fill_batch(invoice, lines, group_by="invoice_no", out_dir=tmp_path / "lib")
    assert summary.succeeded
    assert summary.written == len(result.stdout.splitlines()) > 1
    assert folder_bytes(tmp_path / "cli") == folder_bytes(tmp_path / "lib")


def test_a_missing_column_is_the_same_error_and_writes_nothing(tmp_path: Path, template: Path) -> None:
    data = tmp_path / "people.csv"
    data.write_text("First_Name,last_name\nAda,Obi\n", encoding="utf-8")
    result = cli("fill", str(template), str(data), "--out-dir", str(tmp_path / "cli"))
    assert result.exit_code == 1
    assert result.stdout == ""
    with pytest.raises(DataError) as raised:
        fill_batch(template, data, out_dir=tmp_path / "lib")
    assert result.stderr == f"error: {raised.value}\n"
    assert "first_name (did you mean `First_Name`?)" in str(raised.value)
    assert not (tmp_path / "cli").exists()
    assert not (tmp_path / "lib").exists()


def test_a_dry_run_checks_every_row_and_writes_nothing_through_both(
    tmp_path: Path, template: Path, staff: Path
) -> None:
    result = cli("fill", str(template), str(staff), "--out-dir", str(tmp_path / "cli"), "--dry-run")
    summary = fill_batch(template, staff, out_dir=tmp_path / "lib", dry_run=True)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "row 2: " in result.stderr
    assert (summary.dry_run, summary.ok, summary.failed, summary.written) == (True, 2, 1, 0)
    assert not (tmp_path / "cli").exists()
    assert not (tmp_path / "lib").exists()


# --------------------------------------------------------------------------- what the library takes


def test_template_may_be_a_template_bytes_a_path_or_a_library_name(tmp_path: Path, template: Path) -> None:
    home = tmp_path / "home"
    added = runner.invoke(app, ["--home", str(home), "add", str(template), "--name", "letter"])
    assert added.exit_code == 0, added.stderr
    rows = [{"first_name": "Ada", "last_name": "Obi", "fee": 5}]
    made: dict[str, bytes] = {}
    for label, source in [
        ("template", Template.open(template)),
        ("bytes", template.read_bytes()),
        ("str", str(template)),
        ("path", template),
        ("name", "letter"),
        ("name@1", "letter@1"),
    ]:
        out = tmp_path / label
        summary = fill_batch(source, rows, out_dir=out, home=home)
        assert summary.succeeded, label
        (made[label],) = folder_bytes(out).values()
    assert len(set(made.values())) == 1
    assert sorted(os.listdir(tmp_path / "name")) == ["letter-0001.docx"]
    assert sorted(os.listdir(tmp_path / "bytes")) == ["document-0001.docx"]


def test_data_may_be_rows_in_python_or_a_binary_stream(tmp_path: Path, template: Path, staff: Path) -> None:
    rows = ({"first_name": f"A{i}", "last_name": "B", "fee": i} for i in range(3))
    summary = fill_batch(template, rows, out_dir=tmp_path / "py")
    assert [paragraphs((tmp_path / "py" / f"letter-000{i}.docx").read_bytes()) for i in (1, 3)] == [
        ["Dear A0 B, ₦0.00"],
        ["Dear A2 B, ₦2.00"],
    ]
    assert summary.written == 3
    with staff.open("rb") as stream:
        streamed = fill_batch(template, stream, out_dir=tmp_path / "stream", missing="blank")
    assert streamed.failed_rows == (2,)
    with pytest.raises(DataError, match="row 2 is a str"):
        fill_batch(template, [{"first_name": "x"}, "not a row"], out_dir=tmp_path / "bad")  # type: ignore[list-item]


def test_callbacks_report_progress_results_and_files_in_row_order(
    tmp_path: Path, template: Path, staff: Path
) -> None:
    progress: list[tuple[int, int]] = []
    results: list[RowResult] = []
    files: list[str] = []
    summary = fill_batch(
        template,
        staff,
        out_dir=tmp_path,
        on_progress=lambda done, total: progress.append((done, total)),
        on_result=results.append,
        on_file=files.append,
    )
    assert progress == [(1, 3), (2, 3), (3, 3)]
    assert results == list(summary.results)
    assert files == [str(tmp_path / "letter-0001.docx"), str(tmp_path / "letter-0003.docx")]


def test_contradicting_settings_are_options_errors_and_usage_errors_on_the_command_line(
    tmp_path: Path, template: Path, staff: Path
) -> None:
    with pytest.raises(OptionsError, match="cannot be combined"):
        fill_batch(template, staff, output=tmp_path / "a.docx", out_dir=tmp_path)
    with pytest.raises(OptionsError, match="contradict"):
        fill_batch(template, staff, overwrite=True, skip_existing=True)
    with pytest.raises(OptionsError, match="report is .json or .csv"):
        fill_batch(template, staff, out_dir=tmp_path / "o", report=tmp_path / "r.txt")
    assert not (tmp_path / "o").exists()
    result = cli(
        "fill",
        str(template),
        str(staff),
        "--report",
        str(tmp_path / "r.txt"),
        "--out-dir",
        str(tmp_path / "o"),
    )
    assert result.exit_code == 2
    assert not (tmp_path / "o").exists()


# --------------------------------------------------------------------------- one document


def test_o_over_an_existing_file_fails_without_overwrite(tmp_path: Path, template: Path) -> None:
    target = tmp_path / "ada.docx"
    target.write_bytes(b"keep me")
    args = ["fill", str(template), "--set", "first_name=Ada", "--missing", "blank", "-o", str(target)]
    result = cli(*args)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == f"error: {target} exists; pass --overwrite to replace it\n"
    assert target.read_bytes() == b"keep me"
    with pytest.raises(OutputExistsError):
        fill_batch(template, sets={"first_name": "Ada"}, missing="blank", output=target)
    assert target.read_bytes() == b"keep me"
    result = cli(*args, "--overwrite")
    assert result.exit_code == 0, result.stderr
    assert paragraphs(target.read_bytes()) == ["Dear Ada , "]


def test_o_naming_the_template_or_the_data_is_refused_even_with_overwrite(
    tmp_path: Path, template: Path
) -> None:
    before = template.read_bytes()
    result = cli(
        "fill",
        str(template),
        "--set",
        "first_name=Ada",
        "--missing",
        "blank",
        "-o",
        str(template),
        "--overwrite",
    )
    assert result.exit_code == 1
    assert "is an input of this run" in result.stderr
    assert template.read_bytes() == before
    data = tmp_path / "one.json"
    data.write_text('{"first_name": "Ada"}', encoding="utf-8")
    spelled_otherwise = tmp_path / "." / "one.json"
    result = cli(
        "fill", str(template), str(data), "--missing", "blank", "-o", str(spelled_otherwise), "--overwrite"
    )
    assert result.exit_code == 1
    assert data.read_text(encoding="utf-8") == '{"first_name": "Ada"}'
    with pytest.raises(OutputError, match="is an input"):
        fill_batch(template, data, missing="blank", output=data, overwrite=True)
    report = cli(
        "fill",
        str(template),
        str(data),
        "--missing",
        "blank",
        "--out-dir",
        str(tmp_path / "o"),
        "--report",
        str(data),
        "--overwrite",
    )
    assert report.exit_code == 1
    assert data.read_text(encoding="utf-8") == '{"first_name": "Ada"}'
    assert not (tmp_path / "o").exists()


def test_o_through_a_link_to_a_device_is_refused_and_a_full_disk_is_one_line(
    tmp_path: Path, template: Path
) -> None:
    link = tmp_path / "out.docx"
    link.symlink_to("/dev/null")
    args = ["fill", str(template), "--set", "first_name=Ada", "--missing", "blank", "--overwrite", "-o"]
    result = cli(*args, str(link))
    assert result.exit_code == 1
    assert (
        result.stderr
        == f"error: {link} is a link to something that is not a regular file; refusing to replace it\n"
    )
    assert link.is_symlink()
    with tiny_disk(16) as disk:
        (disk / "filler").write_bytes(b"\0" * (16 * 1024 - 512))
        result = cli(*args, str(disk / "ada.docx"))
        assert result.exit_code == 1
        assert result.stderr == f"error: cannot write {disk / 'ada.docx'}: No space left on device\n"
        assert sorted(os.listdir(disk)) == ["filler"]


def test_one_document_with_a_missing_value_fails_and_writes_nothing(tmp_path: Path, template: Path) -> None:
    target = tmp_path / "x.docx"
    with pytest.raises(MissingFieldsError):
        fill_batch(template, sets={"first_name": "Ada"}, output=target)
    result = cli("fill", str(template), "--set", "first_name=Ada", "-o", str(target))
    assert result.exit_code == 1
    assert (
        "no column for last_name, fee" in result.stderr
        or "missing values for last_name, fee" in result.stderr
    )
    assert not target.exists()


# --------------------------------------------------------------------------- data read once


def test_a_named_pipe_is_spooled_and_read_whole(tmp_path: Path, template: Path, staff: Path) -> None:
    pipe = tmp_path / "rows.csv"
    os.mkfifo(pipe)
    feeder = threading.Thread(target=lambda: pipe.write_bytes(staff.read_bytes()))
    feeder.start()
    try:
        result = cli(
            "fill", str(template), str(pipe), "--out-dir", str(tmp_path / "out"), "--missing", "blank"
        )
    finally:
        feeder.join(timeout=10)
    # Read twice without spooling, the second pass would take a data row for the header.
    assert result.stdout.splitlines() == [str(tmp_path / "out" / f"letter-000{i}.docx") for i in (1, 3)]
    assert "row 2: " in result.stderr
    assert paragraphs((tmp_path / "out" / "letter-0003.docx").read_bytes()) == ["Dear Ngozi Eze, ₦20.00"]


def test_dev_stdin_and_process_substitution_work_in_a_real_shell(
    tmp_path: Path, template: Path, staff: Path
) -> None:
    env = {**os.environ, "MYTYPIST_HOME": str(tmp_path / "home")}
    command = [
        sys.executable,
        "-m",
        "mytypist_cli",
        "fill",
        str(template),
        "/dev/stdin",
        "--out-dir",
        "a",
        "-q",
    ]
    done = subprocess.run(command, input=staff.read_bytes(), cwd=tmp_path, env=env, capture_output=True)
    assert done.returncode == 1, done.stderr  # row 2 fails
    assert sorted(os.listdir(tmp_path / "a")) == ["letter-0001.docx", "letter-0003.docx"]
    script = f'"{sys.executable}" -m mytypist_cli fill "{template}" <(head -3 "{staff}") --out-dir b -q'
    done = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True)
    assert done.returncode == 1, done.stderr
    assert done.stderr.decode().startswith("row 2: ")
    assert sorted(os.listdir(tmp_path / "b")) == ["letter-0001.docx"]


# --------------------------------------------------------------------------- usage


def test_the_library_records_usage_only_when_asked(tmp_path: Path, template: Path, staff: Path) -> None:
    home = tmp_path / "home"
    fill_batch(template, staff, out_dir=tmp_path / "a", home=home)
    assert not journal_path(home).exists()
    summary: BatchSummary = fill_batch(template, staff, out_dir=tmp_path / "b", home=home, record_usage=True)
    (record,) = [json.loads(line) for line in journal_path(home).read_text(encoding="utf-8").splitlines()]
    assert (record["rows"], record["documents"], record["failures"]) == (3, summary.written, 1)
    journal = tmp_path / "elsewhere.jsonl"
    fill_batch(template, staff, out_dir=tmp_path / "c", record_usage=journal)
    assert len(journal.read_text(encoding="utf-8").splitlines()) == 1


def test_the_command_records_every_run(tmp_path: Path, template: Path, staff: Path) -> None:
    home = tmp_path / "home"
    result = runner.invoke(
        app, ["--home", str(home), "fill", str(template), str(staff), "--out-dir", str(tmp_path / "o")]
    )
    assert result.exit_code == 1
    assert len(journal_path(home).read_text(encoding="utf-8").splitlines()) == 1


def test_fill_says_what_the_template_holds_that_is_not_filled(tmp_path: Path) -> None:
    template = tmp_path / "odd.docx"
    template.write_bytes(make_docx(para("Dear <<name>>, 3 << 4 and <<oops")))
    result = cli("fill", str(template), "--set", "name=Ada", "-o", str(tmp_path / "a.docx"))
    assert result.exit_code == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert warnings
    assert all(line.startswith(f"warning: {template}: ") for line in warnings)
    summary = fill_batch(template, sets={"name": "Ada"}, output=tmp_path / "b.docx")
    assert [f"warning: {w}" for w in summary.warnings] == warnings


def test_a_row_missing_a_value_and_a_list_names_both(tmp_path: Path) -> None:
    template = tmp_path / "list.docx"
    template.write_bytes(
        make_docx(para("Dear <<name>> of <<town>>") + para("<<#items>>") + para("<<.>>") + para("<</items>>"))
    )
    data = tmp_path / "rows.ndjson"  # NDJSON: no columns to check before the run, so the row says it
    data.write_text(
        '{"town": "Jos", "Items": ["a"]}\n{"name": "Ada", "town": "Jos", "items": ["b"]}\n', encoding="utf-8"
    )
    result = cli("fill", str(template), str(data), "--out-dir", str(tmp_path / "o"))
    assert result.exit_code == 1
    (failure,) = [line for line in result.stderr.splitlines() if line.startswith("row 1: ")]
    assert "name" in failure
    assert "items (did you mean `Items`?)" in failure
    assert result.stdout.splitlines() == [str(tmp_path / "o" / "list-0002.docx")]
