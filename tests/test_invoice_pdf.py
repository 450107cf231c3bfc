"""The invoice example end to end: line items grouped from flat CSV, a repeated table row,
a conditional paragraph and a signature picture in the footer.

``mytypist fill examples/invoice.docx examples/invoice-lines.csv --group-by invoice_no``
runs through the CLI; the documents are checked in their XML (fast, everywhere) and,
where LibreOffice and poppler-utils are installed, converted to PDF and read back with
pdftotext. The expected values come from the CSV, read here with the csv module, not
from the engine.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import unicodedata
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from typer.testing import CliRunner

from conftest import REPO
from mytypist_cli.cli.app import app
from rich_helpers import to_pdf

runner = CliRunner()
EXAMPLES = REPO / "examples"
TEMPLATE = EXAMPLES / "invoice.docx"
LINES = EXAMPLES / "invoice-lines.csv"

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS = {
    "w": W,
    "r": R,
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "pic": "http://schemas.openxmlformats.org/drawingml/2006/picture",
}

PAID = "PAID — thank you"
BANK = ["Bank: Zenith Bank Plc", "Account number: 1014 552 873"]

_MISSING = [name for name in ("soffice", "pdftotext") if shutil.which(name) is None]
needs_libreoffice = pytest.mark.skipif(
    bool(_MISSING),
    reason=f"{' and '.join(_MISSING)} not installed: apt-get install libreoffice-writer-nogui poppler-utils",
)


def _invoices() -> list[tuple[str, list[dict[str, str]]]]:
    """The CSV's rows grouped by invoice_no, in order of first appearance (as --group-by numbers them)."""
    groups: dict[str, list[dict[str, str]]] = {}
    with LINES.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            groups.setdefault(row["invoice_no"], []).append(row)
    return list(groups.items())


def _fill(out: Path) -> list[Path]:
    result = runner.invoke(
        app,
        ["fill", str(TEMPLATE), str(LINES), "--group-by", "invoice_no", "--out-dir", str(out), "--jobs", "1"],
    )
    assert result.exit_code == 0, result.output
    paths = [Path(line) for line in result.stdout.splitlines()]
    assert paths == [out / f"invoice-{n:04d}.docx" for n in range(1, len(_invoices()) + 1)]
    assert result.stderr.startswith(f"wrote {len(paths)} documents to ")
    return paths


def _part(docx: Path, name: str) -> etree._Element:
    with zipfile.ZipFile(docx) as package:
        return etree.fromstring(package.read(name))


def _cell_text(cell: etree._Element) -> str:
    return "".join(cell.xpath(".//w:t/text()", namespaces=NS))


# -- fast: the filled documents' XML ----------------------------------------------------


def test_the_invoices_data_is_unsorted_and_has_several_invoices() -> None:
    invoices = _invoices()
    assert len(invoices) >= 3
    with LINES.open(encoding="utf-8", newline="") as handle:
        keys = [row["invoice_no"] for row in csv.DictReader(handle)]
    assert keys != sorted(keys)  # interleaved: --group-by must not rely on sorted input


def test_one_table_row_per_line_item_plus_header_and_totals(tmp_path: Path) -> None:
    template_rows = _part(TEMPLATE, "word/document.xml").xpath("//w:tbl/w:tr", namespaces=NS)
    assert len(template_rows) == 3  # header, the repeating template row, totals
    for path, (number, rows) in zip(_fill(tmp_path / "out"), _invoices(), strict=True):
        body = _part(path, "word/document.xml")
        (table,) = body.xpath("//w:tbl", namespaces=NS)
        table_rows = table.xpath("./w:tr", namespaces=NS)
        assert len(table_rows) == len(rows) + 2, number
        cells = [[_cell_text(c) for c in tr.xpath("./w:tc", namespaces=NS)] for tr in table_rows]
        assert cells[0] == ["Description", "Qty", "Unit price", "Amount"]
        assert [line[0] for line in cells[1:-1]] == [row["description"] for row in rows]
        assert [line[1] for line in cells[1:-1]] == [row["qty"] for row in rows]
        assert cells[-1][-2:] == ["Total", _naira(rows[0]["total"])]
        text = "".join(body.xpath("//w:t/text()", namespaces=NS))
        assert "<<" not in text
        assert ">>" not in text
        assert (PAID in text) == (rows[0]["paid"] == "yes"), number
        assert all((line in text) == (rows[0]["paid"] == "no") for line in BANK), number


