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

import bisect
import copy
import dataclasses
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from lxml import etree

from mytypist_cli.engine import codes, richtext
from mytypist_cli.engine import pictures as images
from mytypist_cli.engine.syntax import Stray, Tag, scan
from mytypist_cli.errors import CorruptDocumentError, TemplateSyntaxError, UnsafeDocumentError
from mytypist_cli.ooxml import mergefields as merge
from mytypist_cli.ooxml import placement as sections
from mytypist_cli.ooxml.names import (
    EMU_PER_TWIP,
    MC_NS,
    W_NAMESPACES,
    W_STRICT_NS,
    XML_SPACE,
    text_width_twips,
)

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True, remove_blank_text=False
)
Kind = Literal["value", "list", "condition", "image"]
"""What a placeholder is: a value, a list (``<<#name>>``), a condition (``<<?name>>``, ``<<^name>>``)
or a picture (``<<name|image>>``)."""
MAX_SECTION_DEPTH = 100
"""The deepest lists and conditions may nest; real templates nest a few deep, and deeper would not render."""
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
    plain: bool = False
    """The value goes into plain XML text (document properties, charts): escaped, no Word breaks or tabs."""


@dataclass(frozen=True)
class Occurrence:
    """One use of a placeholder, for listing (``counted`` is False in mc:Fallback copies)."""

    tag: Tag
    counted: bool
    paragraph: int
    """1-based index of the paragraph in its part; 0 in a part without paragraphs (document properties)."""
    in_table: bool
    scope: tuple[str, ...] = ()
    """The sections around it, outermost first, each as sigil and name (``#items``, ``?vip``)."""
    kind: Kind = "value"
    """``value``; ``image`` for a picture; ``list``/``condition`` for a section's opening tag."""


@dataclass(frozen=True)
class Problem:
    """Something in the template worth a warning; the text was left as it is."""

    part: str
    paragraph: int | None
    """1-based index of the paragraph in its part; None when the message names the part itself."""
    message: str

    def __str__(self) -> str:
        if self.paragraph is None:
            return self.message
        return f"{self.part}, paragraph {self.paragraph}: {self.message}"


def parse_xml(data: bytes, part: str) -> etree._Element:
    """Parse a package part without ever resolving entities or touching the network.

    Raises UnsafeDocumentError for a DOCTYPE, CorruptDocumentError for bad XML.
    """
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise UnsafeDocumentError(f"{part} declares a DOCTYPE or entities, which Word never writes")
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise CorruptDocumentError(f"{part} is not well-formed XML ({exc})") from None
    # The byte test above sees only UTF-8 (and ASCII-compatible) text; a part in UTF-16 or
    # UTF-32 spells its DOCTYPE in other bytes, so ask the parser what it read.
    info = root.getroottree().docinfo
    if info.internalDTD is not None or info.externalDTD is not None:
        raise UnsafeDocumentError(f"{part} declares a DOCTYPE or entities, which Word never writes")
    return root


def serialise(root: etree._Element) -> bytes:
    """Serialise a part the way Word writes it: UTF-8 with a standalone declaration."""
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


class _Names(sections.WordNames):
    """The tag names, and the tables of them, used while walking one part's paragraphs."""

    def __init__(self, ns: str) -> None:
        super().__init__(ns)
        w = self.w
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


@dataclass(frozen=True)
class Section:
    """A stretch of a compiled part that repeats (``#``), or shows on a condition (``?``, ``^``)."""

    sigil: str
    name: str
    raw: str
    """The opening tag as written, for messages."""
    filters: str
    children: tuple[Node, ...]
    restarts: tuple[str, ...] = ()
    """The numIds of the template's lists that start inside this repeated section: each item numbers
    its own copy from the start (see :func:`restart_lists`)."""


@dataclass(frozen=True)
class NumRef:
    """A paragraph's ``w:numId`` value inside a repeated section, written as the item's own list."""

    num: str


@dataclass(frozen=True)
class ImageSlot:
    """A place where a picture goes: the tag's run is replaced by an inline drawing."""

    name: str
    raw: str
    prefix: str
    size: images.SizeSpec
    part: str
    strict: bool
    max_width: int | None = None
    """The width (EMU) of the table cell or page section it sits in, when the part says; else the body's."""
    code: codes.CodeSpec | None = None
    """For ``qrcode`` and ``barcode``: the code drawn from the value, which is then its text, not a file."""


