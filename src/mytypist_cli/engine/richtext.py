"""Values that become WordprocessingML: ``<<clause|markdown>>``, ``<<url|link>>``, ``<<agreed|check>>``.

``markdown`` turns CommonMark from the data into runs and paragraphs (bold,
italic, strike, inline code, links, line breaks, headings, bulleted and
numbered lists); ``link`` into a ``w:hyperlink`` with an external
relationship; ``check`` into ☒ or ☐ (plain text, so it works anywhere).

Markdown is parsed by pulldown-cmark through pyromark: CommonMark-compliant,
it gives a flat stream of events that maps one to one onto runs and
paragraphs, about forty times faster than markdown-it-py (a 2 KB clause in
0.03 ms against 1.4), and raw HTML comes as events of its own, shown as the
text it is. Runs are written as XML text, as the plain engine writes its
own: every character of a value is escaped on the way in, the only markup
taken from the template (its run properties) is built as lxml elements,
and addresses go to the .rels through lxml, so a value can never inject
markup (tests/test_markdown.py tries arbitrary Markdown). pyromark is
imported only when a template uses the filter.

Imports neither typer nor rich.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from lxml import etree

from mytypist_cli.engine.values import MISSING, raw_value, text_of
from mytypist_cli.errors import FilterSyntaxError, FilterValueError, RenderError

CHECKED, UNCHECKED = "\u2612", "\u2610"
RICH_FILTERS = ("markdown", "link")
"""Filters whose value is markup, not text: they end their chain and replace the placeholder's run."""
W14_NS = "http://schemas.microsoft.com/office/word/2010/wordml"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
HYPERLINK_RELATIONSHIP = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"
HYPERLINK_RELATIONSHIP_STRICT = "http://purl.oclc.org/ooxml/officeDocument/relationships/hyperlink"
NUMBERING_RELATIONSHIP = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/numbering"
STYLES_RELATIONSHIP = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"
NUMBERING_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.numbering+xml"
STYLES_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"
_SCHEMES = ("http", "https", "mailto")
_MONOSPACE = "Courier New"
MULTI_PARAGRAPH = (
    "has several paragraphs (or a heading or a list), which cannot go inside a sentence; "
    "put the placeholder in a paragraph of its own"
)


# -- filters (registered in filters.py) ---------------------------------------------------


def make_markdown(argument: str | None, locale: str) -> Callable[[Any], Any]:
    if argument is not None:
        raise FilterSyntaxError("the filter 'markdown' takes no argument")
    return lambda value: value if value is MISSING or value == "" else text_of(value, locale)


def make_link(argument: str | None, locale: str) -> Callable[[Any], Any]:
    if argument is not None and not argument.strip():
        raise FilterSyntaxError('link:"label" needs a label that is not empty')

    def step(value: Any) -> Any:
        if value is MISSING or value == "":
            return value
        url = text_of(value, locale).strip()
        check_url(url)
        return url

    return step


def make_check(argument: str | None, locale: str) -> Callable[[Any], Any]:
    if argument is not None:
        raise FilterSyntaxError("the filter 'check' takes no argument")
    from mytypist_cli.engine.renderer import truthy  # the renderer imports filters, which import this

    def step(value: Any) -> Any:
        if value is MISSING:
            return value
        plain = raw_value(value)
        if isinstance(plain, Mapping | list | tuple):
            what = "an object" if isinstance(plain, Mapping) else "a list"
            raise FilterValueError(f"{what} cannot be a checkbox (use yes/no, true/false or 1/0)")
        return CHECKED if truthy(plain) else UNCHECKED

    return step


def check_url(url: str) -> None:
    """Refuse anything but an http, https or mailto address. Raises FilterValueError."""
    shown = url if len(url) <= 60 else url[:57] + "..."
    if re.search(r"[\s\x00-\x1f\x7f]", url):
        raise FilterValueError(f'"{shown}" is not a link: it has spaces or control characters')
    try:
        parts = urlsplit(url)
    except ValueError:
        raise FilterValueError(f'"{shown}" is not a link') from None
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES:
        said = f'"{scheme}:" ' if scheme else "no scheme "
        raise FilterValueError(f'"{shown}" has {said}- links may be http, https or mailto only')
    if scheme != "mailto" and not parts.netloc:
        raise FilterValueError(f'"{shown}" names no host')
    if scheme == "mailto" and "@" not in parts.path:
        raise FilterValueError(f'"{shown}" names no e-mail address')


