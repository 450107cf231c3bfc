"""Word's list numbering (``word/numbering.xml``): make sure the part exists, add lists, restart them.

A numbered or bulleted paragraph names a *num* (``w:numPr/w:numId``); a num
points at an *abstractNum* (``w:abstractNumId``), which holds the levels'
formats. Two paragraphs with the same numId count on together; a new num over
the same abstractNum with ``w:lvlOverride/w:startOverride`` starts again at 1,
which is how Word itself restarts a list and what markdown lists and repeated
sections use here.

The functions work on parsed trees (lxml) and on the bytes of the package
parts they touch, so a caller parses ``numbering.xml`` once per document,
adds what it needs, and serializes once. Both the transitional and the Strict
spelling of WordprocessingML are kept as the document has them.

Typical use::

    part, rels, types = ensure_numbering_part(document_rels, content_types, numbering_bytes is None)
    root = parse_numbering(numbering_bytes) if numbering_bytes else new_numbering(strict=False)
    abstract = add_abstract_num(root, "decimal")
    num_id = add_num(root, abstract)              # paragraphs with this numId count from 1
    again = restart_num(root, num_id)             # a second list over the same format, from 1 again
    numbering_bytes = serialize_numbering(root)

Imports neither typer nor rich.
"""

from __future__ import annotations

from typing import Literal

from lxml import etree

from mytypist_cli.ooxml import relationships
from mytypist_cli.ooxml.names import W_NS, W_STRICT_NS

NUMBERING_PART = "word/numbering.xml"
"""Where a new numbering part goes (Word's own name for it)."""
NUMBERING_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.numbering+xml"
NUMBERING_RELATIONSHIP = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/numbering"
NUMBERING_RELATIONSHIP_STRICT = "http://purl.oclc.org/ooxml/officeDocument/relationships/numbering"

ListKind = Literal["bullet", "decimal"]
MAX_LEVELS = 9
"""Word has nine list levels (``w:ilvl`` 0 to 8)."""

_BULLETS = ("\u2022", "o", "\u25aa")  # bullet, white circle (in Courier New), small square, repeating
_BULLET_FONTS = ("Symbol", "Courier New", "Wingdings")
_DECIMAL_FORMATS = ("decimal", "lowerLetter", "lowerRoman")  # 1. a. i. then again, as Word's default list
_INDENT_STEP = 720  # twips per level (half an inch), as Word's default lists
_HANGING = 360


def _w(root: etree._Element) -> str:
    """The WordprocessingML namespace of ``root`` in braces (Strict documents keep Strict)."""
    namespace = etree.QName(root).namespace
    return f"{{{namespace if namespace in (W_NS, W_STRICT_NS) else W_NS}}}"


# -- the part and how the package finds it ------------------------------------------------------


def numbering_target(document_rels: bytes | None, document_part: str = "word/document.xml") -> str | None:
    """The member name of the numbering part the main document's relationships point at, or None."""
    kinds = (NUMBERING_RELATIONSHIP, NUMBERING_RELATIONSHIP_STRICT)
    return relationships.target(document_rels, document_part, lambda kind: kind in kinds)


def ensure_numbering_part(
    document_rels: bytes | None, content_types: bytes, *, strict: bool = False
) -> tuple[str, bytes, bytes]:
    """Make the package point at a numbering part: ``(member name, new document rels, new content types)``.

    When the relationships already name one, its name comes back with both
    inputs unchanged (the same bytes). Otherwise a relationship to
    ``word/numbering.xml`` is added (with an id the .rels does not use yet) and
    an Override for it in ``[Content_Types].xml``; the caller then writes
    :func:`new_numbering` there. ``document_rels`` None means the document had
    no .rels member at all.
    """
    existing = numbering_target(document_rels)
    if existing is not None:
        types = relationships.with_content_type(content_types, existing, NUMBERING_CONTENT_TYPE)
        return existing, document_rels or b"", types
    # Not rIdMt...: combined documents take those for value pictures, made again per record.
    kind = NUMBERING_RELATIONSHIP_STRICT if strict else NUMBERING_RELATIONSHIP
    new_rels = relationships.add(document_rels, kind, "numbering.xml", "rIdMn")
    types = relationships.with_content_type(content_types, NUMBERING_PART, NUMBERING_CONTENT_TYPE)
    return NUMBERING_PART, new_rels, types


