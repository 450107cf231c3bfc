"""Tests for mytypist_cli.library.resolve: what a template that cannot be opened says was meant."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from docx_factory import make_docx, para
from mytypist_cli import home
from mytypist_cli.errors import NotFoundError, TemplateError
from mytypist_cli.library.lookup import template_names
from mytypist_cli.library.resolve import no_such_file, open_template
from mytypist_cli.library.store import open_store


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A current folder with two Word templates, a data file and a picture."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "offer-letter.docx").write_bytes(make_docx(para("Dear <<name>>")))
    (tmp_path / "invoice.dotx").write_bytes(make_docx(para("<<total>>")))
    (tmp_path / "staff.csv").write_text("name,city\nAda,Lagos\n")
    (tmp_path / "offer-letter.png").write_bytes(b"\x89PNG")
    return tmp_path


def _library(*names: str) -> None:
    with open_store(home.db_path()) as store:
        for name in names:
            store.add_template(make_docx(para("<<a>>")), name=name, placeholders=["a"])


def test_a_mistyped_file_gets_the_closest_template_file(folder: Path) -> None:
    with pytest.raises(TemplateError) as raised:
        open_template("ofer-letter.docx")
    assert str(raised.value) == "ofer-letter.docx: no such file; did you mean offer-letter.docx?"
    with pytest.raises(TemplateError, match=r"^invoce\.dotx: no such file; did you mean invoice\.dotx\?$"):
        open_template("invoce.dotx")


def test_the_suggestion_keeps_the_folder_as_written(folder: Path) -> None:
    (folder / "letters").mkdir()
    (folder / "letters" / "Receipt.docm").write_bytes(b"x")
    with pytest.raises(TemplateError) as raised:
        open_template("letters/reciept.docm")
    assert str(raised.value) == "letters/reciept.docm: no such file; did you mean letters/Receipt.docm?"
    with pytest.raises(TemplateError) as raised:
        open_template(folder / "letters" / "receipt.docx")  # a Path: a file, never a name
    assert (
        str(raised.value)
        == f"{folder}/letters/receipt.docx: no such file; did you mean {folder}/letters/Receipt.docm?"
    )


def test_nothing_close_and_no_folder_say_only_no_such_file(folder: Path) -> None:
    with pytest.raises(TemplateError) as raised:
        open_template("quarterly-report.docx")
    assert str(raised.value) == "quarterly-report.docx: no such file"
    with pytest.raises(TemplateError) as raised:
        open_template("missing/offer-letter.docx")
    assert str(raised.value) == "missing/offer-letter.docx: no such file"


def test_a_mistyped_name_gets_the_closest_library_name(folder: Path) -> None:
    _library("receipt", "affidavit")
    with pytest.raises(NotFoundError) as raised:
        open_template("reciept")
    assert str(raised.value) == (
        f"reciept: no such file, and no template named 'reciept' in the library {home.db_path()}"
        "; did you mean receipt?"
    )
    with pytest.raises(NotFoundError, match=r"did you mean affidavit\?$"):
        open_template("afidavit@2")


def test_a_name_without_a_close_library_name_gets_a_file_and_a_file_a_name(folder: Path) -> None:
    _library("receipt")
    with pytest.raises(
        NotFoundError, match=r"no template named 'offer-leter' .*; did you mean offer-letter\.docx\?$"
    ):
        open_template("offer-leter")
    with pytest.raises(TemplateError, match=r"^reciept\.docx: no such file; did you mean receipt\?$"):
        open_template("reciept.docx")


def test_a_missing_version_of_a_stored_name_offers_nothing(folder: Path) -> None:
    _library("receipt")
    with pytest.raises(NotFoundError) as raised:
        open_template("receipt@3")
    assert (
        str(raised.value) == "receipt@3: no such file, and template 'receipt' has no version 3 (versions: 1)"
    )


def test_no_such_file_can_leave_the_library_out(folder: Path) -> None:
    _library("receipt")
    assert str(no_such_file("reciept.docx")) == "reciept.docx: no such file; did you mean receipt?"
    assert str(no_such_file("reciept.docx", library=False)) == "reciept.docx: no such file"


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("staff.csv", b"name,city\nAda,Lagos\n", "CSV"),
        ("staff.tsv", b"name\tcity\n", "CSV"),
        ("staff.json", b'[{"name": "Ada"}]', "JSON"),
        ("staff.ndjson", b'{"name": "Ada"}\n{"name": "Bo"}\n', "NDJSON"),
        ("staff.xlsx", b"PK\x03\x04 not really", "Excel"),
        ("rows", b'\xef\xbb\xbf  {"name": "Ada"}', "JSON"),
        ("rows.txt", b"name;city\nAda;Lagos\n", "CSV"),
    ],
)
def test_data_given_as_the_template_says_the_template_comes_first(
    folder: Path, name: str, content: bytes, kind: str
) -> None:
    (folder / name).write_bytes(content)
    with pytest.raises(TemplateError) as raised:
        open_template(name)
    assert (
        str(raised.value)
        == f"{name} looks like data ({kind}); the template comes first: mytypist fill TEMPLATE DATA"
    )
    with pytest.raises(TemplateError) as raised:
        open_template(name, usage=None)
    assert str(raised.value) == f"{name} looks like data ({kind}), not a Word template"


def test_an_excel_workbook_without_its_suffix_is_data(folder: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("xl/workbook.xml", "<workbook/>")
    (folder / "book").write_bytes(buffer.getvalue())
    with pytest.raises(TemplateError, match=r"^book looks like data \(Excel\); the template comes first: x$"):
        open_template("book", usage="x")


def test_other_broken_files_keep_the_engines_message(folder: Path) -> None:
    (folder / "notes.txt").write_bytes(b"just some words\n")
    with pytest.raises(TemplateError) as raised:
        open_template("notes.txt")
    assert "looks like data" not in str(raised.value)
    assert str(raised.value).startswith("notes.txt: not a Word document")


def test_a_real_template_with_a_data_suffix_still_opens(folder: Path) -> None:
    (folder / "odd.csv").write_bytes(make_docx(para("<<name>>")))
    assert open_template("odd.csv").template.names == ("name",)


def test_template_names_never_fail_and_create_nothing(tmp_path: Path) -> None:
    assert template_names(tmp_path / "none" / "mytypist.db") == []
    assert not (tmp_path / "none").exists()
    (tmp_path / "garbage.db").write_bytes(b"not sqlite")
    assert template_names(tmp_path / "garbage.db") == []
    _library("b", "a", "b")
    assert template_names(home.db_path()) == ["a", "b"]