def rich_kind(filters: str) -> str:
    """``markdown`` or ``link`` when the chain ends with that filter, else ""."""
    last = filters.rsplit("|", 1)[-1].split(":", 1)[0].strip() if filters else ""
    return last if last in RICH_FILTERS else ""


def link_label(filters: str) -> str | None:
    """The label of ``link:"Pay now"`` (None for a bare ``link``); the chain was checked already."""
    from mytypist_cli.engine.filters import _unquote  # one reading of quoted arguments

    _, _, argument = filters.rsplit("|", 1)[-1].partition(":")
    return _unquote(argument.strip()) if argument.strip() else None


# -- the per-document state ----------------------------------------------------------------


@dataclass(frozen=True)
class RichParts:
    """What a template with markdown or link values found or added in its package, once."""

    numbering: tuple[str, bytes, bytes] | None
    """numbering.xml's member name and the bytes around where each document's list instances go."""
    bullet_id: int
    decimal_id: int
    first_num: int
    headings: tuple[str, ...]
    """The style ids of Heading 1..6."""
    hyperlink: str
    """The style id of the Hyperlink character style."""
    ns: str
    restarts: Mapping[str, tuple[int, tuple[int, ...]]] = field(default_factory=dict)
    """For the template's own lists that restart in each item of a repeated section: numId ->
    (its abstractNumId, each level's start)."""
    blocks_memo: dict[tuple[Any, ...], _Built] = field(default_factory=dict, compare=False, repr=False)
    """markdown_blocks' results for this template's slots, reused by later documents."""


@dataclass
class RichBook:
    """One document's hyperlink relationships (per part) and list instances."""

    parts: RichParts
    taken: dict[str, set[str]]
    links: dict[str, dict[str, str]] = field(default_factory=dict)
    nums: list[tuple[int, int, tuple[tuple[int, int], ...]]] = field(default_factory=list)
    """(numId, abstractNumId, (level, start) overrides) of every list instance this document added."""

    def link_id(self, part: str, url: str) -> str:
        ids = self.links.setdefault(part, {})
        rid = ids.get(url)
        if rid is None:
            taken = self.taken.get(part, set())
            number = len(ids) + 1
            while f"rIdMl{number}" in taken:
                number += 1
            rid = ids[url] = f"rIdMl{number}"
        return rid

    def new_list(self, ordered: bool, level: int, start: int) -> int:
        """A fresh list instance that starts at ``start`` on ``level``: every value numbers from 1."""
        num = self.parts.first_num + len(self.nums)
        abstract = self.parts.decimal_id if ordered else self.parts.bullet_id
        self.nums.append((num, abstract, ((level, start),)))
        return num

    def restart(self, num_id: str) -> str | None:
        """A fresh instance of the template's list ``num_id``, counting from its start again.

        None when the template's numbering does not define that list.
        """
        found = self.parts.restarts.get(num_id)
        if found is None:
            return None
        abstract, starts = found
        num = self.parts.first_num + len(self.nums)
        self.nums.append((num, abstract, tuple(enumerate(starts))))
        return str(num)

    def relationship_xml(self, part: str, strict: bool = False) -> bytes:
        """The <Relationship> elements ``part`` needs for its links (external targets)."""
        root = etree.Element("x")
        for url, rid in self.links.get(part, {}).items():
            etree.SubElement(
                root,
                "Relationship",
                Id=rid,
                Type=HYPERLINK_RELATIONSHIP_STRICT if strict else HYPERLINK_RELATIONSHIP,
                Target=url,
                TargetMode="External",
            )
        return b"".join(etree.tostring(child) for child in root)

    def numbering_xml(self) -> bytes | None:
        if self.parts.numbering is None or not self.nums:
            return None
        name, before, after = self.parts.numbering
        w = "{" + self.parts.ns + "}"
        root = etree.Element(w + "numbering", nsmap={"w": self.parts.ns})
        for num, abstract, overrides in self.nums:
            element = etree.SubElement(root, w + "num", {w + "numId": str(num)})
            etree.SubElement(element, w + "abstractNumId", {w + "val": str(abstract)})
            for level, start in overrides:
                override = etree.SubElement(element, w + "lvlOverride", {w + "ilvl": str(level)})
                etree.SubElement(override, w + "startOverride", {w + "val": str(start)})
        return before + _inner(root) + after