@dataclass(frozen=True, eq=False)
class RichSlot:
    """Where a ``markdown`` or ``link`` value goes: its runs (or paragraphs) are built per row.

    The tag's run is replaced by what the value makes, built from the run's
    own ``w:rPr``. ``paragraph`` is True when the tag stands alone in a
    paragraph, which may then become several: the paragraph's ``w:pPr`` is
    then written by the :class:`RichProps` node before it.
    """

    name: str
    raw: str
    prefix: str
    filters: str
    kind: str
    """``markdown`` or ``link``."""
    part: str
    ns: str
    namespaces: tuple[tuple[str, str], ...]
    """The part root's prefixes, so built elements use the part's own spelling."""
    r_ns: str
    strict: bool
    rpr: bytes
    """The run's ``w:rPr`` as standalone XML (b"" when it has none)."""
    paragraph: bool
    ppr: bytes = b""
    """For a paragraph of its own: its ``w:pPr`` without a ``w:sectPr``, as standalone XML."""
    ppr_own: bytes = b""
    """The same, ready to write in the part."""
    ppr_last: bytes = b""
    """The whole ``w:pPr`` (with its ``w:sectPr``), ready to write: the last paragraph's."""
    sectioned: bool = False
    """Whether the paragraph ends a page section (its ``w:pPr`` holds a ``w:sectPr``)."""
    in_hyperlink: bool = False
    label: str | None = None
    """``link:"Pay now"``'s label; None shows the URL."""


@dataclass(frozen=True, eq=False)
class RichProps:
    """Where the paragraph properties of a :class:`RichSlot` standing alone in its paragraph go."""

    slot: RichSlot


@dataclass(frozen=True, eq=False)
class CheckboxSlot:
    """``<<x|check>>`` inside a Word checkbox content control (``w14:checkbox``).

    Two of these stand for one tag: the control's ``w14:checked`` value
    (``state``: "1" or "0") and its text (the control's own symbols, ☒ and ☐
    unless it names others), so the box stays a working checkbox in Word.
    """

    name: str
    raw: str
    prefix: str
    filters: str
    checked: str
    unchecked: str
    state: bool = False


class NewId:
    """Stands for a fresh ``wp:docPr`` id: copies of a repeated picture must not share one."""

    __slots__ = ()


NEW_ID = NewId()


@dataclass(frozen=True, eq=False)
class Once:
    """Markup that must appear once in a document: kept in the first copy of a repeated stretch only.

    Comment anchors and bookmarks carry ids that Word wants unique; a second
    copy of a comment's anchor makes Word call the file corrupt.
    """

    markup: bytes


Node = bytes | Slot | ImageSlot | Section | NewId | Once | RichSlot | RichProps | CheckboxSlot | NumRef


@dataclass
class CompiledPart:
    """What compiling one story part found and made."""

    nodes: list[Node] | None
    """Bytes, slots and sections in order; None when the part can be copied as it is."""
    occurrences: list[Occurrence]
    problems: list[Problem]
    text_width: int | None = None
    """The text width (twips) of the body's last page section; None when it does not say (or no body)."""
    stores: frozenset[str] = frozenset()
    """The ``w:storeItemID`` of every XML part a content control here is bound to (upper case)."""
    next_fields: int = 0
    """NEXT fields (mergefield syntax): each makes a document take one more record."""
    other_tags: tuple[str, ...] = ()
    """With the mergefield syntax: ``<<placeholders>>`` also in the part (left as text)."""


BoundText = Callable[[str, str, str], "str | None"]
"""(store item id, XPath, prefix mappings) -> the text of the XML node a content control is bound to,
or None when that node cannot be found."""


