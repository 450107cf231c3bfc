"""Split a combined PDF back into one PDF per record, and join PDFs: the page arithmetic of the fast path.

A combined document carries a bookmark (``BOOKMARK_PREFIX`` + the record's
0-based index) on each record's first paragraph; LibreOffice, asked to
(``ExportBookmarksToPDFDestination``), exports those as named PDF destinations
with their pages, escaping ``_`` as ``5F`` (``_mytypist_rec0`` becomes
``5Fmytypist5Frec0``). A record runs from its own first page to the page
before the next record's. Each record's PDF also gets what LibreOffice gives
the PDF of a document beside its pages: the info dictionary (title, author...),
language, viewer settings, opening view and the outline entries on its pages.
The PDF work itself is pikepdf's (qpdf): it splits a
150-page chunk in about a third of pypdf's time, and the split of a batch's
last chunk is on the path of every ``--to pdf`` run while the others compete
with LibreOffice for the cores. No PDF code of our own.

Imports pikepdf inside functions; never prints. Raises ConversionError.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mytypist_cli.errors import ConversionError

if TYPE_CHECKING:
    import pikepdf

#: The bookmark name of record N is this prefix and N (the combined document's convention).
BOOKMARK_PREFIX = "_mytypist_rec"

PdfSource = bytes | str | os.PathLike[str]
# The catalog's entries a record's own PDF has as LibreOffice wrote them (the pages, outline, named
# destinations and opening view are the piece's own).
_CATALOG_KEYS = ("/Lang", "/ViewerPreferences", "/PageLayout", "/PageMode", "/Metadata")
#: A record's pages in a PDF: first and last, 0-based, inclusive.
PageRange = tuple[int, int]


def _exported(prefix: str) -> str:
    """How LibreOffice writes a bookmark name as a PDF destination: ``_`` becomes ``5F``."""
    return prefix.replace("_", "5F")


@contextmanager
def _opened(pdf: PdfSource) -> Iterator[pikepdf.Pdf]:
    """The PDF opened (and closed after); a file that is no PDF raises ConversionError."""
    import pikepdf

    label = "the PDF" if isinstance(pdf, bytes) else str(pdf)
    source = io.BytesIO(pdf) if isinstance(pdf, bytes) else Path(pdf)
    try:
        # A PDF LibreOffice wrote whole never needs repair; one that does is not split (its records
        # are converted one by one instead) rather than trusted to have kept every page.
        document = pikepdf.open(source, attempt_recovery=False)
    except (OSError, pikepdf.PdfError, ValueError) as exc:
        raise ConversionError(f"{label}: cannot read the PDF ({exc})") from None
    with document:
        try:
            yield document
        except (pikepdf.PdfError, pikepdf.PikepdfError) as exc:  # qpdf's errors, and pikepdf's own
            raise ConversionError(f"{label}: cannot read the PDF ({exc})") from None


def record_starts(pdf: PdfSource, *, prefix: str = BOOKMARK_PREFIX) -> dict[int, int]:
    """Each record's first page (0-based), by record index, from the PDF's named destinations."""
    with _opened(pdf) as document:
        return _starts(document, prefix)


def _destinations(document: pikepdf.Pdf) -> Iterator[tuple[str, object]]:
    """Every named destination: the PDF 1.1 ``/Dests`` dictionary and the ``/Names`` tree both."""
    import pikepdf

    root = document.Root
    if isinstance(root.get("/Dests"), pikepdf.Dictionary):
        for name, value in root.Dests.items():
            yield name, value
    names = root.get("/Names")
    if isinstance(names, pikepdf.Dictionary) and "/Dests" in names:
        for name, value in pikepdf.NameTree(names.Dests).items():
            yield name, value


def _starts(document: pikepdf.Pdf, prefix: str) -> dict[int, int]:
    import pikepdf

    pattern = re.compile(rf"/?(?:{re.escape(_exported(prefix))}|{re.escape(prefix)})(\d+)")
    pages = {page.obj.objgen: number for number, page in enumerate(document.pages)}
    starts: dict[int, int] = {}
    for name, value in _destinations(document):
        found = pattern.fullmatch(str(name))
        if found is None:
            continue
        target = value.get("/D") if isinstance(value, pikepdf.Dictionary) else value
        if not isinstance(target, pikepdf.Array) or not len(target):
            continue
        page = target[0]
        number = pages.get(page.objgen) if isinstance(page, pikepdf.Dictionary) else None
        if number is not None:
            starts[int(found.group(1))] = number
    return starts


def page_ranges(pdf: PdfSource, count: int, *, prefix: str = BOOKMARK_PREFIX) -> list[PageRange]:
    """The pages of records 0 .. ``count``-1 in a combined PDF, in record order.

    Raises ConversionError when a record's destination is missing, or the
    records do not start on increasing pages (then the PDF cannot be split
    exactly, and the caller converts the records one by one instead).
    """
    with _opened(pdf) as document:
        return _record_ranges(document, count, prefix)


def _record_ranges(document: pikepdf.Pdf, count: int, prefix: str) -> list[PageRange]:
    return _ranges(_starts(document, prefix), count, len(document.pages))


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
    with _opened(pdf) as document:
        return _pieces(document, ranges)


def _pieces(document: pikepdf.Pdf, ranges: Sequence[PageRange]) -> list[bytes]:
    import pikepdf

    headings = _headings(document)
    pieces: list[bytes] = []
    for first, last in ranges:
        if not 0 <= first <= last < len(document.pages):
            raise ConversionError(f"pages {first + 1}-{last + 1} are not in a PDF of {len(document.pages)}")
        with pikepdf.new() as piece:
            piece.pages.extend(document.pages[first : last + 1])
            _carry_document(document, piece)
            if headings:
                with piece.open_outline() as outline:
                    outline.root.extend(_outline_of(headings, piece, first, last))
            pieces.append(_saved(piece))
    return pieces


@dataclass
class _Heading:
    """An outline entry of the combined PDF: its title, page (0-based), place on the page, children."""

    title: str
    page: int | None
    place: list[object]
    closed: bool
    children: list[_Heading]


def _headings(document: pikepdf.Pdf) -> list[_Heading]:
    """The combined PDF's outline (LibreOffice makes one of the headings), its pages as numbers."""
    import pikepdf

    if "/Outlines" not in document.Root:
        return []
    pages = {page.obj.objgen: number for number, page in enumerate(document.pages)}

    def read(items: Iterable[pikepdf.OutlineItem]) -> list[_Heading]:
        headings = []
        for item in items:
            target = item.destination
            page = None
            place: list[object] = []
            if (
                isinstance(target, pikepdf.Array)
                and len(target)
                and isinstance(target[0], pikepdf.Dictionary)
            ):
                page = pages.get(target[0].objgen)
                place = [*list(target)[1:]]
            headings.append(_Heading(item.title, page, place, item.is_closed, read(item.children)))
        return headings

    with document.open_outline() as outline:
        return read(outline.root)