# -- building runs ---------------------------------------------------------------------------

_RPR_ORDER = (  # noqa: SIM905 -- the schema order, one readable sequence
    "rStyle rFonts b bCs i iCs caps smallCaps strike dstrike outline shadow emboss imprint noProof "
    "snapToGrid vanish webHidden color spacing w kern position sz szCs highlight u effect bdr shd fitText "
    "vertAlign rtl cs em lang eastAsianLayout specVanish oMath"
).split()
_PPR_ORDER = (  # noqa: SIM905
    "pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr suppressLineNumbers pBdr shd "
    "tabs suppressAutoHyphens kinsoku wordWrap overflowPunct topLinePunct autoSpaceDE autoSpaceDN bidi "
    "adjustRightInd snapToGrid spacing ind contextualSpacing mirrorIndents suppressOverlap jc textDirection "
    "textAlignment textboxTightWrap outlineLvl divId cnfStyle rPr sectPr pPrChange"
).split()


def _put(parent: etree._Element, child: etree._Element, order: list[str]) -> None:
    """Insert ``child`` where the schema orders it (Word refuses properties out of order)."""
    local = etree.QName(child).localname
    rank = order.index(local) if local in order else len(order)
    for existing in parent.findall(child.tag):
        parent.remove(existing)
    for index, existing in enumerate(parent):
        name = etree.QName(existing).localname if isinstance(existing.tag, str) else ""
        if (order.index(name) if name in order else len(order)) > rank:
            parent.insert(index, child)
            return
    parent.append(child)


def _inner(wrapper: etree._Element) -> bytes:
    """The serialised children of ``wrapper``, without it (its namespace declarations stay out)."""
    etree.cleanup_namespaces(wrapper)
    data = etree.tostring(wrapper, encoding="UTF-8")
    if data.endswith(b"/>"):
        return b""
    return data[data.index(b">") + 1 : data.rindex(b"</")]


_PROTOTYPES: dict[tuple[Any, ...], str] = {}


def _parse(data: bytes) -> etree._Element:
    return etree.fromstring(data)


#: An empty wrapper element per namespace set, copied for each use (see _Writer.wrapper).
_WRAPPERS: dict[tuple[str, tuple[tuple[str | None, str], ...]], etree._Element] = {}

_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
"""Text is clean already (values.clean_text: no character XML forbids, no carriage return)."""


