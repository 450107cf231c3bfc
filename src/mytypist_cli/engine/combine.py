"""One combined document: many records filled into one .docx, streamed with flat memory.

Each record is filled by ``Template.fill`` (so it raises exactly what fill
raises, before anything of it is written), then its main part is rewritten:
its first section starts a new page with page numbers restarting at 1 (or at
the template's own first number), its sections reference header and footer
parts of its own (written as new parts with their own relationships and
content types), ``NUMPAGES`` becomes
``PAGEREF _mytypist_end{index}`` so "Page X of Y" counts the record's own
pages, bookmark names and ids, ``wp:docPr`` ids and content-control ids are
made unique, and the bookmarks ``_mytypist_rec{index}`` (first paragraph) and
``_mytypist_end{index}`` (last paragraph) are added. The body is deflated into
a temporary file as records come; headers, footers and pictures go straight
into the output zip; styles, fonts, theme and numbering are written once.

Lists: each record after the first gets a new ``w:num`` per list it uses,
over the same abstractNum, with ``w:startOverride`` on every level, so its
lists count from the start again (spooled, written into numbering.xml at
close). A paragraph numbered through its style (Word's "1. Introduction"
headings: ``w:numPr`` in the style or one it is ``basedOn``) is given that
numbering as its own ``w:numPr``, pointing at the record's new ``w:num``, so
its headings restart too. Footnotes, endnotes and comments of each record
after the first get new ids, and their notes (filled with that record's
values) are added to the notes part.

Imports neither typer nor rich; never prints or exits.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import posixpath
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from html import escape
from os import PathLike
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, cast

from lxml import etree

from mytypist_cli.ooxml import numbering, package
from mytypist_cli.ooxml.names import CONTENT_TYPES_NS, PACKAGE_RELS_NS, W_STRICT_NS
from mytypist_cli.ooxml.zipstream import DeflatedSpool, ZipStream

if TYPE_CHECKING:
    from mytypist_cli.engine.template import Missing, Template

BOOKMARK_PREFIX = "_mytypist_rec"
"""Bookmark on each record's first paragraph: ``f"{BOOKMARK_PREFIX}{index}"`` (a PDF named destination)."""
END_BOOKMARK_PREFIX = "_mytypist_end"
"""Bookmark on each record's last paragraph; NUMPAGES becomes a PAGEREF to it."""

_R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_R_STRICT_NS = "http://purl.oclc.org/ooxml/officeDocument/relationships"
_WP_NS = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
_W14_NS = "http://schemas.microsoft.com/office/word/2010/wordml"
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_HEADER_KINDS = ("/header", "/footer")
_NUMPAGES = re.compile(r"\bNUMPAGES\b")
_FIELD_REFERENCE = re.compile(r"\b(REF|PAGEREF|NOTEREF)(\s+)(\S+)")
_MARK_START = b"<!--mytypist-sect-->"
_MARK_END = b"<!--/mytypist-sect-->"
_DEDUPE_LIMIT = 256  # identical header parts shared; the memo is bounded so memory stays flat


