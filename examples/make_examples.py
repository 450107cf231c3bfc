"""Regenerate the example templates and their data, byte for byte.

Run ``python3 examples/make_examples.py`` from anywhere. It writes four
Word templates with ``<<placeholders>>`` (an offer letter, a receipt, an
affidavit of change of name and an invoice with line items) and, for each,
the same rows as CSV, JSON and .xlsx. The invoice's data is flat (one row
per line item, for ``--group-by invoice_no``) in the CSV and .xlsx, and
nested (a ``rows`` list per invoice) in the JSON; its footer carries a
signature picture, ``signature.png``, drawn here with Pillow. The templates
imitate what Word itself saves, including placeholders
that are split across several runs (``<<full_`` + ``name>>``, also inside a
filter: ``<<salary|mo`` + ``ney>>``) and spelling
marks (``w:proofErr``) between runs, so they exercise the engine's run
joining.

Output is deterministic: fixed document properties and fixed zip entry
timestamps, so re-running gives identical bytes.

Needs python-docx, openpyxl and Pillow only; it must not import mytypist_cli (the
examples are inputs for the engine, not products of it).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_SECTION_START
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Mm, Pt, RGBColor, Twips
from docx.table import Table
from docx.text.paragraph import Paragraph
from lxml import etree
from openpyxl.styles import Alignment, Font, PatternFill
from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent

# Fixed timestamps keep regenerated files byte-identical.
FIXED_DATETIME = dt.datetime(2025, 9, 1, 9, 0, 0)
ZIP_DATETIME = (2025, 9, 1, 9, 0, 0)

BODY_FONT = "Calibri"  # rendered with the metric-compatible Carlito on Linux
HEADING_FONT = "Cambria"  # rendered with Caladea
INK = RGBColor(0x1F, 0x2A, 0x44)
ACCENT = RGBColor(0x0B, 0x5D, 0x3B)  # a deep green, common on Nigerian letterheads
GREY = RGBColor(0x59, 0x59, 0x59)

# A placeholder and its name; the filters after "|" are not captured.
PLACEHOLDER_RE = re.compile(r"<<([A-Za-z0-9_]+)(?:\|[^<>]*)?>>")
# With fields=True, <<name \\@ "d MMMM yyyy">> is { MERGEFIELD name \\@ "d MMMM yyyy" \\* MERGEFORMAT }.
FIELD_RE = re.compile(r"<<([^<>]+)>>")

# ---------------------------------------------------------------------------
# A tiny markup for writing paragraphs run by run.
#
#   **      toggles bold          ~~  toggles italic
#   ¦       ends the current run (Word splits runs at edits, spell checks...);
#           a plain | is text, as in a filter: <<salary|money>>
#   §       ends the run and inserts <w:proofErr w:type="spellStart"/>
#   ¤       ends the run and inserts <w:proofErr w:type="spellEnd"/>
#   \t \n   tab and line break, as python-docx's add_run does
#
# So "Dear <<first_¦name>>," gives the runs "Dear <<first_" and "name>>,", and
# "<<salary|mo¦ney>>" the runs "<<salary|mo" and "ney>>".
# With fields=True every <<name>> becomes a Word MERGEFIELD instead.
# ---------------------------------------------------------------------------
_TOKEN_RE = re.compile(r"(\*\*|~~|¦|§|¤)")
_PROOF = {"§": "spellStart", "¤": "spellEnd"}


def add_markup(
    paragraph: Paragraph,
    text: str,
    *,
    size: float | None = None,
    color: RGBColor | None = None,
    font: str | None = None,
    bold: bool = False,
    italic: bool = False,
    fields: bool = False,
) -> Paragraph:
    """Append runs described by ``text`` (see the markup above) to ``paragraph``."""
    for token in _TOKEN_RE.split(unicodedata.normalize("NFC", text)):
        if token == "**":
            bold = not bold
        elif token == "~~":
            italic = not italic
        elif token == "¦":
            continue
        elif token in _PROOF:
            paragraph._p.append(parse_xml(f'<w:proofErr {nsdecls("w")} w:type="{_PROOF[token]}"/>'))
        elif token:
            pieces = FIELD_RE.split(token) if fields else [token]
            for i, piece in enumerate(pieces):
                if fields and i % 2 == 1:
                    _add_mergefield(paragraph, piece, bold, italic, size, color, font)
                elif piece:
                    _style_run(paragraph.add_run(piece), bold, italic, size, color, font)
    return paragraph


def _style_run(
    run: Any, bold: bool, italic: bool, size: float | None, color: RGBColor | None, font: str | None
) -> Any:
    if bold:
        run.bold = True
    if italic:
        run.italic = True
    if size is not None:
        run.font.size = Pt(size)
    if color is not None:
        run.font.color.rgb = color
    if font is not None:
        run.font.name = font
    return run


def _add_mergefield(
    paragraph: Paragraph,
    name: str,
    bold: bool,
    italic: bool,
    size: float | None,
    color: RGBColor | None,
    font: str | None,
) -> None:
    """Write a complex MERGEFIELD the way Word does: begin, instr, separate, «name», end.

    ``name`` is the field code after MERGEFIELD: the name, then any switches.
    """

    def run() -> Any:
        return _style_run(paragraph.add_run(), bold, italic, size, color, font)

    run()._r.append(parse_xml(f'<w:fldChar {nsdecls("w")} w:fldCharType="begin"/>'))
    instr = parse_xml(
        f'<w:instrText {nsdecls("w")} xml:space="preserve"> MERGEFIELD {name} \\* MERGEFORMAT </w:instrText>'
    )
    run()._r.append(instr)
    run()._r.append(parse_xml(f'<w:fldChar {nsdecls("w")} w:fldCharType="separate"/>'))
    shown = run()
    shown.text = f"\u00ab{name.split()[0]}\u00bb"
    shown._r.get_or_add_rPr().append(parse_xml(f"<w:noProof {nsdecls('w')}/>"))
    run()._r.append(parse_xml(f'<w:fldChar {nsdecls("w")} w:fldCharType="end"/>'))


def add_field(
    paragraph: Paragraph, instr: str, shown: str, *, size: float | None = None, color: RGBColor | None = None
) -> None:
    """Append a complex field such as PAGE or NUMPAGES."""

    def run() -> Any:
        return _style_run(paragraph.add_run(), False, False, size, color, None)

    run()._r.append(parse_xml(f'<w:fldChar {nsdecls("w")} w:fldCharType="begin"/>'))
    run()._r.append(parse_xml(f'<w:instrText {nsdecls("w")} xml:space="preserve"> {instr} </w:instrText>'))
    run()._r.append(parse_xml(f'<w:fldChar {nsdecls("w")} w:fldCharType="separate"/>'))
    run().text = shown
    run()._r.append(parse_xml(f'<w:fldChar {nsdecls("w")} w:fldCharType="end"/>'))


def para(
    container: Any,
    text: str = "",
    *,
    style: str | None = None,
    align: WD_ALIGN_PARAGRAPH | None = None,
    before: float | None = None,
    after: float | None = None,
    keep_next: bool = False,
    indent_cm: float | None = None,
    first_line_cm: float | None = None,
    **run_kw: Any,
) -> Paragraph:
    """Add a paragraph to a document, cell, header or footer and fill it with markup."""
    p = container.add_paragraph(style=style)
    fmt = p.paragraph_format
    if align is not None:
        p.alignment = align
    if before is not None:
        fmt.space_before = Pt(before)
    if after is not None:
        fmt.space_after = Pt(after)
    if keep_next:
        fmt.keep_with_next = True
    if indent_cm is not None:
        fmt.left_indent = Cm(indent_cm)
    if first_line_cm is not None:
        fmt.first_line_indent = Cm(first_line_cm)
    return add_markup(p, text, **run_kw)


def first_para(container: Any, text: str = "", **kw: Any) -> Paragraph:
    """Reuse the empty paragraph a new header, footer or cell already holds."""
    p = container.paragraphs[0]
    align = kw.pop("align", None)
    if align is not None:
        p.alignment = align
    after = kw.pop("after", None)
    if after is not None:
        p.paragraph_format.space_after = Pt(after)
    before = kw.pop("before", None)
    if before is not None:
        p.paragraph_format.space_before = Pt(before)
    return add_markup(p, text, **kw)


def bottom_border(paragraph: Paragraph, color: str = "0B5D3B", size: int = 12) -> None:
    pPr = paragraph._p.get_or_add_pPr()
    pPr.append(
        parse_xml(
            f'<w:pBdr {nsdecls("w")}><w:bottom w:val="single" w:sz="{size}" w:space="4" '
            f'w:color="{color}"/></w:pBdr>'
        )
    )


def top_border(paragraph: Paragraph, color: str = "A6A6A6", size: int = 4) -> None:
    pPr = paragraph._p.get_or_add_pPr()
    pPr.append(
        parse_xml(
            f'<w:pBdr {nsdecls("w")}><w:top w:val="single" w:sz="{size}" w:space="4" '
            f'w:color="{color}"/></w:pBdr>'
        )
    )


def right_tab(paragraph: Paragraph, position_cm: float) -> None:
    paragraph.paragraph_format.tab_stops.add_tab_stop(Cm(position_cm), WD_TAB_ALIGNMENT.RIGHT)


def shade(cell: Any, fill: str) -> None:
    tcPr = cell._tc.get_or_add_tcPr()
    tcPr.append(parse_xml(f'<w:shd {nsdecls("w")} w:val="clear" w:color="auto" w:fill="{fill}"/>'))


def cell_text(cell: Any, text: str, *, align: WD_ALIGN_PARAGRAPH | None = None, **kw: Any) -> None:
    p = cell.paragraphs[0]
    p.paragraph_format.space_before = Pt(2)
    p.paragraph_format.space_after = Pt(2)
    if align is not None:
        p.alignment = align
    add_markup(p, text, **kw)


def add_table(
    doc: Any,
    rows: Sequence[Sequence[str]],
    widths_cm: Sequence[float],
    *,
    header: bool = True,
    header_fill: str = "DCE9E2",
    aligns: Sequence[WD_ALIGN_PARAGRAPH | None] | None = None,
    fields: bool = False,
    size: float | None = None,
) -> Table:
    """A bordered table ("Table Grid") with an optional shaded, repeated header row."""
    table = doc.add_table(rows=len(rows), cols=len(widths_cm))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for c, width in enumerate(widths_cm):
        table.columns[c].width = Cm(width)  # w:gridCol, which LibreOffice honours
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            cell = table.cell(r, c)
            cell.width = Cm(widths_cm[c])
            align = aligns[c] if aligns else None
            is_head = header and r == 0
            cell_text(cell, text, align=align, bold=is_head, fields=fields, size=size)
            if is_head:
                shade(cell, header_fill)
    if header:
        trPr = table.rows[0]._tr.get_or_add_trPr()
        trPr.append(parse_xml(f"<w:tblHeader {nsdecls('w')}/>"))
    return table


def new_document(title: str, subject: str) -> DocumentObject:
    """An A4 document with Word-like styles: Calibri 11 body, Cambria headings."""
    doc = Document()
    section = doc.sections[0]
    section.start_type = WD_SECTION_START.NEW_PAGE
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Cm(2.3)
    section.top_margin, section.bottom_margin = Cm(2.2), Cm(2.0)
    section.header_distance, section.footer_distance = Cm(1.0), Cm(1.0)

    normal = doc.styles["Normal"]
    normal.font.name = BODY_FONT
    normal.font.size = Pt(11)
    normal.font.color.rgb = INK
    rfonts = normal.element.rPr.rFonts
    rfonts.set(qn("w:eastAsia"), BODY_FONT)
    rfonts.set(qn("w:cs"), BODY_FONT)
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.line_spacing = 1.08
    for name in ("Title", "Heading 1", "Heading 2"):
        style = doc.styles[name]
        style.font.name = HEADING_FONT
        style.font.color.rgb = ACCENT
    doc.styles["Title"].font.size = Pt(20)
    doc.styles["Heading 1"].font.size = Pt(14)
    doc.styles["Heading 2"].font.size = Pt(12)

    props = doc.core_properties
    props.title = title
    props.subject = subject
    props.author = "MyTypist examples"
    props.last_modified_by = "MyTypist examples"
    props.keywords = "mytypist, template, example"
    props.comments = "Generated by examples/make_examples.py; edit the script, not this file."
    props.revision = 1
    props.created = props.modified = props.last_printed = FIXED_DATETIME
    # The stock template carries a thumbnail of a blank page; Word would not.
    package_rels = doc.part.package.rels
    for r_id, rel in list(package_rels.items()):
        if rel.reltype.endswith("/thumbnail"):
            del package_rels[r_id]
    return doc


def page_footer(
    footer: Any, left: str, *, size: float = 8.5, tab_cm: float = 16.4, fields: bool = False
) -> None:
    """Footer: ``left`` text, then 'Page N of M' right-aligned, above a thin rule."""
    p = first_para(footer)
    top_border(p)
    for pos in (4680, 9360):  # the stock Footer style's Letter-size tab stops
        p.paragraph_format.tab_stops.add_tab_stop(Twips(pos), WD_TAB_ALIGNMENT.CLEAR)
    right_tab(p, tab_cm)
    add_markup(p, left, size=size, color=GREY, fields=fields)
    add_markup(p, "\tPage ", size=size, color=GREY)
    add_field(p, "PAGE", "1", size=size, color=GREY)
    add_markup(p, " of ", size=size, color=GREY)
    add_field(p, "NUMPAGES", "1", size=size, color=GREY)


# ---------------------------------------------------------------------------
# Deterministic saving
# ---------------------------------------------------------------------------
_CORE_DATE_RE = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:(?:created|modified)>)")


def normalise_zip(data: bytes) -> bytes:
    """Rewrite an OOXML zip with fixed entry timestamps and fixed core dates."""
    stamp = FIXED_DATETIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            blob = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                blob = _CORE_DATE_RE.sub(rb"\g<1>" + stamp + rb"\g<2>", blob)
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_DATETIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, blob)
    return out.getvalue()


def save_docx(doc: DocumentObject, path: Path) -> None:
    buf = io.BytesIO()
    doc.save(buf)
    path.write_bytes(normalise_zip(buf.getvalue()))


def docx_placeholders(path: Path) -> list[str]:
    """Placeholder names in first-appearance order: headers, then the body, then footers.

    That is the order the engine visits a document's parts in (headers and
    footers each in the order document.xml.rels lists them). A small
    independent check, not the engine: it joins the w:t texts of each w:p so
    that split placeholders are found too, and drops the filters after "|".
    """
    with zipfile.ZipFile(path) as zf:
        rels = etree.fromstring(zf.read("word/_rels/document.xml.rels"))
        targets: dict[str, list[str]] = {"header": [], "footer": []}
        for rel in rels:
            kind = rel.get("Type", "").rsplit("/", 1)[-1]
            if kind in targets:
                targets[kind].append("word/" + rel.get("Target", ""))
        parts = [*targets["header"], "word/document.xml", *targets["footer"]]
        names: list[str] = []
        for part in parts:
            root = etree.fromstring(zf.read(part))
            for p in root.iter(qn("w:p")):
                text = "".join(t.text or "" for t in p.iter(qn("w:t")))
                for name in PLACEHOLDER_RE.findall(text):
                    if name not in names:
                        names.append(name)
    return names


def write_data(
    stem: str,
    rows: list[dict[str, Any]],
    *,
    sheet_title: str,
    date_columns: Iterable[str] = (),
    money_columns: Iterable[str] = (),
    write_json: bool = True,
) -> None:
    """Write rows as ``stem``.csv, .json (unless ``write_json`` is false) and .xlsx.

    The data is raw, the way a spreadsheet holds it; the template's filters
    format it. Numbers are numbers (plain in the CSV, JSON numbers, number
    cells) and dates ISO text (``2025-10-01``). In the .xlsx, ``date_columns``
    become real date cells, and ``money_columns`` number cells shown with
    thousands separators and two decimals, as in a spreadsheet someone keeps
    by hand (the engine reads the number, not its display format).
    """
    rows = [
        {k: unicodedata.normalize("NFC", v) if isinstance(v, str) else v for k, v in row.items()}
        for row in rows
    ]
    columns = list(rows[0])
    with (HERE / f"{stem}.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
    if write_json:
        (HERE / f"{stem}.json").write_text(
            json.dumps(rows, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )

    dates, money = set(date_columns), set(money_columns)
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = sheet_title
    ws.append(columns)
    for row in rows:
        values: list[Any] = []
        for col in columns:
            value = row[col]
            if col in dates:
                value = dt.date.fromisoformat(value)
            values.append(value)
        ws.append(values)
    head_fill = PatternFill("solid", fgColor="DCE9E2")
    for c, col in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=c)
        cell.font = Font(bold=True)
        cell.fill = head_fill
        width = max(len(col), *(len(str(r[col])) for r in rows)) + 2
        ws.column_dimensions[cell.column_letter].width = min(width, 60)
        for r in range(2, len(rows) + 2):
            body = ws.cell(row=r, column=c)
            body.alignment = Alignment(vertical="top")
            if col in dates:
                body.number_format = "yyyy-mm-dd"
            elif col in money:
                body.number_format = "#,##0.00"
    ws.freeze_panes = "A2"
    props = wb.properties
    props.creator = props.lastModifiedBy = "MyTypist examples"
    props.title = sheet_title
    props.created = props.modified = FIXED_DATETIME
    buf = io.BytesIO()
    wb.save(buf)
    (HERE / f"{stem}.xlsx").write_bytes(normalise_zip(buf.getvalue()))


# ---------------------------------------------------------------------------
# 1. Employment offer letter (Lagos)
# ---------------------------------------------------------------------------
COMPANY = "Eko Bridge Logistics Limited"

# Raw data, as HR keeps it in a spreadsheet: ISO dates and plain salary figures; the
# template's filters write "22nd September, 2025" and "₦650,000.00". The address
# block uses <<address|lines>>, which breaks at every comma, so each part between
# commas is a line of the address.
STAFF = [
    {
        "ref_no": "EBL/HR/2025/0141",
        "offer_date": "2025-09-22",
        "full_name": "Adébáyọ̀ Olúwaṣeun Ògúnlẹ́yẹ",
        "address": "12 Bode Thomas Street, Surulere, Lagos",
        "first_name": "Adébáyọ̀",
        "position": "Senior Accountant",
        "department": "Finance",
        "manager_name": "Ngozi Okafor",
        "start_date": "2025-10-01",
        "salary": 650_000,
    },
    {
        "ref_no": "EBL/HR/2025/0142",
        "offer_date": "2025-09-22",
        "full_name": "Chiamaka Adaeze Nwachukwu",
        "address": "Flat 4B, Jabi Lake Estate, Abuja",
        "first_name": "Chiamaka",
        "position": "Operations Analyst",
        "department": "Operations",
        "manager_name": "Ibrahim Bello",
        "start_date": "2025-10-01",
        "salary": 420_000,
    },
    {
        "ref_no": "EBL/HR/2025/0143",
        "offer_date": "2025-09-24",
        "full_name": "Aminu Sani Abubakar",
        "address": "27 Third Avenue, Gwarinpa, Abuja",
        "first_name": "Aminu",
        "position": "Fleet Supervisor",
        "department": "Logistics",
        "manager_name": "Babatunde Bakare",
        "start_date": "2025-10-13",
        "salary": 380_000,
    },
    {
        "ref_no": "EBL/HR/2025/0144",
        "offer_date": "2025-09-24",
        "full_name": "Ọlámídé Àjàyí",
        "address": "5 Admiralty Way, Lekki Phase 1, Lagos",
        "first_name": "Ọlámídé",
        "position": "Human Resources Officer",
        "department": "Human Resources",
        "manager_name": "Fúnmiláyọ̀ Adéyẹmí",
        "start_date": "2025-11-03",
        "salary": 350_000,
    },
    {
        "ref_no": "EBL/HR/2025/0145",
        "offer_date": "2025-09-29",
        "full_name": "Hauwa'u Musa Danjuma",
        "address": "22 Allen Avenue, Ikeja, Lagos",
        "first_name": "Hauwa'u",
        "position": "Software Engineer",
        "department": "Technology",
        "manager_name": "Emeka Obiora Eze",
        "start_date": "2025-11-03",
        "salary": 900_000,
    },
]


def letterhead(header: Any, name: str, lines: Sequence[str]) -> None:
    p = first_para(header, name.upper(), font=HEADING_FONT, size=17, bold=True, color=ACCENT, after=0)
    p.paragraph_format.space_after = Pt(1)
    for i, line in enumerate(lines):
        q = para(header, line, size=8.5, color=GREY, after=0)
        if i == len(lines) - 1:
            bottom_border(q)
            q.paragraph_format.space_after = Pt(0)


def make_offer_letter() -> list[str]:
    doc = new_document("Offer of employment", f"{COMPANY}: offer letter template")
    section = doc.sections[0]
    # Letterhead on page 1 only; continuation pages get a one-line header, as in Word's
    # "Different First Page". Both footers carry the reference and page numbers.
    section.different_first_page_header_footer = True
    letterhead(
        section.first_page_header,
        COMPANY,
        [
            "Plot 1415 Adetokunbo Ademola Street, Victoria Island, Lagos 101241, Nigeria",
            "Tel: +234 1 454 7720  ·  careers@ekobridgelogistics.ng  ·  RC 1284376",
        ],
    )
    cont = first_para(
        section.header,
        f"{COMPANY}  ·  Offer of employment  ·  Ref: <<ref_no>>",
        size=8.5,
        color=GREY,
        after=0,
    )
    bottom_border(cont, color="A6A6A6", size=4)
    page_footer(section.first_page_footer, "Private and confidential  ·  Ref: <<ref_¦no>>")
    page_footer(section.footer, "Private and confidential  ·  Ref: <<ref_no>>")

    p = para(doc, "Our ref: **<<ref_no>>**\t<<offer_date|date:¦ordinal>>", before=6, after=14)
    right_tab(p, 16.4)
    para(doc, "<<full_¦name>>", after=0, bold=True)
    para(doc, "<<address|lines>>", after=14)
    para(doc, "Dear <<first_¦name>>,", after=10)
    para(
        doc,
        "OFFER OF EMPLOYMENT: <<position>>",
        bold=True,
        color=ACCENT,
        font=HEADING_FONT,
        size=12,
        after=10,
    )
    para(
        doc,
        "Following your recent interviews, we are pleased to offer you employment with "
        f"{COMPANY} as **<¦<position>>** in the ~~<<department>>~~ department. You will "
        "report to <<§manager_name¤>>, who will take you through your induction during your "
        "first week.",
        align=WD_ALIGN_PARAGRAPH.JUSTIFY,
    )
    para(
        doc,
        "Your employment will begin on **<<start_¦date|date:ordinal>>**. The principal terms of this offer "
        "are summarised below; the full terms are set out in the enclosed contract of "
        "employment, which forms part of this offer.",
        align=WD_ALIGN_PARAGRAPH.JUSTIFY,
        after=8,
    )

    left = WD_ALIGN_PARAGRAPH.LEFT
    add_table(
        doc,
        [
            ["Term", "Details"],
            ["Position", "<<position>>"],
            ["Department", "<<department>>"],
            ["Reporting to", "<<manager_name>>"],
            ["Start date", "<<start_date|date:ordinal>>"],
            ["Monthly gross salary", "**<<salary|mo¦ney>>**, paid on or before the 25th of each month"],
            [
                "Pension",
                "8% employee and 10% employer contribution under the Pension Reform "
                "Act 2014, to the PFA of your choice",
            ],
            ["Health insurance", "Family HMO cover (you, your spouse and up to four children)"],
            ["Probation", "Six (6) months, with a review at three months"],
            ["Annual leave", "Twenty (20) working days, in addition to public holidays"],
            ["Notice period", "One (1) month on either side after confirmation"],
        ],
        [5.0, 11.4],
        aligns=[left, left],
        size=10,
    )

    para(
        doc,
        "Your salary is subject to deduction of Pay-As-You-Earn tax, pension and any other "
        "statutory contributions. This offer is conditional on satisfactory references, "
        "the verification of your academic and professional certificates, and a pre-employment "
        "medical examination.",
        align=WD_ALIGN_PARAGRAPH.JUSTIFY,
        before=10,
    )
    para(
        doc,
        "If you accept this offer, please sign and return the duplicate copy of this letter "
        "within seven (7) days of the date above. We look forward to welcoming you, "
        "<<first_name>>, to the team.",
        align=WD_ALIGN_PARAGRAPH.JUSTIFY,
        after=6,
    )
    para(
        doc,
        "On your first day, please report to the Human Resources office at 8:00 a.m. with:",
        after=3,
        keep_next=True,
    )
    for item in [
        "the originals of your academic and professional certificates;",
        "two recent passport photographs and a valid means of identification (NIN slip, "
        "international passport or driver's licence);",
        "your Bank Verification Number (BVN) and salary account details;",
        "your Retirement Savings Account (RSA) PIN, if you already have one;",
        "two completed guarantor forms (enclosed).",
    ]:
        para(doc, item, style="List Bullet", after=1)
    para(doc, "", after=6)

    para(doc, "Yours faithfully,", after=2, keep_next=True)
    para(doc, f"For: ~~{COMPANY}~~", after=30, keep_next=True)
    para(doc, "____________________________", after=0, keep_next=True)
    para(doc, "**Fúnmiláyọ̀ Adéyẹmí**", after=0, keep_next=True)
    para(doc, "Head, Human Resources", after=14, keep_next=True)

    acc = para(
        doc,
        "ACCEPTANCE",
        bold=True,
        color=ACCENT,
        font=HEADING_FONT,
        size=11,
        before=6,
        after=4,
        keep_next=True,
    )
    top_border(acc, color="0B5D3B", size=6)
    para(
        doc,
        "I, **<<full_name|upper>>**, accept the offer of employment as <<position>> on the terms "
        "set out above.",
        after=24,
        keep_next=True,
    )
    p = para(doc, "Signature: ______________________\tDate: ____________________", after=0)
    right_tab(p, 16.4)

    path = HERE / "offer-letter.docx"
    save_docx(doc, path)
    return docx_placeholders(path)


# ---------------------------------------------------------------------------
# 2. Payment receipt (Ibadan)
# ---------------------------------------------------------------------------
SHOP = "Olúyọlé Building Materials Enterprises"

# Quantities and prices are plain numbers (one with kobo); the template writes the
# amount twice as money and once in words. A cash sale has no payment reference:
# <<payment_ref|default:"N/A">> shows "N/A" for the empty cell.
RECEIPTS = [
    {
        "receipt_no": "OBM/0457",
        "date": "2025-09-15",
        "customer_name": "Mrs. Bọ́lánlé Adéwálé",
        "customer_phone": "0803 412 7789",
        "description": "Dangote cement, 50 kg bags",
        "quantity": 40,
        "unit_price": 9_800,
        "amount": 392_000,
        "payment_method": "Bank transfer (GTBank)",
        "payment_ref": "TRF/250915/88213",
        "cashier": "Kúnlé Ògúndélé",
    },
    {
        "receipt_no": "OBM/0458",
        "date": "2025-09-15",
        "customer_name": "Chukwuemeka Okonkwo & Sons Ltd",
        "customer_phone": "0706 551 2043",
        "description": "Iron rods, 12 mm, 12 m lengths",
        "quantity": 120,
        "unit_price": 11_250,
        "amount": 1_350_000,
        "payment_method": "POS (Moniepoint)",
        "payment_ref": "POS-7731-0458",
        "cashier": "Kúnlé Ògúndélé",
    },
    {
        "receipt_no": "OBM/0459",
        "date": "2025-09-16",
        "customer_name": "Alhaji Usman Garba",
        "customer_phone": "0812 300 6655",
        "description": "Aluminium roofing sheets, 0.55 mm (long span)",
        "quantity": 85,
        "unit_price": 6_450.50,
        "amount": 548_292.50,
        "payment_method": "Cash",
        "payment_ref": "",
        "cashier": "Grace Akpan",
    },
    {
        "receipt_no": "OBM/0460",
        "date": "2025-09-17",
        "customer_name": "Ifeoluwa Olátúnjí",
        "customer_phone": "0905 118 2290",
        "description": "Floor tiles, 60 × 60 cm, cartons of 4",
        "quantity": 32,
        "unit_price": 14_000,
        "amount": 448_000,
        "payment_method": "Bank transfer (Opay)",
        "payment_ref": "OPY9920173",
        "cashier": "Grace Akpan",
    },
]


def make_receipt() -> list[str]:
    doc = new_document("Official receipt", f"{SHOP}: payment receipt template")
    section = doc.sections[0]
    letterhead(
        section.header,
        SHOP,
        [
            "Shop 14–16, Ring Road Market Complex, Challenge, Ibadan, Oyo State",
            "Tel: 0803 555 0192, 0805 221 7734  ·  Business Name Reg. No. BN 3172209",
        ],
    )
    page_footer(section.footer, "Receipt <<receipt_¦no>>  ·  Goods sold in good condition are not returnable")

    para(doc, "OFFICIAL RECEIPT", style="Title", align=WD_ALIGN_PARAGRAPH.CENTER, before=6, after=10)
    p = para(doc, "Receipt No: **<<receipt_no>>**\tDate: **<<¦date|date>>**", after=14)
    right_tab(p, 16.4)

    left = WD_ALIGN_PARAGRAPH.LEFT
    add_table(
        doc,
        [
            ["Received from", "<<customer_¦name>>"],
            ["Telephone", "<<customer_phone>>"],
        ],
        [4.0, 12.4],
        header=False,
        aligns=[left, left],
    )
    para(doc, "", after=4)

    right = WD_ALIGN_PARAGRAPH.RIGHT
    centre = WD_ALIGN_PARAGRAPH.CENTER
    table = add_table(
        doc,
        [
            ["Description", "Qty", "Unit price", "Amount"],
            ["<<description>>", "<<quantity>>", "<<unit_price|money>>", "<<§amount¤|money>>"],
            ["", "", "**Total**", "**<<amount|money>>**"],
        ],
        [7.6, 2.4, 3.2, 3.2],
        aligns=[left, centre, right, right],
    )
    for c in range(2):
        table.cell(2, c).paragraphs[0].text = ""
    merged = table.cell(2, 0).merge(table.cell(2, 1))
    for extra in merged.paragraphs[1:]:
        extra._p.getparent().remove(extra._p)

    para(doc, "The sum of: ~~<<amount|money_¦words>>~~", before=12)
    para(doc, "Payment method: <<payment_method>>")
    para(doc, 'Payment reference: <<payment_ref|default:"N/A">>', after=30)

    p = para(doc, "____________________________\t____________________________", after=0)
    right_tab(p, 16.4)
    p = para(doc, "Received by: <<cashier>>\tCustomer's signature", after=0, size=10)
    right_tab(p, 16.4)
    para(
        doc,
        "Thank you for your patronage.",
        before=24,
        italic=True,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        color=GREY,
        size=10,
    )

    path = HERE / "receipt.docx"
    save_docx(doc, path)
    return docx_placeholders(path)


# ---------------------------------------------------------------------------
# 3. Affidavit of change of name (Lagos High Court registry)
# ---------------------------------------------------------------------------
# The sworn date is an ISO date; names are typed as people write them and the
# template puts the new and former names in capitals where the affidavit needs them.
AFFIDAVITS = [
    {
        "new_name": "Mrs. Oluwakémi Blessing Adébísí-Okafor",
        "gender": "Female",
        "occupation": "Banker",
        "address": "15 Ogunlana Drive, Surulere, Lagos State",
        "former_name": "Miss Oluwakémi Blessing Adébísí",
        "reason": "my marriage to Mr. Chinedu Okafor on 14 June 2025",
        "sworn_date": "2025-10-03",
        "commissioner": "Barr. Ṣadé Adéoyè",
    },
    {
        "new_name": "Ibrahim Abdullahi Yusuf",
        "gender": "Male",
        "occupation": "Civil Servant",
        "address": "Block 7, Flat 2, Federal Housing Estate, Lugbe, Abuja",
        "former_name": "Ibrahim Abdullahi",
        "reason": "my wish to adopt my father's name as my surname",
        "sworn_date": "2025-10-06",
        "commissioner": "Barr. Ṣadé Adéoyè",
    },
    {
        "new_name": "Chisom Precious Eze",
        "gender": "Female",
        "occupation": "Student",
        "address": "8 Ikorodu Road, Maryland, Lagos State",
        "former_name": "Chisom Precious Ezeh",
        "reason": "a correction of the spelling of my surname",
        "sworn_date": "2025-10-09",
        "commissioner": "Barr. Emmanuel Okoro",
    },
]


def make_affidavit() -> list[str]:
    doc = new_document("Affidavit of change of name", "Affidavit template (High Court, Ikeja)")
    section = doc.sections[0]
    section.left_margin = Cm(2.8)
    section.right_margin = Cm(2.3)
    doc.styles["Normal"].font.name = HEADING_FONT  # court documents are usually in a serif face
    doc.styles["Normal"].element.rPr.rFonts.set(qn("w:eastAsia"), HEADING_FONT)
    doc.styles["Normal"].element.rPr.rFonts.set(qn("w:cs"), HEADING_FONT)
    doc.styles["Normal"].font.size = Pt(12)
    doc.styles["Normal"].paragraph_format.line_spacing = 1.25

    first_para(
        section.header,
        "HIGH COURT OF LAGOS STATE  ·  IKEJA JUDICIAL DIVISION",
        size=8,
        color=GREY,
        align=WD_ALIGN_PARAGRAPH.RIGHT,
        after=0,
    )
    page_footer(section.footer, "Affidavit of change of name  ·  <<new_¦name>>", tab_cm=15.9)

    centre = WD_ALIGN_PARAGRAPH.CENTER
    justify = WD_ALIGN_PARAGRAPH.JUSTIFY
    para(doc, "IN THE HIGH COURT OF LAGOS STATE", bold=True, align=centre, after=0, before=6)
    para(doc, "IN THE IKEJA JUDICIAL DIVISION", bold=True, align=centre, after=0)
    para(doc, "HOLDEN AT IKEJA", bold=True, align=centre, after=18)
    heading = para(doc, "AFFIDAVIT OF CHANGE OF NAME", bold=True, align=centre, size=13, after=18)
    heading.runs[0].underline = True

    para(
        doc,
        "I, **<<new_¦name|upper>>**, <<gender>>, Nigerian citizen, "
        "<<occupation>>, of <<address>>, do hereby make oath and state as follows:",
        align=justify,
        after=10,
    )
    clauses = [
        "That I am the deponent herein and the person whose name appears above, and I am "
        "conversant with the facts deposed to in this affidavit.",
        "That I was formerly known and called **<**<former_¦name|upper>>.",
        "That I now wish to be known, called and addressed as **<<new_name|upper>>**.",
        "That the change of name is by reason of <<reason>>.",
        "That all documents, certificates and records bearing my former name, <<former_name>>, "
        "remain valid and refer to me.",
        "That the general public, banks, schools and government agencies should take note.",
        "That I make this solemn declaration conscientiously believing the same to be true and "
        "correct and in accordance with the Oaths Act, Cap. O1, Laws of the Federation of "
        "Nigeria, 2004.",
    ]
    for i, text in enumerate(clauses, start=1):
        p = para(doc, f"{i}.\t{text}", align=justify, after=6)
        p.paragraph_format.left_indent = Cm(1.0)
        p.paragraph_format.first_line_indent = Cm(-1.0)
        p.paragraph_format.tab_stops.add_tab_stop(Cm(1.0))

    p = para(doc, "\t________________________", before=30, after=0, keep_next=True)
    right_tab(p, 15.9)
    p = para(doc, "\t**DEPONENT**", after=18, keep_next=True)
    right_tab(p, 15.9)
    para(
        doc,
        "Sworn to at the High Court Registry, Ikeja, Lagos State, on <<sworn_¦date|date:ordinal>>.",
        keep_next=True,
        after=28,
    )
    para(doc, "**BEFORE ME**", align=centre, after=30, keep_next=True)
    para(doc, "________________________", align=centre, after=0, keep_next=True)
    para(doc, "**<<commissioner>>**", align=centre, after=0, keep_next=True)
    para(doc, "COMMISSIONER FOR OATHS", align=centre, size=11)

    path = HERE / "affidavit.docx"
    save_docx(doc, path)
    return docx_placeholders(path)


# ---------------------------------------------------------------------------
# 4. Invoice with line items (Abuja)
# ---------------------------------------------------------------------------
PRINTER = "Asokoro Print & Branding Limited"
BANK_LINES = [
    "Bank: Zenith Bank Plc",
    f"Account name: {PRINTER}",
    "Account number: 1014 552 873",
]

# One dict per invoice with its line items. Totals are the data's job, not the
# template's: the template only formats what it is given, so each line's
# ``amount`` (qty × unit price) and the invoice's ``total`` are columns of the data,
# worked out here the way a spreadsheet formula would (with Decimal, so kobo stay exact).
# ``paid`` is yes/no text in the CSV and .xlsx (as people type it) and true/false in the
# JSON; ``signature`` is a path relative to the data file's folder.
INVOICES: list[dict[str, Any]] = [
    {
        "invoice_no": "APB/INV/2025/0311",
        "invoice_date": "2025-10-06",
        "client_name": "Chukwuma & Partners (Legal Practitioners)",
        "client_address": "Suite 12 Banex Plaza, Aminu Kano Crescent, Wuse II, Abuja",
        "paid": True,
        "lines": [
            ("Business cards, 350 gsm matt, boxes of 100", 12, 7_500),
            ("Letterhead paper, 100 gsm, A4, reams of 500", 6, 38_000),
            ("Roll-up banner with stand, 85 × 200 cm", 2, 45_000),
        ],
    },
    {
        "invoice_no": "APB/INV/2025/0312",
        "invoice_date": "2025-10-07",
        "client_name": "Hajiya Amina Events Ltd",
        "client_address": "14 Ahmadu Bello Way, Garki Area 11, Abuja",
        "paid": False,
        "lines": [
            ("Wedding invitation cards, gold foil, with envelopes", 300, 850),
            ("Souvenir programme booklets, 8 pages, full colour", 300, 1_200),
            ("Stage backdrop banner, 3 × 2.4 m, flex", 1, 96_500),
            ("Laminated A3 table-plan posters", 15, 1_250.50),
        ],
    },
    {
        "invoice_no": "APB/INV/2025/0313",
        "invoice_date": "2025-10-08",
        "client_name": "Grace Foundation Schools, Kubwa",
        "client_address": "Plot 57 Gbazango Road, Kubwa, FCT Abuja",
        "paid": False,
        "lines": [
            ("Branded exercise books, 60 leaves", 1_000, 350),
            ("Termly report cards, printed and numbered", 450, 400),
            ("Student ID cards, PVC, with lanyards", 450, 1_100),
            ("Delivery within Abuja", 1, 4_500),
        ],
    },
    {
        "invoice_no": "APB/INV/2025/0314",
        "invoice_date": "2025-10-09",
        "client_name": "Bákàrè Pharmacy & Stores",
        "client_address": "Shop C7, Garki International Market, Garki, Abuja",
        "paid": True,
        "lines": [
            ("A5 promotional flyers, full colour, 130 gsm", 5_000, 45),
            ("Receipt booklets, carbonless, 50 sets each", 20, 2_500),
        ],
    },
]

# The CSV's row order: line items of the four invoices interleaved, as they might be
# keyed in through the day. (invoice, line) pairs, zero-based; each invoice first
# appears in INVOICES order, so --group-by numbers them as the JSON does.
INVOICE_LINE_ORDER = [
    (0, 0), (1, 0), (1, 1), (0, 1), (2, 0), (1, 2), (3, 0), (2, 1),
    (0, 2), (3, 1), (2, 2), (1, 3), (2, 3),
]  # fmt: skip
INVOICE_COLUMNS = [
    "invoice_no",
    "invoice_date",
    "client_name",
    "client_address",
    "description",
    "qty",
    "unit_price",
    "amount",
    "total",
    "paid",
    "pay_url",
    "signature",
]


def _number(value: Decimal) -> int | float:
    """A Decimal as the plain number a spreadsheet cell or JSON holds (int when whole)."""
    return int(value) if value == value.to_integral_value() else float(value)


def invoice_data() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The invoices nested (for the JSON) and flat, one row per line item (CSV, .xlsx)."""
    nested: list[dict[str, Any]] = []
    for invoice in INVOICES:
        rows = []
        for description, qty, unit_price in invoice["lines"]:
            amount = Decimal(qty) * Decimal(str(unit_price))
            rows.append(
                {"description": description, "qty": qty, "unit_price": unit_price, "amount": _number(amount)}
            )
        total = sum((Decimal(str(row["amount"])) for row in rows), Decimal(0))
        nested.append(
            {
                "invoice_no": invoice["invoice_no"],
                "invoice_date": invoice["invoice_date"],
                "client_name": invoice["client_name"],
                "client_address": invoice["client_address"],
                "total": _number(total),
                "paid": invoice["paid"],
                # Where the client pays online: the payment page of that invoice.
                "pay_url": "https://pay.asokoroprint.ng/" + invoice["invoice_no"].replace("/", "-"),
                "signature": "signature.png",
                "rows": rows,
            }
        )
    every_line = [(i, j) for i, invoice in enumerate(INVOICES) for j in range(len(invoice["lines"]))]
    if sorted(INVOICE_LINE_ORDER) != every_line:
        raise SystemExit("INVOICE_LINE_ORDER must list every line item once")
    flat: list[dict[str, Any]] = []
    for i, j in INVOICE_LINE_ORDER:
        invoice, row = nested[i], nested[i]["rows"][j]
        values = {**invoice, **row, "paid": "yes" if invoice["paid"] else "no"}
        flat.append({column: values[column] for column in INVOICE_COLUMNS})
    return nested, flat