class _Writer:
    """Writes the runs of one value for one slot as XML text, in the part's own prefixes.

    Runs are strings joined once per paragraph: building them as lxml elements
    and serialising took most of a clause's time. Everything variable in them
    is text, escaped here; the run properties, the only structure taken from
    the template, are built as elements once per kind and kept as text.
    """

    def __init__(self, slot: Any, book: RichBook | None) -> None:
        self.slot = slot
        self.book = book
        self.w = "{" + slot.ns + "}"
        self.nsmap = dict(slot.namespaces)
        self.r_ns = getattr(slot, "r_ns", R_NS)
        if self.r_ns not in self.nsmap.values():
            self.nsmap.setdefault("r", self.r_ns)
        self._wrap_key = (self.w, tuple(sorted(self.nsmap.items(), key=lambda item: item[0] or "")))
        self.p = slot.prefix  # "w:", or "" where WordprocessingML is the default namespace
        declared = {uri: prefix for prefix, uri in slot.namespaces if prefix}
        if self.r_ns in declared:
            self._r, self._r_declaration = declared[self.r_ns], ""
        else:  # a part whose root names no relationships: the hyperlink declares them itself
            self._r = "r" if "r" not in dict(slot.namespaces) else "mtr"
            self._r_declaration = f' xmlns:{self._r}="{self.r_ns}"'

    def wrapper(self) -> etree._Element:
        # Building an element with the document's namespaces takes ~40 us; copying a built one, ~5.
        prototype = _WRAPPERS.get(self._wrap_key)
        if prototype is None:
            if len(_WRAPPERS) > 256:
                _WRAPPERS.clear()
            prototype = _WRAPPERS[self._wrap_key] = etree.Element(self.w + "wrap", nsmap=self.nsmap)
        return copy.deepcopy(prototype)

    def properties(
        self, *, bold: bool, italic: bool, strike: bool, code: bool, style: str, plain: bool
    ) -> str:
        """The run's ``w:rPr``: the placeholder's own with these added ("" when there is none)."""
        key = (self.slot.rpr, self._wrap_key, bold, italic, strike, code, style, plain)
        found = _PROTOTYPES.get(key)
        if found is None:
            if len(_PROTOTYPES) > 4096:
                _PROTOTYPES.clear()
            found = _PROTOTYPES[key] = self._build_properties(bold, italic, strike, code, style, plain)
        return found

    def _build_properties(
        self, bold: bool, italic: bool, strike: bool, code: bool, style: str, plain: bool
    ) -> str:
        w = self.w
        base = _parse(self.slot.rpr) if self.slot.rpr and not plain else etree.Element(w + "rPr")
        if style:
            # A link must look like one: the run's own colour and underline would hide the style.
            for name in ("color", "u"):
                for old in base.findall(w + name):
                    base.remove(old)
            _put(base, etree.Element(w + "rStyle", {w + "val": style}), _RPR_ORDER)
        for on, names in ((bold, ("b", "bCs")), (italic, ("i", "iCs")), (strike, ("strike",))):
            if on:
                for name in names:
                    _put(base, etree.Element(w + name), _RPR_ORDER)
        if code:
            fonts = {w + side: _MONOSPACE for side in ("ascii", "hAnsi", "cs", "eastAsia")}
            _put(base, etree.Element(w + "rFonts", fonts), _RPR_ORDER)
        if not len(base):
            return ""
        wrapper = self.wrapper()
        wrapper.append(base)
        return _inner(wrapper).decode("utf-8")

    def run(self, out: list[str], text: str, rpr: str) -> None:
        """Append a ``w:r`` showing ``text`` (new lines as breaks, tabs as tabs) to ``out``."""
        p = self.p
        out.append(f"<{p}r>{rpr}")
        if "\n" not in text and "\t" not in text:
            out.append(f'<{p}t xml:space="preserve">{text.translate(_ESCAPES)}</{p}t></{p}r>')
            return
        for index, line in enumerate(text.split("\n")):
            if index:
                out.append(f"<{p}br/>")
            for number, chunk in enumerate(line.split("\t")):
                if number:
                    out.append(f"<{p}tab/>")
                if chunk:
                    out.append(f'<{p}t xml:space="preserve">{chunk.translate(_ESCAPES)}</{p}t>')
        out.append(f"</{p}r>")

    def open_hyperlink(self, out: list[str], url: str) -> bool:
        """Append a ``w:hyperlink`` start to ``url``; False (nothing added) where no link may go."""
        if self.book is None or self.slot.in_hyperlink:
            return False  # inside a hyperlink already: Word allows no link in a link
        rid = self.book.link_id(self.slot.part, url)
        out.append(f'<{self.p}hyperlink{self._r_declaration} {self._r}:id="{rid}" {self.p}history="1">')
        return True

    def close_hyperlink(self, out: list[str]) -> None:
        out.append(f"</{self.p}hyperlink>")


def plain_run(slot: Any, text: str) -> bytes:
    """The placeholder's own run with ``text`` (a missing value kept as written)."""
    writer = _Writer(slot, None)
    out: list[str] = []
    rpr = writer.properties(bold=False, italic=False, strike=False, code=False, style="", plain=False)
    writer.run(out, text, rpr)
    return "".join(out).encode("utf-8")


def link_runs(slot: Any, url: str, book: RichBook) -> bytes:
    """A ``w:hyperlink`` to ``url`` showing the slot's label or the URL, in the Hyperlink style."""
    writer = _Writer(slot, book)
    out: list[str] = []
    linked = writer.open_hyperlink(out, url)
    rpr = writer.properties(
        bold=False, italic=False, strike=False, code=False, style=book.parts.hyperlink, plain=False
    )
    label = slot.label if slot.label is not None else url.removeprefix("mailto:")
    writer.run(out, label, rpr)
    if linked:
        writer.close_hyperlink(out)
    return "".join(out).encode("utf-8")