def compile_part(
    part: str,
    data: bytes,
    delimiters: tuple[str, str],
    bound: BoundText | None = None,
    *,
    mergefields: bool = False,
) -> CompiledPart:
    """Compile one story part (document, header, footer, notes, comments).

    ``bound`` reads the node a data-bound content control (``w:dataBinding``)
    shows. A control with a placeholder keeps its binding only when that node
    holds the same text, so both are filled alike (the bound part is filled
    too) and Word, which shows the node when it opens the file, shows the
    value; otherwise, or inside a section (whose copies differ), the binding
    is dropped and the control keeps what was filled into it.

    ``mergefields``: read Word's merge fields (MERGEFIELD, IF, NEXT...) as the
    tags instead of ``<<placeholders>>``, which stay text (see ``ooxml/mergefields.py``).

    Raises TemplateSyntaxError for unbalanced, crossed or misplaced section tags.
    """
    root = parse_xml(data, part)
    ns = etree.QName(root).namespace
    if ns not in W_NAMESPACES:
        return CompiledPart(None, [], [])
    names = _Names(ns)
    text_width = _last_section_width(root, names)
    bindings = _bindings(root, names, delimiters, bound) if b"dataBinding" in data else []
    stores = frozenset(binding.store for binding in bindings)
    occurrences: list[Occurrence] = []
    problems: list[Problem] = []
    slots: list[Slot] = []
    pictures: list[ImageSlot] = []
    rich: list[_RichSite] = []
    boxes: list[CheckboxSlot] = []
    boxed: set[int] = set()  # the checkbox controls already holding a tag
    sites: list[sections.Site] = []
    events: list[tuple[str, int]] = []  # ("value", occurrence index) / ("section", site number), in order
    source = source_text(root, data)
    marker_open, marker_close = private_use_markers(source)
    escaped = _escape_instructions(root, source)
    depth = 0  # sections open around the tag being read
    fields = None
    other_tags: list[str] = []
    if mergefields:
        if merge.TOKEN_OPEN.encode() in source:
            raise CorruptDocumentError(f"{part} holds the private character mytypist marks merge fields with")
        fields = merge.rewrite_fields(root, names)
        problems.extend(Problem(part, paragraph, message) for paragraph, message in fields.problems)

    for index, paragraph in enumerate(root.iter(names.p), start=1):
        pieces = _text_pieces(paragraph, names)
        text = "".join(piece_text for _, piece_text in pieces)
        if fields is not None:
            other_tags.extend(tag.raw for tag in scan(text, delimiters)[0])
            tags, strays = merge.scan_fields(text, fields.tags)
        else:
            tags, strays = scan(text, delimiters)
        problems.extend(_problem(part, index, stray) for stray in strays)
        if not tags:
            continue
        counted = next(paragraph.iterancestors(names.fallback), None) is None
        starts = _starts(pieces)
        in_table = next(paragraph.iterancestors(names.tc), None) is not None
        markers: list[str] = []
        for tag in tags:
            if tag.sigil:
                if tag.filters and not isinstance(tag, merge.FieldTag):
                    raise TemplateSyntaxError(
                        f"{tag.raw} in {part}, paragraph {index}: sections take no filters"
                    )
                depth += -1 if tag.sigil == "/" else 1
                if depth > MAX_SECTION_DEPTH:
                    raise TemplateSyntaxError(
                        f"{tag.raw} in {part}, paragraph {index}: sections nest more than "
                        f"{MAX_SECTION_DEPTH} deep"
                    )
                alone = text.strip() == tag.raw
                site = sections.Site(tag, len(sites), part, paragraph, index, alone, in_table)
                markers.append(f"{marker_open}{'e' if tag.sigil == '/' else 's'}{len(sites)}{marker_close}")
                events.append(("section", len(sites)))
                sites.append(site)
                continue
            element = _first_element(pieces, starts, tag.start)
            prefix = f"{element.prefix}:" if element.prefix else ""
            rich_kind = richtext.rich_kind(tag.filters)
            if rich_kind:
                markers.append(f"{marker_open}m{len(rich)}{marker_close}")
                rich.append(_RichSite(tag, rich_kind, text.strip() == tag.raw, prefix))
                events.append(("value", len(occurrences)))
                occurrences.append(Occurrence(tag, counted, index, in_table))
                continue
            if is_picture_tag(tag):
                markers.append(f"{marker_open}i{len(pictures)}{marker_close}")
                pictures.append(_image_slot(tag, prefix, part, ns, index, _room(paragraph, names)))
                events.append(("value", len(occurrences)))
                occurrences.append(Occurrence(tag, counted, index, in_table, kind="image"))
                continue
            box = _checkbox(element, names, boxed) if _is_check(tag) else None
            if box is not None:
                markers.append(f"{marker_open}c{len(boxes)}{marker_close}")
                box.set(_W14_VAL, f"{marker_open}C{len(boxes)}{marker_close}")
                boxes.append(_checkbox_slot(tag, prefix, box))
                events.append(("value", len(occurrences)))
                occurrences.append(Occurrence(tag, counted, index, in_table))
                continue
            markers.append(f"{marker_open}{len(slots)}{marker_close}")
            slots.append(Slot(tag.name, tag.raw, prefix, tag.filters))
            events.append(("value", len(occurrences)))
            occurrences.append(Occurrence(tag, counted, index, in_table))
        _rewrite(pieces, tags, markers)

    # The last paragraph's text can be most of the part (one huge text node): let it go before serialising.
    pieces, text = [], ""
    run_marker = re.compile(re.escape(marker_open) + r"([seim])(\d+)" + re.escape(marker_close))
    if sites:
        pairs = sections.pair_sites([event for event in events if event[0] == "section"], sites, delimiters)
        sections.place(pairs, names, run_marker)
        occurrences = _scoped(occurrences, events, sites, part)
    elif any(o.tag.name == "." for o in occurrences):
        item = f"{delimiters[0]}.{delimiters[1]}"
        raise TemplateSyntaxError(f"{item} in {part} stands for the item of a list, but it is not inside one")
    if pictures or rich:
        # A picture (or a markdown or link value) replaces its tag's run: cut the run so the tag
        # stands alone between runs.
        holders = {}
        for t in root.iter(names.t):
            if t.text and run_marker.search(t.text):
                paragraph = next(t.iterancestors(names.p))
                holders[id(paragraph)] = paragraph
        for paragraph in holders.values():
            sections.split_runs_at_markers(paragraph, names, run_marker)
    rich_slots = _rich_slots(root, names, rich, part, ns) if rich else []
    _unbind([binding for binding in bindings if binding.tags], root)
    next_fields = fields.next_fields if fields is not None else 0
    others = tuple(other_tags)
    if not slots and not sites and not pictures and not rich and not boxes:
        if fields is not None and fields.next_fields:  # only NEXT fields: their code must still go
            whole: list[Node] = [serialise(root)]
            return CompiledPart(whole, occurrences, problems, text_width, stores, next_fields, others)
        return CompiledPart(None, occurrences, problems, text_width, stores, next_fields, others)
    nodes = _nodes(serialise(root), slots, pictures, sites, marker_open, marker_close, rich_slots, boxes)
    if escaped is not None:
        nodes = _unescape(nodes, escaped)
    return CompiledPart(nodes, occurrences, problems, text_width, stores, next_fields, others)