def new_numbering(*, strict: bool = False) -> etree._Element:
    """An empty ``w:numbering`` root, for a document that had no numbering part."""
    namespace = W_STRICT_NS if strict else W_NS
    return etree.Element(f"{{{namespace}}}numbering", nsmap={"w": namespace})


def parse_numbering(data: bytes) -> etree._Element:
    """The root of a numbering part's bytes (entities are not resolved, the network is never used)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    return etree.fromstring(data, parser)


def serialize_numbering(root: etree._Element) -> bytes:
    """A numbering part's bytes, with the XML declaration Word writes."""
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


# -- ids ------------------------------------------------------------------------------------------


def _ids(root: etree._Element, tag: str, attribute: str) -> set[int]:
    w = _w(root)
    found = set()
    for element in root.iterchildren(f"{w}{tag}"):
        try:
            found.add(int(element.get(f"{w}{attribute}") or ""))
        except ValueError:
            continue
    return found


def next_abstract_num_id(root: etree._Element) -> int:
    """The smallest ``w:abstractNumId`` above every one the part uses (0 in an empty part)."""
    used = _ids(root, "abstractNum", "abstractNumId")
    return max(used) + 1 if used else 0


def next_num_id(root: etree._Element) -> int:
    """The smallest ``w:numId`` above every one the part uses (1 in an empty part: 0 means "no list")."""
    used = _ids(root, "num", "numId")
    return max(used) + 1 if used else 1


def abstract_num_of(root: etree._Element, num_id: int | str) -> int | None:
    """The abstractNumId that num ``num_id`` uses, or None when the part has no such num."""
    w = _w(root)
    wanted = str(num_id)
    for num in root.iterchildren(f"{w}num"):
        if num.get(f"{w}numId") == wanted:
            abstract = num.find(f"{w}abstractNumId")
            if abstract is None:
                return None
            try:
                return int(abstract.get(f"{w}val") or "")
            except ValueError:
                return None
    return None


def list_definitions(root: etree._Element) -> dict[str, etree._Element]:
    """abstractNumId -> the ``w:abstractNum`` whose levels that list shows.

    Itself, or, for one that only names a list style (``w:numStyleLink``, as
    Word writes a list made from a list style), the style's definition: the
    abstractNum whose ``w:styleLink`` names the same style.
    """
    w = _w(root)
    abstracts = list(root.iterchildren(f"{w}abstractNum"))
    by_style: dict[str, etree._Element] = {}
    for abstract in abstracts:
        link = abstract.find(f"{w}styleLink")
        if link is not None:
            by_style.setdefault(link.get(f"{w}val") or "", abstract)
    shown: dict[str, etree._Element] = {}
    for abstract in abstracts:
        link = abstract.find(f"{w}numStyleLink")
        definition = by_style.get(link.get(f"{w}val") or "", abstract) if link is not None else abstract
        shown.setdefault(abstract.get(f"{w}abstractNumId") or "", definition)
    return shown


def level_starts(definition: etree._Element) -> tuple[int, ...]:
    """Each level's first number: its ``w:start``, or 0 where it has none (the standard's default,
    and what LibreOffice shows), so a restarted list counts from where the template's own did."""
    w = _w(definition)
    starts = [0] * MAX_LEVELS
    for level in definition.iterchildren(f"{w}lvl"):
        start = level.find(f"{w}start")
        try:
            index = int(level.get(f"{w}ilvl") or "")
            value = int(start.get(f"{w}val") or "0") if start is not None else 0
        except ValueError:
            continue
        if 0 <= index < MAX_LEVELS:
            starts[index] = value
    return tuple(starts)


def is_bulleted(root: etree._Element, num_id: int | str, level: int = 0) -> bool:
    """Whether num ``num_id`` shows bullets (not numbers) at ``level``; False for an unknown num."""
    abstract_id = abstract_num_of(root, num_id)
    abstract = list_definitions(root).get(str(abstract_id)) if abstract_id is not None else None
    if abstract is None:
        return False
    w = _w(root)
    for lvl in abstract.iterchildren(f"{w}lvl"):
        if lvl.get(f"{w}ilvl") == str(level):
            fmt = lvl.find(f"{w}numFmt")
            return fmt is not None and fmt.get(f"{w}val") in ("bullet", "none")
    return False


# -- adding lists ---------------------------------------------------------------------------------