class CombinedDocument:
    """Records added one by one into one .docx written to ``out``; see ``Template.combined``."""

    def __init__(self, template: Template, out: IO[bytes], fill_options: dict[str, Any]) -> None:
        self._template = template
        self._options = fill_options
        self._zip = ZipStream(out)
        self._body = DeflatedSpool()
        self._count = 0
        self._pending: tuple[bytes, bytes, bytes] | None = None  # last record's body around its sectPr
        self._head = b""
        self._tail = b""
        self._main = ""
        self._statics: list[package.Entry] = []
        self._content_types = b""
        self._main_rels = b""
        self._extra_rels: list[bytes] = []  # small: one per distinct new part (bounded by dedupe for statics)
        self._rels_spool = DeflatedSpool()
        self._types_spool = DeflatedSpool()
        self._rel_numbers = itertools.count(1)
        self._part_numbers = itertools.count(1)
        self._bookmark_ids = itertools.count(1)
        self._drawing_ids = itertools.count(1)
        self._sdt_ids = itertools.count(1)
        self._written_media: set[str] = set()  # pictures already in the package (distinct ones only)
        self._media: dict[str, str] = {}  # media member -> relationship id in the main part
        self._parts_memo: dict[bytes, str] = {}  # hash of a header part -> relationship id
        self._header_rels: dict[str, tuple[str, str]] = {}  # rId in the template -> (type, target)
        self._numbering_part = ""
        self._numbering = b""
        self._abstract_of: dict[str, tuple[str, tuple[int, ...]]] = {}  # numId -> abstractNumId, level starts
        self._num_ids: itertools.count[int] = itertools.count(1)
        self._style_levels: dict[tuple[str, str], str] = {}  # (abstractNumId, w:pStyle of a lvl) -> ilvl
        # paragraph style -> the numId, ilvl and indents (by _indent_groups group) it numbers with
        self._styled_lists: dict[str, tuple[str, str, dict[int, list[tuple[str, str]]]]] = {}
        self._default_style = ""  # the paragraph style of a paragraph that names none
        self._nums_spool = DeflatedSpool()
        self._numbering_prefix = "w"
        self._notes: dict[str, _Notes] = {}  # footnotes / endnotes / comments part of the template
        self._members: dict[str, package.Member] = {}  # the record being added
        self._empty: dict[str, str] = {}  # headerReference / footerReference -> rId of an empty part
        self._core = "docProps/core.xml"
        self._first_properties: bytes | None = None
        self._own_properties: list[int] = []  # records whose core properties are not the first's
        self._closed = False

    def __enter__(self) -> CombinedDocument:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        if kind is None:
            self.close()
        else:
            self._discard()

    @property
    def count(self) -> int:
        """How many records the document holds."""
        return self._count

    @property
    def own_properties(self) -> tuple[int, ...]:
        """The records (0-based) whose document properties differ from the first record's.

        A document has one title, author, subject and keywords: the combined
        one keeps the first record's, and so does its PDF (LibreOffice writes
        them into it). A template with placeholders in its properties gives
        every record its own; the fast PDF path converts those records alone.
        """
        return tuple(self._own_properties)

    def add(self, record: Mapping[str, Any]) -> int:
        """Render one record into the document and return its 0-based index.

        Raises what ``Template.fill`` raises for the record (MissingFieldsError,
        FilterValueError, PictureError...); the document then stays without it.
        """
        if self._closed:
            raise ValueError("the combined document is closed")
        members = {m.name: m for m in self._template.filled_members(record, **self._options)}
        index = self._count
        self._members = members
        if index == 0:
            self._first(members)
        main = members[self._main]
        assert main.data is not None
        rels = _relationships(members.get(_rels_name(self._main)))
        renames: dict[str, str] = {}  # relationship ids of the record -> ids in the combined main part
        for rid, (kind, target, external) in rels.items():
            if external and rid.startswith("rIdMl"):  # a link from a value: this record's own target
                renames[rid] = self._new_link(kind, target)
                continue
            if rid in self._header_rels or external:
                continue
            if rid.startswith("rIdMt"):  # a picture from a value
                member = posixpath.normpath(posixpath.join(posixpath.dirname(self._main), target))
                renames[rid] = self._picture(member, kind, target, members)
        parts = self._headers(index, members, renames)
        body = self._rewrite_body(main.data, index, renames | parts)
        if self._pending is not None:
            before, sect, after = self._pending
            self._body.write(before + sect + after)
        self._pending = body
        properties = members.get(self._core)
        if index == 0:
            self._first_properties = properties.data if properties is not None else None
        elif (properties.data if properties is not None else None) != self._first_properties:
            self._own_properties.append(index)
        self._count += 1
        return index

    def close(self) -> None:
        """Finish the package into ``out``. A document with no record cannot be made (ValueError)."""
        if self._closed:
            return
        if self._count == 0:
            self._discard()
            raise ValueError("a combined document needs at least one record")
        self._closed = True
        assert self._pending is not None
        before, sect, after = self._pending
        self._body.write(before + after + sect + self._tail)
        for entry in self._statics:
            self._zip.add(entry)
        self._zip.add_spool(self._main, _FIXED_TIME, self._body)
        self._body.close()
        # The main part's relationships: the template's, then every new part's.
        rels_spool = DeflatedSpool()
        closing = self._main_rels.rindex(b"</Relationships>")
        rels_spool.write(self._main_rels[:closing])
        self._rels_spool.finish()
        _copy_plain(self._rels_spool, rels_spool)
        rels_spool.write(self._main_rels[closing:])
        self._zip.add_spool(_rels_name(self._main), _FIXED_TIME, rels_spool)
        for notes in self._notes.values():
            notes.spool.finish()
            closing = notes.data.rindex(b"</")
            whole = DeflatedSpool()
            whole.write(notes.data[:closing])
            _copy_plain(notes.spool, whole)
            whole.write(notes.data[closing:])
            self._zip.add_spool(notes.part, _FIXED_TIME, whole)
            whole.close()
            notes.spool.close()
        if self._numbering_part:
            numbering = DeflatedSpool()
            marker = f"<{self._numbering_prefix}:numIdMacAtCleanup".encode()
            at = self._numbering.find(marker)
            if at < 0:
                at = self._numbering.rindex(f"</{self._numbering_prefix}:numbering>".encode())
            numbering.write(self._numbering[:at])
            self._nums_spool.finish()
            _copy_plain(self._nums_spool, numbering)
            numbering.write(self._numbering[at:])
            self._zip.add_spool(self._numbering_part, _FIXED_TIME, numbering)
            numbering.close()
        types_spool = DeflatedSpool()
        closing = self._content_types.rindex(b"</Types>")
        types_spool.write(self._content_types[:closing])
        self._types_spool.finish()
        _copy_plain(self._types_spool, types_spool)
        types_spool.write(self._content_types[closing:])
        self._zip.add_spool("[Content_Types].xml", _FIXED_TIME, types_spool)
        for spool in (rels_spool, types_spool, self._rels_spool, self._types_spool, self._nums_spool):
            spool.close()
        self._zip.finish()

    def _discard(self) -> None:
        self._closed = True
        self._zip.discard()
        for spool in (self._body, self._rels_spool, self._types_spool, self._nums_spool):
            spool.close()
        for notes in self._notes.values():
            notes.spool.close()

    # -- the first record: what every record shares ---------------------------------

    def _first(self, members: dict[str, package.Member]) -> None:
        rels = _relationships(members.get("_rels/.rels"))
        self._core = next(
            (
                t.lstrip("/")
                for _, (kind, t, ext) in rels.items()
                if kind.endswith("/core-properties") and not ext
            ),
            self._core,
        )
        self._main = next(
            (
                t.lstrip("/")
                for _, (kind, t, ext) in rels.items()
                if kind.endswith("/officeDocument") and not ext and t.lstrip("/") in members
            ),
            "word/document.xml",
        )
        main_rels = _relationships(members.get(_rels_name(self._main)))
        folder = posixpath.dirname(self._main)
        own: set[str] = {self._main, _rels_name(self._main), "[Content_Types].xml"}
        styles = b""
        for rid, (kind, target, external) in main_rels.items():
            if kind.endswith(_HEADER_KINDS) and not external:
                part = posixpath.normpath(posixpath.join(folder, target))
                self._header_rels[rid] = (kind, part)
                own |= {part, _rels_name(part)}
            elif kind.endswith("/numbering") and not external:
                part = posixpath.normpath(posixpath.join(folder, target))
                if part in members and members[part].data:
                    own.add(part)
                    self._read_numbering(part, members[part].data or b"")
            elif kind.endswith("/styles") and not external:
                part = posixpath.normpath(posixpath.join(folder, target))
                styles = (members[part].data if part in members else None) or b""
            elif kind.rsplit("/", 1)[-1] in _NOTES and not external:
                part = posixpath.normpath(posixpath.join(folder, target))
                data = members[part].data if part in members else None
                if data is not None and b"</" in data:
                    own.add(part)
                    numbers = [int(n) for n in re.findall(rb'\bw:id="(-?\d+)"', data)]
                    start = max([0, *numbers]) + 1
                    self._notes[kind.rsplit("/", 1)[-1]] = _Notes(part, data, itertools.count(start))
        if styles and self._abstract_of:
            self._read_styles(styles)
        self._statics = [
            package.entry_from_member(m)
            for name, m in members.items()
            if name not in own and not name.startswith("word/media/mytypist-")
        ]
        rels_member = members[_rels_name(self._main)]
        assert rels_member.data is not None
        # Value pictures' relationships are added per record under new ids, so drop the first's.
        self._main_rels = re.sub(rb'<Relationship\b[^>]*Id="rIdM[tl]\d+"[^>]*/>', b"", rels_member.data)
        types = members["[Content_Types].xml"].data
        assert types is not None
        self._content_types = types
        data = members[self._main].data
        assert data is not None
        start = data.index(b">", _body_start(data)) + 1
        self._head = data[:start]
        self._body.write(self._head)

    def _no_inherited_headers(self, sections: list[etree._Element], w: str, r: str) -> None:
        """A header or footer type the record's first section lacks would be the previous record's
        (sections inherit them): reference an empty one instead, as the separate document shows none."""
        references = ("headerReference", "footerReference")

        def kinds(section: etree._Element) -> set[tuple[str, str]]:
            return {
                (etree.QName(e).localname, e.get(f"{{{w}}}type") or "default")
                for e in section
                if isinstance(e.tag, str) and etree.QName(e).localname in references
            }

        passed_down = set().union(*(kinds(section) for section in sections))
        for tag, kind in sorted(passed_down - kinds(sections[0])):
            element = etree.Element(f"{{{w}}}{tag}")
            element.set(f"{{{w}}}type", kind)
            element.set(f"{{{r}}}id", self._empty_part(tag, w))
            sections[0].insert(0, element)

    def _empty_part(self, tag: str, w: str) -> str:
        rid = self._empty.get(tag)
        if rid is None:
            story = "header" if tag == "headerReference" else "footer"
            root = "hdr" if story == "header" else "ftr"
            name = f"{posixpath.dirname(self._main)}/mytypist-empty-{story}.xml"
            data = (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                f'<w:{root} xmlns:w="{w}"><w:p/></w:{root}>'
            )
            self._zip.add(package.deflated_entry(name, _FIXED_TIME, data.encode()))
            relationship = (_R_STRICT_NS if w == W_STRICT_NS else _R_NS) + "/" + story
            rid = self._empty[tag] = self._new_rel(relationship, posixpath.basename(name))
            content_type = f"application/vnd.openxmlformats-officedocument.wordprocessingml.{story}+xml"
            self._types_spool.write(f'<Override PartName="/{name}" ContentType="{content_type}"/>'.encode())
        return rid

    def _read_numbering(self, part: str, data: bytes) -> None:
        """The lists the template defines, so each record after the first gets lists of its own."""
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, huge_tree=True))
        w = etree.QName(root).namespace or ""
        self._numbering_part, self._numbering = part, data
        self._numbering_prefix = root.prefix or "w"
        definitions = numbering.list_definitions(root)
        for abstract_id, definition in definitions.items():
            for level in definition.iter(f"{{{w}}}lvl"):
                linked = level.find(f"{{{w}}}pStyle")
                if linked is not None:
                    self._style_levels[(abstract_id, linked.get(f"{{{w}}}val") or "")] = (
                        level.get(f"{{{w}}}ilvl") or "0"
                    )
        highest = 0
        for num in root.iter(f"{{{w}}}num"):
            num_id = num.get(f"{{{w}}}numId") or ""
            reference = num.find(f"{{{w}}}abstractNumId")
            if num_id.isdigit():
                highest = max(highest, int(num_id))
            if reference is not None:
                key = reference.get(f"{{{w}}}val") or ""
                shown = definitions.get(key)
                starts = numbering.level_starts(shown) if shown is not None else (0,) * numbering.MAX_LEVELS
                self._abstract_of[num_id] = (key, starts)
        self._num_ids = itertools.count(highest + 1)

    def _read_styles(self, data: bytes) -> None:
        """Which paragraph styles number their paragraphs (``w:numPr`` in the style or a ``basedOn`` one).

        With each, the indents the style chain sets: numbering through a style
        takes the style's indents over the numbering level's, a paragraph's
        own numbering the level's over the style's, so a paragraph given its
        style's numbering as its own must carry the style's indents too.
        """
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, huge_tree=True))
        w = etree.QName(root).namespace or ""
        chain: dict[str, tuple[str | None, str | None, str | None, etree._Element | None]] = {}
        for style in root.iterfind(f"{{{w}}}style"):
            if (style.get(f"{{{w}}}type") or "paragraph") != "paragraph":
                continue
            style_id = style.get(f"{{{w}}}styleId") or ""
            if style.get(f"{{{w}}}default") in ("1", "true", "on"):
                self._default_style = style_id
            based = style.find(f"{{{w}}}basedOn")
            num_id = style.find(f"{{{w}}}pPr/{{{w}}}numPr/{{{w}}}numId")
            ilvl = style.find(f"{{{w}}}pPr/{{{w}}}numPr/{{{w}}}ilvl")
            chain[style_id] = (
                None if based is None else based.get(f"{{{w}}}val"),
                None if num_id is None else num_id.get(f"{{{w}}}val"),
                None if ilvl is None else ilvl.get(f"{{{w}}}val"),
                style.find(f"{{{w}}}pPr/{{{w}}}ind"),
            )
        for style_id in chain:
            found_num: str | None = None
            found_level: str | None = None
            indent: dict[int, list[tuple[str, str]]] = {}  # the nearest style's attributes, by group
            current: str | None = style_id
            seen: set[str] = set()
            while current in chain and current not in seen:
                seen.add(current)
                based, num_id, ilvl, ind = chain[current]
                found_num = num_id if found_num is None else found_num
                found_level = ilvl if found_level is None else found_level
                for group, attributes in _indent_groups(ind, w).items():
                    indent.setdefault(group, attributes)
                current = based
            # numId 0 (or one numbering.xml lacks) means no numbering
            if found_num is None or found_num not in self._abstract_of:
                continue
            if found_level is None:
                # Word's way: the level whose w:pStyle names the style, else the first
                found_level = self._style_levels.get((self._abstract_of[found_num][0], style_id), "0")
            self._styled_lists[style_id] = (found_num, found_level, indent)

    def _restart_lists(self, root: etree._Element, w: str) -> None:
        """A record after the first numbers its lists from the start: a new w:num per list it uses."""
        renamed: dict[str, str] = {}
        for element in root.iter(f"{{{w}}}numId"):
            if etree.QName(element.getparent()).localname != "numPr":
                continue
            old = element.get(f"{{{w}}}val") or ""
            if old in self._abstract_of:
                element.set(f"{{{w}}}val", self._restarted(old, renamed))
        if self._default_style in self._styled_lists:  # a paragraph naming no style is numbered too
            for paragraph in root.iter(f"{{{w}}}p"):
                self._number_from_style(paragraph, w, renamed)
        elif self._styled_lists:  # only paragraphs naming a numbered style: found through their pStyle
            paragraph_tag = f"{{{w}}}p"
            for named in root.iter(f"{{{w}}}pStyle"):
                if (named.get(f"{{{w}}}val") or "") in self._styled_lists:
                    properties = named.getparent()
                    owner = properties.getparent() if properties is not None else None
                    if owner is not None and owner.tag == paragraph_tag:  # not a pPrChange's pPr
                        self._number_from_style(owner, w, renamed)

    def _restarted(self, old: str, renamed: dict[str, str]) -> str:
        """The record's own w:num for the template's ``old`` one (made, and spooled, on first use)."""
        if old not in renamed:
            x = self._numbering_prefix
            new = renamed[old] = str(next(self._num_ids))
            abstract, starts = self._abstract_of[old]
            overrides = "".join(
                f'<{x}:lvlOverride {x}:ilvl="{i}"><{x}:startOverride {x}:val="{start}"/></{x}:lvlOverride>'
                for i, start in enumerate(starts)
            )
            self._nums_spool.write(
                f'<{x}:num {x}:numId="{new}"><{x}:abstractNumId {x}:val="{escape(abstract, quote=True)}"/>'
                f"{overrides}</{x}:num>".encode()
            )
        return renamed[old]

    def _number_from_style(self, paragraph: etree._Element, w: str, renamed: dict[str, str]) -> None:
        """A paragraph numbered through its style gets that numbering as its own, on the record's w:num."""
        ppr = paragraph.find(f"{{{w}}}pPr")
        named = ppr.find(f"{{{w}}}pStyle") if ppr is not None else None
        style = (named.get(f"{{{w}}}val") or "") if named is not None else self._default_style
        listed = self._styled_lists.get(style)
        if listed is None:
            return
        numpr = ppr.find(f"{{{w}}}numPr") if ppr is not None else None
        if numpr is not None and numpr.find(f"{{{w}}}numId") is not None:
            return  # numbered directly (restarted above, or numId 0: not numbered at all)
        num_id, level, indent = listed
        if ppr is None:
            ppr = etree.Element(f"{{{w}}}pPr")
            paragraph.insert(0, ppr)
        if indent:
            ind = ppr.find(f"{{{w}}}ind")
            if ind is None:
                ind = etree.Element(f"{{{w}}}ind")
                ppr.insert(_child_position(ppr, w, _BEFORE_IND), ind)
            own = _indent_groups(ind, w)
            for group, attributes in indent.items():
                if group not in own:  # the paragraph's own indents win over both
                    for name, value in attributes:
                        ind.set(name, value)
        if numpr is None:
            numpr = etree.Element(f"{{{w}}}numPr")
            ppr.insert(_child_position(ppr, w, _BEFORE_NUMPR), numpr)
        ilvl = numpr.find(f"{{{w}}}ilvl")
        if ilvl is None:
            ilvl = etree.Element(f"{{{w}}}ilvl")
            ilvl.set(f"{{{w}}}val", level)
            numpr.insert(0, ilvl)
        element = etree.Element(f"{{{w}}}numId")
        element.set(f"{{{w}}}val", self._restarted(num_id, renamed))
        ilvl.addnext(element)

    # -- pieces ---------------------------------------------------------------------

    def _new_rel(self, kind: str, target: str) -> str:
        rid = f"rIdMtC{next(self._rel_numbers)}"
        self._rels_spool.write(f'<Relationship Id="{rid}" Type="{kind}" Target="{target}"/>'.encode())
        return rid

    def _new_link(self, kind: str, target: str) -> str:
        rid = f"rIdMtC{next(self._rel_numbers)}"
        element = etree.Element("Relationship", Id=rid, Type=kind, Target=target, TargetMode="External")
        self._rels_spool.write(etree.tostring(element))  # the target escaped, whatever the value was
        return rid

    def _picture(self, member: str, kind: str, target: str, members: dict[str, package.Member]) -> str:
        rid = self._media.get(member)
        if rid is None:
            if member not in self._written_media and member in members:
                self._zip.add(package.entry_from_member(members[member]))
                self._written_media.add(member)
            rid = self._media[member] = self._new_rel(kind, target)
        return rid

    def _headers(
        self, index: int, members: dict[str, package.Member], renames: dict[str, str]
    ) -> dict[str, str]:
        """Each header and footer of the record as a part of its own; template rId -> combined rId."""
        out: dict[str, str] = {}
        for rid, (kind, part) in self._header_rels.items():
            member = members.get(part)
            if member is None or member.data is None:
                continue
            data = _rewrite_story(member.data, index, self)
            rels_member = members.get(_rels_name(part))
            rels_data = rels_member.data if rels_member is not None and rels_member.data else b""
            key = hashlib.sha256(part.encode() + b"\0" + data + b"\0" + rels_data).digest()
            known = self._parts_memo.get(key)
            if known is not None:
                out[rid] = known
                continue
            if index == 0:
                name, new_rid = part, rid
            else:
                stem = posixpath.basename(part)
                name = f"{posixpath.dirname(part)}/mytypist-r{index}-{stem}"
                target = posixpath.relpath(name, posixpath.dirname(self._main))
                new_rid = self._new_rel(kind, target)
                content_type = "application/vnd.openxmlformats-officedocument.wordprocessingml." + (
                    "header+xml" if kind.endswith("/header") else "footer+xml"
                )
                self._types_spool.write(
                    f'<Override PartName="/{name}" ContentType="{content_type}"/>'.encode()
                )
            self._zip.add(package.deflated_entry(name, _FIXED_TIME, data))
            if rels_data:
                for _, (pkind, ptarget, external) in _relationships(rels_member).items():
                    if not external and "/image" in pkind:
                        pmember = posixpath.normpath(posixpath.join(posixpath.dirname(part), ptarget))
                        value_picture = posixpath.basename(pmember).startswith("mytypist-")
                        if value_picture and pmember not in self._written_media and pmember in members:
                            self._zip.add(package.entry_from_member(members[pmember]))
                            self._written_media.add(pmember)
                self._zip.add(package.deflated_entry(_rels_name(name), _FIXED_TIME, rels_data))
            if len(self._parts_memo) >= _DEDUPE_LIMIT:
                self._parts_memo.clear()
            self._parts_memo[key] = new_rid
            out[rid] = new_rid
        return out

    def _rewrite_body(self, data: bytes, index: int, renames: dict[str, str]) -> tuple[bytes, bytes, bytes]:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, huge_tree=True))
        w = etree.QName(root).namespace or ""
        r = _R_STRICT_NS if w == W_STRICT_NS else _R_NS
        body = root.find(f"{{{w}}}body")
        assert body is not None
        _unique_ids(root, w, index, self)
        if index > 0:
            for notes_kind, notes in self._notes.items():
                notes.renumber(root, w, self._members[notes.part].data or b"", notes_kind)
        if index > 0 and self._abstract_of:
            self._restart_lists(root, w)
        # XPath finds the few elements with a relationship id in C; a Python walk of every element cost
        # more than the rest of the record's rewrite together.
        linked = root.xpath("//*[@r:id or @r:embed or @r:link]", namespaces={"r": r})
        for element in cast(list[etree._Element], linked):
            for attribute in (f"{{{r}}}id", f"{{{r}}}embed", f"{{{r}}}link"):
                value = element.get(attribute)
                if value is not None and value in renames:
                    element.set(attribute, renames[value])
        # Sections: the record's first starts a new page numbered 1; its last becomes a paragraph's.
        final = body.find(f"{{{w}}}sectPr")
        if final is None:
            final = etree.SubElement(body, f"{{{w}}}sectPr")
        sections = [s for s in body.iter(f"{{{w}}}sectPr") if s is not final] + [final]
        first = sections[0]
        kind = first.find(f"{{{w}}}type")
        if kind is None:
            kind = etree.Element(f"{{{w}}}type")
            first.insert(_child_position(first, w, _BEFORE_TYPE), kind)
        kind.set(f"{{{w}}}val", "nextPage")
        numbering = first.find(f"{{{w}}}pgNumType")
        if numbering is None:
            numbering = etree.Element(f"{{{w}}}pgNumType")
            first.insert(_child_position(first, w, _BEFORE_PGNUMTYPE), numbering)
        if numbering.get(f"{{{w}}}start") is None:  # a template's own first page number is kept
            numbering.set(f"{{{w}}}start", "1")
        if index > 0:
            self._no_inherited_headers(sections, w, r)
        everywhere = list(body.iter(f"{{{w}}}p"))
        opening = next((p for p in everywhere if not _in_text_box(p, w)), None)
        closing = next((p for p in reversed(everywhere) if not _in_text_box(p, w)), None)
        if opening is None or closing is None:
            opening = closing = etree.SubElement(body, f"{{{w}}}p")
            body.remove(final)
            body.append(final)
        _bookmark(opening, w, f"{BOOKMARK_PREFIX}{index}", next(self._bookmark_ids), at_start=True)
        _bookmark(closing, w, f"{END_BOOKMARK_PREFIX}{index}", next(self._bookmark_ids), at_start=False)
        body.remove(final)
        children = list(body)
        last = children[-1] if children else None
        holder_start = etree.Comment("mytypist-sect")
        holder_end = etree.Comment("/mytypist-sect")
        if last is not None and last.tag == f"{{{w}}}p":
            ppr = last.find(f"{{{w}}}pPr")
            if ppr is None:
                ppr = etree.Element(f"{{{w}}}pPr")
                last.insert(0, ppr)
            change = ppr.find(f"{{{w}}}pPrChange")
            position = ppr.index(change) if change is not None else len(ppr)
            ppr.insert(position, final)
            final.addprevious(holder_start)
            final.addnext(holder_end)
        else:
            paragraph = etree.SubElement(body, f"{{{w}}}p")
            etree.SubElement(paragraph, f"{{{w}}}pPr").append(final)
            paragraph.addprevious(holder_start)
            paragraph.addnext(holder_end)
        text = etree.tostring(root, encoding="UTF-8", xml_declaration=False)
        body_open = text.index(b">", _body_start(text)) + 1
        body_close = text.rindex(b"</", 0, text.rindex(b"</"))
        if not self._tail:
            self._tail = text[body_close:]
        inner = text[body_open:body_close]
        before, rest = inner.split(_MARK_START, 1)
        sect, after = rest.split(_MARK_END, 1)
        if not (last is not None and last.tag == f"{{{w}}}p"):
            # An added paragraph: the final record's sectPr goes to the body without it.
            return before, sect, after
        return before, sect, after