@dataclass
class _Binding:
    """A data-bound content control, read before anything in its part changed."""

    sdt: etree._Element
    element: etree._Element
    """Its ``w:dataBinding``."""
    store: str
    text: str
    """The control's text as Word would store it in the bound node."""
    tags: list[Tag]
    bound_text: str | None
    """The bound node's text now; None when it cannot be found."""


def _bindings(
    root: etree._Element, names: _Names, delimiters: tuple[str, str], bound: BoundText | None
) -> list[_Binding]:
    found: list[_Binding] = []
    w = names.w
    for element in root.iter(f"{w}dataBinding"):
        properties = element.getparent()
        sdt = properties.getparent() if properties is not None else None
        if properties is None or properties.tag != f"{w}sdtPr" or sdt is None:
            continue
        store = (element.get(f"{w}storeItemID") or "").strip().upper()
        content = sdt.find(f"{w}sdtContent")
        text = _control_text(content, names) if content is not None else ""
        tags, _ = scan(text, delimiters)
        bound_text = None
        if tags and bound is not None:
            bound_text = bound(store, element.get(f"{w}xpath") or "", element.get(f"{w}prefixMappings") or "")
        found.append(_Binding(sdt, element, store, text, tags, bound_text))
    return found


def _control_text(content: etree._Element, names: _Names) -> str:
    """A content control's text: its paragraphs' joined by line breaks, or its runs' when it is inline."""
    paragraphs = list(content.iter(names.p))
    if not paragraphs:
        return "".join(text for _, text in _text_pieces(content, names))
    return "\n".join("".join(text for _, text in _text_pieces(p, names)) for p in paragraphs)


def _unbind(bindings: list[_Binding], root: etree._Element) -> None:
    """Drop the binding of each control whose bound node would not show what is filled into it."""
    if not bindings:
        return
    depth = 0
    depths: dict[int, int] = {}
    wanted = {id(binding.sdt) for binding in bindings}
    for node in root.iter():
        if isinstance(node, etree._ProcessingInstruction):
            if node.target == sections.PI_TARGET and node.text:
                depth += {"s": 1, "g": 1, "e": -1, "G": -1}.get(node.text[0], 0)
        elif id(node) in wanted:
            depths[id(node)] = depth
    for binding in bindings:
        values_only = all(
            not tag.sigil
            and tag.name != "."
            and not is_picture_tag(tag)
            and not richtext.rich_kind(tag.filters)
            for tag in binding.tags
        )
        if values_only and depths.get(id(binding.sdt), 0) == 0 and binding.bound_text == binding.text:
            continue
        properties = binding.element.getparent()
        if properties is not None:
            properties.remove(binding.element)


_W14_NS = "http://schemas.microsoft.com/office/word/2010/wordml"
_W14_VAL = f"{{{_W14_NS}}}val"


def _is_check(tag: Tag) -> bool:
    return tag.filters.rsplit("|", 1)[-1].split(":", 1)[0].strip() == "check" if tag.filters else False


def _checkbox(element: etree._Element, names: _Names, boxed: set[int]) -> etree._Element | None:
    """The ``w14:checked`` of the checkbox content control around ``element`` (made if it lacks one).

    None when no checkbox control holds it, or when another tag in the same control already took it.
    """
    sdt = next(element.iterancestors(names.w + "sdt"), None)
    box = sdt.find(f"{names.w}sdtPr/{{{_W14_NS}}}checkbox") if sdt is not None else None
    if box is None or id(box) in boxed:
        return None
    boxed.add(id(box))
    checked = box.find(f"{{{_W14_NS}}}checked")
    if checked is None:
        checked = etree.Element(f"{{{_W14_NS}}}checked")
        box.insert(0, checked)
    return checked


