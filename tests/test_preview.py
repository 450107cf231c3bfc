"""What ``preview`` draws (pdf/preview.py) and how ``mytypist preview`` passes its options on.

The page itself is drawn by LibreOffice (test_pdf.py); here the document given to
it is checked, so these tests run everywhere: the CLI tests stand in for the
drawing with a function that keeps the document.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from docx_factory import make_docx, para, text_of
from mytypist_cli.cli.app import app
from mytypist_cli.errors import DataError, OptionsError, TemplateError
from mytypist_cli.pdf import preview as preview_module
from mytypist_cli.pdf.preview import preview_document
from test_pdf import EXAMPLES

runner = CliRunner()
INVOICE = EXAMPLES / "invoice.docx"
LINES = EXAMPLES / "invoice-lines.csv"
FIRST_INVOICE = "APB/INV/2025/0311"


def test_without_data_the_template_is_drawn_as_written() -> None:
    document = preview_document(INVOICE)
    assert document == INVOICE.read_bytes()
    text = text_of(document)
    for written in ("<<#rows>><<description>>", "<</rows>>", "<<?paid>>", "PAID — thank you", "<<^paid>>"):
        assert written in text, written


def test_the_first_group_fills_the_page() -> None:
    text = text_of(preview_document(INVOICE, LINES, group_by="invoice_no"))
    assert f"Invoice No: {FIRST_INVOICE}" in text
    assert "Business cards, 350 gsm matt, boxes of 100" in text
    assert "Letterhead paper, 100 gsm, A4, reams of 500" in text  # the group's second row
    assert "Hajiya Amina" not in text  # the second invoice
    assert "PAID — thank you" in text
    assert "<<" not in text


def test_a_sheet_and_a_list_name(tmp_path: Path) -> None:
    template = tmp_path / "items.docx"
    template.write_bytes(make_docx(para("<<client_name>>: <<#items>><<qty>> × <<description>>; <</items>>")))
    text = text_of(
        preview_document(
            template,
            EXAMPLES / "invoice-lines.xlsx",
            sheet="Invoice lines",
            group_by="invoice_no",
            list_name="items",
        )
    )
    assert text.startswith("Chukwuma & Partners (Legal Practitioners): 12 × Business cards")
    with pytest.raises(DataError, match="Sheet"):
        preview_document(template, EXAMPLES / "invoice-lines.xlsx", sheet="Sheet")


def test_sets_go_on_top_of_the_data_or_alone() -> None:
    text = text_of(preview_document(INVOICE, LINES, group_by="invoice_no", sets={"client_name": "Ada Obi"}))
    assert "Ada Obi" in text
    assert "Chukwuma" not in text
    alone = text_of(preview_document(INVOICE, sets={"client_name": "Ada Obi"}))
    assert "Ada Obi" in alone
    assert "<<invoice_no>>" in alone  # what has no value shows as written


def test_the_first_row_without_grouping() -> None:
    text = text_of(preview_document(EXAMPLES / "offer-letter.docx", EXAMPLES / "staff.json"))
    assert "<<full_name>>" not in text


def test_options_that_contradict_and_bad_groups(tmp_path: Path) -> None:
    with pytest.raises(OptionsError, match="--group-by needs a DATA file"):
        preview_document(INVOICE, group_by="invoice_no")
    with pytest.raises(OptionsError, match="--list-name"):
        preview_document(INVOICE, LINES, list_name="items")
    with pytest.raises(DataError, match=r"no column 'invoice' to group by \(did you mean `invoice_no`\?\)"):
        preview_document(INVOICE, LINES, group_by="invoice")
    empty = tmp_path / "empty.csv"
    empty.write_text("invoice_no,total\n")
    with pytest.raises(DataError, match="no rows"):
        preview_document(INVOICE, empty, group_by="invoice_no")
    with pytest.raises(DataError, match="no rows"):
        preview_document(INVOICE, empty)


def test_data_given_first_says_the_template_comes_first() -> None:
    with pytest.raises(TemplateError) as raised:
        preview_document(LINES, INVOICE)
    assert str(raised.value) == (
        f"{LINES} looks like data (CSV); the template comes first: mytypist preview TEMPLATE DATA -o PAGE.png"
    )


# -- the command ------------------------------------------------------------------------------


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """The documents ``mytypist preview`` would draw; a stand-in writes a fake PNG instead."""
    documents: list[bytes] = []
    monkeypatch.setenv("MYTYPIST_SOFFICE", "/bin/false")

    def draw(document: bytes, output: Path, **_options: object) -> Path:
        documents.append(document)
        Path(output).write_bytes(b"\x89PNG fake")
        return Path(output)

    monkeypatch.setattr(preview_module, "render_preview_png", draw)
    return documents


def test_preview_passes_data_sheet_group_and_sets_on(tmp_path: Path, drawn: list[bytes]) -> None:
    png = tmp_path / "page.png"
    args = ["preview", str(INVOICE), str(LINES), "--group-by", "invoice_no", "-o", str(png)]
    result = runner.invoke(app, [*args, "--set", "client_name=Ada Obi", "--set", "total=1"])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{png}\n"
    assert result.stderr == ""
    text = text_of(drawn[-1])
    assert "Ada Obi" in text
    assert "₦1.00" in text
    assert "Business cards" in text

    result = runner.invoke(app, ["preview", str(INVOICE), "-o", str(png), "--overwrite"])
    assert result.exit_code == 0, result.output
    assert drawn[-1] == INVOICE.read_bytes()


def test_preview_reads_standard_input(
    tmp_path: Path, drawn: list[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(EXAMPLES)  # pictures named in data from standard input: from the current folder
    png = tmp_path / "page.png"
    result = runner.invoke(
        app,
        ["preview", str(INVOICE), "-", "--group-by", "invoice_no", "-o", str(png)],
        input=LINES.read_bytes(),
    )
    assert result.exit_code == 0, result.output
    assert f"Invoice No: {FIRST_INVOICE}" in text_of(drawn[-1])


def test_preview_usage_errors(tmp_path: Path, drawn: list[bytes]) -> None:
    png = str(tmp_path / "page.png")
    result = runner.invoke(app, ["preview", str(INVOICE), "--group-by", "invoice_no", "-o", png])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "--group-by needs a DATA file" in result.stderr
    result = runner.invoke(app, ["preview", str(INVOICE), "--set", "oops", "-o", png])
    assert result.exit_code == 2
    assert "expected key=value, not 'oops'" in result.stderr
    result = runner.invoke(app, ["preview", str(LINES), str(INVOICE), "-o", png])
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {LINES} looks like data (CSV); the template comes first: mytypist preview TEMPLATE DATA -o PAGE.png\n"
    )
    assert drawn == []
    assert not Path(png).exists()


MERGE_AND_ANGLES = make_docx(
    '<w:p><w:fldSimple w:instr=" MERGEFIELD name "><w:r><w:t>«name»</w:t></w:r></w:fldSimple></w:p>'
    + para("Also <<name>>")
)


@pytest.mark.parametrize(
    ("syntax", "shown"),
    [("mergefield", "Ada\nAlso <<name>>"), ("mytypist", "«name»\nAlso Ada")],
)
def test_preview_syntax_chooses_merge_fields_or_placeholders(
    tmp_path: Path, drawn: list[bytes], syntax: str, shown: str
) -> None:
    template = tmp_path / "letter.docx"
    template.write_bytes(MERGE_AND_ANGLES)
    png = tmp_path / "page.png"
    result = runner.invoke(
        app, ["preview", str(template), "--set", "name=Ada", "--syntax", syntax, "-o", str(png)]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{png}\n"
    assert result.stderr == ""
    assert text_of(drawn[-1]) == shown


def test_preview_without_syntax_refuses_a_template_with_two(tmp_path: Path, drawn: list[bytes]) -> None:
    template = tmp_path / "letter.docx"
    template.write_bytes(MERGE_AND_ANGLES)
    png = tmp_path / "page.png"
    result = runner.invoke(app, ["preview", str(template), "--set", "name=Ada", "-o", str(png)])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"error: {template}: the template has both Word merge fields")
    assert "(<<name>>)" in result.stderr
    assert result.stderr.endswith("(--syntax mergefield or --syntax mytypist)\n")
    assert drawn == []
    assert not png.exists()


def test_preview_syntax_jinja_renders_braces_with_docxtpl(
    tmp_path: Path, drawn: list[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    template = tmp_path / "note.docx"
    template.write_bytes(make_docx(para("Dear {{ client|upper }} & co")))
    png = tmp_path / "page.png"
    args = ["preview", str(template), "--set", "client=Ada", "-o", str(png), "--overwrite"]
    result = runner.invoke(app, args)  # no {% %}: our engine, whose << >> leave {{ }} as written
    assert result.exit_code == 0, result.output
    assert text_of(drawn[-1]) == "Dear {{ client|upper }} & co"
    result = runner.invoke(app, [*args, "--syntax", "jinja"])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{png}\n"
    assert result.stderr == ""
    assert text_of(drawn[-1]) == "Dear ADA & co"
    monkeypatch.setenv("MYTYPIST_SYNTAX", "jinja")
    assert runner.invoke(app, args).exit_code == 0
    assert text_of(drawn[-1]) == "Dear ADA & co"
    result = runner.invoke(app, [*args, "--syntax", "liquid"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "--syntax" in result.stderr