_NOTES = {
    "footnotes": ("footnote", ("footnoteReference",)),
    "endnotes": ("endnote", ("endnoteReference",)),
    "comments": ("comment", ("commentRangeStart", "commentRangeEnd", "commentReference")),
}


class _Notes:
    """A notes part (footnotes, endnotes, comments): the template's, plus each later record's notes."""

    def __init__(self, part: str, data: bytes, numbers: itertools.count[int]) -> None:
        self.part = part
        self.data = data
        self.numbers = numbers
        self.spool = DeflatedSpool()

    def renumber(self, root: etree._Element, w: str, record_part: bytes, kind: str) -> None:
        """Give the record's notes new ids, in its body and in the spooled notes."""
        note_tag, reference_tags = _NOTES[kind]
        renamed: dict[str, str] = {}
        for tag in reference_tags:
            for element in root.iter(f"{{{w}}}{tag}"):
                old = element.get(f"{{{w}}}id") or ""
                if old not in renamed:
                    renamed[old] = str(next(self.numbers))
                element.set(f"{{{w}}}id", renamed[old])
        if not renamed:
            return
        notes = etree.fromstring(record_part, etree.XMLParser(resolve_entities=False, huge_tree=True))
        for note in notes.iterfind(f"{{{w}}}{note_tag}"):
            old = note.get(f"{{{w}}}id") or ""
            if old in renamed:
                note.set(f"{{{w}}}id", renamed[old])
                for paragraph in note.iter(f"{{{w}}}p"):
                    paragraph.attrib.pop(f"{{{_W14_NS}}}paraId", "")
                    paragraph.attrib.pop(f"{{{_W14_NS}}}textId", "")
                self.spool.write(etree.tostring(note, encoding="UTF-8"))