def draw_signature(path: Path) -> None:
    """A handwritten-looking signature: black ink on a transparent 600 × 200 PNG.

    Drawn at four times the size with round pen dabs whose width follows a
    "pressure" curve, then scaled down for smooth edges. Pure arithmetic, no
    randomness: the same bytes every time.
    """
    scale = 4
    width, height = 600, 200
    big = Image.new("L", (width * scale, height * scale), 0)
    pen = ImageDraw.Draw(big)

    def stroke(points: list[tuple[float, float, float]]) -> None:
        """Pen dabs along (x, y, thickness) points, in 600 × 200 coordinates."""
        for (x0, y0, w0), (x1, y1, w1) in zip(points, points[1:], strict=False):
            steps = max(1, int(math.hypot(x1 - x0, y1 - y0) * scale / 2))
            for k in range(steps + 1):
                t = k / steps
                x, y, w = x0 + (x1 - x0) * t, y0 + (y1 - y0) * t, (w0 + (w1 - w0) * t) * scale / 2
                cx, cy = x * scale, y * scale
                pen.ellipse((cx - w, cy - w, cx + w, cy + w), fill=255)

    def slanted(x: float, y: float, w: float, base: float = 128) -> tuple[float, float, float]:
        return x + 0.32 * (base - y), y, w  # forward slant, as most right hands write

    # A tall capital: a lead-in hairline, a big open bowl, and a downstroke through it.
    capital = []
    for k in range(161):
        t = k / 160
        angle = math.pi * (1.15 + 2.15 * t)
        radius = 34 + 10 * t
        x = 92 + radius * math.cos(angle) + 22 * t
        y = 92 - 52 * math.sin(angle) * (1 - 0.25 * t)
        capital.append(slanted(x, y, 1.2 + 2.8 * math.sin(math.pi * t) ** 0.7))
    stroke(capital)
    stroke([slanted(104, 40, 1.4), slanted(100, 90, 3.6), slanted(97, 150, 2.8), slanted(88, 176, 0.8)])

    # The name in running hand, letter by letter: (width, height, loop) where a loop
    # over 1 draws an "e" or "l", under 1 an "n" or "m" hump, and a negative height a
    # descender below the line.
    letters = [
        (22, 26, 0.6),
        (20, 22, 1.3),
        (24, 70, 1.5),
        (20, 24, 0.5),
        (20, 24, 0.5),
        (22, 28, 1.2),
        (24, -56, 1.4),
        (20, 22, 0.7),
        (24, 64, 1.6),
        (22, 20, 1.1),
        (26, 18, 0.4),
    ]
    writing: list[tuple[float, float, float]] = []
    x0, base = 150.0, 128.0
    total = sum(w for w, _h, _r in letters)
    for width_, height_, loop in letters:
        for k in range(41):
            t = k / 40
            phase = 2 * math.pi * t
            x = x0 + width_ * t - loop * (width_ / (2 * math.pi)) * math.sin(phase)
            y = base - height_ * (0.5 - 0.5 * math.cos(phase))
            done = (x0 - 150 + width_ * t) / total
            writing.append(slanted(x, y, 1.3 + 1.9 * math.sin(math.pi * min(1.0, done)) ** 0.5, base))
        x0 += width_
        base -= 1.6  # the line drifts upwards
    stroke(writing)

    # A flourish: from the last letter back under the name, then out to the right.
    flourish = []
    for k in range(201):
        t = k / 200
        x = 420 - 330 * math.sin(math.pi * t * 0.9) + 210 * t**2
        y = 138 + 30 * math.sin(math.pi * t) ** 1.5 - 18 * t
        flourish.append((x, y, 0.9 + 2.6 * math.sin(math.pi * t) ** 0.8))
    stroke(flourish)
    # The dot of an i.
    stroke([(247, 76, 3.4), (249, 77, 3.2)])

    alpha = big.resize((width, height), Image.Resampling.LANCZOS)
    ink = Image.new("RGBA", (width, height), (16, 16, 24, 0))
    ink.putalpha(alpha)
    buf = io.BytesIO()
    ink.save(buf, format="PNG", optimize=True)
    path.write_bytes(buf.getvalue())