def test_the_footer_has_one_picture_the_signature(tmp_path: Path) -> None:
    for path in _fill(tmp_path / "out"):
        with zipfile.ZipFile(path) as package:
            names = package.namelist()
            footers = [n for n in names if n.startswith("word/footer") and n.endswith(".xml")]
            assert footers == ["word/footer1.xml"]
            footer = etree.fromstring(package.read("word/footer1.xml"))
            blips = footer.xpath("//w:drawing//pic:pic//a:blip/@r:embed", namespaces=NS)
            assert len(blips) == 1
            assert len(footer.xpath("//w:drawing", namespaces=NS)) == 1
            rels = etree.fromstring(package.read("word/_rels/footer1.xml.rels"))
            (target,) = [rel.get("Target") for rel in rels if rel.get("Id") == blips[0]]
            picture = package.read(f"word/{target}")
            body = etree.fromstring(package.read("word/document.xml"))
            assert not body.xpath("//w:drawing", namespaces=NS)
        assert picture == (EXAMPLES / "signature.png").read_bytes()
        assert "Authorised signatory" in "".join(footer.xpath("//w:t/text()", namespaces=NS))


def _naira(amount: str) -> str:
    """₦ and thousands separators with two decimals, as the money filter writes en_NG."""
    return f"₦{float(amount):,.2f}"


# -- with LibreOffice -------------------------------------------------------------------


def _pdf_text(pdf: Path) -> str:
    completed = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    return unicodedata.normalize("NFC", completed.stdout)


def _squeezed(text: str) -> str:
    """Text without whitespace, so a line wrapped in the PDF still matches."""
    return "".join(text.split())


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The unfilled template, the first (paid) and second (unpaid) invoice, as PDFs."""
    if _MISSING:
        pytest.skip(f"{' and '.join(_MISSING)} not installed")
    work = tmp_path_factory.mktemp("invoice-pdf")
    filled = _fill(work / "filled")
    documents = {"blank": TEMPLATE, "paid": filled[0], "unpaid": filled[1]}
    # Each in LibreOffice's own profile: never clashes with a running LibreOffice.
    return to_pdf({name: path.read_bytes() for name, path in documents.items()}, work)


@needs_libreoffice
@pytest.mark.parametrize(("which", "number"), [("paid", 0), ("unpaid", 1)])
def test_the_filled_invoice_reads_right_in_pdf(converted: dict[str, Path], which: str, number: int) -> None:
    invoice_no, rows = _invoices()[number]
    assert rows[0]["paid"] == ("yes" if which == "paid" else "no")  # the example data's design
    text = _pdf_text(converted[which])
    flat = _squeezed(text)
    assert _squeezed(invoice_no) in flat
    for row in rows:
        for value in (row["description"], _naira(row["unit_price"]), _naira(row["amount"])):
            assert _squeezed(value) in flat, value
    assert _squeezed(_naira(rows[0]["total"])) in flat
    assert "<<" not in text
    assert ">>" not in text
    assert "Authorised signatory" in text
    if which == "paid":
        assert _squeezed("four hundred and eight thousand naira only") in flat
        assert _squeezed(PAID) in flat
        assert not any(_squeezed(line) in flat for line in BANK)
    else:
        words = "seven hundred and thirty thousand, two hundred and fifty-seven naira, fifty kobo only"
        assert _squeezed(words) in flat
        assert _squeezed(PAID) not in flat
        assert all(_squeezed(line) in flat for line in BANK)


@needs_libreoffice
def test_the_filled_invoices_keep_the_templates_page_count(converted: dict[str, Path]) -> None:
    # pdftotext ends every page with a form feed.
    pages = {name: _pdf_text(pdf).count("\f") for name, pdf in converted.items()}
    assert pages["blank"] >= 1
    assert pages["paid"] == pages["unpaid"] == pages["blank"], pages
