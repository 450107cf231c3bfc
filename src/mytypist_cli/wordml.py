"""Compile one WordprocessingML part into fixed byte segments and slots.

This is where the XML work happens, once per template: every paragraph's
text is read as Word's runs spell it, placeholders that Word split across
runs are joined into the run holding their first character, and the part is
serialised with a marker where each value goes. Splitting the serialised
bytes at the markers gives the compiled form: ``bytes`` segments and
:class:`Slot` objects in between. Rendering a row then only joins bytes.

Imports neither typer nor rich.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from .errors import CorruptDocumentError, UnsafeDocumentError
from .syntax import Stray, Tag, scan

W_NAMESPACES = (
    "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "http://purl.oclc.org/ooxml/wordprocessingml/main",  # Strict OOXML
)
MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True, remove_blank_text=False
)
_OBJECT = "\ufffc"  # stands for a picture, a footnote mark: never part of a name


@dataclass(frozen=True)
class Slot:
    """A place in a compiled part where one placeholder's value goes."""

    name: str
    raw: str
    """The placeholder as written in the document, for ``missing="keep"``."""
    prefix: str
    """The WordprocessingML namespace prefix of the enclosing ``w:t`` ("w:" or "")."""
    filters: str = ""
    """The filter chain as written after ``|`` ("" for none)."""


@dataclass(frozen=True)
class Occurrence:
    """One use of a placeholder, for listing (``counted`` is False in mc:Fallback copies)."""

    tag: Tag
    counted: bool
    paragraph: int
    """1-based index of the paragraph in its part."""
    in_table: bool


@dataclass(frozen=True)
class Problem:
    """Something in the template worth a warning; the text was left as it is."""

    part: str
    paragraph: int
    message: str

    def __str__(self) -> str:
        return f"{self.part}, paragraph {self.paragraph}: {self.message}"


Pieces = list["bytes | Slot"]


def parse_xml(data: bytes, part: str) -> etree._Element:
    """Parse a package part without ever resolving entities or touching the network.

    Raises UnsafeDocumentError for a DOCTYPE, CorruptDocumentError for bad XML.
    """
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise UnsafeDocumentError(f"{part} declares a DOCTYPE or entities, which Word never writes")
    try:
        return etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise CorruptDocumentError(f"{part} is not well-formed XML ({exc})") from None


def serialise(root: etree._Element) -> bytes:
    """Serialise a part the way Word writes it: UTF-8 with a standalone declaration."""
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


class _Names:
    """The qualified tag names used while walking one part's paragraphs."""

    def __init__(self, ns: str) -> None:
        w = "{" + ns + "}"
        self.p = w + "p"
        self.t = w + "t"
        self.text_breaks = {w + "tab": "\t", w + "ptab": "\t", w + "br": "\n", w + "cr": "\n"}
        self.chars = {w + "noBreakHyphen": "\u2011", w + "sym": _OBJECT}
        # Subtrees whose text is not the paragraph's visible text, or belongs
        # to other paragraphs (text boxes), or is deleted by tracked changes.
        self.skip = {
            w + name
            for name in (
                "pPr",
                "rPr",
                "del",
                "moveFrom",
                "p",
                "txbxContent",
                "sdtPr",
                "sdtEndPr",
                "instrText",
                "delText",
                "fldData",
                "footnoteReference",
                "endnoteReference",
            )
        }
        self.objects = {w + name for name in ("drawing", "pict", "object")}
        self.fallback = "{" + MC_NS + "}Fallback"
        self.cell = w + "tc"


def compile_part(
    part: str, data: bytes, delimiters: tuple[str, str]
) -> tuple[Pieces | None, list[Occurrence], list[Problem]]:
    """Compile one story part (document, header, footer, notes).

    Returns the pieces (None when the part holds no placeholder and can be
    copied as it is), every placeholder occurrence in document order, and
    the problems found.
    """
    root = parse_xml(data, part)
    ns = etree.QName(root).namespace
    if ns not in W_NAMESPACES:
        return None, [], []
    names = _Names(ns)
    occurrences: list[Occurrence] = []
    problems: list[Problem] = []
    slots: list[Slot] = []
    marker_open, marker_close = _markers(data)

    for index, paragraph in enumerate(root.iter(names.p), start=1):
        pieces = _text_pieces(paragraph, names)
        text = "".join(piece_text for _, piece_text in pieces)
        tags, strays = scan(text, delimiters)
        problems.extend(_problem(part, index, stray) for stray in strays)
        for tag in tags:
            if tag.sigil or tag.name == ".":
                message = f"{tag.raw!r}: sections and list items are not supported yet; left as text"
                problems.append(Problem(part, index, message))
        tags = [tag for tag in tags if not tag.sigil and tag.name != "."]
        if not tags:
            continue
        counted = next(paragraph.iterancestors(names.fallback), None) is None
        in_table = next(paragraph.iterancestors(names.cell), None) is not None
        markers: list[str] = []
        for tag in tags:
            element = _first_element(pieces, tag.start)
            prefix = f"{element.prefix}:" if element.prefix else ""
            markers.append(f"{marker_open}{len(slots)}{marker_close}")
            slots.append(Slot(tag.name, tag.raw, prefix, tag.filters))
            occurrences.append(Occurrence(tag, counted, index, in_table))
        _rewrite(pieces, tags, markers)

    if not slots:
        return None, occurrences, problems
    return _split(serialise(root), slots, marker_open, marker_close), occurrences, problems