def make_invoice() -> list[str]:
    doc = new_document("Invoice", f"{PRINTER}: invoice template with line items")
    section = doc.sections[0]
    section.bottom_margin = Cm(4.2)  # room for the signature in the footer
    letterhead(
        section.header,
        PRINTER,
        [
            "Plot 23, Yakubu Gowon Crescent, Asokoro, Abuja, FCT 900231",
            "Tel: 0809 440 1172, 0703 118 5530  ·  hello@asokoroprint.ng  ·  "
            "RC 1561420  ·  TIN 21874530-0001",
        ],
    )
    # A QR code of the invoice number at the right of the letterhead, for the counter to scan.
    name_line = section.header.paragraphs[0]
    right_tab(name_line, 16.4)
    add_markup(name_line, "\t<<invoice_no|qrcode:1.6cm>>")

    # Footer: the signature picture over "Authorised signatory", then the page line.
    footer = section.footer
    first_para(footer, "<<signature|image:¦3cm>>", after=0)
    para(footer, "**Authorised signatory**", size=9, after=0)
    para(footer, f"For: {PRINTER}", size=8.5, color=GREY, after=6)
    rule = para(footer, "", after=0)
    top_border(rule)
    right_tab(rule, 16.4)
    add_markup(rule, "Invoice <<invoice_no>>  ·  Thank you for your business", size=8.5, color=GREY)
    add_markup(rule, "\tPage ", size=8.5, color=GREY)
    add_field(rule, "PAGE", "1", size=8.5, color=GREY)
    add_markup(rule, " of ", size=8.5, color=GREY)
    add_field(rule, "NUMPAGES", "1", size=8.5, color=GREY)

    para(doc, "INVOICE", style="Title", before=6, after=6)
    p = para(doc, "Invoice No: **<<invoice_no>>**\tDate: **<<invoice_¦date|date:ordinal>>**", after=12)
    right_tab(p, 16.4)
    para(doc, "BILL TO", bold=True, size=9, color=ACCENT, after=0)
    para(doc, "**<<client_¦name>>**", after=0)
    para(doc, "<<client_address|lines>>", after=12)

    left = WD_ALIGN_PARAGRAPH.LEFT
    right = WD_ALIGN_PARAGRAPH.RIGHT
    centre = WD_ALIGN_PARAGRAPH.CENTER
    # The template row: <<#rows>> opens in its first cell and <</rows>> closes in its
    # last, so the whole row repeats once per line item.
    table = add_table(
        doc,
        [
            ["Description", "Qty", "Unit price", "Amount"],
            ["<<#ro¦ws>><<§description¤>>", "<<qty>>", "<<unit_price|money>>", "<<amount|mo¦ney>><</rows>>"],
            ["", "", "**Total**", "**<<total|money>>**"],
        ],
        [8.0, 1.8, 3.2, 3.4],
        aligns=[left, centre, right, right],
        size=10,
    )
    for c in range(2):
        table.cell(2, c).paragraphs[0].text = ""
    merged = table.cell(2, 0).merge(table.cell(2, 1))
    for extra in merged.paragraphs[1:]:
        extra._p.getparent().remove(extra._p)
    shade(table.cell(2, 2), "F2F2F2")
    shade(table.cell(2, 3), "F2F2F2")

    para(doc, "Amount in words: ~~<<total|money_¦words>>~~", before=10, after=12)

    # Each section tag alone in its paragraph: the tag paragraphs vanish with the section.
    para(doc, "<<?paid>>")
    para(
        doc,
        "PAID — thank you. We have received your payment in full; this invoice is settled.",
        bold=True,
        color=ACCENT,
        size=12,
        after=6,
    )
    para(doc, "<</pa¦id>>")
    para(doc, "<<^paid>>")
    para(doc, "**Payment details.** Please pay within 14 days by transfer to:", after=2)
    for line in BANK_LINES:
        para(doc, line, after=0, indent_cm=0.6)
    para(doc, "Please quote **<<invoice_no>>** as the payment reference.", before=4)
    para(doc, 'Or pay online by card or bank transfer: <<pay_url|link:"Pay this invoice">>', before=4)
    para(doc, "<</paid>>")

    path = HERE / "invoice.docx"
    save_docx(doc, path)
    return docx_placeholders(path)