def _checkbox_slot(tag: Tag, prefix: str, checked: etree._Element) -> CheckboxSlot:
    """The symbols the control shows (its w14:checkedState / uncheckedState, else ☒ and ☐)."""
    box = checked.getparent()
    symbols = []
    for state, fallback in (("checkedState", richtext.CHECKED), ("uncheckedState", richtext.UNCHECKED)):
        found = box.find(f"{{{_W14_NS}}}{state}") if box is not None else None
        code = (found.get(_W14_VAL) or "") if found is not None else ""
        try:
            symbol = chr(int(code, 16)) if code else fallback
        except (ValueError, OverflowError):
            symbol = fallback
        symbols.append(symbol if symbol.isprintable() else fallback)
    return CheckboxSlot(tag.name, tag.raw, prefix, tag.filters, symbols[0], symbols[1])


@dataclass(frozen=True)
class _RichSite:
    tag: Tag
    kind: str
    alone: bool
    """Whether the tag is all its paragraph's text."""
    prefix: str


_R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_R_STRICT_NS = "http://purl.oclc.org/ooxml/officeDocument/relationships"


def _rich_slots(
    root: etree._Element, names: _Names, found: list[_RichSite], part: str, ns: str
) -> list[RichSlot]:
    """A :class:`RichSlot` for each markdown or link tag, whose run is now a mark between runs.

    A markdown tag alone in its paragraph, directly in it (not inside a link
    or a content control), may make several paragraphs: the paragraph's
    properties move out of the tree into the slot, and a second mark stands
    where they were, so each paragraph the value makes gets them.
    """
    marks: dict[int, etree._Element] = {}
    for node in root.iter(etree.ProcessingInstruction):
        text = node.text or ""
        mine = isinstance(node, etree._ProcessingInstruction) and node.target == sections.PI_TARGET
        if mine and text[:1] == "m" and text[1:].isdigit():
            marks[int(text[1:])] = node
    namespaces = tuple((key, uri) for key, uri in root.nsmap.items() if key)
    r_ns = _R_STRICT_NS if ns == W_STRICT_NS else _R_NS
    hyperlink = names.w + "hyperlink"
    made: list[RichSlot] = []
    for number, site in enumerate(found):
        mark = marks[number]
        run = mark.getprevious()
        properties = run.find(names.rpr) if run is not None and run.tag == names.r else None
        rpr = etree.tostring(properties) if properties is not None else b""
        parent = mark.getparent()
        in_link = any(ancestor.tag == hyperlink for ancestor in mark.iterancestors())
        tag = site.tag
        label = richtext.link_label(tag.filters) if site.kind == "link" else None
        common = {
            "name": tag.name,
            "raw": tag.raw,
            "prefix": site.prefix,
            "filters": tag.filters,
            "kind": site.kind,
            "part": part,
            "ns": ns,
            "namespaces": namespaces,
            "r_ns": r_ns,
            "strict": ns == W_STRICT_NS,
            "rpr": rpr,
            "in_hyperlink": in_link,
            "label": label,
        }
        if not (site.alone and site.kind == "markdown" and parent is not None and parent.tag == names.p):
            made.append(RichSlot(paragraph=False, **common))  # type: ignore[arg-type]
            continue
        ppr = parent.find(names.ppr)
        own = last = plain = b""
        sectioned = False
        if ppr is not None:
            parent.remove(ppr)
            last = _in_part(ppr, root)
            trimmed = copy.deepcopy(ppr)
            for section in trimmed.findall(names.sect_pr):
                trimmed.remove(section)
                sectioned = True
            own = _in_part(trimmed, root) if sectioned else last
            plain = etree.tostring(trimmed)
        parent.insert(0, etree.ProcessingInstruction(sections.PI_TARGET, f"P{number}"))
        made.append(
            RichSlot(
                paragraph=True,
                ppr=plain,
                ppr_own=own,
                ppr_last=last,
                sectioned=sectioned,
                **common,  # type: ignore[arg-type]
            )
        )
    return made


def _in_part(element: etree._Element, root: etree._Element) -> bytes:
    """``element`` serialised as it is written inside its part (the root's prefixes, none declared again)."""
    wrapper = etree.Element(root.tag, nsmap=root.nsmap)  # type: ignore[arg-type]  # None: the default one
    wrapper.append(copy.deepcopy(element))
    etree.cleanup_namespaces(wrapper)
    data = etree.tostring(wrapper, encoding="UTF-8")
    return data[data.index(b">") + 1 : data.rindex(b"</")]


_PICTURE_FILTERS = frozenset({"image", *codes.CODE_FILTERS})


def is_picture_tag(tag: Tag) -> bool:
    """Whether the tag is drawn as a picture: ``image``, ``qrcode`` or ``barcode``."""
    return any(step.split(":", 1)[0].strip() in _PICTURE_FILTERS for step in tag.filters.split("|"))


