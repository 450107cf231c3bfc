"""Sections: pair ``<<#list>>``/``<<?cond>>``/``<<^cond>>`` with ``<</name>>`` and decide what repeats.

Where the two tags sit decides the repeated stretch, by their nearest common
container: inside one paragraph, the text (and runs) between them; each alone
in its own paragraph with the same parent, the paragraphs between them (the
tag paragraphs go away, leaving no blank lines); in rows of one table, the
rows from the first tag's to the second's; in paragraphs with the same parent
where a tag shares its paragraph with text or a picture, each such paragraph
is split into two at its tag, and what lies between the tags repeats (a part
left empty by the split goes, as a lone tag's paragraph does). Each boundary becomes a
processing instruction between elements, so after serialisation the part's
bytes split into nested segment lists (``Section`` nodes) that a render walks
without parsing XML.

Imports neither typer nor rich.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass

from lxml import etree

from mytypist_cli.engine.syntax import Tag
from mytypist_cli.errors import TemplateSyntaxError
from mytypist_cli.ooxml.names import XML_SPACE

PI_TARGET = "mytypist"


@dataclass
class Site:
    """One section tag where it was found, before it is placed."""

    tag: Tag
    number: int
    part: str
    paragraph: etree._Element
    paragraph_index: int
    alone: bool
    """The tag is the only text of its paragraph."""
    in_table: bool

    @property
    def where(self) -> str:
        place = "a table cell" if self.in_table else "the body" if "document" in self.part else "the part"
        return f"{self.part}, paragraph {self.paragraph_index} ({place})"


@dataclass
class Pair:
    """An opening and its closing tag, and what they repeat or guard once placed."""

    opening: Site
    closing: Site
    kind: str = ""
    """``inline``, ``paragraphs`` or ``rows``."""


def describe(site: Site) -> str:
    return f"{site.tag.raw} at {site.where}"


def pair_sites(
    events: list[tuple[str, int]], sites: list[Site], delimiters: tuple[str, str] = ("<<", ">>")
) -> list[Pair]:
    """Match openings with closings in document order; every mismatch is an error naming both tags.

    ``events`` lists ("section", site number) in document order (value tags are
    not needed here); ``delimiters`` are the template's, which the messages
    speak (``add {/loop}``). Raises TemplateSyntaxError.
    """
    opening_delimiter, closing_delimiter = delimiters

    def closing_tag(name: str) -> str:
        return f"{opening_delimiter}/{name}{closing_delimiter}"

    stack: list[Site] = []
    pairs: list[Pair] = []
    for _, number in events:
        site = sites[number]
        if site.tag.sigil != "/":
            stack.append(site)
            continue
        if not stack:
            raise TemplateSyntaxError(f"{describe(site)} closes a section that was never opened")
        opening = stack.pop()
        if opening.tag.name != site.tag.name:
            raise TemplateSyntaxError(
                f"{describe(site)} does not close {describe(opening)}: sections must nest "
                f"(close {closing_tag(opening.tag.name)} first, or rename one of them)"
            )
        pairs.append(Pair(opening, site))
    if stack:
        site = stack[-1]
        raise TemplateSyntaxError(f"{describe(site)} is never closed (add {closing_tag(site.tag.name)})")
    pairs.sort(key=lambda pair: pair.opening.number)  # outermost first: insertions then nest
    return pairs


def place(pairs: list[Pair], names: WordNames, marker: re.Pattern[str]) -> None:
    """Turn every pair into two processing instructions around what it repeats.

    Raises TemplateSyntaxError where the tags' positions say nothing sensible.
    """
    inline_paragraphs: dict[int, etree._Element] = {}
    split_paragraphs: dict[int, etree._Element] = {}
    for pair in pairs:
        first, second = pair.opening, pair.closing
        siblings = first.paragraph.getparent() is second.paragraph.getparent()
        if first.paragraph is second.paragraph:
            pair.kind = "inline"
            inline_paragraphs[id(first.paragraph)] = first.paragraph
        elif first.alone and second.alone and siblings:
            pair.kind = "paragraphs"
        else:
            rows = _shared_table_rows(first.paragraph, second.paragraph, names)
            if rows is None and siblings:
                pair.kind = "split"
                for site in (first, second):
                    split_paragraphs[id(site.paragraph)] = site.paragraph
                continue
            if rows is None:
                raise TemplateSyntaxError(
                    f"{describe(first)} and {describe(second)}: put both in one paragraph, in paragraphs "
                    "side by side (not one inside a table, text box or content control the other is "
                    "outside), or both in rows of one table"
                )
            pair.kind = "rows"
            start, end = rows
            table = start.getparent()
            assert table is not None
            every_row = table.findall(names.tr)
            if first.tag.sigil == "#" and every_row[0] is start and every_row[-1] is end:
                # Word refuses a table without rows: an empty list takes the whole table with it.
                table.addprevious(_pi("g", first.number))
                table.addnext(_pi("G", first.number))
            start.addprevious(_pi("s", first.number))
            end.addnext(_pi("e", second.number))
    cells: list[etree._Element] = []
    for pair in pairs:
        if pair.kind == "paragraphs":
            _replace_paragraph(pair.opening, _pi("s", pair.opening.number), names, before=False, cells=cells)
            _replace_paragraph(pair.closing, _pi("e", pair.closing.number), names, before=True, cells=cells)
        elif pair.kind == "rows":
            for site in (pair.opening, pair.closing):
                _remove_marker(site, names, marker, cells)
    for paragraph in {**inline_paragraphs, **split_paragraphs}.values():
        split_runs_at_markers(paragraph, names, marker)
    for pair in pairs:
        if pair.kind == "inline":
            opening = _find_pi(pair.opening.paragraph, "s", pair.opening.number)
            closing = _find_pi(pair.closing.paragraph, "e", pair.closing.number)
            if opening.getparent() is not closing.getparent():
                raise TemplateSyntaxError(
                    f"{describe(pair.opening)} and {describe(pair.closing)}: in one paragraph, both tags "
                    "must be inside the same hyperlink or content control, or both outside"
                )
    cuts: dict[int, list[tuple[Site, etree._Element]]] = {}
    for pair in pairs:
        if pair.kind == "split":
            for site, kind in ((pair.opening, "s"), (pair.closing, "e")):
                mark = _find_pi(site.paragraph, kind, site.number)
                cuts.setdefault(id(site.paragraph), []).append((site, mark))
    for paragraph_cuts in cuts.values():
        _split_paragraph(paragraph_cuts, names)
    for cell in cells:
        if cell.find(names.p) is None:
            etree.SubElement(cell, names.p)  # a table cell must keep a paragraph


class WordNames:
    """The part's qualified WordprocessingML tag names (transitional or Strict namespace)."""

    def __init__(self, ns: str) -> None:
        self.w = w = "{" + ns + "}"
        self.p = w + "p"
        self.r = w + "r"
        self.t = w + "t"
        self.tr = w + "tr"
        self.tc = w + "tc"
        self.tbl = w + "tbl"
        self.ppr = w + "pPr"
        self.rpr = w + "rPr"
        self.sect_pr = w + "sectPr"