def make_mailmerge_letter() -> None:
    """A confirmation letter made with Word's Mailings tab: MERGEFIELD fields, not <<placeholders>>.

    It reads the offer letter's staff data, and uses Word's switches for dates,
    money and capitals, as a Word user would set them.
    """
    doc = new_document(
        "Confirmation of appointment", f"{COMPANY}: mail-merge letter (Word MERGEFIELD fields)"
    )
    section = doc.sections[0]
    letterhead(
        section.header,
        COMPANY,
        ["Plot 1415 Adetokunbo Ademola Street, Victoria Island, Lagos 101241, Nigeria"],
    )
    p = para(
        doc, 'Our ref: **<<ref_no>>**\t<<start_date \\@ "d MMMM yyyy">>', before=6, after=14, fields=True
    )
    right_tab(p, 16.4)
    para(doc, "<<full_name \\* Upper>>", after=0, bold=True, fields=True)
    para(doc, "<<address>>", after=14, fields=True)
    para(doc, "Dear <<first_name>>,", after=10, fields=True)
    para(doc, "CONFIRMATION OF APPOINTMENT", bold=True, color=ACCENT, font=HEADING_FONT, size=12, after=10)
    para(
        doc,
        "We are pleased to confirm your appointment as <<position>> in the <<department>> department "
        'from <<start_date \\@ "dddd, d MMMM yyyy">>, at a monthly gross salary of '
        '<<salary \\# "₦#,##0.00">>. You will report to <<manager_name>>.',
        after=10,
        fields=True,
    )
    para(doc, "Please sign and return the enclosed copy of this letter.", after=18)
    para(doc, "Yours faithfully,", after=30)
    para(doc, "Head, Human Resources", bold=True, after=0)
    para(doc, COMPANY, after=0)
    save_docx(doc, HERE / "mailmerge-letter.docx")