@dataclass
class Block:
    """One paragraph of a markdown value: its properties (None: the placeholder's paragraph's) and runs."""

    ppr: bytes | None
    runs: bytes


@dataclass(frozen=True)
class _Built:
    """One markdown value's paragraphs, and what building them added to the document's book."""

    blocks: tuple[Block, ...]
    nums: tuple[tuple[int, int, tuple[tuple[int, int], ...]], ...]
    links: tuple[tuple[str, str], ...]


_BLOCKS_MEMO_LIMIT = 256


def markdown_blocks(slot: Any, source: str, book: RichBook) -> list[Block]:
    """The paragraphs ``source`` makes in ``slot``. Raises RenderError for a link with a bad scheme.

    A batch's rows often share a clause: the paragraphs built for a value are
    kept per template and reused when the same value fills the same slot with
    the document's book in the same state (its list and link numbering),
    which makes the same bytes; the book then gains what building them added.
    """
    links = dict(book.links.get(slot.part, {}))  # a copy: building adds to the book's own
    # The slot belongs to the template that owns the memo, so its id is stable while the memo lives.
    key = (id(slot), source, len(book.nums), tuple(links.items()))
    memo = book.parts.blocks_memo
    built = memo.get(key)
    if built is None:
        nums_before = len(book.nums)
        blocks = _build_blocks(slot, source, book)
        added = book.links.get(slot.part, {})
        built = _Built(
            tuple(blocks),
            tuple(book.nums[nums_before:]),
            tuple((url, rid) for url, rid in added.items() if url not in links),
        )
        if len(memo) >= _BLOCKS_MEMO_LIMIT:
            memo.clear()
        memo[key] = built
        return blocks
    book.nums.extend(built.nums)
    if built.links:
        book.links.setdefault(slot.part, {}).update(built.links)
    return list(built.blocks)


def _build_blocks(slot: Any, source: str, book: RichBook) -> list[Block]:
    return _Blocks(slot, book).build(_events(source))


def _events(source: str) -> Any:
    """pulldown-cmark's events for ``source`` (CommonMark with ``~~strike~~``), through pyromark."""
    import pyromark

    return pyromark.events(source, options=pyromark.Options.ENABLE_STRIKETHROUGH)


#: Block starts that end a list item's loose text (a tight item's text comes with no Paragraph).
_CONTAINERS = ("List", "Item", "BlockQuote")