def _pi(kind: str, number: int) -> etree._ProcessingInstruction:
    return etree.ProcessingInstruction(PI_TARGET, f"{kind}{number}")


def _find_pi(paragraph: etree._Element, kind: str, number: int) -> etree._Element:
    wanted = f"{kind}{number}"
    for node in paragraph.iter(etree.ProcessingInstruction):
        if (
            isinstance(node, etree._ProcessingInstruction)
            and node.target == PI_TARGET
            and node.text == wanted
        ):
            return node
    raise AssertionError(f"section mark {wanted} vanished")  # pragma: no cover


def _shared_table_rows(
    first: etree._Element, second: etree._Element, names: WordNames
) -> tuple[etree._Element, etree._Element] | None:
    """The innermost rows, one above each paragraph, that belong to the same table, in order."""
    first_rows = list(first.iterancestors(names.tr))
    second_rows = list(second.iterancestors(names.tr))
    for row in first_rows:
        for other in second_rows:
            if row.getparent() is other.getparent():
                table = row.getparent()
                assert table is not None
                if table.index(row) <= table.index(other):
                    return row, other
                return None
    return None


# What makes part of a split paragraph worth keeping, besides text: an object, or a break the author typed.
_CONTENT = {
    "drawing",
    "pict",
    "object",
    "sym",
    "footnoteReference",
    "endnoteReference",
    "noBreakHyphen",
    "br",
    "cr",
}
_MATH = "{http://schemas.openxmlformats.org/officeDocument/2006/math}oMath"
_PARAGRAPH_IDS = {
    "{http://schemas.microsoft.com/office/word/2010/wordml}paraId",
    "{http://schemas.microsoft.com/office/word/2010/wordml}textId",
}


