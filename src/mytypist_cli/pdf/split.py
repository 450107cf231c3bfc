"""Split a combined PDF back into one PDF per record, and join PDFs: the page arithmetic of the fast path.

A combined document carries a bookmark (``BOOKMARK_PREFIX`` + the record's
0-based index) on each record's first paragraph; LibreOffice, asked to
(``ExportBookmarksToPDFDestination``), exports those as named PDF destinations
with their pages, escaping ``_`` as ``5F`` (``_mytypist_rec0`` becomes
``5Fmytypist5Frec0``). A record runs from its own first page to the page
before the next record's. The PDF work itself is pypdf's (pure Python, a
runtime dependency already, enough to copy pages): no PDF code of our own.

Imports pypdf inside functions; never prints. Raises ConversionError.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from mytypist_cli.errors import ConversionError

if TYPE_CHECKING:
    from pypdf import PdfReader

#: The bookmark name of record N is this prefix and N (the combined document's convention).
BOOKMARK_PREFIX = "_mytypist_rec"

PdfSource = bytes | str | os.PathLike[str]
#: A record's pages in a PDF: first and last, 0-based, inclusive.
PageRange = tuple[int, int]


def _exported(prefix: str) -> str:
    """How LibreOffice writes a bookmark name as a PDF destination: ``_`` becomes ``5F``."""
    return prefix.replace("_", "5F")


def _reader(pdf: PdfSource) -> PdfReader:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    label = "the PDF" if isinstance(pdf, bytes) else str(pdf)
    try:
        return PdfReader(io.BytesIO(pdf) if isinstance(pdf, bytes) else Path(pdf))
    except (OSError, PyPdfError, ValueError) as exc:
        raise ConversionError(f"{label}: cannot read the PDF ({exc})") from None


def record_starts(pdf: PdfSource, *, prefix: str = BOOKMARK_PREFIX) -> dict[int, int]:
    """Each record's first page (0-based), by record index, from the PDF's named destinations."""
    return _starts(_reader(pdf), prefix)


def _starts(reader: PdfReader, prefix: str) -> dict[int, int]:
    pattern = re.compile(rf"/?(?:{re.escape(_exported(prefix))}|{re.escape(prefix)})(\d+)")
    starts: dict[int, int] = {}
    for name, destination in reader.named_destinations.items():
        found = pattern.fullmatch(str(name))
        if found is None:
            continue
        page = reader.get_destination_page_number(destination)
        if page is not None and page >= 0:
            starts[int(found.group(1))] = page
    return starts


def page_ranges(pdf: PdfSource, count: int, *, prefix: str = BOOKMARK_PREFIX) -> list[PageRange]:
    """The pages of records 0 .. ``count``-1 in a combined PDF, in record order.

    Raises ConversionError when a record's destination is missing, or the
    records do not start on increasing pages (then the PDF cannot be split
    exactly, and the caller converts the records one by one instead).
    """
    return _record_ranges(_reader(pdf), count, prefix)


def _record_ranges(reader: PdfReader, count: int, prefix: str) -> list[PageRange]:
    return _ranges(_starts(reader, prefix), count, len(reader.pages))


def _ranges(starts: dict[int, int], count: int, pages: int) -> list[PageRange]:
    missing = [index for index in range(count) if index not in starts]
    if missing:
        raise ConversionError(f"the combined PDF has no start page for record {missing[0] + 1}")
    firsts = [starts[index] for index in range(count)]
    if any(after <= before for before, after in zip(firsts, firsts[1:], strict=False)) or (
        firsts and (firsts[0] != 0 or firsts[-1] >= pages)
    ):
        raise ConversionError("the records of the combined PDF do not start on pages in order")
    lasts = [after - 1 for after in firsts[1:]] + [pages - 1]
    return list(zip(firsts, lasts, strict=True))


def split_pdf(pdf: PdfSource, ranges: Sequence[PageRange]) -> list[bytes]:
    """One PDF (bytes) per page range of ``pdf``. Raises ConversionError for a range outside it."""
    return _pieces(_reader(pdf), ranges)


def _pieces(reader: PdfReader, ranges: Sequence[PageRange]) -> list[bytes]:
    from pypdf import PdfWriter

    pieces: list[bytes] = []
    for first, last in ranges:
        if not 0 <= first <= last < len(reader.pages):
            raise ConversionError(f"pages {first + 1}-{last + 1} are not in a PDF of {len(reader.pages)}")
        piece = PdfWriter()
        for number in range(first, last + 1):
            piece.add_page(reader.pages[number])
        buffer = io.BytesIO()
        piece.write(buffer)
        pieces.append(buffer.getvalue())
    return pieces


def split_records(pdf: PdfSource, count: int, *, prefix: str = BOOKMARK_PREFIX) -> list[bytes]:
    """The combined PDF of ``count`` records as one PDF per record (see ``page_ranges``)."""
    reader = _reader(pdf)  # parsed once, for the destinations and the pages both
    return _pieces(reader, _record_ranges(reader, count, prefix))


def join_pdfs(pdfs: Iterable[PdfSource]) -> bytes:
    """The pages of every PDF, one after the other, as one PDF."""
    from pypdf import PdfWriter

    joined = PdfWriter()
    for pdf in pdfs:
        for page in _reader(pdf).pages:
            joined.add_page(page)
    buffer = io.BytesIO()
    joined.write(buffer)
    return buffer.getvalue()


def describe_pages(page_range: PageRange) -> str:
    """A page range as a report shows it, 1-based first and last: ``4-5``, ``4-4`` for one page."""
    first, last = page_range
    return f"{first + 1}-{last + 1}"
