"""`mytypist fill` never writes a wrong document with exit status 0 (issue 11).

What counts as missing (a list too), rows that are no document (a note under
the table), grouped rows (continuation rows, columns that must agree,
``--list-name``), which rows ``-o`` accepts, and hints that say what fits.
Everything through the command line; stdout and stderr checked apart.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import REPO
from docx_factory import make_docx, para, paragraphs
from mytypist_cli import fill_batch
from mytypist_cli.cli.app import app

runner = CliRunner()
EXAMPLES = REPO / "examples"


def fill(*args: str | Path) -> object:
    return runner.invoke(app, ["fill", *map(str, args)])


def texts(path: Path) -> list[str]:
    return paragraphs(path.read_bytes())


@pytest.fixture
def items_template(tmp_path: Path) -> Path:
    path = tmp_path / "order.docx"
    body = (
        para("Order <<order_no>> for <<client>>") + para("<<#items>>") + para("<<description>>: <<amount>>")
    )
    path.write_bytes(make_docx(body + para("<</items>>") + para("Thanks")))
    return path


# --------------------------------------------------------------------------- a missing list


def test_flat_rows_without_group_by_fail_before_anything_is_written(tmp_path: Path) -> None:
    out = tmp_path / "x"
    result = fill(EXAMPLES / "invoice.docx", EXAMPLES / "invoice-lines.csv", "--out-dir", out)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"error: {EXAMPLES / 'invoice-lines.csv'}: no column for the list rows; "
        "fill a list from flat rows with --group-by COLUMN, or --missing blank to leave it empty\n"
    )
    assert not out.exists()


def test_a_json_key_spelt_otherwise_is_suggested_before_anything_is_written(
    tmp_path: Path, items_template: Path
) -> None:
    data = tmp_path / "orders.json"
    data.write_text(json.dumps([{"order_no": "MN-1", "client": "Ada", "Items": [{"description": "Rice"}]}]))
    result = fill(items_template, data, "--out-dir", tmp_path / "o")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {data}: no column for the list items (did you mean `Items`?); "
        "add the column, or --missing blank to leave it empty\n"
    )
    assert not (tmp_path / "o").exists()


def test_a_missing_or_null_list_fails_its_row_with_a_suggestion_and_an_empty_one_fills(
    tmp_path: Path, items_template: Path
) -> None:
    rows = [
        {"order_no": "MN-1", "client": "Ada", "Items": [{"description": "Rice", "amount": 5}]},
        {"order_no": "MN-2", "client": "Bola", "items": None},
        {"order_no": "MN-3", "client": "Chidi", "items": []},
    ]
    data = tmp_path / "orders.ndjson"  # NDJSON: no columns known before the rows, so each row is checked
    data.write_text("\n".join(json.dumps(row) for row in rows) + "\n")
    out = tmp_path / "o"
    result = fill(items_template, data, "--out-dir", out)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [str(out / "order-0003.docx")]
    assert result.stderr.splitlines()[:2] == [
        "row 1: missing value for items (did you mean `Items`?)",
        "row 2: missing value for items",
    ]
    assert texts(out / "order-0003.docx") == ["Order MN-3 for Chidi", "Thanks"]


def test_missing_blank_leaves_a_missing_list_empty(tmp_path: Path, items_template: Path) -> None:
    data = tmp_path / "order.json"
    data.write_text(json.dumps({"order_no": "MN-1", "client": "Ada"}))
    target = tmp_path / "one.docx"
    result = fill(items_template, data, "--missing", "blank", "-o", target)
    assert result.exit_code == 0, result.stderr
    assert texts(target) == ["Order MN-1 for Ada", "Thanks"]


def test_one_document_with_a_missing_list_fails_and_writes_nothing(
    tmp_path: Path, items_template: Path
) -> None:
    data = tmp_path / "order.ndjson"
    data.write_text(json.dumps({"order_no": "MN-1", "client": "Ada", "Items": []}) + "\n")
    target = tmp_path / "one.docx"
    result = fill(items_template, data, "-o", target)
    assert result.exit_code == 1
    assert result.stderr == "error: missing value for items (did you mean `Items`?)\n"
    assert not target.exists()


def test_a_name_used_only_with_a_default_needs_no_column(tmp_path: Path) -> None:
    template = tmp_path / "letter.docx"
    template.write_bytes(make_docx(para('Dear <<first>> <<middle|default:"-">> <<last>>')))
    data = tmp_path / "staff.csv"
    data.write_text("first,last\nAda,Obi\n", encoding="utf-8")
    out = tmp_path / "o"
    result = fill(template, data, "--out-dir", out)
    assert result.exit_code == 0, result.stderr
    assert texts(out / "letter-0001.docx") == ["Dear Ada - Obi"]


# --------------------------------------------------------------------------- rows that are no document


@pytest.fixture
def letter(tmp_path: Path) -> Path:
    path = tmp_path / "letter.docx"
    path.write_bytes(make_docx(para("Dear <<first>> <<last>>")))
    return path


@pytest.fixture
def noted(tmp_path: Path) -> Path:
    """Staff with a note under the table, after a blank row, in a column the template does not use."""
    path = tmp_path / "staff.csv"
    path.write_text("no,first,last\n1,Ada,Obi\n2,Tunde,Bello\n,,\nPrepared by HR,,\n", encoding="utf-8")
    return path


def test_a_row_with_no_value_for_any_placeholder_is_skipped_with_a_warning(
    tmp_path: Path, letter: Path, noted: Path
) -> None:
    out = tmp_path / "o"
    report = tmp_path / "report.json"
    result = fill(letter, noted, "--out-dir", out, "--report", report)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [str(out / "letter-0001.docx"), str(out / "letter-0002.docx")]
    lines = result.stderr.splitlines()
    assert lines[0] == f"warning: {noted}:5: no value for any placeholder; skipped"
    assert lines[1].startswith("wrote 2 documents to ")
    assert lines[1].endswith(" (1 skipped)")
    assert len(lines) == 2
    assert [(row["row"], row["status"], row["file"]) for row in json.loads(report.read_text())] == [
        (1, "ok", str(out / "letter-0001.docx")),
        (2, "ok", str(out / "letter-0002.docx")),
        (3, "skipped", None),
    ]
    assert sorted(path.name for path in out.iterdir()) == ["letter-0001.docx", "letter-0002.docx"]


def test_empty_cells_of_used_columns_make_a_row_blank_and_limit_does_not_count_it(
    tmp_path: Path, letter: Path
) -> None:
    data = tmp_path / "staff.csv"
    data.write_text("no,first,last\nnote,  ,\n2,Ada,Obi\n", encoding="utf-8")
    out = tmp_path / "o"
    result = fill(letter, data, "--out-dir", out, "--limit", "1")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [str(out / "letter-0002.docx")]
    assert result.stderr.splitlines()[0] == f"warning: {data}:2: no value for any placeholder; skipped"


def test_o_fills_the_one_document_row_and_warns_about_the_note(tmp_path: Path, letter: Path) -> None:
    data = tmp_path / "one.csv"
    data.write_text("no,first,last\n1,Ada,Obi\nPrepared by HR,,\n", encoding="utf-8")
    target = tmp_path / "ada.docx"
    result = fill(letter, data, "-o", target)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == f"warning: {data}:3: no value for any placeholder; skipped\nwrote {target}\n"
    assert texts(target) == ["Dear Ada Obi"]


def test_o_with_only_a_note_fails(tmp_path: Path, letter: Path) -> None:
    data = tmp_path / "note.csv"
    data.write_text("no,first,last\nPrepared by HR,,\n", encoding="utf-8")
    result = fill(letter, data, "-o", tmp_path / "x.docx")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: the data has no row to fill: {data}:2: no value for any placeholder; skipped\n"
    )
    assert not (tmp_path / "x.docx").exists()


# --------------------------------------------------------------------------- grouped rows


@pytest.fixture
def invoice(tmp_path: Path) -> Path:
    path = tmp_path / "invoice.docx"
    body = (
        para("Invoice <<invoice_no>> for <<client>>")
        + para("<<#rows>>")
        + para("<<description>>: <<amount>>")
    )
    body += para("<</rows>>") + para("<<?remark>>Note: <<remark>><</remark>>")
    path.write_bytes(make_docx(body))
    return path


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_blank_key_continues_the_group_above_and_takes_its_values(tmp_path: Path, invoice: Path) -> None:
    data = write(
        tmp_path / "lines.csv",
        "invoice_no,client,description,amount,remark\n"
        "INV-1,Ada,Rice,1000,Paid\n"
        ",,Beans,750,\n"
        "INV-2,Bola,Paint,500,\n"
        ",,Brush,250,\n"
        ",  ,Nails,90,\n",
    )
    out = tmp_path / "o"
    result = fill(invoice, data, "--group-by", "invoice_no", "--out-dir", out, "--name", "<<invoice_no>>")
    assert result.exit_code == 0, result.stderr
    assert [Path(line).name for line in result.stdout.splitlines()] == ["INV-1.docx", "INV-2.docx"]
    assert texts(out / "INV-1.docx") == ["Invoice INV-1 for Ada", "Rice: 1000", "Beans: 750", "Note: Paid"]
    assert texts(out / "INV-2.docx") == [
        "Invoice INV-2 for Bola",
        "Paint: 500",
        "Brush: 250",
        "Nails: 90",
        "",
    ]


def test_a_blank_key_on_the_first_row_is_an_error_naming_the_line(tmp_path: Path, invoice: Path) -> None:
    data = write(
        tmp_path / "lines.csv",
        "invoice_no,client,description,amount,remark\n,Ada,Rice,1000,\nINV-1,Ada,Beans,5,\n",
    )
    result = fill(invoice, data, "--group-by", "invoice_no", "--out-dir", tmp_path / "o")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {data}:2: row 1 has no 'invoice_no' to group by "
        "(a blank key continues the group above it, and this is the first row)\n"
    )
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("column", "first", "second"),
    [("client", "Bola", "Bolu"), ("remark", "Paid", "Unpaid")],  # remark: only in a condition
)
def test_a_column_used_outside_the_list_that_differs_fails_its_group(
    tmp_path: Path, invoice: Path, column: str, first: str, second: str
) -> None:
    rows = {"client": ["Bola", "Bola"], "remark": ["", ""]}
    rows[column] = [first, second]
    data = write(
        tmp_path / "lines.csv",
        "invoice_no,client,description,amount,remark\n"
        "INV-1,Ada,Rice,1000,\n"
        f"INV-2,{rows['client'][0]},Paint,500,{rows['remark'][0]}\n"
        f"INV-2,{rows['client'][1]},Brush,250,{rows['remark'][1]}\n",
    )
    out = tmp_path / "o"
    result = fill(invoice, data, "--group-by", "invoice_no", "--out-dir", out)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [str(out / "invoice-0001.docx")]
    assert result.stderr.splitlines()[0] == (
        f"group 2 (key INV-2): {column} differs within the group: '{first}' (line 3) and '{second}' (line 4); "
        "the template uses it outside the list rows, where it must be one value"
    )
    assert not (out / "invoice-0002.docx").exists()


def test_messages_of_a_grouped_run_count_groups(tmp_path: Path, invoice: Path) -> None:
    data = write(
        tmp_path / "lines.csv",
        "invoice_no,client,remark,description,amount\nINV-1,Ada,,Rice,1000\nINV-2,Bola,,Paint\n",
    )
    result = fill(invoice, data, "--group-by", "invoice_no", "--out-dir", tmp_path / "o")
    assert result.exit_code == 1
    assert "group 2 (key INV-2): missing value for amount" in result.stderr.splitlines()


def test_list_name_fills_a_template_written_for_items_from_flat_rows(
    tmp_path: Path, items_template: Path
) -> None:
    data = write(
        tmp_path / "lines.csv",
        "order_no,client,description,amount\nMN-1,Ada,Rice,5\n,,Beans,6\nMN-2,Bola,Paint,7\n",
    )
    out = tmp_path / "o"
    without = fill(items_template, data, "--group-by", "order_no", "--out-dir", out)
    assert without.exit_code == 1
    assert without.stderr == (
        f"error: {data}: no column for the list items; name the list --group-by makes with "
        "--list-name items, or --missing blank to leave it empty\n"
    )
    result = fill(items_template, data, "--group-by", "order_no", "--list-name", "items", "--out-dir", out)
    assert result.exit_code == 0, result.stderr
    assert texts(out / "order-0001.docx") == ["Order MN-1 for Ada", "Rice: 5", "Beans: 6", "Thanks"]
    library = fill_batch(
        items_template, data, group_by="order_no", list_name="items", out_dir=tmp_path / "lib"
    )
    assert library.succeeded
    assert (tmp_path / "lib" / "order-0001.docx").read_bytes() == (out / "order-0001.docx").read_bytes()


def test_list_name_needs_group_by(tmp_path: Path, items_template: Path) -> None:
    data = write(tmp_path / "lines.csv", "order_no,client\nMN-1,Ada\n")
    result = fill(items_template, data, "--list-name", "items", "--out-dir", tmp_path / "o")
    assert result.exit_code == 2
    assert "--list-name names the list --group-by makes" in result.stderr


def test_flat_rows_without_a_list_suggest_list_name_too(tmp_path: Path, items_template: Path) -> None:
    data = write(tmp_path / "lines.csv", "order_no,client,description,amount\nMN-1,Ada,Rice,5\n")
    result = fill(items_template, data, "--out-dir", tmp_path / "o")
    assert result.exit_code == 1
    assert "--group-by COLUMN --list-name items" in result.stderr


# --------------------------------------------------------------------------- -o and the rows it is given


def test_o_takes_the_one_row_limit_or_start_at_leave(tmp_path: Path, letter: Path) -> None:
    data = write(tmp_path / "staff.csv", "first,last\nAda,Obi\nTunde,Bello\nNgozi,Eze\n")
    first = tmp_path / "first.docx"
    assert fill(letter, data, "-o", first, "--limit", "1").exit_code == 0
    assert texts(first) == ["Dear Ada Obi"]
    last = tmp_path / "last.docx"
    result = fill(letter, data, "-o", last, "--start-at", "3")
    assert result.exit_code == 0, result.stderr
    assert texts(last) == ["Dear Ngozi Eze"]
    second = tmp_path / "second.docx"
    assert fill(letter, data, "-o", second, "--start-at", "2", "--limit", "1").exit_code == 0
    assert texts(second) == ["Dear Tunde Bello"]
    refused = fill(letter, data, "-o", tmp_path / "x.docx", "--start-at", "2")
    assert refused.exit_code == 2
    assert "the data has 2 rows from row 2 on; -o writes one document" in " ".join(refused.stderr.split())


def test_o_takes_the_one_group_group_by_leaves(tmp_path: Path, invoice: Path) -> None:
    data = write(
        tmp_path / "lines.csv",
        "invoice_no,client,description,amount,remark\nINV-1,Ada,Rice,1000,\n,,Beans,750,\n",
    )
    target = tmp_path / "inv.docx"
    result = fill(invoice, data, "--group-by", "invoice_no", "-o", target)
    assert result.exit_code == 0, result.stderr
    assert texts(target) == ["Invoice INV-1 for Ada", "Rice: 1000", "Beans: 750", ""]


# --------------------------------------------------------------------------- hints


def test_failures_from_existing_files_hint_overwrite_or_skip_existing(tmp_path: Path, letter: Path) -> None:
    data = write(tmp_path / "staff.csv", "first,last\nAda,Obi\nTunde,Bello\n")
    out = tmp_path / "o"
    assert fill(letter, data, "--out-dir", out).exit_code == 0
    again = fill(letter, data, "--out-dir", out)
    assert again.exit_code == 1
    assert again.stderr.splitlines()[-1] == (
        "hint: add --overwrite to replace the existing files, or --skip-existing to keep them"
    )
    assert "--start-at" not in again.stderr


def test_a_data_failure_hints_resuming_and_a_dry_run_does_not(tmp_path: Path, letter: Path) -> None:
    data = write(tmp_path / "staff.csv", "first,last\nAda,Obi\nTunde\n")
    out = tmp_path / "o"
    dry = fill(letter, data, "--out-dir", out, "--dry-run")
    assert dry.exit_code == 1
    assert "row 2: missing value for last" in dry.stderr.splitlines()
    assert "hint" not in dry.stderr
    real = fill(letter, data, "--out-dir", out)
    assert real.exit_code == 1
    assert real.stderr.splitlines()[-1] == "hint: fix the data, then resume with --start-at 2 --skip-existing"


def test_a_zip_with_failures_hints_running_again_not_skip_existing(tmp_path: Path, letter: Path) -> None:
    data = write(tmp_path / "staff.csv", "first,last\nAda,Obi\nTunde\n")
    archive = tmp_path / "letters.zip"
    result = fill(letter, data, "--zip", archive)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        f"hint: fix the data, then run again with --overwrite to replace {archive}"
    )