def _outline_of(
    headings: list[_Heading], piece: pikepdf.Pdf, first: int, last: int
) -> list[pikepdf.OutlineItem]:
    """The entries on pages ``first``..``last``, pointing at the piece's pages; an entry whose parent is
    elsewhere moves up a level, as in the record's own PDF (a record may start under another's heading)."""
    import pikepdf

    items: list[pikepdf.OutlineItem] = []
    for heading in headings:
        children = _outline_of(heading.children, piece, first, last)
        if heading.page is None or not first <= heading.page <= last:
            items.extend(children)
            continue
        page = piece.pages[heading.page - first].obj
        item = pikepdf.OutlineItem(heading.title, pikepdf.Array([page, *heading.place]))
        item.is_closed = heading.closed
        item.children.extend(children)
        items.append(item)
    return items


def _carry_document(document: pikepdf.Pdf, piece: pikepdf.Pdf) -> None:
    """What LibreOffice gives a PDF beside its pages, as a record's own PDF has it: the title, author,
    subject and keywords (the document properties), the language, the viewer settings, and the
    opening view, pointed at the piece's first page."""
    import pikepdf

    def copied(value: pikepdf.Object) -> pikepdf.Object:
        if not isinstance(value, pikepdf.Dictionary | pikepdf.Array | pikepdf.Stream):
            return value  # a name, string or number belongs to no file
        # qpdf copies only indirect objects across files; the source is never saved.
        return piece.copy_foreign(value if value.is_indirect else document.make_indirect(value))

    info = document.trailer.get("/Info")
    if isinstance(info, pikepdf.Dictionary):
        piece.trailer.Info = piece.make_indirect(copied(info))
    for key in _CATALOG_KEYS:
        if key in document.Root:
            piece.Root[key] = copied(document.Root[key])
    # LibreOffice opens a PDF at its first page: the chunk's first page stands for the record's.
    action = document.Root.get("/OpenAction")
    first_page = document.pages[0].obj.objgen
    if isinstance(action, pikepdf.Array) and len(action) and getattr(action[0], "objgen", None) == first_page:
        piece.Root.OpenAction = pikepdf.Array([piece.pages[0].obj, *list(action)[1:]])


def _saved(document: pikepdf.Pdf) -> bytes:
    buffer = io.BytesIO()
    # Streams LibreOffice left uncompressed (``convert_to_pdf(compress=False)``) are compressed here.
    document.save(buffer, compress_streams=True)
    return buffer.getvalue()


def split_records(pdf: PdfSource, count: int, *, prefix: str = BOOKMARK_PREFIX) -> list[bytes]:
    """The combined PDF of ``count`` records as one PDF per record (see ``page_ranges``)."""
    with _opened(pdf) as document:  # parsed once, for the destinations and the pages both
        return _pieces(document, _record_ranges(document, count, prefix))


def join_pdfs(pdfs: Iterable[PdfSource]) -> bytes:
    """The pages of every PDF, one after the other, as one PDF."""
    import pikepdf

    # qpdf reads a copied page's streams from its source when the copy is saved: all stay open till then
    with ExitStack() as sources, pikepdf.new() as joined:
        for pdf in pdfs:
            joined.pages.extend(sources.enter_context(_opened(pdf)).pages)
        return _saved(joined)


def describe_pages(page_range: PageRange) -> str:
    """A page range as a report shows it, 1-based first and last: ``4-5``, ``4-4`` for one page."""
    first, last = page_range
    return f"{first + 1}-{last + 1}"