def make_docxtpl_invoice() -> None:
    """The invoice written for docxtpl (Jinja): {%tr for %} rows, {%p if %}, mytypist's filters in Jinja."""
    doc = new_document("Invoice", f"{PRINTER}: invoice template for docxtpl (Jinja)")
    letterhead(
        doc.sections[0].header, PRINTER, ["Plot 23, Yakubu Gowon Crescent, Asokoro, Abuja, FCT 900231"]
    )
    para(doc, "INVOICE", style="Title", before=6, after=6)
    p = para(doc, "Invoice No: **{{ invoice_no }}**\tDate: **{{ invoice_date|date }}**", after=12)
    right_tab(p, 16.4)
    para(doc, "{{ client_name }}", bold=True, after=0)
    para(doc, "{{ client_address }}", after=12)
    rows = [
        ["Description", "Qty", "Amount"],
        ["{%tr for item in items %}", "", ""],
        ["{{ item.description }}", "{{ item.qty }}", "{{ item.amount|money }}"],
        ["{%tr endfor %}", "", ""],
        ["Total", "", "{{ total|money }}"],
    ]
    right = WD_ALIGN_PARAGRAPH.RIGHT
    add_table(doc, rows, [10.5, 2.0, 4.0], aligns=[None, right, right])
    para(doc, "Amount in words: {{ total|money_words }}", before=8, after=8)
    para(doc, '{%p if paid == "yes" %}')
    para(doc, "PAID — thank you.", bold=True, color=ACCENT, after=6)
    para(doc, "{%p else %}")
    para(doc, "Please pay within 14 days, quoting **{{ invoice_no }}** as the reference.", after=6)
    para(doc, "{%p endif %}")
    save_docx(doc, HERE / "docxtpl-invoice.docx")