def _split_paragraph(cuts: list[tuple[Site, etree._Element]], names: WordNames) -> None:
    """Split one paragraph at the marks of the section tags that share it, the marks going between the parts.

    Each part keeps the paragraph's properties; the page-section break a
    paragraph may end with (``w:pPr/w:sectPr``) stays on its last part, which
    must not be inside a section. A part without text, objects or breaks goes.
    Raises TemplateSyntaxError for a tag inside a hyperlink, content control,
    tracked change or field, which cannot be cut there.
    """
    paragraph = cuts[0][0].paragraph
    parent = paragraph.getparent()
    assert parent is not None
    marks = {id(mark): site for site, mark in cuts}
    fields = 0
    for site, mark in cuts:
        if mark.getparent() is not paragraph:
            raise TemplateSyntaxError(
                f"{describe(site)}: the tag shares its paragraph, which is split at it, but it is inside a "
                "hyperlink, content control or tracked change; move it out, or give it a paragraph of its own"
            )
    pieces: list[list[etree._Element]] = [[]]
    separators: list[etree._Element] = []
    properties = paragraph.find(names.ppr)
    for child in list(paragraph):
        if child is properties:
            continue
        if id(child) in marks:
            if fields > 0:
                raise TemplateSyntaxError(
                    f"{describe(marks[id(child)])}: the tag is inside a field (between its begin and end "
                    "marks), which cannot be split; move it out of the field"
                )
            separators.append(child)
            pieces.append([])
            continue
        for char in child.iter(f"{names.w}fldChar"):
            kind = char.get(f"{names.w}fldCharType")
            fields += 1 if kind == "begin" else -1 if kind == "end" else 0
        pieces[-1].append(child)
    # The page-section break belongs to the paragraph's end, and must stay outside the section.
    holder = len(pieces) - 1
    section_break = properties is not None and properties.find(names.sect_pr) is not None
    if section_break and (separators[-1].text or "").startswith("s"):
        site = marks[id(separators[-1])]
        if _has_content(pieces[-1], names):
            raise TemplateSyntaxError(
                f"{describe(site)}: the paragraph ends a page section (a section break), so what follows "
                "the tag cannot go into the section; put the tag in another paragraph"
            )
        holder = len(pieces) - 2
    for index, piece in enumerate(pieces):
        if (index == holder and section_break) or _has_content(piece, names):
            part = etree.Element(paragraph.tag)
            for name, value in paragraph.attrib.items():
                if not index or name not in _PARAGRAPH_IDS:  # Word's paragraph ids stay on the first part
                    part.set(name, value)
            if properties is not None:
                copied = copy.deepcopy(properties)
                if index != holder:
                    for section in copied.findall(names.sect_pr):
                        copied.remove(section)
                part.append(copied)
            part.extend(piece)
            paragraph.addprevious(part)
        if index < len(separators):
            paragraph.addprevious(separators[index])
    parent.remove(paragraph)