def _image_slot(tag: Tag, prefix: str, part: str, ns: str, paragraph: int, room: int | None) -> ImageSlot:
    name, _, argument = tag.filters.partition(":")
    name = name.strip()
    if "|" in tag.filters or name not in _PICTURE_FILTERS:
        which = name if name in _PICTURE_FILTERS else "image"
        raise TemplateSyntaxError(
            f"{tag.raw} in {part}, paragraph {paragraph}: the {which} filter stands alone "
            "(image:4cm, qrcode:3cm, barcode:code128:5cm)"
        )
    code = None
    if name in codes.CODE_FILTERS:
        code, size_text = codes.parse(tag.filters, tag.raw)
        size = images.parse_size(size_text, tag.raw)
    else:
        size = images.parse_size(argument.strip() or None, tag.raw)
    return ImageSlot(tag.name, tag.raw, prefix, size, part, ns == W_STRICT_NS, room, code)


def _room(paragraph: etree._Element, names: _Names) -> int | None:
    """How wide (EMU) a picture here may be: its table cell's width, else its page section's text width."""
    w = names.w
    cell = next(paragraph.iterancestors(names.tc), None)
    if cell is not None:
        width = cell.find(f"{w}tcPr/{w}tcW")
        if (
            width is not None
            and width.get(f"{w}type") in (None, "dxa")
            and (width.get(f"{w}w") or "").isdigit()
        ):
            return int(width.get(f"{w}w") or 0) * EMU_PER_TWIP or None
        return None
    # A paragraph belongs to the section whose w:sectPr comes next: in a later paragraph's
    # properties, or the body's own at the end.
    section = paragraph.find(f"{w}pPr/{w}sectPr")
    if section is None:
        for following in paragraph.itersiblings(names.p):
            section = following.find(f"{w}pPr/{w}sectPr")
            if section is not None:
                break
        else:
            parent = paragraph.getparent()
            section = parent.find(f"{w}sectPr") if parent is not None else None
    twips = text_width_twips(section, w) if section is not None else None
    return twips * EMU_PER_TWIP if twips is not None and twips > 0 else None


def _last_section_width(root: etree._Element, names: _Names) -> int | None:
    """The text width (twips) of a body's last page section: its own ``w:sectPr``, else the last one in it."""
    w = names.w
    body = root.find(f"{w}body")
    if body is None:
        return None  # headers, footers and notes have no page sections
    section = body.find(names.sect_pr)
    if section is None:
        section = next(reversed(list(body.iter(names.sect_pr))), None)
    return text_width_twips(section, w) if section is not None else None


def _scoped(
    occurrences: list[Occurrence], events: list[tuple[str, int]], sites: list[sections.Site], part: str
) -> list[Occurrence]:
    """Every occurrence with the names of its enclosing sections; section openings become occurrences too."""
    scoped: list[Occurrence] = []
    stack: list[str] = []
    for kind, number in events:
        if kind == "section":
            site = sites[number]
            if site.tag.sigil == "/":
                stack.pop()
                continue
            section_kind: Kind = "list" if site.tag.sigil == "#" else "condition"
            scoped.append(
                Occurrence(site.tag, True, site.paragraph_index, site.in_table, tuple(stack), section_kind)
            )
            stack.append(site.tag.sigil + site.tag.name)
            continue
        occurrence = occurrences[number]
        if occurrence.tag.name == "." and not any(entry.startswith("#") for entry in stack):
            raise TemplateSyntaxError(
                f"{occurrence.tag.raw} in {part}, paragraph {occurrence.paragraph} stands for the item "
                "of a list, but it is not inside one"
            )
        scoped.append(dataclasses.replace(occurrence, scope=tuple(stack)))
    return scoped


_REPEAT_SENSITIVE = re.compile(
    rb'(?P<docpr><wp:docPr\b[^>]*?\sid=")\d+"'
    rb"|(?P<once><(?:\w+:)?(?:commentRangeStart|commentRangeEnd|commentReference|bookmarkStart|bookmarkEnd)\b[^>]*/>)"
)


def _nodes(
    serialised: bytes,
    slots: list[Slot],
    pictures: list[ImageSlot],
    sites: list[sections.Site],
    marker_open: str,
    marker_close: str,
    rich: list[RichSlot] | None = None,
    boxes: list[CheckboxSlot] | None = None,
) -> list[Node]:
    """Split serialised bytes at value markers and section marks into nested nodes."""
    pattern = re.compile(
        re.escape(marker_open.encode())
        + rb"(\d+)"
        + re.escape(marker_close.encode())
        + rb"|<\?"
        + sections.PI_TARGET.encode()
        + rb" ([seigGmP])(\d+)\?>"
        + rb"|"
        + re.escape(marker_open.encode())
        + rb"([cC])(\d+)"
        + re.escape(marker_close.encode())
    )
    stack: list[tuple[list[Node], bytes]] = [([], b"")]
    position = 0
    for match in pattern.finditer(serialised):
        children = stack[-1][0]
        children.append(serialised[position : match.start()])
        position = match.end()
        if match.group(1) is not None:
            children.append(slots[int(match.group(1))])
        elif match.group(4) is not None:
            assert boxes is not None
            box = boxes[int(match.group(5))]
            children.append(dataclasses.replace(box, state=True) if match.group(4) == b"C" else box)
        elif match.group(2) == b"i":
            children.append(pictures[int(match.group(3))])
        elif match.group(2) == b"m":
            assert rich is not None
            children.append(rich[int(match.group(3))])
        elif match.group(2) == b"P":
            assert rich is not None
            children.append(RichProps(rich[int(match.group(3))]))
        elif match.group(2) in (b"s", b"g"):
            stack.append(([], match.group(3)))
        elif match.group(2) == b"G":
            # The guard around a table whose every row a list repeats: shown only when it has items.
            body, number = stack.pop()
            tag = sites[int(number)].tag
            guard = dataclasses.replace(tag, sigil="?", raw=f"{tag.raw} (its table)")
            stack[-1][0].append(_section(body, guard))
        else:
            body, number = stack.pop()
            stack[-1][0].append(_section(body, sites[int(number)].tag))
    stack[0][0].append(serialised[position:])
    return [node for node in stack[0][0] if node != b""]