class _Blocks:
    """One value's paragraphs, built from pulldown-cmark's events as they come.

    A paragraph, a heading, a code or HTML block, or the text of a tight list
    item becomes one Block. The first block of a list item carries the item's
    number; later ones are indented to it, as are block quotes.
    """

    def __init__(self, slot: Any, book: RichBook) -> None:
        self.slot = slot
        self.book = book
        self.writer = _Writer(slot, book)
        self.blocks: list[Block] = []
        self.lists: list[int] = []  # numIds of the lists open around, outermost first
        self.item_first: list[bool] = []
        self.quote = 0
        self.heading = 0
        self.bold = self.italic = self.strike = 0
        self.runs: list[str] | None = None  # the open block's runs
        self.in_link = False  # whether a hyperlink is open in it (its runs take the Hyperlink style)
        self.ppr: bytes | None = None
        self.verbatim: list[str] | None = None  # a code or HTML block's text, written as one run
        self.verbatim_code = False

    def build(self, events: Any) -> list[Block]:
        for event in events:
            if isinstance(event, str):  # SoftBreak, HardBreak, Rule
                if event in ("SoftBreak", "HardBreak"):
                    # A new line in a cell or a form field is meant as one (as in GitHub comments):
                    # nobody ends a spreadsheet line with two spaces. A blank line still starts a
                    # new paragraph.
                    self.line_break()
                else:
                    self.close()
                continue
            ((kind, value),) = event.items()
            if kind in ("Text", "Html", "InlineHtml"):
                self.text(value)  # raw HTML is shown as the text it is, never interpreted
            elif kind == "Code":
                self.text(value, code=True)
            elif kind == "Start":
                self.start(*_name_and_detail(value))
            elif kind == "End":
                self.end(_name_and_detail(value)[0])
        self.close()
        return self.blocks

    def start(self, name: str, detail: Any) -> None:
        if name in ("Paragraph", "Heading", "CodeBlock", "HtmlBlock"):
            self.heading = int(detail["level"][1:]) if name == "Heading" else 0
            self.open()
            if name in ("CodeBlock", "HtmlBlock"):
                self.verbatim, self.verbatim_code = [], name == "CodeBlock"
        elif name == "List":
            self.close()
            ordered = detail is not None
            start = int(detail) if ordered else 1
            self.lists.append(self.book.new_list(ordered, min(len(self.lists), 8), max(0, min(start, 32767))))
        elif name == "Item":
            self.close()
            self.item_first.append(True)
        elif name == "BlockQuote":
            self.close()
            self.quote += 1
        elif name == "Strong":
            self.bold += 1
        elif name == "Emphasis":
            self.italic += 1
        elif name == "Strikethrough":
            self.strike += 1
        elif name == "Link":
            self.ensure_open()
            assert self.runs is not None
            self.in_link = self.writer.open_hyperlink(self.runs, _link_target(detail))
        # An image shows its description (its Text events); anything else holds only text.

    def end(self, name: str) -> None:
        if name in ("Paragraph", "Heading", "CodeBlock", "HtmlBlock"):
            self.close()
            self.heading = 0
        elif name == "List":
            self.close()
            self.lists.pop()
        elif name == "Item":
            self.close()
            self.item_first.pop()
        elif name == "BlockQuote":
            self.close()
            self.quote -= 1
        elif name == "Strong":
            self.bold -= 1
        elif name == "Emphasis":
            self.italic -= 1
        elif name == "Strikethrough":
            self.strike -= 1
        elif name == "Link" and self.in_link:
            assert self.runs is not None
            self.writer.close_hyperlink(self.runs)
            self.in_link = False

    def open(self) -> None:
        self.close()
        number = None
        if self.lists and self.item_first and self.item_first[-1]:
            number = (self.lists[-1], len(self.lists) - 1)
            self.item_first[-1] = False
        indent = (len(self.lists) * 720 if self.lists and number is None else 0) + self.quote * 720
        self.ppr = _paragraph_properties(self.slot, self.writer, self.heading, number, indent, self.book)
        self.runs = []

    def ensure_open(self) -> None:
        if self.runs is None:
            self.open()  # a tight list item's text

    def close(self) -> None:
        if self.runs is None:
            return
        if self.verbatim is not None:
            text = "".join(self.verbatim).rstrip("\n")
            if text:
                self.writer.run(self.runs, text, self.properties(code=self.verbatim_code))
            self.verbatim = None
        self.blocks.append(Block(self.ppr, "".join(self.runs).encode("utf-8")))
        self.runs = None
        self.in_link = False

    def text(self, text: str, *, code: bool = False) -> None:
        if self.verbatim is not None:
            self.verbatim.append(text)
            return
        if text:
            self.ensure_open()
            assert self.runs is not None
            self.writer.run(self.runs, text, self.properties(code=code))

    def line_break(self) -> None:
        self.ensure_open()
        assert self.runs is not None
        self.writer.run(self.runs, "\n", "")

    def properties(self, *, code: bool) -> str:
        return self.writer.properties(
            bold=self.bold > 0,
            italic=self.italic > 0,
            strike=self.strike > 0,
            code=code,
            style=self.book.parts.hyperlink if self.in_link else "",
            plain=self.heading > 0,
        )


_PPR_MEMO: dict[tuple[Any, ...], bytes] = {}


def _paragraph_properties(
    slot: Any, writer: _Writer, heading: int, number: tuple[int, int] | None, indent: int, book: RichBook
) -> bytes | None:
    """A block's w:pPr: the placeholder paragraph's, with the heading style, list number or indent."""
    if not heading and number is None and not indent:
        return None
    # Made from bytes alone, so equal inputs give equal bytes: list items repeat them row after row.
    style = book.parts.headings[heading - 1] if heading else None
    key = (slot.ppr, writer._wrap_key, style, number, indent)
    found = _PPR_MEMO.get(key)
    if found is None:
        if len(_PPR_MEMO) > 4096:
            _PPR_MEMO.clear()
        found = _PPR_MEMO[key] = _build_paragraph_properties(slot, writer, style, number, indent)
    return found