# Child elements of a pPr that come before w:numPr (the schema's order).
_BEFORE_NUMPR = ("pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr", "widowControl")
_BEFORE_IND = (
    *_BEFORE_NUMPR, "numPr", "suppressLineNumbers", "pBdr", "shd", "tabs", "suppressAutoHyphens", "kinsoku",
    "wordWrap", "overflowPunct", "topLinePunct", "autoSpaceDE", "autoSpaceDN", "bidi", "adjustRightInd",
    "snapToGrid", "spacing",
)  # fmt: skip
# w:ind attributes that say the same thing (a style or paragraph setting one sets the group).
_INDENT_GROUPS = (
    ("left", "start", "leftChars", "startChars"),
    ("right", "end", "rightChars", "endChars"),
    ("hanging", "firstLine", "hangingChars", "firstLineChars"),
)


def _indent_groups(ind: etree._Element | None, w: str) -> dict[int, list[tuple[str, str]]]:
    """A w:ind's attributes (qualified names) by the _INDENT_GROUPS group they set."""
    found: dict[int, list[tuple[str, str]]] = {}
    if ind is None:
        return found
    for number, names in enumerate(_INDENT_GROUPS):
        for name in names:
            value = ind.get(f"{{{w}}}{name}")
            if value is not None:
                found.setdefault(number, []).append((f"{{{w}}}{name}", value))
    return found


