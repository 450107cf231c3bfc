"""Template.render_combined / Template.combined: one .docx holding every record (issue 13)."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from docx_factory import add_parts, make_docx, p, r
from mytypist_cli.engine.combine import BOOKMARK_PREFIX, END_BOOKMARK_PREFIX
from mytypist_cli.engine.template import Template
from mytypist_cli.errors import MissingFieldsError

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks" / "fixtures" / "bench-template.docx"
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS = {"w": W, "r": R}


def _rows(count: int) -> list[dict[str, str]]:
    with (ROOT / "benchmarks" / "fixtures" / "bench-rows.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [rows[i % len(rows)] | {"client_name": f"Client {i}"} for i in range(count)]


def _xml(data: bytes, name: str) -> etree._Element:
    return etree.fromstring(zipfile.ZipFile(io.BytesIO(data)).read(name))


def test_each_record_has_its_own_section_page_numbers_and_bookmarks() -> None:
    template = Template.open(BENCH)
    data = template.render_combined(_rows(3))
    assert zipfile.ZipFile(io.BytesIO(data)).testzip() is None
    root = _xml(data, "word/document.xml")
    sections = root.findall(".//w:sectPr", NS)
    assert len(sections) == 3
    for section in sections:
        assert section.find("w:type", NS).get(f"{{{W}}}val") == "nextPage"
        assert section.find("w:pgNumType", NS).get(f"{{{W}}}start") == "1"
    names = [b.get(f"{{{W}}}name") for b in root.iter(f"{{{W}}}bookmarkStart")]
    for index in range(3):
        assert f"{BOOKMARK_PREFIX}{index}" in names
        assert f"{END_BOOKMARK_PREFIX}{index}" in names
    assert len(names) == len(set(names))
    ids = [b.get(f"{{{W}}}id") for b in root.iter(f"{{{W}}}bookmarkStart")]
    assert len(ids) == len(set(ids))


def test_headers_are_per_record_and_numpages_counts_the_record() -> None:
    template = Template.open(BENCH)
    data = template.render_combined(_rows(3))
    package = zipfile.ZipFile(io.BytesIO(data))
    root = _xml(data, "word/document.xml")
    rels = {e.get("Id"): e.get("Target") for e in _xml(data, "word/_rels/document.xml.rels")}
    footers = []
    for section in root.findall(".//w:sectPr", NS):
        ref = section.find("w:footerReference", NS)
        footers.append("word/" + rels[ref.get(f"{{{R}}}id")])
    assert len(set(footers)) == 3
    types = package.read("[Content_Types].xml").decode()
    for index, footer in enumerate(footers):
        text = package.read(footer).decode()
        assert "NUMPAGES" not in text
        assert f"PAGEREF {END_BOOKMARK_PREFIX}{index}" in text
        assert "/" + footer in types or footer == "word/footer1.xml"


def test_a_failing_record_leaves_the_document_valid_without_it() -> None:
    template = Template.open(BENCH)
    buffer = io.BytesIO()
    rows = _rows(2)
    with template.combined(buffer) as document:
        assert document.add(rows[0]) == 0
        with pytest.raises(MissingFieldsError):
            document.add({})
        assert document.add(rows[1]) == 1
    root = _xml(buffer.getvalue(), "word/document.xml")
    assert len(root.findall(".//w:sectPr", NS)) == 2


_PEAK_OF_A_COMBINED_RUN = """
import csv, sys
from mytypist_cli import Template

def status(key):
    with open("/proc/self/status") as handle:
        return next(int(line.split()[1]) * 1024 for line in handle if line.startswith(key + ":"))

template_path, rows_path, out_path, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
template = Template.open(template_path)
with open(rows_path, newline="", encoding="utf-8") as handle:
    row = next(csv.DictReader(handle))
before = status("VmRSS")
with open(out_path, "wb") as out, template.combined(out) as document:
    for i in range(count):
        document.add(row | {"client_name": f"Client {i}"})
