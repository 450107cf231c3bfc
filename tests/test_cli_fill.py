"""`mytypist fill`: one document or many, paths on stdout, messages on stderr."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from docx_factory import make_docx, para, paragraphs
from mytypist_cli.cli.app import app

runner = CliRunner()


@pytest.fixture
def template(tmp_path: Path) -> Path:
    path = tmp_path / "letter.docx"
    path.write_bytes(make_docx(para("Dear <<first_name>> <<last_name>>, <<fee|money>>")))
    return path


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8", delimiter: str = ",") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle, delimiter=delimiter).writerows(rows)
    return path


@pytest.fixture
def staff(tmp_path: Path) -> Path:
    return write_csv(
        tmp_path / "staff.csv",
        [["first_name", "last_name", "fee"], ["Ada", "Obi", "1500"], ["Tunde", "Bello", "2500.5"]],
    )


def texts(path: Path) -> list[str]:
    return paragraphs(path.read_bytes())


def test_batch_writes_paths_to_stdout_and_summary_to_stderr(
    tmp_path: Path, template: Path, staff: Path
) -> None:
    out = tmp_path / "letters"
    result = runner.invoke(app, ["fill", str(template), str(staff), "--out-dir", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [str(out / "letter-0001.docx"), str(out / "letter-0002.docx")]
    assert result.stderr.startswith("wrote 2 documents to ")
    assert texts(out / "letter-0002.docx") == ["Dear Tunde Bello, ₦2,500.50"]


def test_quiet_silences_the_summary(tmp_path: Path, template: Path, staff: Path) -> None:
    result = runner.invoke(app, ["fill", str(template), str(staff), "--out-dir", str(tmp_path / "o"), "-q"])
    assert result.exit_code == 0
    assert result.stderr == ""


def test_one_document_with_o(tmp_path: Path, template: Path) -> None:
    data = tmp_path / "one.json"
    data.write_text(json.dumps({"first_name": "Ada", "last_name": "Obi", "fee": 1500}))
    target = tmp_path / "ada.docx"
    result = runner.invoke(app, ["fill", str(template), str(data), "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert texts(target) == ["Dear Ada Obi, ₦1,500.00"]


def test_set_alone_needs_no_data_and_overrides(tmp_path: Path, template: Path, staff: Path) -> None:
    target = tmp_path / "x.docx"
    args = ["fill", str(template), "--set", "first_name=Ada", "--set", "last_name=Obi", "--set", "fee=1"]
    result = runner.invoke(app, [*args, "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert texts(target) == ["Dear Ada Obi, ₦1.00"]
    out = tmp_path / "o"
    result = runner.invoke(app, ["fill", str(template), str(staff), "--set", "fee=7", "--out-dir", str(out)])
    assert texts(out / "letter-0001.docx") == ["Dear Ada Obi, ₦7.00"]


def test_o_with_many_rows_is_a_usage_error(tmp_path: Path, template: Path, staff: Path) -> None:
    result = runner.invoke(app, ["fill", str(template), str(staff), "-o", str(tmp_path / "x.docx")])
    assert result.exit_code == 2
    assert "--out-dir" in result.stderr
    assert not (tmp_path / "x.docx").exists()


def test_o_dash_writes_the_docx_to_stdout(template: Path) -> None:
    result = runner.invoke(
        app, ["fill", str(template), "-", "-o", "-"], input='{"first_name": "A", "last_name": "B", "fee": 2}'
    )
    assert result.exit_code == 0, result.stderr
    assert paragraphs(result.stdout_bytes) == ["Dear A B, ₦2.00"]


@pytest.mark.parametrize(
    "payload",
    [
        "first_name,last_name,fee\nAda,Obi,1\nB,C,2\n",
        '[{"first_name": "Ada", "last_name": "Obi", "fee": 1}, {"first_name": "B", "last_name": "C", "fee": 2}]',
        '{"first_name": "Ada", "last_name": "Obi", "fee": 1}\n{"first_name": "B", "last_name": "C", "fee": 2}\n',
    ],
    ids=["csv", "json", "ndjson"],
)
def test_stdin_formats_are_detected(tmp_path: Path, template: Path, payload: str) -> None:
    out = tmp_path / "o"
    result = runner.invoke(app, ["fill", str(template), "-", "--out-dir", str(out)], input=payload)
    assert result.exit_code == 0, result.stderr
    assert texts(out / "letter-0001.docx") == ["Dear Ada Obi, ₦1.00"]
    assert texts(out / "letter-0002.docx") == ["Dear B C, ₦2.00"]


def test_excel_data(tmp_path: Path, template: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Staff"
    sheet.append(["first_name", "last_name", "fee"])
    sheet.append(["Ada", "Obi", 0.1 + 0.2])
    other = book.create_sheet("Other")
    other.append(["first_name", "last_name", "fee"])
    other.append(["Zed", "Y", 3])
    book.save(tmp_path / "staff.xlsx")
    out = tmp_path / "o"
    result = runner.invoke(app, ["fill", str(template), str(tmp_path / "staff.xlsx"), "--out-dir", str(out)])
    assert result.exit_code == 0, result.stderr
    assert texts(out / "letter-0001.docx") == ["Dear Ada Obi, ₦0.30"]
    result = runner.invoke(
        app,
        [
            "fill",
            str(template),
            str(tmp_path / "staff.xlsx"),
            "--sheet",
            "Other",
            "--out-dir",
            str(out),
            "-q",
        ],
    )
    assert result.exit_code == 1  # letter-0001.docx exists now
    assert "exists; pass --overwrite" in result.stderr


def test_name_pattern_and_unsafe_names_stay_inside(tmp_path: Path, template: Path) -> None:
    data = write_csv(
        tmp_path / "d.csv",
        [["first_name", "last_name", "fee"], ["Ada", "../../evil", "1"], ["Ada", "../../evil", "2"]],
    )
    out = tmp_path / "o"
    result = runner.invoke(
        app,
        [
            "fill",
            str(template),
            str(data),
            "--out-dir",
            str(out),
            "--name",
            "<<last_name>>-<<first_name|upper>>",
        ],
    )
    assert result.exit_code == 0, result.stderr
    written = [Path(line) for line in result.stdout.splitlines()]
    assert len(written) == 2
    assert all(path.parent == out for path in written)
    assert written[0].name.endswith("-ADA.docx")
    assert written[1].name.endswith("-ADA-2.docx")
    assert not (tmp_path.parent / "evil-ADA.docx").exists()


def test_missing_column_is_named_with_a_suggestion_before_anything_is_written(
    tmp_path: Path, template: Path
) -> None:
    data = write_csv(tmp_path / "d.csv", [["First Name", "last_name", "fee"], ["Ada", "Obi", "1"]])
    out = tmp_path / "o"
    result = runner.invoke(app, ["fill", str(template), str(data), "--out-dir", str(out)])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "no column for first_name (did you mean `First Name`?)" in result.stderr
    assert not out.exists()
    result = runner.invoke(
        app, ["fill", str(template), str(data), "--out-dir", str(out), "--missing", "blank"]
    )
    assert result.exit_code == 0
    assert texts(out / "letter-0001.docx") == ["Dear  Obi, ₦1.00"]


def test_malformed_csv_line_fails_before_anything_is_written(tmp_path: Path, template: Path) -> None:
    data = tmp_path / "d.csv"
    data.write_text("first_name,last_name,fee\nAda,Obi,1\nB,C,2,extra,more\n", encoding="utf-8")
    out = tmp_path / "o"
    result = runner.invoke(app, ["fill", str(template), str(data), "--out-dir", str(out)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {data}:3: ")
    assert not out.exists()


def test_data_that_is_not_utf8_suggests_encoding(tmp_path: Path, template: Path) -> None:
    data = write_csv(
        tmp_path / "d.csv", [["first_name", "last_name", "fee"], ["Chloé", "“Obi”", "1"]], encoding="cp1252"
    )
    out = tmp_path / "o"
    result = runner.invoke(app, ["fill", str(template), str(data), "--out-dir", str(out)])
    assert result.exit_code == 1
    assert "--encoding cp1252" in result.stderr
    assert not out.exists()
    result = runner.invoke(
        app, ["fill", str(template), str(data), "--out-dir", str(out), "--encoding", "cp1252"]
    )
    assert result.exit_code == 0, result.stderr
    assert texts(out / "letter-0001.docx") == ["Dear Chloé “Obi”, ₦1.00"]


def test_semicolon_csv_with_bom(tmp_path: Path, template: Path) -> None:
    data = tmp_path / "d.csv"
    data.write_bytes("\ufefffirst_name;last_name;fee\nAda;Obi;1\n".encode())
    out = tmp_path / "o"
    result = runner.invoke(app, ["fill", str(template), str(data), "--out-dir", str(out)])
    assert result.exit_code == 0, result.stderr
    assert texts(out / "letter-0001.docx") == ["Dear Ada Obi, ₦1.00"]


def test_unreadable_xlsx(tmp_path: Path, template: Path) -> None:
    data = tmp_path / "d.xlsx"
    data.write_bytes(b"PK\x03\x04 this is not a workbook")
    result = runner.invoke(app, ["fill", str(template), str(data), "--out-dir", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ")
    assert str(data) in result.stderr
    assert not (tmp_path / "o").exists()


def test_failed_rows_do_not_stop_others_and_are_reported(tmp_path: Path, template: Path) -> None:
    data = tmp_path / "d.json"
    data.write_text(
        json.dumps(
            [
                {"first_name": "Ada", "last_name": "Obi", "fee": 1},
                {"first_name": "Bad", "last_name": "Fee", "fee": "abc"},
                {"first_name": None, "last_name": "Null", "fee": 3},
                {"first_name": "Tunde", "last_name": "Bello", "fee": 4},
            ]
        )
    )
    out = tmp_path / "o"
    report = tmp_path / "report.json"
    result = runner.invoke(
        app, ["fill", str(template), str(data), "--out-dir", str(out), "--report", str(report), "--jobs", "1"]
    )
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [str(out / "letter-0001.docx"), str(out / "letter-0004.docx")]
    lines = result.stderr.splitlines()
    assert 'row 2: <<fee|money>>: cannot read "abc" as a number' in lines
    assert "row 3: missing value for first_name" in lines
    assert "hint: fix the data, then resume with --start-at 2 --skip-existing" in lines
    rows = json.loads(report.read_text())
    assert [(r["row"], r["status"]) for r in rows] == [(1, "ok"), (2, "failed"), (3, "failed"), (4, "ok")]


def test_dry_run_writes_nothing(tmp_path: Path, template: Path, staff: Path) -> None:
    out = tmp_path / "o"
    result = runner.invoke(app, ["fill", str(template), str(staff), "--out-dir", str(out), "--dry-run"])
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "checked 2 documents" in result.stderr
    assert not out.exists() or not any(out.iterdir())


def test_zip_output(tmp_path: Path, template: Path, staff: Path) -> None:
    archive = tmp_path / "letters.zip"
    result = runner.invoke(app, ["fill", str(template), str(staff), "--zip", str(archive)])
    assert result.exit_code == 0, result.stderr
    with zipfile.ZipFile(archive) as bundle:
        assert bundle.namelist() == ["letter-0001.docx", "letter-0002.docx"]
        assert paragraphs(bundle.read("letter-0001.docx")) == ["Dear Ada Obi, ₦1,500.00"]


def test_limit_start_at_and_skip_existing(tmp_path: Path, template: Path) -> None:
    rows = [["first_name", "last_name", "fee"]] + [[f"N{i}", "X", str(i)] for i in range(1, 6)]
    data = write_csv(tmp_path / "d.csv", rows)
    out = tmp_path / "o"
    result = runner.invoke(app, ["fill", str(template), str(data), "--out-dir", str(out), "--limit", "2"])
    assert [Path(p).name for p in result.stdout.splitlines()] == ["letter-0001.docx", "letter-0002.docx"]
    result = runner.invoke(app, ["fill", str(template), str(data), "--out-dir", str(out), "--start-at", "4"])
    assert [Path(p).name for p in result.stdout.splitlines()] == ["letter-0004.docx", "letter-0005.docx"]
    result = runner.invoke(app, ["fill", str(template), str(data), "--out-dir", str(out), "--skip-existing"])
    assert result.exit_code == 0
    assert [Path(p).name for p in result.stdout.splitlines()] == ["letter-0003.docx"]


def test_jobs_give_the_same_files(tmp_path: Path, template: Path) -> None:
    rows = [["first_name", "last_name", "fee"]] + [[f"N{i}", "X", str(i)] for i in range(1, 121)]
    data = write_csv(tmp_path / "d.csv", rows)
    one, two = tmp_path / "one", tmp_path / "two"
    assert (
        runner.invoke(app, ["fill", str(template), str(data), "--out-dir", str(one), "-j", "1"]).exit_code
        == 0
    )
    assert (
        runner.invoke(app, ["fill", str(template), str(data), "--out-dir", str(two), "-j", "2"]).exit_code
        == 0
    )
    names = sorted(p.name for p in one.iterdir())
    assert names == sorted(p.name for p in two.iterdir())
    assert len(names) == 120
    assert all((one / n).read_bytes() == (two / n).read_bytes() for n in names)


def test_macro_template_needs_allow_macros(tmp_path: Path) -> None:
    path = tmp_path / "m.docm"
    path.write_bytes(make_docx(para("<<a>>"), extra={"word/vbaProject.bin": b"vba"}))
    result = runner.invoke(app, ["fill", str(path), "--set", "a=1", "-o", str(tmp_path / "x.docm")])
    assert result.exit_code == 1
    assert "macros" in result.stderr
    result = runner.invoke(
        app, ["fill", str(path), "--set", "a=1", "-o", str(tmp_path / "x.docm"), "--allow-macros"]
    )
    assert result.exit_code == 0


def test_delimiters_option(tmp_path: Path) -> None:
    path = tmp_path / "old.docx"
    path.write_bytes(make_docx(para("Hi {{ name }}")))
    target = tmp_path / "x.docx"
    result = runner.invoke(
        app, ["fill", str(path), "--set", "name=Ada", "-o", str(target), "--delimiters", "{{ }}"]
    )
    assert result.exit_code == 0, result.stderr
    assert texts(target) == ["Hi Ada"]


def test_default_output_folder_is_the_current_one(
    tmp_path: Path, template: Path, staff: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    result = runner.invoke(app, ["fill", str(template), str(staff)])
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in work.iterdir()) == ["letter-0001.docx", "letter-0002.docx"]


def test_data_or_set_is_required(template: Path) -> None:
    result = runner.invoke(app, ["fill", str(template)])
    assert result.exit_code == 2


def test_report_csv(tmp_path: Path, template: Path, staff: Path) -> None:
    report = tmp_path / "r.csv"
    result = runner.invoke(
        app, ["fill", str(template), str(staff), "--out-dir", str(tmp_path / "o"), "--report", str(report)]
    )
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(report.read_text(encoding="utf-8"))))
    assert [r["status"] for r in rows] == ["ok", "ok"]
    assert list(rows[0]) == ["row", "file", "status", "error"]


def test_o_dash_refuses_a_terminal(tmp_path: Path, template: Path) -> None:
    controller, terminal = pty.openpty()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "mytypist_cli", "fill", str(template), "--set", "first_name=A", "-o", "-"],
            stdout=terminal,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "MYTYPIST_NO_ANALYTICS": "1"},
            timeout=60,
        )
    finally:
        os.close(terminal)
        os.close(controller)
    assert result.returncode == 2
    assert "refusing to write a document to a terminal" in result.stderr


INVOICE_ROWS = [
    ["invoice_no", "client", "description", "amount"],
    ["INV-2", "Bola", "Paint", "500"],
    ["INV-1", "Ada", "Rice", "1000"],
    ["INV-2", "Bola", "Brush", "250.5"],
    ["INV-1", "Ada", "Beans", "750"],
    ["INV-3", "Chidi", "Cement", "9000"],
]


@pytest.fixture
def invoice(tmp_path: Path) -> Path:
    path = tmp_path / "invoice.docx"
    body = (
        para("Invoice <<invoice_no>> for <<client>>")
        + para("<<#rows>>")
        + para("<<description>>: <<amount|money>>")
    )
    body += para("<</rows>>")
    path.write_bytes(make_docx(body))
    return path


def test_group_by_makes_one_document_per_key_with_rows_unsorted(tmp_path: Path, invoice: Path) -> None:
    data = write_csv(tmp_path / "lines.csv", INVOICE_ROWS)
    out = tmp_path / "invoices"
    result = runner.invoke(
        app,
        [
            "fill",
            str(invoice),
            str(data),
            "--group-by",
            "invoice_no",
            "--out-dir",
            str(out),
            "--name",
            "<<invoice_no>>",
        ],
    )
    assert result.exit_code == 0, result.stderr
    assert [Path(line).name for line in result.stdout.splitlines()] == [
        "INV-2.docx",
        "INV-1.docx",
        "INV-3.docx",
    ]
    assert texts(out / "INV-1.docx") == ["Invoice INV-1 for Ada", "Rice: ₦1,000.00", "Beans: ₦750.00"]
    assert texts(out / "INV-2.docx") == ["Invoice INV-2 for Bola", "Paint: ₦500.00", "Brush: ₦250.50"]
    assert "wrote 3 documents" in result.stderr


def test_group_by_counts_groups_for_names_limit_and_start_at(tmp_path: Path, invoice: Path) -> None:
    data = write_csv(tmp_path / "lines.csv", INVOICE_ROWS)
    out = tmp_path / "o"
    result = runner.invoke(
        app,
        [
            "fill",
            str(invoice),
            str(data),
            "--group-by",
            "invoice_no",
            "--out-dir",
            str(out),
            "--start-at",
            "2",
            "--limit",
            "1",
        ],
    )
    assert result.exit_code == 0, result.stderr
    assert [Path(line).name for line in result.stdout.splitlines()] == ["invoice-0002.docx"]
    assert texts(out / "invoice-0002.docx")[0] == "Invoice INV-1 for Ada"


def test_group_by_works_with_ndjson_and_json_arrays(tmp_path: Path, invoice: Path) -> None:
    lines = [dict(zip(INVOICE_ROWS[0], row, strict=True)) for row in INVOICE_ROWS[1:]]
    for name, payload in (
        ("lines.ndjson", "\n".join(json.dumps(line) for line in lines)),
        ("lines.json", json.dumps(lines)),
    ):
        data = tmp_path / name
        data.write_text(payload, encoding="utf-8")
        out = tmp_path / name.replace(".", "-")
        result = runner.invoke(
            app, ["fill", str(invoice), str(data), "--group-by", "invoice_no", "--out-dir", str(out)]
        )
        assert result.exit_code == 0, result.stderr
        assert len(result.stdout.splitlines()) == 3


def test_group_by_a_missing_column_says_where(tmp_path: Path, invoice: Path) -> None:
    data = write_csv(tmp_path / "lines.csv", INVOICE_ROWS)
    result = runner.invoke(
        app, ["fill", str(invoice), str(data), "--group-by", "invoice", "--out-dir", str(tmp_path / "o")]
    )
    assert result.exit_code == 1
    assert result.stderr == f"error: {data}: no column 'invoice' to group by (did you mean `invoice_no`?)\n"
    assert not (tmp_path / "o").exists()