def _section(body: list[Node], tag: Tag) -> Section:
    children: list[Node] = []
    for node in body:
        if not isinstance(node, bytes):
            children.append(node)
            continue
        # Copies of a picture each need their own id, and comment anchors and bookmarks may
        # appear only once: Word refuses duplicates of either.
        position = 0
        for match in _REPEAT_SENSITIVE.finditer(node):
            if match.group("docpr") is not None:
                children.append(node[position : match.end("docpr")])
                children.append(NEW_ID)
                children.append(b'"')
            else:
                children.append(node[position : match.start()])
                children.append(Once(match.group("once")))
            position = match.end()
        children.append(node[position:])
    children = [child for child in children if child != b""]
    return Section(tag.sigil, tag.name, tag.raw, tag.filters, tuple(children))


_NUM_ID = re.compile(rb'<(?:\w+:)?numId\b[^>]*?\s(?:\w+:)?val="(\d+)"')


def restart_lists(nodes: list[Node] | tuple[Node, ...], seen: set[str]) -> tuple[list[Node], set[str]]:
    """Mark the lists a repeated section starts, so each of its items numbers from the start again.

    A numbered paragraph names its list by ``w:numId``; copies of a section's
    paragraphs share it, so the numbers would run on from item to item. A
    list whose first paragraph (in document order, ``seen`` holding the
    numIds met in parts before) is inside a ``#`` section, and not inside a
    section within it, restarts in each item of that section; a list started
    before the section goes on counting, as a reader expects. Returns the
    nodes with those sections' ``restarts`` set and their numIds as
    :class:`NumRef` nodes, and the numIds restarted.
    """
    owner: dict[str, int] = {}  # numId -> id() of the innermost list section its first use is in

    def first_uses(items: list[Node] | tuple[Node, ...], inside: int | None) -> None:
        for node in items:
            if isinstance(node, bytes):
                for match in _NUM_ID.finditer(node):
                    number = match.group(1).decode()
                    if number not in seen:
                        seen.add(number)
                        if inside is not None:
                            owner[number] = inside
            elif isinstance(node, Section):
                first_uses(node.children, id(node) if node.sigil == "#" else inside)

    first_uses(nodes, None)
    if not owner:
        return list(nodes), set()
    restarted = set(owner)

    def rebuilt(items: list[Node] | tuple[Node, ...], active: bool) -> list[Node]:
        out: list[Node] = []
        for node in items:
            if isinstance(node, Section):
                mine = tuple(sorted(number for number, section in owner.items() if section == id(node)))
                children = tuple(rebuilt(node.children, active or bool(mine)))
                out.append(dataclasses.replace(node, children=children, restarts=mine))
            elif isinstance(node, bytes) and active and _NUM_ID.search(node):
                position = 0
                for match in _NUM_ID.finditer(node):
                    number = match.group(1).decode()
                    if number in restarted:
                        out.append(node[position : match.start(1)])
                        out.append(NumRef(number))
                        position = match.end(1)
                out.append(node[position:])
            else:
                out.append(node)
        return [node for node in out if node != b""]

    return rebuilt(nodes, False), restarted


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


def _first_element(
    pieces: list[tuple[etree._Element | None, str]], starts: list[int], offset: int
) -> etree._Element:
    """The w:t holding the character at ``offset``; ``starts`` is each piece's offset."""
    element, text = pieces[bisect.bisect_right(starts, offset) - 1]
    if element is None or not text:  # pragma: no cover
        raise AssertionError("a tag always starts inside a w:t")
    return element


def _starts(pieces: list[tuple[etree._Element | None, str]]) -> list[int]:
    return list(itertools.accumulate((len(text) for _, text in pieces[:-1]), initial=0))


#: Text longer than this beside a placeholder keeps a w:t of its own (see _set_text).
_LONG_TEXT = 1 << 20