def add_abstract_num(root: etree._Element, kind: ListKind, *, levels: int = MAX_LEVELS) -> int:
    """Add a list format (bullets, or 1. a. i. numbers) with ``levels`` levels; return its abstractNumId.

    Indents grow by half an inch a level, as in Word's default lists. The
    element goes after the part's last ``w:abstractNum`` (the schema wants
    every abstractNum before the first ``w:num``).
    """
    if not 1 <= levels <= MAX_LEVELS:
        raise ValueError(f"a list has 1 to {MAX_LEVELS} levels, not {levels}")
    w = _w(root)
    abstract_id = next_abstract_num_id(root)
    abstract = etree.Element(f"{w}abstractNum")
    abstract.set(f"{w}abstractNumId", str(abstract_id))
    etree.SubElement(abstract, f"{w}multiLevelType").set(f"{w}val", "hybridMultilevel")
    for level in range(levels):
        lvl = etree.SubElement(abstract, f"{w}lvl")
        lvl.set(f"{w}ilvl", str(level))
        etree.SubElement(lvl, f"{w}start").set(f"{w}val", "1")
        if kind == "bullet":
            etree.SubElement(lvl, f"{w}numFmt").set(f"{w}val", "bullet")
            etree.SubElement(lvl, f"{w}lvlText").set(f"{w}val", _BULLETS[level % len(_BULLETS)])
        else:
            etree.SubElement(lvl, f"{w}numFmt").set(
                f"{w}val", _DECIMAL_FORMATS[level % len(_DECIMAL_FORMATS)]
            )
            etree.SubElement(lvl, f"{w}lvlText").set(f"{w}val", f"%{level + 1}.")
        etree.SubElement(lvl, f"{w}lvlJc").set(f"{w}val", "left")
        ppr = etree.SubElement(lvl, f"{w}pPr")
        ind = etree.SubElement(ppr, f"{w}ind")
        ind.set(f"{w}left", str(_INDENT_STEP * (level + 1)))
        ind.set(f"{w}hanging", str(_HANGING))
        if kind == "bullet":
            font = _BULLET_FONTS[level % len(_BULLET_FONTS)]
            fonts = etree.SubElement(etree.SubElement(lvl, f"{w}rPr"), f"{w}rFonts")
            fonts.set(f"{w}ascii", font)
            fonts.set(f"{w}hAnsi", font)
            fonts.set(f"{w}hint", "default")
    _insert_abstract(root, abstract)
    return abstract_id


def _insert_abstract(root: etree._Element, abstract: etree._Element) -> None:
    w = _w(root)
    first_num = next(root.iterchildren(f"{w}num", f"{w}numIdMacAtCleanup"), None)
    if first_num is None:
        root.append(abstract)
    else:
        first_num.addprevious(abstract)


def add_num(root: etree._Element, abstract_id: int, *, restart: bool = True, levels: int = MAX_LEVELS) -> int:
    """Add a ``w:num`` over ``abstract_id`` and return its numId.

    With ``restart`` (the default) it carries a ``w:lvlOverride`` with
    ``w:startOverride w:val="1"`` for each of the first ``levels`` levels, so
    its paragraphs count from 1 even when another num over the same
    abstractNum already counted (Word and LibreOffice both honour this).
    """
    w = _w(root)
    num_id = next_num_id(root)
    num = etree.Element(f"{w}num")
    num.set(f"{w}numId", str(num_id))
    etree.SubElement(num, f"{w}abstractNumId").set(f"{w}val", str(abstract_id))
    if restart:
        for level in range(levels):
            override = etree.SubElement(num, f"{w}lvlOverride")
            override.set(f"{w}ilvl", str(level))
            etree.SubElement(override, f"{w}startOverride").set(f"{w}val", "1")
    cleanup = next(root.iterchildren(f"{w}numIdMacAtCleanup"), None)
    if cleanup is None:
        root.append(num)
    else:
        cleanup.addprevious(num)
    return num_id


def restart_num(root: etree._Element, num_id: int | str, *, levels: int = MAX_LEVELS) -> int | None:
    """A new num over the same abstractNum as ``num_id``, counting from 1: its numId (None if unknown)."""
    abstract_id = abstract_num_of(root, num_id)
    if abstract_id is None:
        return None
    return add_num(root, abstract_id, restart=True, levels=levels)