# Child elements of a sectPr that come before w:type / w:pgNumType (the schema's order).
_BEFORE_TYPE = ("headerReference", "footerReference", "footnotePr", "endnotePr")
_BEFORE_PGNUMTYPE = (*_BEFORE_TYPE, "type", "pgSz", "pgMar", "paperSrc", "pgBorders", "lnNumType")


def _child_position(parent: etree._Element, w: str, before: tuple[str, ...]) -> int:
    position = 0
    for i, child in enumerate(parent):
        if isinstance(child.tag, str) and etree.QName(child).localname in before:
            position = i + 1
    return position


def _in_text_box(paragraph: etree._Element, w: str) -> bool:
    return any(etree.QName(a).localname in ("txbxContent", "Fallback") for a in paragraph.iterancestors())


def _bookmark(paragraph: etree._Element, w: str, name: str, number: int, *, at_start: bool) -> None:
    start = etree.Element(f"{{{w}}}bookmarkStart")
    start.set(f"{{{w}}}id", str(number))
    start.set(f"{{{w}}}name", name)
    end = etree.Element(f"{{{w}}}bookmarkEnd")
    end.set(f"{{{w}}}id", str(number))
    if at_start:
        ppr = paragraph.find(f"{{{w}}}pPr")
        position = paragraph.index(ppr) + 1 if ppr is not None else 0
        paragraph.insert(position, start)
        paragraph.insert(position + 1, end)
    else:
        link = next(paragraph.iter(f"{{{w}}}hyperlink"), None)
        if link is None:
            paragraph.append(start)
            paragraph.append(end)
            return
        # LibreOffice loses a bookmark that follows a hyperlink in a document's last paragraph
        # ("Page 1 of Error: Reference source not found"); one before the link it finds.
        holder = link
        while (parent := holder.getparent()) is not paragraph and parent is not None:
            holder = parent
        position = paragraph.index(holder)
        paragraph.insert(position, start)
        paragraph.insert(position + 1, end)