def _build_paragraph_properties(
    slot: Any, writer: _Writer, style: str | None, number: tuple[int, int] | None, indent: int
) -> bytes:
    w = writer.w
    base = _parse(slot.ppr) if slot.ppr else etree.Element(w + "pPr")
    if style is not None:
        _put(base, etree.Element(w + "pStyle", {w + "val": style}), _PPR_ORDER)
    if number is not None:
        num_pr = etree.Element(w + "numPr")
        etree.SubElement(num_pr, w + "ilvl", {w + "val": str(number[1])})
        etree.SubElement(num_pr, w + "numId", {w + "val": str(number[0])})
        _put(base, num_pr, _PPR_ORDER)
        for old in base.findall(w + "ind"):
            base.remove(old)  # the list's own indentation
    if indent:
        _put(base, etree.Element(w + "ind", {w + "left": str(indent)}), _PPR_ORDER)
    wrapper = writer.wrapper()
    wrapper.append(base)
    return _inner(wrapper)


def _name_and_detail(value: Any) -> tuple[str, Any]:
    """``"Paragraph"`` -> ("Paragraph", None); ``{"List": 3}`` -> ("List", 3)."""
    if isinstance(value, str):
        return value, None
    ((name, detail),) = value.items()
    return name, detail


#: What a link may keep as it is; the rest is percent-encoded, as CommonMark renderers do.
_URL_SAFE = "%;/?:@&=+$,-_.!~*'()#"


def _link_target(link: Mapping[str, Any]) -> str:
    """A Markdown link's address, encoded for a relationship. Raises RenderError for a bad scheme."""
    url = str(link.get("dest_url", ""))
    if link.get("link_type") == "Email":
        url = "mailto:" + url  # <someone@example.ng>
    url = _encoded(url)
    try:
        check_url(url)
    except FilterValueError as exc:
        raise RenderError(f"a link in the text: {exc}") from None
    return url


def _encoded(url: str) -> str:
    """``url`` with spaces and non-ASCII percent-encoded and a non-ASCII host in punycode."""
    if url.isascii() and " " not in url:
        return url
    parts = urlsplit(url)
    userinfo, at, host_port = parts.netloc.rpartition("@")
    host, colon, port = host_port.partition(":")  # an IPv6 host is ASCII, so never split here
    if not host.isascii():
        with suppress(UnicodeError):  # left to the quoting below; check_url still judges the scheme
            netloc = userinfo + at + host.encode("idna").decode("ascii") + colon + port
            url = urlunsplit(parts._replace(netloc=netloc))
    return quote(url, safe=_URL_SAFE)


# -- the package: styles and numbering, found or added once per template --------------------

_HEADING_SIZES = (32, 28, 26, 24, 22, 22)  # half-points


