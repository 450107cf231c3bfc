"""Excel cells print as Excel shows them; formulas never calculated fail the run (data.excel_formats)."""

from __future__ import annotations

import datetime as dt
import pickle
import re
import zipfile
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from docx_factory import make_docx, para, paragraphs
from mytypist_cli.cli.app import app
from mytypist_cli.data.excel_formats import number_format
from mytypist_cli.data.records import open_records
from mytypist_cli.engine.values import raw_value, to_text

runner = CliRunner()

SEPT_22 = dt.date(2025, 9, 22)


def workbook(path: Path, rows: list[list[Any]], formats: dict[str, str] | None = None) -> Path:
    """A one-sheet workbook ("Staff"); ``formats`` maps a column letter to the number format of its data."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Staff"
    for row in rows:
        sheet.append(row)
    for letter, code in (formats or {}).items():
        for line in range(2, len(rows) + 1):
            sheet[f"{letter}{line}"].number_format = code
    book.save(path)
    return path


def save_results(path: Path, results: dict[str, str]) -> None:
    """Give formula cells a saved result, as Excel does when it saves ("B2": "10")."""
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    sheet = members["xl/worksheets/sheet1.xml"].decode()
    for cell, result in results.items():
        pattern = rf'(<c r="{cell}"[^>]*)>(<f>[^<]*</f>)(?:<v\s*/>|<v></v>)?</c>'
        cell_type = ' t="str"' if not re.fullmatch(r"-?[\d.]+", result) else ""
        sheet, count = re.subn(pattern, rf"\1{cell_type}>\2<v>{result}</v></c>", sheet)
        assert count == 1, (cell, sheet)
    members["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def fill(tmp_path: Path, text: str, data: Path, *args: str) -> tuple[Any, Path]:
    template = tmp_path / "letter.docx"
    template.write_bytes(make_docx(para(text)))
    target = tmp_path / "out.docx"
    result = runner.invoke(app, ["fill", str(template), str(data), "-o", str(target), *args])
    return result, target


# --------------------------------------------------------------------------- through the command


def test_cells_print_as_excel_shows_them_and_filters_get_the_value(tmp_path: Path) -> None:
    data = workbook(
        tmp_path / "staff.xlsx",
        [
            ["account", "rate", "salary", "fee", "levy", "start", "end", "due"],
            [123456, 0.075, 1250000, 1250000.5, 1250000.5, SEPT_22, SEPT_22, dt.date(2025, 9, 2)],
        ],
        {
            "A": "0000000000",
            "B": "0.0%",
            "C": "#,##0.00",
            "D": '"₦"#,##0.00',
            "E": "[$₦-468]#,##0.00",
            "F": "dd/mm/yyyy",
            "G": "d-mmm-yy",
            "H": "mm-dd-yy",  # openpyxl stores this as Excel's built-in format 14, the system's short date
        },
    )
    text = "<<account>>|<<rate>>|<<salary>>|<<fee>>|<<levy>>|<<start>>|<<end>>|<<due>>"
    filtered = "<<salary|money>>|<<rate|number:3>>|<<end|date:ordinal>>|<<fee|money_words>>|<<account|upper>>"
    result, target = fill(tmp_path, f"{text}#{filtered}", data)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    shown, through_filters = paragraphs(target.read_bytes())[0].split("#")
    assert shown.split("|") == [
        "0000123456",
        "7.5%",
        "1,250,000.00",
        "₦1,250,000.50",
        "₦1,250,000.50",
        "22/09/2025",
        "22-Sep-25",
        "02/09/2025",  # en_NG's short date, day first
    ]
    assert through_filters.split("|") == [
        "₦1,250,000.00",
        "0.075",
        "22nd September, 2025",
        "one million, two hundred and fifty thousand naira, fifty kobo only",
        "0000123456",  # a text filter works on the text shown
    ]


def test_cells_keep_their_display_in_worker_processes(tmp_path: Path) -> None:
    rows: list[list[Any]] = [["account", "rate", "start"]]
    rows += [[1000 + n, n / 100, SEPT_22 + dt.timedelta(days=n)] for n in range(6)]
    data = workbook(tmp_path / "staff.xlsx", rows, {"A": "0000000000", "B": "0.0%", "C": "d mmmm yyyy"})
    template = tmp_path / "letter.docx"
    template.write_bytes(make_docx(para("<<account>> <<rate>> <<start>>")))
    out = tmp_path / "letters"
    result = runner.invoke(app, ["fill", str(template), str(data), "--out-dir", str(out), "--jobs", "2"])
    assert result.exit_code == 0, result.output
    written = result.stdout.splitlines()
    assert len(written) == 6
    assert paragraphs(Path(written[-1]).read_bytes()) == ["0000001005 5.0% 27 September 2025"]


def test_a_formula_never_calculated_fails_the_run_before_anything_is_written(tmp_path: Path) -> None:
    data = workbook(
        tmp_path / "staff.xlsx",
        [
            ["name", "salary", "tax"],
            ["Ada", 1000, "=B2*0.1"],
            ["Bola", 2000, 200],
            ["Chidi", 3000, "=B4*0.1"],
        ],
    )
    save_results(data, {"C2": "100"})  # C4 stays as a script wrote it: a formula, no result
    template = tmp_path / "letter.docx"
    template.write_bytes(make_docx(para("<<name>> pays <<tax|money>>")))
    out = tmp_path / "letters"
    result = runner.invoke(app, ["fill", str(template), str(data), "--out-dir", str(out)])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert f"{data}:4: cell C4 of sheet 'Staff' has a formula with no saved result" in result.stderr
    assert "open it in Excel or LibreOffice, save it, and try again" in result.stderr
    assert not out.exists() or list(out.iterdir()) == []


def test_a_formula_never_calculated_fails_one_document_too(tmp_path: Path) -> None:
    data = workbook(tmp_path / "one.xlsx", [["name", "total"], ["Ada", "=1+1"]])
    result, target = fill(tmp_path, "<<name>> <<total>>", data)
    assert result.exit_code == 1
    assert "cell B2 of sheet 'Staff' has a formula with no saved result" in result.stderr
    assert not target.exists()


def test_formulas_with_saved_results_fill_even_an_empty_text_result(tmp_path: Path) -> None:
    data = workbook(tmp_path / "book.xlsx", [["name", "tax", "note"], ["Ada", "=1000*0.1", '=IF(1,"","x")']])
    save_results(data, {"B2": "100", "C2": ""})
    result, target = fill(tmp_path, "<<name>> <<tax|money>> [<<note>>]", data)
    assert result.exit_code == 0, result.output
    assert paragraphs(target.read_bytes()) == ["Ada ₦100.00 []"]


def test_a_format_that_cannot_be_followed_fails_its_row_unless_a_filter_reads_the_value(
    tmp_path: Path,
) -> None:
    data = workbook(tmp_path / "book.xlsx", [["name", "share"], ["Ada", 1.5]], {"B": "# ?/?"})
    result, target = fill(tmp_path, "<<name>> <<share>>", data)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "the value for 'share' has the Excel number format '# ?/?'" in result.stderr
    assert "(fractions)" in result.stderr
    assert not target.exists()
    result, target = fill(tmp_path, "<<name>> <<share|number:2>>", data, "--overwrite")
    assert result.exit_code == 0, result.output
    assert paragraphs(target.read_bytes()) == ["Ada 1.50"]


def test_general_cells_and_other_formats_are_unchanged(tmp_path: Path) -> None:
    data = tmp_path / "book.csv"
    data.write_text("account,rate\n0000123456,0.075\n", encoding="utf-8")
    result, target = fill(tmp_path, "<<account>> <<rate>>", data)
    assert result.exit_code == 0, result.output
    assert paragraphs(target.read_bytes()) == ["0000123456 0.075"]
    book = workbook(tmp_path / "book.xlsx", [["account", "rate"], [123456, 0.075]])
    result, target = fill(tmp_path, "<<account>> <<rate>>", book, "--overwrite")
    assert result.exit_code == 0, result.output
    assert paragraphs(target.read_bytes()) == ["123456 0.075"]


# --------------------------------------------------------------------------- records


def test_a_record_holds_the_value_and_shows_the_cell(tmp_path: Path) -> None:
    path = workbook(tmp_path / "b.xlsx", [["n", "d"], [7, SEPT_22]], {"A": "000", "B": "d-mmm-yy"})
    (record,) = list(open_records(path))
    number, day = record.values["n"], record.values["d"]
    assert (number, number + 1, type(raw_value(number))) == (7, 8, int)
    assert (day, type(raw_value(day))) == (SEPT_22, dt.date)
    assert (to_text(number, "n"), to_text(day, "d")) == ("007", "22-Sep-25")
    again = pickle.loads(pickle.dumps(record.values))
    assert (to_text(again["n"], "n"), to_text(again["d"], "d")) == ("007", "22-Sep-25")


# --------------------------------------------------------------------------- the formatter


@pytest.mark.parametrize(
    ("code", "value", "shown"),
    [
        ("0000000000", 123456, "0000123456"),
        ("0.0%", 0.075, "7.5%"),
        ("0.00%", 0.12345, "12.35%"),
        ("#,##0.00", 1250000, "1,250,000.00"),
        ("#,##0", 999999.5, "1,000,000"),
        ('"₦"#,##0.00', 1250000.5, "₦1,250,000.50"),
        ('"₦"#,##0.00', -5, "-₦5.00"),
        ("[$₦-468]#,##0.00", 1250000.5, "₦1,250,000.50"),
        ("[$₦-468]\\ #,##0", 12, "₦ 12"),
        ("#,##0.00;(#,##0.00)", -5, "(5.00)"),
        ("#,##0.00;[Red]-#,##0.00", -1234.5, "-1,234.50"),
        ('#,##0;-#,##0;"-"', 0, "-"),
        ('_-* #,##0.00_-;-* #,##0.00_-;_-* "-"??_-;_-@_-', 1234.5, "1,234.50"),
        ('_-* #,##0.00_-;-* #,##0.00_-;_-* "-"??_-;_-@_-', 0, "-"),
        ("0;-0;;@", 0, ""),
        ("#,##0,", 1234567, "1,235"),
        ('0.00,,"M"', 1234567, "1.23M"),
        ("0.00E+00", 12345, "1.23E+04"),
        ("0.0E+00", 99960, "1.0E+05"),
        ("##0.0E+0", 12345, "12.3E+3"),
        ("000-000-0000", 8031234567, "803-123-4567"),
        ("00,000", 1234, "01,234"),
        ("#.##", 1, "1."),
        ("0.0#", 1.25, "1.25"),
        ("0.0#", 1.5, "1.5"),
        (".00", 12.5, "12.50"),
        ("0.00", 0.125, "0.13"),
        ("0.00", 2.675, "2.68"),
        ("0", 2.5, "3"),
        ("0.00", -0.001, "-0.00"),
        ("#,###", 0, ""),
        ('"Total: "General', 5, "Total: 5"),
        ("@", 5, "5"),
        ("@", "abc", "abc"),
        ('"Mr. "@', "Ade", "Mr. Ade"),
        ("dd/mm/yyyy", SEPT_22, "22/09/2025"),
        ("d-mmm-yy", SEPT_22, "22-Sep-25"),
        ("d/m/yy", dt.date(2025, 1, 5), "5/1/25"),
        ("dddd, d mmmm yyyy", SEPT_22, "Monday, 22 September 2025"),
        ("ddd d mmm", SEPT_22, "Mon 22 Sep"),
        ("mmmmm", SEPT_22, "S"),
        ("[$-409]d-mmm-yy;@", SEPT_22, "22-Sep-25"),
        ("yyyy-mm-dd h:mm:ss", dt.datetime(2025, 10, 1, 9, 30), "2025-10-01 9:30:00"),
        ("h:mm AM/PM", dt.datetime(2025, 9, 22, 14, 5), "2:05 PM"),
        ("h:mm am/pm", dt.time(0, 5), "12:05 am"),
        ("h:mm A/P", dt.time(9, 5), "9:05 A"),
        ("hh:mm:ss", dt.time(9, 30, 59, 600000), "09:31:00"),
        ("h:mm", dt.time(9, 30, 59, 600000), "9:30"),
        ("mm:ss.00", dt.time(0, 1, 2, 345000), "01:02.35"),
        ("[h]:mm", dt.timedelta(hours=27, minutes=5), "27:05"),
        ("[mm]:ss", dt.timedelta(minutes=75, seconds=3), "75:03"),
        ("dd/mm/yyyy", 45922, "22/09/2025"),
        ("0", SEPT_22, "45922"),
    ],
)
def test_known_examples(code: str, value: Any, shown: str) -> None:
    assert number_format(code).render(value) == shown


def test_the_system_short_date_and_separators_follow_the_locale() -> None:
    short, with_time = number_format("mm-dd-yy", 14), number_format("m/d/yy h:mm", 22)
    assert short.render(dt.date(2025, 9, 2)) == "02/09/2025"
    assert short.render(dt.date(2025, 9, 2), "en_US") == "9/2/25"
    assert with_time.render(dt.datetime(2025, 9, 2, 14, 3)) == "02/09/2025 14:03"
    # Only the built-in format is the system's: the same code written out is not.
    assert number_format("mm-dd-yy", 165).render(dt.date(2025, 9, 2)) == "09-02-25"
    assert number_format("#,##0.00").render(1250000.5, "de_DE") == "1.250.000,50"
    assert number_format("d mmmm yyyy").render(dt.date(2025, 9, 2), "fr_FR") == "2 septembre 2025"
    assert number_format("[$-F800]dddd, mmmm dd, yyyy").render(SEPT_22) == "Monday, 22 September 2025"


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("# ?/?", "fractions"),
        ("[<100]0;0", "the condition [<100]"),
        ("[DBNum1]0", "[DBNum1]"),
        ("B1yyyy", "another calendar or era"),
    ],
)
def test_formats_outside_the_subset_say_so(code: str, why: str) -> None:
    assert (
        number_format(code).error
        == f"has the Excel number format {code!r}, which mytypist cannot show ({why})"
    )


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=1, max_value=14))
def test_zeros_pad_to_their_count(number: int, width: int) -> None:
    assert number_format("0" * width).render(number) == str(number).zfill(width)


@given(st.decimals(min_value=-(10**12), max_value=10**12, places=3, allow_nan=False, allow_infinity=False))
def test_thousands_and_two_decimals_round_half_up(amount: Decimal) -> None:
    value = float(amount)
    rounded = Decimal(repr(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    expected = f"{abs(rounded):,.2f}"
    shown = number_format('"₦"#,##0.00').render(value)
    assert shown == (f"-₦{expected}" if value < 0 else f"₦{expected}")
    assert number_format("#,##0.00;(#,##0.00)").render(value) == (f"({expected})" if value < 0 else expected)


@given(st.decimals(min_value=0, max_value=10, places=4, allow_nan=False, allow_infinity=False))
def test_percent_is_a_hundredth(rate: Decimal) -> None:
    value = float(rate)
    expected = (Decimal(repr(value)) * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    assert number_format("0.0%").render(value) == f"{expected}%"


@given(st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(9999, 12, 31)))
def test_date_codes_agree_with_strftime(day: dt.date) -> None:
    assert number_format("dd/mm/yyyy").render(day) == day.strftime("%d/%m/%Y")
    assert number_format("d-mmm-yy").render(day) == f"{day.day}-{day:%b}-{day:%y}"
    assert number_format("dddd, mmmm d, yyyy").render(day) == f"{day:%A, %B} {day.day}, {day.year}"
    assert number_format("mm-dd-yy", 14).render(day) == day.strftime("%d/%m/%Y")


@given(st.times())
def test_time_codes_agree_with_strftime(moment: dt.time) -> None:
    whole = dt.time(moment.hour, moment.minute)
    assert number_format("hh:mm").render(moment) == whole.strftime("%H:%M")
    twelve = f"{moment.hour % 12 or 12}:{moment.minute:02d} {'AM' if moment.hour < 12 else 'PM'}"
    assert number_format("h:mm AM/PM").render(moment) == twelve


def test_the_short_date_follows_the_template_locale_in_the_body_in_lists_and_in_names(tmp_path: Path) -> None:
    data = workbook(
        tmp_path / "due.xlsx",
        [["invoice", "due"], ["A", dt.date(2025, 9, 2)], ["A", dt.date(2025, 10, 3)]],
        {"B": "mm-dd-yy"},  # Excel's built-in short date (format 14)
    )
    body, listed = tmp_path / "body.docx", tmp_path / "list.docx"
    body.write_bytes(make_docx(para("Due <<due>>")))
    listed.write_bytes(make_docx(para("<<#rows>><<due>>; <</rows>>")))
    out = tmp_path / "out"
    us = ["--locale", "en_US", "--out-dir", str(out)]
    result = runner.invoke(
        app, ["fill", str(body), str(data), *us, "--name", "<<invoice>> <<due>>", "--limit", "1"]
    )
    assert result.exit_code == 0, result.stderr
    assert paragraphs((out / "A 9_2_25.docx").read_bytes()) == ["Due 9/2/25"]  # "/" cannot be in a name
    result = runner.invoke(
        app, ["fill", str(listed), str(data), *us, "--group-by", "invoice", "--name", "list"]
    )
    assert result.exit_code == 0, result.stderr
    assert paragraphs((out / "list.docx").read_bytes()) == ["9/2/25; 10/3/25; "]