def write_invoice_data() -> None:
    nested, flat = invoice_data()
    write_data(
        "invoice-lines",
        flat,
        sheet_title="Invoice lines",
        date_columns={"invoice_date"},
        money_columns={"unit_price", "amount", "total"},
        write_json=False,  # the JSON holds the invoices nested instead: invoices.json
    )
    text = json.dumps(nested, ensure_ascii=False, indent=2) + "\n"
    (HERE / "invoices.json").write_text(unicodedata.normalize("NFC", text), encoding="utf-8")
    draw_signature(HERE / "signature.png")


def main() -> None:
    jobs = [
        (make_offer_letter, "staff", STAFF, "Staff", {"offer_date", "start_date"}, {"salary"}),
        (make_receipt, "receipts", RECEIPTS, "Receipts", {"date"}, {"unit_price", "amount"}),
        (make_affidavit, "affidavits", AFFIDAVITS, "Affidavits", {"sworn_date"}, set()),
    ]
    for make, stem, rows, sheet, dates, money in jobs:
        names = make()
        columns = list(rows[0])
        if names != columns:
            raise SystemExit(f"{stem}: template placeholders {names} != data columns {columns}")
        write_data(stem, rows, sheet_title=sheet, date_columns=dates, money_columns=money)
        print(f"{make.__name__[5:]}: {', '.join(names)}")

    # The invoice's value placeholders are the flat data's columns, except paid, which
    # appears only in the section tags <<?paid>> and <<^paid>> (not matched here).
    names = make_invoice()
    expected = [column for column in INVOICE_COLUMNS if column != "paid"]
    if names != expected:
        raise SystemExit(f"invoice: template placeholders {names} != data columns {expected}")
    write_invoice_data()
    print(f"invoice: {', '.join(names)} (sections: rows, paid)")
    make_mailmerge_letter()
    make_docxtpl_invoice()
    print("mailmerge-letter.docx (staff data), docxtpl-invoice.docx (invoice lines, --group-by invoice_no)")


if __name__ == "__main__":
    main()