def ensure_styles(
    data: bytes | None, ns: str, *, headings: bool
) -> tuple[bytes | None, tuple[str, ...], str]:
    """styles.xml with Heading 1-6 and Hyperlink added when missing (None: unchanged), and their ids.

    The template's own styles are found by name ("heading 1", "Hyperlink"), so a
    template whose style ids are in another language keeps its own.
    """
    w = "{" + ns + "}"
    root = etree.fromstring(data) if data else etree.Element(w + "styles", nsmap={"w": ns})
    by_name: dict[str, str] = {}
    ids = set()
    for style in root.findall(w + "style"):
        style_id = style.get(w + "styleId") or ""
        ids.add(style_id)
        name = style.find(w + "name")
        if name is not None:
            by_name.setdefault((name.get(w + "val") or "").casefold(), style_id)
    changed = data is None
    heading_ids = []
    for level in range(1, 7):
        found = by_name.get(f"heading {level}") or (f"Heading{level}" if f"Heading{level}" in ids else None)
        if found is None and headings:
            found = f"Heading{level}"
            style = etree.SubElement(root, w + "style", {w + "type": "paragraph", w + "styleId": found})
            etree.SubElement(style, w + "name", {w + "val": f"heading {level}"})
            etree.SubElement(style, w + "basedOn", {w + "val": "Normal"})
            etree.SubElement(style, w + "next", {w + "val": "Normal"})
            etree.SubElement(style, w + "qFormat")
            ppr = etree.SubElement(style, w + "pPr")
            etree.SubElement(ppr, w + "keepNext")
            etree.SubElement(ppr, w + "spacing", {w + "before": "240", w + "after": "60"})
            etree.SubElement(ppr, w + "outlineLvl", {w + "val": str(level - 1)})
            rpr = etree.SubElement(style, w + "rPr")
            etree.SubElement(rpr, w + "b")
            etree.SubElement(rpr, w + "sz", {w + "val": str(_HEADING_SIZES[level - 1])})
            changed = True
        heading_ids.append(found or f"Heading{level}")
    hyperlink = by_name.get("hyperlink") or ("Hyperlink" if "Hyperlink" in ids else None)
    if hyperlink is None:
        hyperlink = "Hyperlink"
        style = etree.SubElement(root, w + "style", {w + "type": "character", w + "styleId": hyperlink})
        etree.SubElement(style, w + "name", {w + "val": "Hyperlink"})
        etree.SubElement(style, w + "uiPriority", {w + "val": "99"})
        etree.SubElement(style, w + "unhideWhenUsed")
        rpr = etree.SubElement(style, w + "rPr")
        etree.SubElement(rpr, w + "color", {w + "val": "0563C1"})
        etree.SubElement(rpr, w + "u", {w + "val": "single"})
        changed = True
    out = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True) if changed else None
    return out, tuple(heading_ids), hyperlink


_BULLETS = ("\u2022", "\u25e6", "\u25aa")
_FORMATS = ("decimal", "lowerLetter", "lowerRoman")


def ensure_numbering(
    data: bytes | None, ns: str, *, definitions: bool = True
) -> tuple[bytes, bytes, int, int, int]:
    """numbering.xml with a bulleted and a numbered list definition added (unless not ``definitions``).

    Returns the bytes before and after where list instances go, the two
    definitions' ids and the first free list instance id.
    """
    w = "{" + ns + "}"
    root = etree.fromstring(data) if data else etree.Element(w + "numbering", nsmap={"w": ns})
    abstract_ids = [int(a.get(w + "abstractNumId") or 0) for a in root.findall(w + "abstractNum")]
    num_ids = [int(n.get(w + "numId") or 0) for n in root.findall(w + "num")]
    first = max(abstract_ids, default=-1) + 1
    made = []
    for offset, ordered in enumerate((False, True)):
        abstract = etree.Element(w + "abstractNum", {w + "abstractNumId": str(first + offset)})
        etree.SubElement(abstract, w + "multiLevelType", {w + "val": "hybridMultilevel"})
        for level in range(9):
            lvl = etree.SubElement(abstract, w + "lvl", {w + "ilvl": str(level)})
            etree.SubElement(lvl, w + "start", {w + "val": "1"})
            fmt = _FORMATS[level % 3] if ordered else "bullet"
            etree.SubElement(lvl, w + "numFmt", {w + "val": fmt})
            text = f"%{level + 1}." if ordered else _BULLETS[level % 3]
            etree.SubElement(lvl, w + "lvlText", {w + "val": text})
            etree.SubElement(lvl, w + "lvlJc", {w + "val": "left"})
            ppr = etree.SubElement(lvl, w + "pPr")
            etree.SubElement(ppr, w + "ind", {w + "left": str(720 * (level + 1)), w + "hanging": "360"})
        made.append(abstract)
    if not definitions:
        made = []
    # Definitions come before every instance (w:num): the schema orders them so.
    existing = root.findall(w + "abstractNum")
    anchor = existing[-1] if existing else None
    for abstract in made:
        if anchor is None:
            root.insert(0, abstract)
        else:
            anchor.addnext(abstract)
        anchor = abstract
    marker = etree.Comment("mytypist-lists")
    cleanup = root.find(w + "numIdMacAtCleanup")
    if cleanup is not None:
        cleanup.addprevious(marker)
    else:
        root.append(marker)
    data_out = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    before, after = data_out.split(b"<!--mytypist-lists-->", 1)
    return before, after, first, first + 1, max(num_ids, default=0) + 1