print(status("VmHWM") - before)
"""


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the peak from /proc")
def test_memory_stays_flat_in_the_number_of_records(tmp_path: Path) -> None:
    # The process's own peak (lxml's memory included) while a fresh process writes the records,
    # measured without tracemalloc, which made the 10,000 records take four minutes instead of 45 s.
    # Here both grow by about 5.5 MB over the opened template.
    def peak(count: int) -> int:
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                _PEAK_OF_A_COMBINED_RUN,
                str(BENCH),
                str(ROOT / "benchmarks" / "fixtures" / "bench-rows.csv"),
                str(tmp_path / f"{count}.docx"),
                str(count),
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=900,
        )
        return int(done.stdout)

    small = peak(100)
    large = peak(10_000)
    assert large <= 2 * small, (
        f"10,000 records peaked {large:,} bytes over the template, 100 records {small:,}"
    )
    assert zipfile.ZipFile(tmp_path / "10000.docx").testzip() is None


_NUMBERING = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    f'<w:numbering xmlns:w="{W}"><w:abstractNum w:abstractNumId="0"><w:lvl w:ilvl="0"><w:start w:val="1"/>'
    '<w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/></w:lvl></w:abstractNum>'
    '<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num></w:numbering>'
)


def _numbered_template() -> Template:
    item = '<w:pPr><w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr></w:pPr>'
    body = (
        p(r("Dear <<name>>")) + '<w:p><w:bookmarkStart w:id="0" w:name="terms"/><w:r><w:t>Terms</w:t></w:r>'
        '<w:bookmarkEnd w:id="0"/></w:p>'
        + p(r("first"), ppr=item)
        + p(r("second"), ppr=item)
        + p(r("See "), '<w:fldSimple w:instr=" PAGEREF terms \\h "><w:r><w:t>1</w:t></w:r></w:fldSimple>')
    )
    docx = add_parts(
        make_docx(body),
        {"word/numbering.xml": _NUMBERING},
        types={
            "word/numbering.xml": "application/vnd.openxmlformats-officedocument.wordprocessingml.numbering+xml"
        },
        rels={
            "word/document.xml": [
                (
                    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/numbering",
                    "numbering.xml",
                )
            ]
        },
    )
    return Template.open(docx)


def test_lists_restart_and_bookmarks_are_unique_in_every_record() -> None:
    data = _numbered_template().render_combined([{"name": "Ada"}, {"name": "Bo"}, {"name": "Cy"}])
    root = _xml(data, "word/document.xml")
    numbering = _xml(data, "word/numbering.xml")
    used = [e.get(f"{{{W}}}val") for e in root.iterfind(".//w:numPr/w:numId", NS)]
    assert len(used) == 6
    assert len({used[0], used[2], used[4]}) == 3  # a list of its own per record
    assert used[0] == used[1]
    assert used[2] == used[3]
    nums = {n.get(f"{{{W}}}numId"): n for n in numbering.iterfind("w:num", NS)}
    for num_id in used[2:]:
        num = nums[num_id]
        assert num.find("w:abstractNumId", NS).get(f"{{{W}}}val") == "0"
        start = num.find("w:lvlOverride[@w:ilvl='0']/w:startOverride", NS)
        assert start is not None
        assert start.get(f"{{{W}}}val") == "1"
    names = [b.get(f"{{{W}}}name") for b in root.iter(f"{{{W}}}bookmarkStart")]
    assert len(names) == len(set(names))
    instructions = [f.get(f"{{{W}}}instr") for f in root.iter(f"{{{W}}}fldSimple")]
    targets = {i.split()[1] for i in instructions}
    assert len(targets) == 3
    assert targets <= set(names)


def test_footnotes_and_comments_get_ids_and_values_of_their_own() -> None:
    body = p(
        r("Dear <<name>>"),
        '<w:r><w:footnoteReference w:id="1"/></w:r>',
        '<w:commentRangeStart w:id="0"/><w:r><w:t>x</w:t></w:r><w:commentRangeEnd w:id="0"/>'
        '<w:r><w:commentReference w:id="0"/></w:r>',
    )
    template = Template.open(
        make_docx(
            body,
            footnotes='<w:footnote w:type="separator" w:id="-1"><w:p/></w:footnote>'
            '<w:footnote w:id="1"><w:p><w:r><w:t>Note for &lt;&lt;name&gt;&gt;</w:t></w:r></w:p></w:footnote>',
            comments='<w:comment w:id="0" w:author="A"><w:p><w:r><w:t>About &lt;&lt;name&gt;&gt;</w:t></w:r>'
            "</w:p></w:comment>",
        )
    )
    data = template.render_combined([{"name": "Ada"}, {"name": "Bo"}])
    root = _xml(data, "word/document.xml")
    references = [e.get(f"{{{W}}}id") for e in root.iter(f"{{{W}}}footnoteReference")]
    assert len(set(references)) == 2
    footnotes = _xml(data, "word/footnotes.xml")
    texts = {n.get(f"{{{W}}}id"): "".join(n.itertext()) for n in footnotes.iterfind("w:footnote", NS)}
    assert texts[references[0]] == "Note for Ada"
    assert texts[references[1]] == "Note for Bo"
    comments = _xml(data, "word/comments.xml")
    said = {c.get(f"{{{W}}}id"): "".join(c.itertext()) for c in comments.iterfind("w:comment", NS)}
    marks = [e.get(f"{{{W}}}id") for e in root.iter(f"{{{W}}}commentReference")]
    assert [said[m] for m in marks] == ["About Ada", "About Bo"]


def test_a_first_section_without_a_header_does_not_show_the_previous_records() -> None:
    body = (
        p(r("Cover for <<name>>"), ppr="<w:pPr><w:sectPr/></w:pPr>")
        + p(r("Letter"))
        + '<w:sectPr><w:headerReference w:type="default" r:id="rId1"/></w:sectPr>'
    )
    template = Template.open(make_docx(body, headers={"header1.xml": p(r("Head <<name>>"))}))
    data = template.render_combined([{"name": "Ada"}, {"name": "Bo"}])
    root = _xml(data, "word/document.xml")
    rels = {e.get("Id"): e.get("Target") for e in _xml(data, "word/_rels/document.xml.rels")}
    sections = root.findall(".//w:sectPr", NS)
    assert len(sections) == 4
    first_of_second = sections[2].find("w:headerReference", NS)
    assert first_of_second is not None
    empty = "word/" + rels[first_of_second.get(f"{{{R}}}id")]
    assert "".join(_xml(data, empty).itertext()) == ""
    assert sections[0].find("w:headerReference", NS) is None
    heads = [
        "".join(_xml(data, "word/" + rels[s.find("w:headerReference", NS).get(f"{{{R}}}id")]).itertext())
        for s in (sections[1], sections[3])
    ]
    assert heads == ["Head Ada", "Head Bo"]


def test_page_exact_problems_names_what_counts_the_whole_document() -> None:
    from mytypist_cli.engine.combine import page_exact_problems

    assert page_exact_problems(Template.open(BENCH)) == ()
    toc = p('<w:fldSimple w:instr=" TOC \\o &quot;1-3&quot; "><w:r><w:t>x</w:t></w:r></w:fldSimple>')
    problems = page_exact_problems(Template.open(make_docx(toc + p(r("<<name>>")))))
    assert problems == ("a table of contents (TOC) counts the pages of the whole document",)


def test_a_picture_every_record_uses_is_stored_once() -> None:
    import json

    examples = ROOT / "examples"
    records = json.loads((examples / "invoices.json").read_text(encoding="utf-8"))[:3]
    assert all(record.get("signature") == "signature.png" for record in records)
    data = Template.open(examples / "invoice.docx").render_combined(records, image_dir=examples)
    package = zipfile.ZipFile(io.BytesIO(data))
    media = [name for name in package.namelist() if name.startswith("word/media/")]
    signature = (examples / "signature.png").read_bytes()
    assert [package.read(name) for name in media].count(signature) == 1
    assert len(media) == len(set(media)) == 1 + len(records)  # and each invoice number's QR code
    stories = [name for name in package.namelist() if name.endswith(".xml") and "/_rels/" not in name]
    roots = [_xml(data, name) for name in stories if name.startswith("word/")]
    embeds = {e.get(f"{{{R}}}embed") for root in roots for e in root.iter()}
    embeds.discard(None)
    assert embeds
    drawing_ids = [
        e.get("id")
        for root in roots
        for e in root.iter("{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}docPr")
    ]
    assert len(drawing_ids) >= 3
    assert len(set(drawing_ids)) == len(drawing_ids)


_HEADING_NUMBERING = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    f'<w:numbering xmlns:w="{W}">'
    '<w:abstractNum w:abstractNumId="0"><w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/>'
    '<w:lvlText w:val="%1)"/></w:lvl></w:abstractNum>'
    '<w:abstractNum w:abstractNumId="1">'
    '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:pStyle w:val="Heading1"/>'
    '<w:lvlText w:val="%1."/><w:pPr><w:ind w:left="720" w:hanging="360"/></w:pPr></w:lvl>'
    '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:pStyle w:val="Heading2"/>'
    '<w:lvlText w:val="%1.%2"/></w:lvl></w:abstractNum>'
    '<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>'
    '<w:num w:numId="2"><w:abstractNumId w:val="1"/></w:num></w:numbering>'
)
# Heading 1 numbers through its style; Heading 2 is based on it (the numId and the indents come from
# there), with its own level; Plain Heading is based on Heading 1 but switches the numbering off (numId 0).
# Heading 1's indents differ from its numbering level's: numbered through the style, the style's win.
_HEADING_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    f'<w:styles xmlns:w="{W}">'
    '<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style>'
    '<w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/>'
    '<w:basedOn w:val="Normal"/><w:pPr><w:keepNext/><w:numPr><w:numId w:val="2"/></w:numPr>'
    '<w:ind w:left="2880" w:hanging="360"/></w:pPr>'
    "<w:rPr><w:b/></w:rPr></w:style>"
    '<w:style w:type="paragraph" w:styleId="Heading2"><w:name w:val="heading 2"/>'
    '<w:basedOn w:val="Heading1"/><w:pPr><w:numPr><w:ilvl w:val="1"/></w:numPr></w:pPr></w:style>'
    '<w:style w:type="paragraph" w:styleId="PlainHeading"><w:name w:val="Plain Heading"/>'
    '<w:basedOn w:val="Heading1"/><w:pPr><w:numPr><w:numId w:val="0"/></w:numPr></w:pPr></w:style>'
    "</w:styles>"
)


def _heading_template() -> bytes:
    def styled(style: str, text: str, extra: str = "") -> str:
        return p(r(text), ppr=f'<w:pPr><w:pStyle w:val="{style}"/>{extra}</w:pPr>')

    body = (
        styled("Heading1", "Parties to <<name>>", "<w:keepLines/>")
        + styled("Heading2", "The tenant")
        + styled("Heading2", "The landlord")
        + p(r("Plain text"))
        + p(r("a list item"), ppr='<w:pPr><w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr></w:pPr>')
        + styled("PlainHeading", "Not numbered")
        + styled("Heading1", "Rent")
    )
    numbering = "application/vnd.openxmlformats-officedocument.wordprocessingml.numbering+xml"
    styles = "application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
    return add_parts(
        make_docx(body),
        {"word/numbering.xml": _HEADING_NUMBERING, "word/styles.xml": _HEADING_STYLES},
        types={"word/numbering.xml": numbering, "word/styles.xml": styles},
        rels={"word/document.xml": [(rel + "numbering", "numbering.xml"), (rel + "styles", "styles.xml")]},
    )


def test_headings_numbered_through_their_style_restart_in_every_record() -> None:
    data = Template.open(_heading_template()).render_combined(
        [{"name": "Ada"}, {"name": "Bo"}, {"name": "Cy"}]
    )
    body = _xml(data, "word/document.xml").find("w:body", NS)
    numbering = _xml(data, "word/numbering.xml")
    nums = {n.get(f"{{{W}}}numId"): n for n in numbering.iterfind("w:num", NS)}
    records: list[list[tuple[str | None, str | None, str | None]]] = [[]]
    for paragraph in body.iterfind("w:p", NS):
        text = "".join(paragraph.itertext())
        ilvl = paragraph.find("w:pPr/w:numPr/w:ilvl", NS)
        num_id = paragraph.find("w:pPr/w:numPr/w:numId", NS)
        records[-1].append(
            (
                text,
                None if ilvl is None else ilvl.get(f"{{{W}}}val"),
                None if num_id is None else num_id.get(f"{{{W}}}val"),
            )
        )
        if paragraph.find("w:pPr/w:sectPr", NS) is not None:
            records.append([])
    assert len(records) == 3
    # The first record is the template as it was: numbered through the styles.
    assert [entry[1:] for entry in records[0]] == [
        (None, None), (None, None), (None, None), (None, None), ("0", "1"), (None, None), (None, None)
    ]  # fmt: skip
    heading_lists = set()
    for record in records[1:]:
        texts = [entry[0] for entry in record]
        assert texts[1:] == [
            "The tenant",
            "The landlord",
            "Plain text",
            "a list item",
            "Not numbered",
            "Rent",
        ]
        heading, tenant, landlord, plain, item, unnumbered, rent = record
        assert heading[1:3] == ("0", heading[2])
        assert tenant[1] == landlord[1] == "1"
        assert rent[1] == "0"
        assert heading[2] == tenant[2] == landlord[2] == rent[2]  # one list per record, as in its document
        assert plain[1:] == unnumbered[1:] == (None, None)
        assert item[2] != heading[2]
        heading_lists.add(heading[2])
        num = nums[heading[2]]
        assert num.find("w:abstractNumId", NS).get(f"{{{W}}}val") == "1"
        for level in ("0", "1"):
            override = num.find(f"w:lvlOverride[@w:ilvl='{level}']/w:startOverride", NS)
            assert override is not None
            assert override.get(f"{{{W}}}val") == "1"
    assert len(heading_lists) == 2
    assert not heading_lists & {"1", "2"}
    # The added numPr sits where the schema wants it (after pStyle, keepNext, keepLines), with the
    # style's indents as the paragraph's own: they would lose to the numbering level's otherwise.
    ppr = next(p for p in body.iterfind("w:p", NS) if "Parties to Bo" in "".join(p.itertext())).find(
        "w:pPr", NS
    )
    assert [etree.QName(child).localname for child in ppr] == ["pStyle", "keepLines", "numPr", "ind"]
    assert dict(ppr.find("w:ind", NS).attrib) == {f"{{{W}}}left": "2880", f"{{{W}}}hanging": "360"}


@pytest.mark.slow
@pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdftotext") is None,
    reason="LibreOffice and poppler-utils are not installed",
)
def test_headings_numbered_through_their_style_print_from_1_in_every_record(tmp_path: Path) -> None:
    from mytypist_cli.pdf.convert import convert_to_pdf

    document = tmp_path / "all.docx"
    document.write_bytes(
        Template.open(_heading_template()).render_combined([{"name": "Ada"}, {"name": "Bo"}])
    )
    (result,) = convert_to_pdf([document], tmp_path)
    assert result.pdf is not None, result.error

    def words(page: int) -> list[tuple[str, str]]:
        """Each word on the page with where it starts across the page."""
        command = ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(result.pdf), "-"]
        html = subprocess.run(command, capture_output=True, check=True, text=True).stdout
        return re.findall(r'<word xMin="([\d.]+)"[^>]*>([^<]*)</word>', html)

    first, second = words(1), words(2)
    assert [word for _, word in first if word == "Ada"] == ["Ada"]
    # The second record reads, and is laid out, as the first: numbers from 1, the same indents.
    assert second == [(x, "Bo" if word == "Ada" else word) for x, word in first]
    text = subprocess.run(
        ["pdftotext", "-layout", str(result.pdf), "-"], capture_output=True, check=True
    ).stdout.decode()
    pages = [" ".join(page.split()) for page in text.split("\f")[:-1]]
    assert len(pages) == 2
    assert "1. Parties to Bo" in pages[1]
    assert "1.1 The tenant" in pages[1]
    assert "1.2 The landlord" in pages[1]
    assert "1) a list item" in pages[1]
    assert "2. Rent" in pages[1]


@pytest.mark.parametrize(
    ("title", "names", "own"),
    [
        ("Quarterly report", ["Ada", "Tunde", "Bisi"], ()),
        ("Report for <<name>>", ["Ada", "Tunde", "Ada", "Bisi"], (1, 3)),
    ],
)
def test_records_whose_document_properties_are_not_the_firsts_are_named(
    title: str, names: list[str], own: tuple[int, ...]
) -> None:
    """A document has one title: the combined one keeps the first record's and says whose differ."""
    import docx

    document = docx.Document()
    document.core_properties.title = title
    document.add_paragraph("Dear <<name>>")
    buffer = io.BytesIO()
    document.save(buffer)
    template = Template.open(buffer.getvalue())
    out = io.BytesIO()
    with template.combined(out) as combined:
        for name in names:
            combined.add({"name": name})
    assert combined.own_properties == own
    core = zipfile.ZipFile(out).read("docProps/core.xml").decode()
    assert f"<dc:title>{title.replace('<<name>>', 'Ada')}</dc:title>" in core