def _set_text(element: etree._Element, chunks: list[str]) -> None:
    """Give the w:t ``element`` the text of ``chunks`` (text and markers, in order).

    A marker is a private-use character: joined to a long text it would make
    a copy twice the text's size (a wide string), on top of the parser's. So a
    chunk longer than ``_LONG_TEXT`` goes in a w:t of its own that follows in
    the same run, which Word and LibreOffice read as the same text. Documents
    with ordinary paragraphs keep one w:t.
    """
    groups: list[list[str]] = [[]]
    for chunk in chunks:
        if len(chunk) > _LONG_TEXT:
            groups += [[chunk], []]
        elif chunk:
            groups[-1].append(chunk)
    texts = ["".join(group) for group in groups if group]
    chunks.clear()
    # The element's own text first: the old text's memory is freed before the long copies are made.
    element.text = texts[0] if texts else ""
    element.set(XML_SPACE, "preserve")
    after = element
    for text in texts[1:]:
        more = element.makeelement(element.tag, {XML_SPACE: "preserve"})
        more.text = text
        after.addnext(more)
        after = more


def _rewrite(pieces: list[tuple[etree._Element | None, str]], tags: list[Tag], markers: list[str]) -> None:
    """Put each tag's marker in the w:t holding its first character; trim the rest.

    Tags come in order and never overlap, so one pass over pieces and tags together will do.
    """
    if len(tags) != len(markers):  # pragma: no cover
        raise ValueError("one marker per tag")
    full = "".join(text for _, text in pieces)
    start = 0
    first = 0  # the first tag not yet wholly before the piece
    for element, text in pieces:
        end = start + len(text)
        while first < len(tags) and tags[first].end <= start:
            first += 1
        if element is not None and text:
            chunks: list[str] = []
            position = start
            touched = False
            index = first
            while index < len(tags) and tags[index].start < end:
                tag = tags[index]
                touched = True
                if tag.start >= start:
                    chunks.append(full[position : tag.start])
                    chunks.append(markers[index])
                position = max(position, min(tag.end, end))
                index += 1
            if touched:
                chunks.append(full[position:end])
                _set_text(element, chunks)
        start = end


def source_text(root: etree._Element, data: bytes) -> bytes:
    """The part as UTF-8 bytes in which every character it holds is written out, as markers are looked for.

    The bytes as read when they are UTF-8 without character references (the
    usual case, and the cheap one); otherwise the parsed tree serialised, so a
    marker written ``&#xE000;`` or in UTF-16 is seen too.
    """
    encoding = (root.getroottree().docinfo.encoding or "UTF-8").upper().replace("_", "-")
    if encoding in ("UTF-8", "UTF8") and b"&#" not in data:
        return data
    return serialise(root)


def private_use_markers(source: bytes) -> tuple[str, str]:
    """Private-use characters that do not occur in the part (``source_text``), to mark the slots."""
    for opening, closing in (("\ue000", "\ue001"), ("\uf8f0", "\uf8f1"), ("\U000f0000", "\U000f0001")):
        if opening.encode() not in source and closing.encode() not in source:
            return opening, closing
    raise CorruptDocumentError("the part uses every private character mytypist could mark slots with")


def _escape_instructions(root: etree._Element, source: bytes) -> str | None:
    """Rename the part's own ``<?mytypist ...?>`` instructions (and such text in comments) out of the way.

    Section marks are processing instructions with that target; one the
    document itself holds must not be taken for a mark. Returns the target
    used instead, which ``source`` never holds, or None when nothing needed it.
    """
    own = f"<?{sections.PI_TARGET}"
    instructions = [
        node
        for node in root.iter(etree.ProcessingInstruction)
        if isinstance(node, etree._ProcessingInstruction) and node.target == sections.PI_TARGET
    ]
    comments = [node for node in root.iter(etree.Comment) if node.text and own in node.text]
    if not instructions and not comments:
        return None
    number = 0
    while f"{own}-escaped{number}".encode() in source:
        number += 1
    escaped = f"{sections.PI_TARGET}-escaped{number}"
    for node in instructions:
        node.target = escaped
    for comment in comments:
        comment.text = (comment.text or "").replace(own, f"<?{escaped}")
    return escaped


def _unescape(nodes: list[Node], escaped: str) -> list[Node]:
    """Give the instructions ``_escape_instructions`` renamed their own target back."""
    before, after = f"<?{escaped}".encode(), f"<?{sections.PI_TARGET}".encode()
    restored: list[Node] = []
    for node in nodes:
        if isinstance(node, bytes):
            restored.append(node.replace(before, after))
        elif isinstance(node, Section):
            children = tuple(_unescape(list(node.children), escaped))
            restored.append(dataclasses.replace(node, children=children))
        elif isinstance(node, Once):
            restored.append(Once(node.markup.replace(before, after)))
        else:
            restored.append(node)
    return restored


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