def _unique_ids(root: etree._Element, w: str, index: int, doc: CombinedDocument) -> None:
    """Bookmarks, drawings and content controls numbered across the whole document; NUMPAGES per record."""
    bookmark_ids: dict[str, str] = {}
    names: dict[str, str] = {}
    for element in root.iter(f"{{{w}}}bookmarkStart", f"{{{w}}}bookmarkEnd"):
        old = element.get(f"{{{w}}}id") or ""
        if old not in bookmark_ids:
            bookmark_ids[old] = str(next(doc._bookmark_ids))
        element.set(f"{{{w}}}id", bookmark_ids[old])
        name = element.get(f"{{{w}}}name")
        if name is not None and index > 0:
            names[name] = names.get(name) or f"{name[:30]}_{index}"
            element.set(f"{{{w}}}name", names[name])
    for element in root.iter(f"{{{_WP_NS}}}docPr"):
        element.set("id", str(next(doc._drawing_ids)))
    for element in root.iter(f"{{{w}}}sdtPr"):
        sdt_id = element.find(f"{{{w}}}id")
        if sdt_id is not None:
            sdt_id.set(f"{{{w}}}val", str(next(doc._sdt_ids)))
    if index > 0:
        for element in root.iter(f"{{{w}}}p"):
            element.attrib.pop(f"{{{_W14_NS}}}paraId", "")
            element.attrib.pop(f"{{{_W14_NS}}}textId", "")
        for element in root.iter(f"{{{w}}}hyperlink"):
            anchor = element.get(f"{{{w}}}anchor")
            if anchor in names:
                element.set(f"{{{w}}}anchor", names[anchor])
    end = f"PAGEREF {END_BOOKMARK_PREFIX}{index}"

    def instruction(text: str) -> str:
        text = _NUMPAGES.sub(end, text)
        return _FIELD_REFERENCE.sub(
            lambda m: m.group(1) + m.group(2) + names.get(m.group(3), m.group(3)), text
        )

    for element in root.iter(f"{{{w}}}instrText"):
        if element.text:
            element.text = instruction(element.text)
    for element in root.iter(f"{{{w}}}fldSimple"):
        instr = element.get(f"{{{w}}}instr")
        if instr:
            element.set(f"{{{w}}}instr", instruction(instr))


