"""``fill --combine`` and ``--to pdf`` with a docxtpl (Jinja) template (issue 14).

The template is built here with python-docx, as docxtpl users make theirs: a
header with a variable, a ``{%tr for %}`` table row, our filters. What a user
notices: one .docx holding every record's text (rows, header) in row order,
which LibreOffice opens; a combined PDF whose pages are each record's, with
the pages in the report; one PDF per record with ``--to pdf``.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import docx
import pytest
from typer.testing import CliRunner

from mytypist_cli.cli.app import app

runner = CliRunner()
needs_libreoffice = pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdftotext") is None,
    reason="LibreOffice and poppler-utils are not installed",
)

CSV = (
    "invoice_no,client,description,amount,total\n"
    "A1,Ada & Co,pens,10,30\n"
    "A1,Ada & Co,ink,20,30\n"
    "B2,Bola <Ltd>,paper,5,5\n"
    "C3,Chidi,glue,7,7\n"
)


def _template(path: Path) -> Path:
    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = "Header for {{ invoice_no }}"
    document.add_paragraph("Invoice {{ invoice_no }} for {{ client }}")
    table = document.add_table(rows=3, cols=2)
    table.cell(0, 0).text = "{%tr for item in items %}"
    table.cell(1, 0).text = "{{ item.description }}"
    table.cell(1, 1).text = "{{ item.amount|money }}"
    table.cell(2, 0).text = "{%tr endfor %}"
    document.add_paragraph("Total {{ total|money }}")
    document.save(str(path))
    return path


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    monkeypatch.chdir(tmp_path)  # relative paths, as a user types them
    data = tmp_path / "lines.csv"
    data.write_text(CSV, encoding="utf-8")
    return _template(tmp_path / "t.docx"), data


GROUPED = ["--group-by", "invoice_no", "--list-name", "items"]


def _records(path: Path) -> list[dict[str, object]]:
    """Each record of a combined document: its paragraphs, table rows and header, in order."""
    document = docx.Document(str(path))
    body = document.element.body
    records: list[dict[str, object]] = []
    tables = iter(document.tables)
    for element in body.iterchildren():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "p":
            text = "".join(t.text or "" for t in element.iter("{*}t"))
            if text.startswith("Invoice "):
                records.append({"paragraphs": [text], "rows": []})
            elif text and records:
                records[-1]["paragraphs"].append(text)  # type: ignore[attr-defined]
        elif tag == "tbl":
            table = next(tables)
            records[-1]["rows"] = [[c.text for c in row.cells] for row in table.rows]
    headers = [section.header.paragraphs[0].text for section in document.sections]
    assert len(headers) == len(records)
    for record, header in zip(records, headers, strict=True):
        record["header"] = header
    return records


def test_combine_docx_holds_every_record_with_its_rows_and_header(files: tuple[Path, Path]) -> None:
    template, data = files
    result = runner.invoke(app, ["fill", str(template.name), data.name, *GROUPED, "--combine", "all.docx"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == ["all.docx"]
    assert "3 records" in result.stderr
    out = template.parent / "all.docx"
    assert _records(out) == [
        {
            "paragraphs": ["Invoice A1 for Ada & Co", "Total ₦30.00"],
            "rows": [["pens", "₦10.00"], ["ink", "₦20.00"]],
            "header": "Header for A1",
        },
        {
            "paragraphs": ["Invoice B2 for Bola <Ltd>", "Total ₦5.00"],
            "rows": [["paper", "₦5.00"]],
            "header": "Header for B2",
        },
        {
            "paragraphs": ["Invoice C3 for Chidi", "Total ₦7.00"],
            "rows": [["glue", "₦7.00"]],
            "header": "Header for C3",
        },
    ]
    with zipfile.ZipFile(io.BytesIO(out.read_bytes())) as package:
        assert package.testzip() is None
        text = b"".join(package.read(name) for name in package.namelist() if name.endswith(".xml"))
    assert b"{%" not in text
    assert b"{{" not in text


def test_combine_a_failed_record_is_named_and_left_out(files: tuple[Path, Path]) -> None:
    template, _ = files
    data = template.parent / "lines.json"
    data.write_text(
        json.dumps(
            [
                {"invoice_no": "A1", "client": "Ada", "items": [], "total": "0"},
                {"invoice_no": "B2", "items": [], "total": "0"},
            ]
        ),
        encoding="utf-8",
    )
    result = runner.invoke(app, ["fill", template.name, data.name, "--combine", "all.docx"])
    assert result.exit_code == 1
    assert "row 2" in result.stderr
    assert "client" in result.stderr
    assert [r["paragraphs"] for r in _records(template.parent / "all.docx")] == [
        ["Invoice A1 for Ada", "Total ₦0.00"]
    ]


def _pdf_pages(path: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True).stdout
    return [" ".join(page.decode().split()) for page in text.split(b"\f")[:-1]]


PAGES = [
    "Header for A1 Invoice A1 for Ada & Co pens ₦10.00 ink ₦20.00 Total ₦30.00",
    "Header for B2 Invoice B2 for Bola <Ltd> paper ₦5.00 Total ₦5.00",
    "Header for C3 Invoice C3 for Chidi glue ₦7.00 Total ₦7.00",
]


@pytest.mark.slow
@needs_libreoffice
def test_combined_docx_opens_in_libreoffice_page_by_record(files: tuple[Path, Path]) -> None:
    template, data = files
    assert (
        runner.invoke(app, ["fill", template.name, data.name, *GROUPED, "--combine", "all.docx"]).exit_code
        == 0
    )
    folder = template.parent / "converted"
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(folder), "all.docx"],
        capture_output=True,
        check=True,
        timeout=180,
    )
    assert _pdf_pages(folder / "all.pdf") == PAGES


@pytest.mark.slow
@needs_libreoffice
def test_combined_pdf_has_each_records_pages_in_the_report(files: tuple[Path, Path]) -> None:
    template, data = files
    result = runner.invoke(
        app, ["fill", template.name, data.name, *GROUPED, "--combine", "all.pdf", "--report", "report.json"]
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == ["all.pdf"]
    assert _pdf_pages(template.parent / "all.pdf") == PAGES
    rows = json.loads((template.parent / "report.json").read_text(encoding="utf-8"))
    assert [row["pages"] for row in rows] == ["1-1", "2-2", "3-3"]
    assert [p.name for p in template.parent.iterdir() if p.name.startswith(".~")] == []


@pytest.mark.slow
@needs_libreoffice
def test_to_pdf_makes_one_pdf_per_record(files: tuple[Path, Path]) -> None:
    template, data = files
    result = runner.invoke(
        app,
        [
            "fill",
            template.name,
            data.name,
            *GROUPED,
            "--to",
            "pdf",
            "--out-dir",
            "pdfs",
            "--name",
            "<<invoice_no>>",
        ],
    )
    assert result.exit_code == 0, result.stderr
    assert sorted(result.stdout.splitlines()) == ["pdfs/A1.pdf", "pdfs/B2.pdf", "pdfs/C3.pdf"]
    folder = template.parent / "pdfs"
    assert [_pdf_pages(folder / f"{key}.pdf") for key in ("A1", "B2", "C3")] == [[page] for page in PAGES]


def _png(path: Path, colour: tuple[int, int, int]) -> str:
    from PIL import Image

    Image.new("RGB", (40, 20), colour).save(path)
    return path.name


def _pictures_of(docx_bytes: bytes) -> dict[str, list[bytes]]:
    """The picture bytes each story part of a package shows, in order (body and each header)."""
    import posixpath

    shown: dict[str, list[bytes]] = {}
    with zipfile.ZipFile(io.BytesIO(docx_bytes)) as package:
        names = set(package.namelist())
        for name in sorted(names):
            if not re.fullmatch(r"word/[^/]*(document|header\d*)\.xml", name):
                continue
            rels_name = f"word/_rels/{posixpath.basename(name)}.rels"
            rels = package.read(rels_name).decode() if rels_name in names else ""
            targets = dict(re.findall(r'Id="([^"]+)"[^>]*Target="([^"]+)"', rels))
            embeds = re.findall(r'r:embed="([^"]+)"', package.read(name).decode())
            shown[name] = [package.read(posixpath.normpath(f"word/{targets[rid]}")) for rid in embeds]
    return shown


def test_combine_keeps_each_records_pictures_in_body_and_header(files: tuple[Path, Path]) -> None:
    """{{ photo|image("3cm") }} and a header's {{ logo|image }}: docxtpl's InlineImage, per record."""
    template, _ = files
    folder = template.parent
    red, blue, green = (
        _png(folder / f"{n}.png", c) for n, c in (("r", (255, 0, 0)), ("b", (0, 0, 255)), ("g", (0, 255, 0)))
    )
    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = "Logo {{ logo|image('1cm') }}"
    document.add_paragraph("{%p if name %}")
    document.add_paragraph("Name {{ name }}")
    document.add_paragraph("{%p endif %}")
    document.add_paragraph("Photo {{ photo|image('3cm') }}")
    document.save(str(folder / "badge.docx"))
    data = folder / "people.csv"
    data.write_text(
        f"name,photo,logo\nAda,{red},{green}\nBola,{blue},{green}\nChidi,{red},{blue}\n", encoding="utf-8"
    )
    result = runner.invoke(app, ["fill", "badge.docx", "people.csv", "--combine", "badges.docx"])
    assert result.exit_code == 0, result.stderr
    combined = (folder / "badges.docx").read_bytes()
    with zipfile.ZipFile(io.BytesIO(combined)) as package:
        assert package.testzip() is None
        names = package.namelist()
        body = package.read("word/document.xml").decode()
    assert len(names) == len(set(names))
    drawing_ids = re.findall(r'<wp:docPr id="(\d+)"', body)
    assert len(drawing_ids) == 3
    assert len(set(drawing_ids)) == 3
    pictures = _pictures_of(combined)
    colours = {(folder / n).read_bytes(): n for n in (red, blue, green)}
    assert [colours[p] for p in pictures["word/document.xml"]] == [red, blue, red]
    records = _records_headers(folder / "badges.docx")
    assert [colours[p] for p in records] == [green, green, blue]
    # each separate document has the same pictures
    for row, (photo, logo) in enumerate(((red, green), (blue, green), (red, blue)), start=1):
        result = runner.invoke(
            app,
            [
                "fill",
                "badge.docx",
                "people.csv",
                "--start-at",
                str(row),
                "--limit",
                "1",
                "-o",
                f"one{row}.docx",
            ],
        )
        assert result.exit_code == 0, result.stderr
        shown = _pictures_of((folder / f"one{row}.docx").read_bytes())
        assert [colours[p] for p in shown["word/document.xml"]] == [photo]
        assert [colours[p] for p in shown["word/header1.xml"]] == [logo]


def _records_headers(path: Path) -> list[bytes]:
    """The picture of each section's header, in section order."""
    document = docx.Document(str(path))
    out = []
    for section in document.sections:
        header = section.header
        [blip] = header._element.xpath(".//a:blip")
        rid = blip.get("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}embed")
        out.append(header.part.related_parts[rid].blob)
    return out