def _has_content(elements: list[etree._Element], names: WordNames) -> bool:
    """Whether these parts of a paragraph show something: text, an object, a break, a placeholder."""
    for element in elements:
        for node in element.iter():
            if isinstance(node, etree._ProcessingInstruction):
                if node.target == PI_TARGET:
                    return True
                continue
            if not isinstance(node.tag, str):
                continue
            if node.tag == names.t and (node.text or "").strip():
                return True
            if node.tag == _MATH or (node.tag.startswith(names.w) and node.tag[len(names.w) :] in _CONTENT):
                return True
    return False


def _paragraph_text(paragraph: etree._Element, names: WordNames) -> str:
    return "".join(t.text or "" for t in paragraph.iter(names.t))


def _replace_paragraph(
    site: Site,
    mark: etree._ProcessingInstruction,
    names: WordNames,
    *,
    before: bool,
    cells: list[etree._Element],
) -> None:
    """A tag alone in its paragraph takes the paragraph with it (no blank line left behind)."""
    paragraph = site.paragraph
    properties = paragraph.find(names.ppr)
    if properties is not None and properties.find(names.sect_pr) is not None:
        # The paragraph ends a section of the page layout: keep it, emptied, and mark beside it.
        for t in paragraph.iter(names.t):
            t.text = ""
        if before:
            paragraph.addprevious(mark)
        else:
            paragraph.addnext(mark)
        return
    paragraph.addprevious(mark)
    parent = paragraph.getparent()
    assert parent is not None
    if parent.tag == names.tc:
        cells.append(parent)
    parent.remove(paragraph)


def _remove_marker(
    site: Site, names: WordNames, marker: re.Pattern[str], cells: list[etree._Element]
) -> None:
    """Drop a row section's tag from its cell; a paragraph it leaves empty goes too, if the cell keeps one."""

    def own(match: re.Match[str]) -> str:
        return "" if match.group(1) in "se" and int(match.group(2)) == site.number else match.group(0)

    for t in site.paragraph.iter(names.t):
        if t.text and marker.search(t.text):
            t.text = marker.sub(own, t.text)
    parent = site.paragraph.getparent()
    if (
        site.alone
        and parent is not None
        and parent.tag == names.tc
        and len(parent.findall(names.p)) > 1
        and not _paragraph_text(site.paragraph, names).strip()
    ):
        parent.remove(site.paragraph)
        cells.append(parent)


def split_runs_at_markers(paragraph: etree._Element, names: WordNames, marker: re.Pattern[str]) -> None:
    """Cut runs where inline section tags sit, so each tag becomes a mark between runs.

    Every piece keeps its run's formatting, so repeated copies look like the template.
    """
    for t in list(paragraph.iter(names.t)):
        text = t.text or ""
        if not marker.search(text):
            continue
        run = t.getparent()
        assert run is not None
        assert run.tag == names.r
        pieces = marker.split(text)  # text, kind, number, text, kind, number, ..., text
        properties = run.find(names.rpr)
        following = list(t.itersiblings())
        t.text = pieces[0]
        t.set(XML_SPACE, "preserve")
        anchor: etree._Element = run
        last_run = run
        for index in range(1, len(pieces), 3):
            kind, number, after = pieces[index], int(pieces[index + 1]), pieces[index + 2]
            mark = _pi(kind, number)
            anchor.addnext(mark)
            anchor = mark
            new_run = etree.Element(names.r)
            if properties is not None:
                new_run.append(copy.deepcopy(properties))
            new_t = etree.SubElement(new_run, names.t)
            new_t.text = after
            new_t.set(XML_SPACE, "preserve")
            anchor.addnext(new_run)
            anchor = new_run
            last_run = new_run
        for element in following:  # what followed the text in its run stays after it
            last_run.append(element)
