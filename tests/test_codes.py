"""``<<ref|qrcode:3cm:H>>`` and ``<<sku|barcode:ean13:4cm>>``: codes drawn from values, read back by zxing-cpp."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from typer.testing import CliRunner

from docx_factory import make_docx, member, para
from mytypist_cli.cli.app import app
from mytypist_cli.engine.template import Template
from mytypist_cli.errors import MissingFieldsError, RenderError, TemplateSyntaxError
from rich_helpers import needs_libreoffice, pdf_png, to_pdf

zxingcpp = pytest.importorskip("zxingcpp")
runner = CliRunner()
EMU_CM = 360000
VERIFY = "https://verify.example.ng/receipt/RCP-2025-0042?k=9f3a"


def media(docx: bytes) -> list[bytes]:
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        return [archive.read(n) for n in archive.namelist() if n.startswith("word/media/")]


def decoded(png: bytes) -> list[Any]:
    return list(zxingcpp.read_barcodes(Image.open(io.BytesIO(png))))


def extents(xml: bytes) -> list[tuple[int, int]]:
    return [(int(cx), int(cy)) for cx, cy in re.findall(rb'<wp:extent cx="(\d+)" cy="(\d+)"', xml)]


def test_a_qr_code_is_a_square_picture_of_the_given_width_that_reads_back() -> None:
    template = Template.open(make_docx(para("Verify: <<ref|qrcode:3cm>>")))
    assert [(p.name, p.kind) for p in template.placeholders] == [("ref", "image")]
    data = template.render({"ref": VERIFY})
    assert extents(member(data, "word/document.xml")) == [(3 * EMU_CM, 3 * EMU_CM)]
    (png,) = media(data)
    (found,) = decoded(png)
    assert (found.text, found.ec_level) == (VERIFY, "M")
    with Image.open(io.BytesIO(png)) as image:
        assert image.width >= 300  # crisp at print resolution: 3 cm at 300 dpi is 354 pixels
        assert round(image.info["dpi"][0]) == 300
    assert b'descr="QR code: https://verify.example.ng/' in member(data, "word/document.xml")


@pytest.mark.parametrize("level", ["L", "M", "Q", "H"])
def test_the_error_correction_level_is_the_templates(level: str) -> None:
    data = Template.open(make_docx(para(f"<<ref|qrcode:2.5cm:{level}>>"))).render({"ref": "RCP-42"})
    (found,) = decoded(media(data)[0])
    assert (found.text, found.ec_level) == ("RCP-42", level)


@pytest.mark.parametrize(
    ("kind", "value", "expected", "symbology"),
    [
        ("code128", "INV-2025/007 a", "INV-2025/007 a", "Code128"),
        ("ean13", "5901234123457", "5901234123457", "EAN13"),
        ("ean13", 590123412345, "5901234123457", "EAN13"),  # 12 digits: the check digit is added
        ("code39", "ABC-123", "ABC-123", "Code39"),
    ],
)
def test_barcodes_read_back_as_their_values(kind: str, value: Any, expected: str, symbology: str) -> None:
    data = Template.open(make_docx(para(f"<<sku|barcode:{kind}:5cm>>"))).render({"sku": value})
    ((width, height),) = extents(member(data, "word/document.xml"))
    assert width == 5 * EMU_CM
    assert 0 < height < width
    (found,) = decoded(media(data)[0])
    assert found.text == expected
    assert found.format.name == symbology


def test_codes_in_a_table_cell_a_header_and_a_footer_each_with_their_parts_relationship() -> None:
    cell = f"<w:tbl><w:tr><w:tc>{para('<<a|qrcode:2cm>>')}</w:tc></w:tr></w:tbl>"
    docx = make_docx(
        cell + para("body"),
        headers={"header1.xml": para("<<b|barcode:code128:4cm>>")},
        footers={"footer1.xml": para("<<a|qrcode:1cm>>")},
    )
    data = Template.open(docx).render({"a": "A-1", "b": "B-2"})
    for part in ("document", "header1", "footer1"):
        xml = member(data, f"word/{part}.xml").decode()
        rid = re.search(r'r:embed="([^"]+)"', xml)
        assert rid is not None, part
        assert f'Id="{rid.group(1)}"' in member(data, f"word/_rels/{part}.xml.rels").decode()
    assert sorted(found.text for png in media(data) for found in decoded(png)) == ["A-1", "B-2"]


def test_a_code_repeated_for_the_same_value_is_stored_once_and_items_get_their_own() -> None:
    docx = make_docx(
        para("<<ref|qrcode:2cm>> <<ref|qrcode:2cm>>") + para("<<#items>><<.|barcode:code39:3cm>><</items>>")
    )
    data = Template.open(docx).render({"ref": "R1", "items": ["A1", "B2", "A1"]})
    assert len(extents(member(data, "word/document.xml"))) == 5
    assert sorted(found.text for png in media(data) for found in decoded(png)) == ["A1", "B2", "R1"]


@pytest.mark.parametrize(
    ("filters", "value", "message"),
    [
        ("barcode:ean13", "59012341234A", "digits only"),
        ("barcode:ean13", "5901234123458", "wrong EAN-13 check digit .*end in 7"),
        ("barcode:ean13", "123", "12 digits"),
        ("barcode:code39", "abc-1", "capital letters only"),
        ("barcode:code128", "naïve", "not plain ASCII"),
        ("qrcode:3cm:H", "x" * 5000, "too many for a QR code"),
        ("qrcode", ["a"], "needs text or a number"),
    ],
)
def test_a_value_the_code_cannot_hold_fails_the_row_naming_the_field(
    filters: str, value: Any, message: str
) -> None:
    template = Template.open(make_docx(para(f"<<sku|{filters}>>")))
    with pytest.raises(RenderError, match=rf"<<sku\|{re.escape(filters)}>>: .*{message}"):
        template.render({"sku": value})


def test_a_missing_or_blank_value() -> None:
    template = Template.open(make_docx(para("<<sku|barcode:code128:4cm>>")))
    with pytest.raises(MissingFieldsError, match="sku"):
        template.render({})
    filled = template.fill({"sku": ""})
    assert filled.blank == ("sku",)
    assert media(filled.data) == []


@pytest.mark.parametrize(
    ("tag", "message"),
    [
        ("<<x|barcode>>", "needs its kind first"),
        ("<<x|barcode:qr:3cm>>", "needs its kind first"),
        ("<<x|barcode:ean13:4cm:9>>", "a kind and a size"),
        ("<<x|qrcode:3cm:Z>>", "error-correction level"),
        ("<<x|qrcode:3cmx2cm>>", "square"),
        ("<<x|qrcode:big>>", "should look like 4cm"),
        ("<<x|upper|qrcode>>", "stands alone"),
    ],
)
def test_a_badly_written_code_fails_when_the_template_opens(tag: str, message: str) -> None:
    with pytest.raises(TemplateSyntaxError, match=message):
        Template.open(make_docx(para(tag)))


def test_cli_a_bad_barcode_fails_its_row_and_the_others_are_written(tmp_path: Path) -> None:
    template = tmp_path / "label.docx"
    template.write_bytes(make_docx(para("<<name>> <<ean|barcode:ean13:4cm>>")))
    rows = tmp_path / "rows.json"
    rows.write_text(
        json.dumps(
            [
                {"name": "a", "ean": "5901234123457"},
                {"name": "b", "ean": "5901234123458"},
                {"name": "c", "ean": "4006381333931"},
            ]
        )
    )
    out = tmp_path / "o"
    result = runner.invoke(app, ["fill", str(template), str(rows), "--out-dir", str(out), "--jobs", "1"])
    assert result.exit_code == 1, result.output
    assert result.stdout.splitlines() == [str(out / "label-0001.docx"), str(out / "label-0003.docx")]
    failed = [line for line in result.stderr.splitlines() if line.startswith("row 2:")]
    assert failed
    assert "<<ean|barcode:ean13:4cm>>" in failed[0]
    assert "check digit" in failed[0]


@needs_libreoffice
@pytest.mark.slow
def test_every_code_reads_back_from_the_page_libreoffice_renders(tmp_path: Path) -> None:
    docx = make_docx(
        para("Receipt <<ref|qrcode:3cm:H>>")
        + para("<<inv|barcode:code128:6cm>>")
        + para("<<ean|barcode:ean13:4cm>>")
        + para("<<box|barcode:code39:5cm>>")
    )
    values = {"ref": VERIFY, "inv": "INV-2025/007", "ean": "4006381333931", "box": "BOX-17"}
    data = Template.open(docx).render(values)
    (page,) = pdf_png(to_pdf({"codes": data}, tmp_path)["codes"], dpi=300)
    found = {result.format.name: result.text for result in zxingcpp.read_barcodes(Image.open(page))}
    assert found == {
        "QRCode": VERIFY,
        "Code128": "INV-2025/007",
        "EAN13": "4006381333931",
        "Code39": "BOX-17",
    }