def _problem(part: str, paragraph: int, stray: Stray) -> Problem:
    return Problem(part, paragraph, f"{stray.text!r} {stray.reason}; left as text")


def _text_pieces(paragraph: etree._Element, names: _Names) -> list[tuple[etree._Element | None, str]]:
    """The paragraph's visible text, piece by piece, in reading order.

    A piece is a ``w:t`` element with its text, or ``None`` with a character
    standing for a tab, a break or an object: those can never be inside a
    placeholder, which keeps placeholders from spanning them.
    """
    pieces: list[tuple[etree._Element | None, str]] = []
    stack = list(reversed(paragraph))
    while stack:
        element = stack.pop()
        tag = element.tag
        if not isinstance(tag, str):
            continue  # comments and processing instructions
        if tag == names.t:
            pieces.append((element, element.text or ""))
        elif tag in names.skip:
            continue
        elif tag in names.text_breaks:
            pieces.append((None, names.text_breaks[tag]))
        elif tag in names.chars:
            pieces.append((None, names.chars[tag]))
        elif tag in names.objects:
            pieces.append((None, _OBJECT))
        else:
            stack.extend(reversed(element))
    return pieces


def _first_element(pieces: list[tuple[etree._Element | None, str]], offset: int) -> etree._Element:
    position = 0
    for element, text in pieces:
        if position <= offset < position + len(text) and element is not None:
            return element
        position += len(text)
    raise AssertionError("a tag always starts inside a w:t")  # pragma: no cover


def _rewrite(pieces: list[tuple[etree._Element | None, str]], tags: list[Tag], markers: list[str]) -> None:
    """Put each tag's marker in the w:t holding its first character; trim the rest."""
    full = "".join(text for _, text in pieces)
    start = 0
    for element, text in pieces:
        end = start + len(text)
        if element is not None and text:
            chunks: list[str] = []
            position = start
            touched = False
            for tag, marker in zip(tags, markers, strict=True):
                if tag.end <= start or tag.start >= end:
                    continue
                touched = True
                if tag.start >= start:
                    chunks.append(full[position : tag.start])
                    chunks.append(marker)
                position = max(position, min(tag.end, end))
            if touched:
                chunks.append(full[position:end])
                element.text = "".join(chunks)
                element.set(XML_SPACE, "preserve")
        start = end


def _markers(data: bytes) -> tuple[str, str]:
    """Private-use characters that do not occur in the part, to mark the slots."""
    for opening, closing in (("\ue000", "\ue001"), ("\uf8f0", "\uf8f1"), ("\U000f0000", "\U000f0001")):
        if opening.encode() not in data:
            return opening, closing
    raise CorruptDocumentError("the part uses every private character mytypist could mark slots with")


def _split(serialised: bytes, slots: list[Slot], marker_open: str, marker_close: str) -> Pieces:
    pattern = re.compile(re.escape(marker_open.encode()) + rb"(\d+)" + re.escape(marker_close.encode()))
    pieces: Pieces = []
    position = 0
    for match in pattern.finditer(serialised):
        pieces.append(serialised[position : match.start()])
        pieces.append(slots[int(match.group(1))])
        position = match.end()
    pieces.append(serialised[position:])
    return pieces


def strip_mail_merge(data: bytes, part: str) -> bytes | None:
    """``word/settings.xml`` without its ``w:mailMerge`` data-source link, or None if it has none."""
    if b"mailMerge" not in data:
        return None
    root = parse_xml(data, part)
    removed = False
    for ns in W_NAMESPACES:
        for element in root.findall(f"{{{ns}}}mailMerge"):
            root.remove(element)
            removed = True
    return serialise(root) if removed else None
