"""Placeholders outside the WordprocessingML stories: document properties, charts, custom XML data.

These parts hold text without Word's runs: ``docProps/core.xml`` has a
title element, a chart's title is DrawingML rich text (``a:p``, ``a:r``,
``a:t``) and its category labels cached values (``c:v``), a custom XML part
(what a cover page's content controls are bound to) any elements. Each text
is filled as a plain value: escaped, with no Word markup. A DrawingML
paragraph's runs are joined first, as a Word paragraph's are, so a title
that PowerPoint-style editing split across runs still fills.

:func:`compile_text_part` compiles such a part into bytes and plain slots;
:func:`unfilled` lists the placeholders left in any other part, for warnings.

Imports neither typer nor rich.
"""

from __future__ import annotations

import re
from functools import lru_cache

from lxml import etree

from mytypist_cli.engine.syntax import Tag, scan
from mytypist_cli.ooxml.compiler import (
    CompiledPart,
    Occurrence,
    Problem,
    Slot,
    is_picture_tag,
    parse_xml,
    private_use_markers,
    source_text,
)
from mytypist_cli.ooxml.names import A_NAMESPACES, MC_NS, W_NAMESPACES

Piece = tuple[etree._Element | None, str]
"""An element whose ``.text`` is part of a text, or None with a character that stands for a break."""

_PARAGRAPHS = {f"{{{ns}}}p" for ns in (*A_NAMESPACES, *W_NAMESPACES)}
_TEXTS = {f"{{{ns}}}t" for ns in (*A_NAMESPACES, *W_NAMESPACES)}
_BREAKS = {f"{{{ns}}}br" for ns in (*A_NAMESPACES, *W_NAMESPACES)} | {f"{{{ns}}}tab" for ns in W_NAMESPACES}
_FALLBACK = f"{{{MC_NS}}}Fallback"
_GUID = re.compile(r"[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}")


def compile_text_part(part: str, data: bytes, delimiters: tuple[str, str]) -> CompiledPart:
    """Compile a part whose texts are filled as plain values (document properties, a chart, custom XML).

    Nodes are None when the part holds no placeholder, so it is copied as it
    is. Lists, conditions and pictures are not filled here: each is a warning
    and stays as written. Raises CorruptDocumentError or UnsafeDocumentError
    for XML that does not parse safely.
    """
    if not _may_hold(data, delimiters[0]):
        return CompiledPart(None, [], [])
    root = parse_xml(data, part)
    marker_open, marker_close = private_use_markers(source_text(root, data))
    slots: list[Slot] = []
    occurrences: list[Occurrence] = []
    problems: list[Problem] = []
    for pieces in text_units(root):
        text = "".join(piece for _, piece in pieces)
        tags, _ = scan(text, delimiters)
        values: list[tuple[Tag, str]] = []
        for tag in tags:
            if _is_guid(tag):
                continue  # {GUID}s are identifiers, not placeholders
            if tag.sigil or tag.name == "." or is_picture_tag(tag):
                problems.append(Problem(part, None, _not_filled(tag, part)))
                continue
            values.append((tag, f"{marker_open}{len(slots)}{marker_close}"))
            slots.append(Slot(tag.name, tag.raw, "", tag.filters, plain=True))
            occurrences.append(Occurrence(tag, _counted(pieces), 0, False))
        if values:
            _rewrite(pieces, values)
    if not slots:
        return CompiledPart(None, occurrences, problems)
    serialised = etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8", standalone=True)
    pattern = re.compile(re.escape(marker_open.encode()) + rb"(\d+)" + re.escape(marker_close.encode()))
    nodes: list[bytes | Slot] = []
    position = 0
    for match in pattern.finditer(serialised):
        nodes.append(serialised[position : match.start()])
        nodes.append(slots[int(match.group(1))])
        position = match.end()
    nodes.append(serialised[position:])
    return CompiledPart([node for node in nodes if node != b""], occurrences, problems)


def unfilled(part: str, data: bytes, delimiters: tuple[str, str]) -> list[Problem]:
    """A warning for each distinct placeholder in a part nothing fills (``word/diagrams/data1.xml``).

    Raises CorruptDocumentError or UnsafeDocumentError for XML that does not
    parse safely.
    """
    if not _may_hold(data, delimiters[0]):
        return []
    root = parse_xml(data, part)
    seen: dict[str, None] = {}
    for pieces in text_units(root):
        tags, _ = scan("".join(piece for _, piece in pieces), delimiters)
        for tag in tags:
            if not _is_guid(tag):
                seen.setdefault(tag.raw, None)
    return [Problem(part, None, f"{raw} in {part} is not filled") for raw in seen]


def text_units(root: etree._Element) -> list[list[Piece]]:
    """The texts of a part that a placeholder may sit in, in document order.

    A DrawingML or WordprocessingML paragraph is one text, its runs joined
    (breaks and tabs stand for themselves, so no placeholder spans them);
    every other element's own text is one text.
    """
    units: list[list[Piece]] = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue  # comments and processing instructions
        if element.tag in _PARAGRAPHS:
            if next(element.iterancestors(*_PARAGRAPHS), None) is None:
                units.append(_paragraph_pieces(element))
        elif (
            element.text and element.text.strip() and next(element.iterancestors(*_PARAGRAPHS), None) is None
        ):
            units.append([(element, element.text)])
    return units


def _paragraph_pieces(paragraph: etree._Element) -> list[Piece]:
    pieces: list[Piece] = []
    for element in paragraph.iter():
        if element.tag in _TEXTS:
            pieces.append((element, element.text or ""))
        elif element.tag in _BREAKS:
            pieces.append((None, "\n"))
    return pieces


def _rewrite(pieces: list[Piece], values: list[tuple[Tag, str]]) -> None:
    """Put each tag's marker in the element holding its first character; trim the rest of the tag."""
    full = "".join(text for _, text in pieces)
    start = 0
    for element, text in pieces:
        end = start + len(text)
        if element is not None and text:
            chunks: list[str] = []
            position = start
            touched = False
            for tag, marker in values:
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
        start = end


def _counted(pieces: list[Piece]) -> bool:
    """False in an mc:Fallback copy (the same text again, for older readers)."""
    element = next((element for element, _ in pieces if element is not None), None)
    return element is None or next(element.iterancestors(_FALLBACK), None) is None


def _not_filled(tag: Tag, part: str) -> str:
    return f"{tag.raw} in {part} is not filled: lists, conditions and pictures work in the document's text"


def _is_guid(tag: Tag) -> bool:
    return not tag.sigil and not tag.filters and _GUID.fullmatch(tag.name) is not None


@lru_cache(maxsize=16)
def _forms(opening: str) -> tuple[bytes, ...]:
    """How ``opening`` can be spelt in XML text: as it is, and escaped (``<<`` is ``&lt;&lt;``)."""
    escaped = opening.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return tuple(dict.fromkeys(form.encode() for form in (opening, escaped) if "<" not in form))


def _may_hold(data: bytes, opening: str) -> bool:
    """Whether the part may hold a placeholder: the opening delimiter in element text, not only in markup.

    A cheap test on bytes before parsing: text is where the last ``<`` or ``>``
    before it is a ``>`` (``{`` is in most parts' attributes, as ``{GUID}``).
    """
    for form in _forms(opening):
        position = data.find(form)
        while position != -1:
            if data.rfind(b">", 0, position) > data.rfind(b"<", 0, position):
                return True
            position = data.find(form, position + len(form))
    return False