def _rewrite_story(data: bytes, index: int, doc: CombinedDocument) -> bytes:
    """A header or footer of record ``index``: unique ids, NUMPAGES as the record's page count."""
    if b"NUMPAGES" not in data and b"docPr" not in data and b"sdtPr" not in data and b"bookmark" not in data:
        return data
    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, huge_tree=True))
    w = etree.QName(root).namespace or ""
    _unique_ids(root, w, index, doc)
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True, standalone=True)


def _body_start(data: bytes) -> int:
    match = re.search(rb"<(?:[A-Za-z_][\w.-]*:)?body[\s>]", data)
    if match is None:
        raise ValueError("the main part has no body")
    return match.start()


def _rels_name(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def _relationships(member: package.Member | None) -> dict[str, tuple[str, str, bool]]:
    if member is None or member.data is None:
        return {}
    root = etree.fromstring(member.data)
    return {
        (e.get("Id") or ""): (
            e.get("Type") or "",
            e.get("Target") or "",
            (e.get("TargetMode") or "").lower() == "external",
        )
        for e in root.iter(f"{{{PACKAGE_RELS_NS}}}Relationship")
    }


def _copy_plain(source: DeflatedSpool, target: DeflatedSpool) -> None:
    """Inflate a finished spool's bytes into another spool."""
    import zlib

    source.file.seek(0)
    inflater = zlib.decompressobj(-15)
    # Bounded pieces: spooled relationships inflate a hundredfold, and memory must stay flat.
    while chunk := source.file.read(1 << 12):
        while chunk:
            target.write(inflater.decompress(chunk, 1 << 16))
            chunk = inflater.unconsumed_tail
    target.write(inflater.flush())


# Fields whose result counts the whole (combined) document, not the record's own pages, and why.
_WHOLE_DOCUMENT_FIELDS = {
    "TOC": "a table of contents (TOC) counts the pages of the whole document",
    "TOA": "a table of authorities (TOA) counts the pages of the whole document",
    "INDEX": "an index (INDEX) counts the pages of the whole document",
    "PAGEREF": "a PAGEREF field is not checked to show the page it shows alone",
    "SECTION": "a SECTION field counts the sections of the whole document",
    "SECTIONPAGES": "LibreOffice shows a SECTIONPAGES field's cached text",
    "NUMWORDS": "a NUMWORDS field counts the words of the whole document",
    "NUMCHARS": "a NUMCHARS field counts the characters of the whole document",
}
_FIELD_STORIES = re.compile(r"word/(?:document\d*|header\d*|footer\d*|footnotes|endnotes)\.xml")
_FIELD_TOKEN = re.compile(
    rb'<(?:w:)?fldChar\b[^>]*\bw:fldCharType="(begin|separate|end)"'
    rb"|<(?:w:)?instrText\b[^>/]*>([^<]*)</(?:w:)?instrText>"
    rb'|<(?:w:)?fldSimple\b[^>]*\bw:instr="([^"]*)"'
)
_SECTION = re.compile(rb"<w:sectPr\b[^>]*/>|<w:sectPr\b.*?</w:sectPr>", re.S)
_PAGE_NUMBERS = re.compile(rb"<w:pgNumType\b[^>]*>")


def page_exact_problems(document: Template | bytes | str | PathLike[str]) -> tuple[str, ...]:
    """Why a template's records might not print as they do alone when combined (empty when they do).

    The one check for both uses of a combined document: the fast PDF path
    (records converted combined, split at the bookmarks) takes the
    per-document path when there is a reason. ``document`` is a Template (its
    source), or a filled or template package as bytes or a path. Fields that
    count the whole document: a table of contents, table of authorities or
    index, ``PAGEREF``, ``SECTION``, ``SECTIONPAGES``, ``NUMWORDS``/``NUMCHARS``;
    and ``NUMPAGES`` (made a PAGEREF to the record's last paragraph) where a
    later section restarts the page numbers or numbers them other than 1, 2, 3.
    Looks in the body, headers, footers, footnotes and endnotes. A package that
    cannot be read has no reasons (its conversion then fails on its own).
    """
    if isinstance(document, bytes):
        data = document
    elif isinstance(document, str | PathLike):
        try:
            with open(document, "rb") as handle:
                data = handle.read()
        except OSError:
            return ()
    else:
        data = document.source
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            stories = {n: archive.read(n) for n in archive.namelist() if _FIELD_STORIES.fullmatch(n)}
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        return ()
    names: list[str] = []
    for xml in stories.values():
        for instruction in _instructions(xml):
            words = instruction.split()
            name = words[0].upper() if words else ""
            if name not in names and (name in _WHOLE_DOCUMENT_FIELDS or name == "NUMPAGES"):
                names.append(name)
    problems = [_WHOLE_DOCUMENT_FIELDS[name] for name in names if name != "NUMPAGES"]
    if "NUMPAGES" in names:
        main = next((xml for name, xml in stories.items() if name.startswith("word/document")), b"")
        sections = _SECTION.findall(main)
        if any(_numbered_apart(section, first=number == 0) for number, section in enumerate(sections)):
            problems.append("NUMPAGES in a template whose sections restart or format their page numbers")
    return tuple(problems)


def _numbered_apart(section: bytes, *, first: bool) -> bool:
    """Whether a section's page numbers make the last page's number differ from the page count.

    The PAGEREF that stands in for NUMPAGES shows the number of the record's
    last page: right while the pages are numbered 1, 2, 3 from the record's
    first section on, wrong after a later section restarts them or in another format.
    """
    tag = _PAGE_NUMBERS.search(section)
    if tag is None:
        return False
    fmt = re.search(rb'\bw:fmt="([^"]*)"', tag.group())
    start = re.search(rb'\bw:start="([^"]*)"', tag.group())
    if fmt is not None and fmt.group(1) != b"decimal":
        return True
    return start is not None and not (first and start.group(1) == b"1")


def _instructions(xml: bytes) -> Iterator[str]:
    """Every field instruction of a part; a complex field's instruction may be spread over several runs."""
    open_fields: list[list[bytes]] = []  # nested fields: the instruction text of each so far
    for match in _FIELD_TOKEN.finditer(xml):
        kind, text, simple = match.groups()
        if simple is not None:
            yield simple.decode(errors="replace")
        elif text is not None:
            if open_fields:
                open_fields[-1].append(text)
        elif kind == b"begin":
            open_fields.append([])
        elif open_fields:
            pieces = open_fields.pop() if kind == b"end" else open_fields[-1]
            if pieces:
                yield b"".join(pieces).decode(errors="replace")
                pieces.clear()


def combined(
    template: Template,
    out: IO[bytes],
    *,
    missing: Missing = "error",
    allow_macros: bool = False,
    image_dir: str | PathLike[str] | None = None,
    max_image_bytes: int | None = None,
) -> CombinedDocument:
    """A :class:`CombinedDocument` writing into ``out``; options as ``Template.fill`` takes them."""
    options: dict[str, Any] = {"missing": missing, "allow_macros": allow_macros, "image_dir": image_dir}
    if max_image_bytes is not None:
        options["max_image_bytes"] = max_image_bytes
    return CombinedDocument(template, out, options)


def render_combined(template: Template, records: Iterable[Mapping[str, Any]], **options: Any) -> bytes:
    """Every record in one document's bytes (see :func:`combined`)."""
    buffer = io.BytesIO()
    with combined(template, buffer, **options) as document:
        for record in records:
            document.add(record)
    return buffer.getvalue()


__all__ = [
    "BOOKMARK_PREFIX",
    "END_BOOKMARK_PREFIX",
    "CombinedDocument",
    "combined",
    "page_exact_problems",
    "render_combined",
]

_ = CONTENT_TYPES_NS