def test_combine_a_picture_the_template_holds_too(files: tuple[Path, Path]) -> None:
    """A value's picture that is also the template's own (python-docx shares it): right on every page."""
    template, _ = files
    folder = template.parent
    red, blue = (_png(folder / f"{n}.png", c) for n, c in (("r", (255, 0, 0)), ("b", (0, 0, 255))))
    document = docx.Document()
    document.add_picture(str(folder / red))
    document.add_paragraph("{%p if name %}")
    document.add_paragraph("{{ name }} {{ photo|image }}")
    document.add_paragraph("{%p endif %}")
    document.save(str(folder / "logo.docx"))
    (folder / "people.csv").write_text(f"name,photo\nAda,{red}\nBola,{blue}\nChidi,{red}\n", encoding="utf-8")
    result = runner.invoke(app, ["fill", "logo.docx", "people.csv", "--combine", "all.docx"])
    assert result.exit_code == 0, result.stderr
    combined = (folder / "all.docx").read_bytes()
    with zipfile.ZipFile(io.BytesIO(combined)) as package:
        names = package.namelist()
    assert len(names) == len(set(names))
    colours = {(folder / n).read_bytes(): n for n in (red, blue)}
    shown = [colours[p] for p in _pictures_of(combined)["word/document.xml"]]
    assert shown == [red, red, red, blue, red, red]  # the template's own, then the record's, per record
