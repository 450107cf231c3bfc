"""pdf/split.py: a combined PDF back into one PDF per record at its bookmarks, and PDFs joined.

The fast tests build PDFs with pypdf's own named destinations; the slow ones
have LibreOffice export a hand-built .docx with bookmarks and page breaks, as
the combined conversion does, and compare the pieces page by page with pdftotext.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from docx_factory import make_docx, r
from mytypist_cli.errors import ConversionError, ConverterMissingError
from mytypist_cli.pdf.convert import convert_to_pdf, find_soffice
from mytypist_cli.pdf.split import (
    describe_pages,
    join_pdfs,
    page_ranges,
    record_starts,
    split_pdf,
    split_records,
)
from rich_helpers import unfiltered_streams


def _has_soffice() -> bool:
    try:
        find_soffice()
    except ConverterMissingError:
        return False
    return shutil.which("pdftotext") is not None


needs_libreoffice = pytest.mark.skipif(not _has_soffice(), reason="needs LibreOffice and pdftotext")


def _pdf(pages: int, destinations: dict[str, int]) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=200, height=200)
    for name, page in destinations.items():
        writer.add_named_destination(name, page)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _pages(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


def test_records_run_from_their_start_to_the_next_records_start() -> None:
    pdf = _pdf(6, {"5Fmytypist5Frec0": 0, "5Fmytypist5Frec1": 1, "5Fmytypist5Frec2": 4, "other": 2})
    assert record_starts(pdf) == {0: 0, 1: 1, 2: 4}
    assert page_ranges(pdf, 3) == [(0, 0), (1, 3), (4, 5)]
    assert [_pages(piece) for piece in split_records(pdf, 3)] == [1, 3, 2]
    assert [describe_pages(page_range) for page_range in page_ranges(pdf, 3)] == ["1-1", "2-4", "5-6"]


def test_a_record_without_its_destination_cannot_be_split() -> None:
    pdf = _pdf(3, {"5Fmytypist5Frec0": 0, "5Fmytypist5Frec2": 2})
    with pytest.raises(ConversionError, match="record 2"):
        page_ranges(pdf, 3)


def test_records_out_of_page_order_cannot_be_split() -> None:
    pdf = _pdf(3, {"5Fmytypist5Frec0": 0, "5Fmytypist5Frec1": 2, "5Fmytypist5Frec2": 2})
    with pytest.raises(ConversionError, match="in order"):
        page_ranges(pdf, 3)


def test_a_page_range_outside_the_pdf_is_an_error() -> None:
    with pytest.raises(ConversionError, match="not in a PDF of 2"):
        split_pdf(_pdf(2, {}), [(1, 2)])


def test_not_a_pdf_is_a_conversion_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"not a pdf at all")
    with pytest.raises(ConversionError, match="broken.pdf"):
        record_starts(broken)


def test_a_pdf_that_would_need_repair_is_not_split() -> None:
    pdf = _pdf(2, {"5Fmytypist5Frec0": 0, "5Fmytypist5Frec1": 1})
    offset = pdf.rindex(b"startxref") + len(b"startxref\n")
    end = pdf.index(b"\n", offset)
    damaged = pdf[:offset] + str(int(pdf[offset:end]) + 7).encode() + pdf[end:]  # the xref moved
    assert len(PdfReader(io.BytesIO(damaged)).pages) == 2  # a lenient reader would carry on
    with pytest.raises(ConversionError, match="cannot read the PDF"):
        split_records(damaged, 2)


def test_destinations_in_the_pdf_1_1_dictionary_and_as_d_entries_are_read() -> None:
    import pikepdf

    with pikepdf.new() as document:
        for _ in range(4):
            document.add_blank_page(page_size=(200, 200))
        pages = [page.obj for page in document.pages]
        document.Root.Dests = pikepdf.Dictionary(
            {
                "/5Fmytypist5Frec0": pikepdf.Array([pages[0], pikepdf.Name.Fit]),
                "/5Fmytypist5Frec1": pikepdf.Dictionary(D=pikepdf.Array([pages[2], pikepdf.Name.Fit])),
            }
        )
        buffer = io.BytesIO()
        document.save(buffer)
    pdf = buffer.getvalue()
    assert record_starts(pdf) == {0: 0, 1: 2}
    assert [_pages(piece) for piece in split_records(pdf, 2)] == [2, 2]


def test_join_puts_every_page_in_order() -> None:
    joined = join_pdfs([_pdf(2, {}), _pdf(3, {})])
    assert _pages(joined) == 5


def _record(index: int, lines: list[str], *, first: bool) -> str:
    """A record as the combined document writes it: a bookmark on its first paragraph, a new page."""
    ppr = "" if first else "<w:pPr><w:pageBreakBefore/></w:pPr>"
    name = f"_mytypist_rec{index}"
    body = (
        f'<w:p>{ppr}<w:bookmarkStart w:id="{index}" w:name="{name}"/>'
        f'<w:bookmarkEnd w:id="{index}"/>{r(lines[0])}</w:p>'
    )
    for line in lines[1:]:
        body += f'<w:p><w:r><w:br w:type="page"/></w:r>{r(line)}</w:p>'
    return body


def _text_per_page(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True).stdout
    return [" ".join(page.decode().split()) for page in text.split(b"\f")[:-1]]


@pytest.mark.slow
@needs_libreoffice
def test_libreoffice_bookmarks_split_into_each_records_pages(tmp_path: Path) -> None:
    records = [["Alpha one"], ["Bravo one", "Bravo two", "Bravo three"], ["Charlie one", "Charlie two"]]
    body = "".join(_record(index, lines, first=index == 0) for index, lines in enumerate(records))
    source = tmp_path / "combined.docx"
    source.write_bytes(make_docx(body))
    (result,) = convert_to_pdf([source], tmp_path / "pdf", bookmarks=True)
    assert result.pdf is not None, result.error
    assert page_ranges(result.pdf, 3) == [(0, 0), (1, 3), (4, 5)]
    for index, piece in enumerate(split_records(result.pdf, 3)):
        path = tmp_path / f"record{index}.pdf"
        path.write_bytes(piece)
        assert _text_per_page(path) == records[index]


@pytest.mark.slow
@needs_libreoffice
def test_without_the_bookmark_option_there_is_nothing_to_split_at(tmp_path: Path) -> None:
    source = tmp_path / "combined.docx"
    source.write_bytes(make_docx(_record(0, ["A"], first=True) + _record(1, ["B"], first=False)))
    (result,) = convert_to_pdf([source], tmp_path / "pdf")
    assert result.pdf is not None, result.error
    with pytest.raises(ConversionError, match="no start page"):
        page_ranges(result.pdf, 2)


@pytest.mark.slow
@needs_libreoffice
def test_streams_libreoffice_leaves_uncompressed_are_compressed_in_the_pieces(tmp_path: Path) -> None:
    records = [["Alpha one", "Alpha two"], ["Bravo one"]]
    body = "".join(_record(index, lines, first=index == 0) for index, lines in enumerate(records))
    source = tmp_path / "combined.docx"
    source.write_bytes(make_docx(body))
    (plain,) = convert_to_pdf([source], tmp_path / "plain", bookmarks=True, compress=False)
    (packed,) = convert_to_pdf([source], tmp_path / "packed", bookmarks=True)
    assert plain.pdf is not None
    assert packed.pdf is not None
    assert unfiltered_streams(plain.pdf) > 0  # the switch reaches LibreOffice
    assert unfiltered_streams(packed.pdf) == 0
    for index, piece in enumerate(split_records(plain.pdf, 2)):
        assert unfiltered_streams(piece) == 0
        path = tmp_path / f"record{index}.pdf"
        path.write_bytes(piece)
        assert _text_per_page(path) == records[index]


def _combined_with_document_entries() -> bytes:
    """Four pages, records starting on pages 0 and 2, with what LibreOffice puts beside the pages."""
    import pikepdf

    with pikepdf.new() as pdf:
        for _ in range(4):
            pdf.add_blank_page(page_size=(200, 200))
        pages = [page.obj for page in pdf.pages]
        pdf.Root.Dests = pikepdf.Dictionary(
            {"/5Fmytypist5Frec0": pikepdf.Array([pages[0], pikepdf.Name.Fit]),
             "/5Fmytypist5Frec1": pikepdf.Array([pages[2], pikepdf.Name.Fit])}
        )  # fmt: skip
        pdf.trailer.Info = pdf.make_indirect(pikepdf.Dictionary(Title="Offer of employment", Author="HR"))
        pdf.Root.Lang = pikepdf.String("en-NG")
        pdf.Root.ViewerPreferences = pikepdf.Dictionary(DisplayDocTitle=True)  # direct, as LibreOffice writes
        pdf.Root.OpenAction = pikepdf.Array([pages[0], pikepdf.Name.XYZ, None, None, 0])
        with pdf.open_outline() as outline:
            first = pikepdf.OutlineItem("Terms", pikepdf.Array([pages[0], pikepdf.Name.XYZ, 10, 150, 0]))
            first.children.append(
                pikepdf.OutlineItem("Salary", pikepdf.Array([pages[1], pikepdf.Name.XYZ, 10, 90, 0]))
            )
            # The second record opens with a lower heading, which the outline puts under the first's last.
            first.children.append(
                pikepdf.OutlineItem("Leave", pikepdf.Array([pages[2], pikepdf.Name.XYZ, 10, 50, 0]))
            )
            outline.root.append(first)
            outline.root.append(
                pikepdf.OutlineItem("Signatures", pikepdf.Array([pages[3], pikepdf.Name.Fit]))
            )
        buffer = io.BytesIO()
        pdf.save(buffer)
        return buffer.getvalue()


def test_each_piece_keeps_the_document_entries_and_its_own_headings() -> None:
    import pikepdf

    pieces = split_records(_combined_with_document_entries(), 2)
    seen = []
    for piece in pieces:
        with pikepdf.open(io.BytesIO(piece)) as pdf:
            with pdf.open_outline() as outline:
                headings = [
                    (
                        item.title,
                        pdf.pages.index(pikepdf.Page(item.destination[0])),
                        [c.title for c in item.children],
                    )
                    for item in outline.root
                ]
            opens = pdf.Root.OpenAction
            seen.append(
                (str(pdf.docinfo.Title), str(pdf.docinfo.Author), str(pdf.Root.Lang),
                 bool(pdf.Root.ViewerPreferences.DisplayDocTitle), pdf.pages.index(pikepdf.Page(opens[0])),
                 headings)
            )  # fmt: skip
    assert seen == [
        ("Offer of employment", "HR", "en-NG", True, 0, [("Terms", 0, ["Salary"])]),
        ("Offer of employment", "HR", "en-NG", True, 0, [("Leave", 0, []), ("Signatures", 1, [])]),
    ]
