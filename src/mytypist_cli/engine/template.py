"""The public engine: open a Word template once, fill it many times.

``Template.open`` reads and checks the package, finds the story parts
(the main document through ``_rels/.rels``, every header and footer,
footnotes, endnotes and comments) and compiles each into byte segments with
slots; charts, document properties and the custom XML parts content controls
are bound to are compiled the same way with plain-text slots, and any other
part still holding a placeholder becomes a warning.
``Template.fill`` / ``Template.render`` then join bytes and write a zip;
they never parse XML.

Imports neither typer nor rich; never prints or exits.
"""

from __future__ import annotations

import dataclasses
import itertools
import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from os import PathLike, fspath
from pathlib import Path
from typing import IO, Any, Literal
from urllib.parse import unquote

from lxml import etree

from mytypist_cli.engine import combine, richtext
from mytypist_cli.engine import pictures as images
from mytypist_cli.engine.field_pictures import compile_switches
from mytypist_cli.engine.filters import DEFAULT_LOCALE, Chain, compile_chain, display_text
from mytypist_cli.engine.renderer import SectionRenderer
from mytypist_cli.engine.syntax import DEFAULT_DELIMITERS, normalise_name, parse_delimiters, scan
from mytypist_cli.engine.values import Row
from mytypist_cli.errors import (
    CorruptDocumentError,
    FilterSyntaxError,
    MacroTemplateError,
    MissingFieldsError,
    NotADocxError,
    RenderError,
    TemplateError,
    TemplateSyntaxError,
)
from mytypist_cli.ooxml import mergefields as merge
from mytypist_cli.ooxml import package
from mytypist_cli.ooxml.compiler import (
    CheckboxSlot,
    ImageSlot,
    Kind,
    Node,
    Occurrence,
    Problem,
    RichSlot,
    Section,
    Slot,
    compile_part,
    parse_xml,
    restart_lists,
    strip_mail_merge,
)
from mytypist_cli.ooxml.names import (
    CHART_PARTS,
    CONTENT_TYPES_NS,
    CORE_PROPERTIES,
    CORE_PROPERTIES_STORE,
    CUSTOM_XML_NS,
    CUSTOM_XML_PROPS_RELATIONSHIP_SUFFIX,
    DOCM_MAIN,
    DOCX_MAIN,
    DOTM_MAIN,
    DOTX_MAIN,
    EMU_PER_TWIP,
    EXTENDED_PROPERTIES,
    EXTENDED_PROPERTIES_STORE,
    IMAGE_CONTENT_TYPES,
    PACKAGE_RELS_NS,
    PROPERTY_PARTS,
    TEXTLESS_TYPE_SUFFIXES,
    W_NS,
    W_STRICT_NS,
    rels_path,
)
from mytypist_cli.ooxml.textparts import compile_text_part, unfilled

Missing = Literal["error", "blank", "keep"]
Syntax = Literal["auto", "mytypist", "mergefield", "jinja"]
"""How a template marks what is filled: ``mytypist`` (``<<name>>``), ``mergefield`` (Word's
MERGEFIELD fields), ``jinja`` (docxtpl); ``auto`` picks by what the template holds."""
SYNTAXES: tuple[str, ...] = ("auto", "mytypist", "mergefield", "jinja")

# What a document created from a template is: Word switches the main part's type.
_AS_DOCUMENT = {DOCX_MAIN: DOCX_MAIN, DOTX_MAIN: DOCX_MAIN, DOCM_MAIN: DOCM_MAIN, DOTM_MAIN: DOCM_MAIN}
_OTHER_OFFICE = {
    "spreadsheetml": "an Excel workbook",
    "presentationml": "a PowerPoint presentation",
    "theme": "an Office theme",
    "drawingml": "an Office theme",
}
# Story parts are visited headers first, then the body, notes and footers:
# the order a reader meets them on the page; comments sit in the margin, last.
_STORY_ORDER = ("header", "officeDocument", "footnotes", "endnotes", "footer", "comments")


@dataclass(frozen=True)
class Placeholder:
    """A name the template needs, with where and how often it appears."""

    name: str
    count: int
    parts: tuple[str, ...]
    """Package part names it appears in (``word/document.xml``, ``word/header1.xml``)."""
    filters: tuple[str, ...] = ()
    """The distinct filter chains used with this name, as written (``"upper"``, ``"date:ordinal"``)."""
    kind: Kind = "value"
    """``value``, ``list`` (``<<#name>>``), ``condition`` (``<<?name>>``, ``<<^name>>``) or ``image``
    (``<<name|image>>``); a name used several ways is the first of list, image, value, condition."""
    fields: tuple[Placeholder, ...] = ()
    """For a list: the names used inside it, resolved in each item."""


@dataclass(frozen=True)
class Filled:
    """A rendered document and what was missing or left blank in it."""

    data: bytes
    missing: tuple[str, ...]
    """Names that had no value (filled per ``missing=``)."""
    blank: tuple[str, ...]
    """Names whose value was empty text."""
    extension: str
    """``.docx``, or ``.docm`` for a macro-enabled template."""


@dataclass(frozen=True)
class _Static:
    """A member written the same way in every document."""

    name: str
    date_time: tuple[int, int, int, int, int, int]
    entry: package.Entry


@dataclass(frozen=True)
class _PictureParts:
    """What filling pictures needs to know about the package, found once when it opens."""

    text_width: int
    """The body's text width in EMU: a picture without a size is scaled down to fit it."""
    taken_ids: dict[str, set[str]]
    rels: dict[str, tuple[str, bytes, bytes, bool]]
    """Part -> its .rels member name, the bytes before and after where new relationships go, Strict?"""


_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_EMPTY_RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Relationships xmlns="' + PACKAGE_RELS_NS.encode() + b'">',
    b"</Relationships>",
)
_DEFAULT_TEXT_WIDTH = 9026  # twips: A4 with 1-inch margins, when the document does not say
_LEAST_TEXT_WIDTH = 720  # twips: half an inch, for margins that leave no room at all


@dataclass(frozen=True)
class _SectionPart:
    """A part with sections: rendered by walking its nodes."""

    name: str
    date_time: tuple[int, int, int, int, int, int]
    nodes: tuple[Node, ...]


@dataclass(frozen=True)
class _DynamicPart:
    """A part with slots: ``layout`` has the fixed bytes at even indexes, slots at odd ones."""

    name: str
    date_time: tuple[int, int, int, int, int, int]
    layout: list[bytes]
    slots: tuple[int, ...]
    """For each odd index of ``layout``, the index of its slot in ``Template._slots``."""


class Template:
    """A compiled Word template.

    >>> t = Template.open("offer.docx")                     # doctest: +SKIP
    >>> [p.name for p in t.placeholders]                    # doctest: +SKIP
    >>> t.render({"name": "Ada"})                           # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        placeholders: tuple[Placeholder, ...],
        warnings: tuple[Problem, ...],
        layout: list[_Static | _DynamicPart | _SectionPart],
        delimiters: tuple[str, str],
        is_macro_enabled: bool,
        uses: dict[tuple[str, str], str],
        chains: dict[str, Chain],
        locale: str,
        slots: tuple[Slot, ...],
        first_id: int,
        pictures: _PictureParts | None = None,
        required: tuple[str, ...] = (),
        syntax: str = "mytypist",
        records_per_document: int = 1,
        uses_record: bool = False,
        rich: richtext.RichParts | None = None,
    ) -> None:
        self.placeholders = placeholders
        self.warnings = warnings
        self.delimiters = delimiters
        self.is_macro_enabled = is_macro_enabled
        self.locale = locale
        self._layout = layout
        self._static_members: dict[str, package.Member] = {}  # filled_members' copies, made once
        self._uses = uses  # (name, filter chain) -> the placeholder as first written
        self._chains = chains
        self._slots = slots  # every distinct slot of the parts without sections
        self._first_id = first_id  # above every wp:docPr id the package has
        self._picture_parts = pictures
        self._rich_parts = rich  # styles and numbering for markdown and link values; None without them
        self._picture_cache: dict[bytes, images.Picture] = {}
        self._required = required  # names outside lists a row must give a value for
        self.syntax = syntax
        """The syntax the template was read with: ``mytypist`` or ``mergefield`` (never ``auto``)."""
        self.records_per_document = records_per_document
        """Records one document takes: the number of Word NEXT fields plus one (labels, badges)."""
        self._uses_record = uses_record  # MERGEREC/MERGESEQ: a record number is filled
        self.source = b""  # the template file's bytes, set by open()
        self._other_tags: tuple[str, ...] = ()  # mergefield syntax: << >> placeholders left as text
        self._limits: tuple[int, float] = (package.DEFAULT_MAX_SIZE, package.DEFAULT_MAX_RATIO)  # open()'s

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickle as the source bytes and the options of ``open``; loading compiles it again.

        So a template can go to worker processes (``multiprocessing`` with
        spawn) without its compiled form. Raises TypeError for a template that
        ``open`` did not make: it has no source to compile.
        """
        source = getattr(self, "source", b"")
        if not source:
            raise TypeError(
                "cannot pickle a Template that Template.open did not make: "
                "it has no source bytes to compile again"
            )
        max_size, max_ratio = self._limits
        return (_reopen, (source, self.delimiters, self.locale, max_size, max_ratio, self.syntax))

    @property
    def names(self) -> tuple[str, ...]:
        """Placeholder names in order of first appearance."""
        return tuple(p.name for p in self.placeholders)

    def missing_from(self, columns: Iterable[str]) -> tuple[str, ...]:
        """The names data with these columns (or ``--set`` keys) lacks, in order of first appearance.

        Left out, because they need no value: a name whose every use has a
        ``default`` filter, a condition's name (``<<?x>>``, ``<<^x>>``: missing
        is false), and names used only inside a list whose own name has a
        column (its items give them). A list whose name has no column is
        returned by that name, not its fields; a picture is a value. A dotted
        name ``a.b`` is satisfied by a column ``a`` (a nested object) or one
        literally named ``a.b``. Names and columns compare after NFC
        normalisation, as values are looked up when filling.

        Raises TypeError when ``columns`` is a single string.
        """
        if isinstance(columns, str):
            raise TypeError("columns must be an iterable of column names, not one string")
        have = {normalise_name(column) for column in columns}
        return tuple(
            name for name in self._required if name not in have and name.split(".", 1)[0] not in have
        )

    @property
    def _has_sections(self) -> bool:
        """Whether a part holds lists or conditions (whose missing names only rendering finds)."""
        return any(isinstance(item, _SectionPart) for item in self._layout)

    @property
    def extension(self) -> str:
        """The extension of the documents this template makes."""
        return ".docm" if self.is_macro_enabled else ".docx"

    @classmethod
    def open(
        cls,
        source: str | PathLike[str] | bytes | IO[bytes],
        *,
        delimiters: str | tuple[str, str] = DEFAULT_DELIMITERS,
        max_size: int = package.DEFAULT_MAX_SIZE,
        max_ratio: float = package.DEFAULT_MAX_RATIO,
        locale: str = DEFAULT_LOCALE,
        syntax: Syntax = "auto",
    ) -> Template:
        """Read, check and compile a template from a path, bytes or a binary file object.

        ``delimiters``: ``("<<", ">>")`` by default; also ``"{{ }}"``, ``"${ }"``, ``"« »"``.
        ``max_size`` caps the package's total uncompressed size and ``max_ratio``
        one member's compression ratio (zip-bomb guards).
        ``locale`` sets month names, separators and currency symbols for
        filters (``en_NG`` by default).
        ``syntax``: ``"auto"`` (default) reads Word's MERGEFIELD fields when the
        template has some and no ``<<placeholders>>``, placeholders otherwise; a
        template with both is a TemplateError. ``"mytypist"`` reads placeholders
        only (fields stay as they are), ``"mergefield"`` fields only.

        Raises TemplateError (or a subclass) for anything that is not a sound
        Word document, TemplateSyntaxError for an unknown filter or a bad
        argument, ValueError for unusable delimiters.
        """
        pair = parse_delimiters(delimiters)
        blob = _read_source(source)
        members = package.read_package(blob, max_size=max_size, max_ratio=max_ratio)
        if syntax not in SYNTAXES:
            raise ValueError(f"syntax must be one of {', '.join(SYNTAXES)}, not {syntax!r}")
        template = _compile_syntax(members, pair, locale, syntax, blob)
        template.source = blob
        template._limits = (max_size, max_ratio)
        return template

    def fill(
        self,
        values: Mapping[str, Any],
        *,
        missing: Missing = "error",
        allow_macros: bool = False,
        image_dir: str | PathLike[str] | None = None,
        max_image_bytes: int = images.DEFAULT_MAX_IMAGE_BYTES,
    ) -> Filled:
        """Render one document and report which names were missing or blank.

        ``missing``: ``"error"`` (default) raises MissingFieldsError listing
        every name without a value; ``"blank"`` fills them with nothing;
        ``"keep"`` leaves the placeholder text as it was.
        ``allow_macros``: a macro-enabled template renders only when True
        (the result is then a .docm).
        ``image_dir``: the folder relative picture paths are read from (the
        current one by default); a relative path may not leave it.
        ``max_image_bytes``: the largest picture accepted (20 MiB by default).

        Raises MissingFieldsError, MacroTemplateError, RenderError.
        """
        pieces, missing_names, blank_names = self._render_pieces(
            values,
            missing=missing,
            allow_macros=allow_macros,
            image_dir=image_dir,
            max_image_bytes=max_image_bytes,
        )
        data = package.write_zip([_entry_of(piece) for piece in pieces])
        return Filled(data, missing_names, blank_names, self.extension)

    def filled_members(self, values: Mapping[str, Any], **options: Any) -> list[package.Member]:
        """One document's members as :meth:`fill` would write them, without the zip round trip.

        For :mod:`engine.combine`, which takes every record's parts apart
        again: rendered parts are not compressed (nor read back out of a zip),
        and the template's own members are read once. Options and errors as
        :meth:`fill`.
        """
        pieces, _, _ = self._render_pieces(values, **options)
        return [self._static_member(piece) if isinstance(piece, _Static) else piece for piece in pieces]

    def _static_member(self, item: _Static) -> package.Member:
        """The template member ``item`` copies, with its bytes when it is XML (made once, then kept)."""
        member = self._static_members.get(item.name)
        if member is None:
            member = self._static_members[item.name] = package.member_from_entry(
                item.name, item.date_time, item.entry
            )
        return member

    def _render_pieces(
        self,
        values: Mapping[str, Any],
        *,
        missing: Missing = "error",
        allow_macros: bool = False,
        image_dir: str | PathLike[str] | None = None,
        max_image_bytes: int = images.DEFAULT_MAX_IMAGE_BYTES,
    ) -> tuple[list[_Static | package.Member], tuple[str, ...], tuple[str, ...]]:
        """What :meth:`fill` renders: the members in order (the template's own as ``_Static``),
        the missing names and the blank ones."""
        if self.is_macro_enabled and not allow_macros:
            raise MacroTemplateError(
                "the template contains macros (VBA); refusing to make documents from it "
                "unless macros are allowed (allow_macros=True, or --allow-macros)"
            )
        if missing not in ("error", "blank", "keep"):
            raise ValueError(f"missing must be 'error', 'blank' or 'keep', not {missing!r}")
        if self._uses_record and merge.RECORD not in values:
            values = {**values, merge.RECORD: 1}  # MERGEREC of a document filled on its own
        row = Row(values)
        texts: dict[tuple[str, str], str] = {}
        missing_names: dict[str, None] = {}
        blank_names: dict[str, None] = {}
        for (name, chain_text), raw in self._uses.items():
            chain = self._chains.get(chain_text)
            text = display_text(row.lookup(name), chain, name, raw, locale=self.locale)
            if text is None:
                missing_names[merge.column_of(name) or name] = None
                continue
            if not text:
                blank_names[merge.column_of(name) or name] = None
            texts[(name, chain_text)] = text
        if missing_names and missing == "error" and not self._has_sections:
            raise MissingFieldsError(missing_names)
        book = None
        if self._picture_parts is not None:
            book = images.PictureBook(
                base_dir=Path(image_dir) if image_dir is not None else None,
                max_bytes=max_image_bytes,
                cache=self._picture_cache,
                text_width=self._picture_parts.text_width,
                taken_ids=self._picture_parts.taken_ids,
            )
        rich = None
        if self._rich_parts is not None:
            taken = self._picture_parts.taken_ids if self._picture_parts is not None else {}
            rich = richtext.RichBook(self._rich_parts, taken)
        try:
            pieces, walker = self._entries(texts, row, keep=missing == "keep", book=book, rich=rich)
        except RenderError:
            if missing_names and missing == "error":
                raise MissingFieldsError(missing_names) from None  # the first problem of the row
            raise
        if walker is not None:
            # Rendered even when values are missing: a missing list is named with them.
            missing_names.update((merge.column_of(name) or name, None) for name in walker.missing)
            blank_names.update((merge.column_of(name) or name, None) for name in walker.blank)
        if missing_names and missing == "error":
            raise MissingFieldsError(missing_names)
        return pieces, tuple(missing_names), tuple(blank_names)

    def render(
        self,
        values: Mapping[str, Any],
        *,
        missing: Missing = "error",
        allow_macros: bool = False,
        image_dir: str | PathLike[str] | None = None,
        max_image_bytes: int = images.DEFAULT_MAX_IMAGE_BYTES,
    ) -> bytes:
        """Render one complete document and return its bytes (see :meth:`fill`)."""
        return self.fill(
            values,
            missing=missing,
            allow_macros=allow_macros,
            image_dir=image_dir,
            max_image_bytes=max_image_bytes,
        ).data

    def combined(self, out: IO[bytes], **options: Any) -> combine.CombinedDocument:
        """One document for many records, written into ``out``: ``add(record)`` each, then ``close()``.

        Options as :meth:`fill` takes them (``missing``, ``allow_macros``,
        ``image_dir``, ``max_image_bytes``). Each record starts on a new page
        in sections of its own, page numbers restart at 1, and the bookmarks
        ``_mytypist_rec{index}`` / ``_mytypist_end{index}`` mark its first and
        last paragraph. See :mod:`mytypist_cli.engine.combine`.
        """
        return combine.combined(self, out, **options)

    def render_combined(self, records: Iterable[Mapping[str, Any]], **options: Any) -> bytes:
        """Every record in one document's bytes (see :meth:`combined`)."""
        return combine.render_combined(self, records, **options)

    def _entries(
        self,
        texts: dict[tuple[str, str], str],
        row: Row,
        *,
        keep: bool,
        book: images.PictureBook | None,
        rich: richtext.RichBook | None = None,
    ) -> tuple[list[_Static | package.Member], SectionRenderer | None]:
        encoded: list[bytes] = []
        for slot in self._slots:
            text = texts.get((slot.name, slot.filters))
            if text is None:
                # Missing: "keep" shows the placeholder as this occurrence spelt it.
                text = slot.raw if keep else ""
            encoded.append(_plain_text(text) if slot.plain else _run_text(text, slot.prefix))
        rendered: dict[str, bytes] = {}
        walker: SectionRenderer | None = None
        for item in self._layout:
            if isinstance(item, _DynamicPart):
                chunks = item.layout.copy()
                chunks[1::2] = [encoded[index] for index in item.slots]
                rendered[item.name] = b"".join(chunks)
            elif isinstance(item, _SectionPart):
                if walker is None:
                    walker = SectionRenderer(
                        chains=self._chains,
                        texts=texts,
                        keep=keep,
                        encode=_run_text,
                        next_id=itertools.count(self._first_id).__next__,
                        pictures=book,
                        locale=self.locale,
                        rich=rich,
                    )
                out: list[bytes] = []
                walker.render(item.nodes, [row], out)
                rendered[item.name] = b"".join(out)
        relationships = self._picture_relationships(book, rich)
        pieces: list[_Static | package.Member] = []
        for item in self._layout:
            if isinstance(item, _Static):
                if item.name in relationships:
                    data = relationships.pop(item.name)
                    pieces.append(package.rendered_member(item.name, item.date_time, data))
                else:
                    pieces.append(item)
            else:
                pieces.append(package.rendered_member(item.name, item.date_time, rendered[item.name]))
        for name, data in relationships.items():  # parts that had no .rels of their own
            pieces.append(package.rendered_member(name, _FIXED_TIME, data))
        if book is not None:
            for member, picture in book.media.values():
                pieces.append(package.rendered_member(member, _FIXED_TIME, picture.data, deflate=False))
        return pieces, walker

    def _picture_relationships(
        self, book: images.PictureBook | None, rich: richtext.RichBook | None = None
    ) -> dict[str, bytes]:
        """Each .rels member, with the relationships its part's pictures and links need added;
        and the numbering part, with the lists this document's markdown values started."""
        updated: dict[str, bytes] = {}
        if book is not None and self._picture_parts is not None:
            for part, (rels_name, before, after, strict) in self._picture_parts.rels.items():
                added = book.relationship_xml(part, strict)
                if rich is not None:
                    added += rich.relationship_xml(part, strict)
                if added:
                    updated[rels_name] = before + added + after
        if rich is not None and rich.parts.numbering is not None:
            lists = rich.numbering_xml()
            if lists is not None:
                updated[rich.parts.numbering[0]] = lists
        return updated


def _entry_of(piece: _Static | package.Member) -> package.Entry:
    """The zip entry of one member of a filled document."""
    return piece.entry if isinstance(piece, _Static) else package.entry_from_member(piece)


def _reopen(
    source: bytes,
    delimiters: tuple[str, str],
    locale: str,
    max_size: int,
    max_ratio: float,
    syntax: Syntax = "mytypist",
) -> Template:
    """Unpickle a template: compile its source again with the options it was opened with."""
    return Template.open(
        source, delimiters=delimiters, locale=locale, max_size=max_size, max_ratio=max_ratio, syntax=syntax
    )


def group_values(records: list[Mapping[str, Any]], first_number: int, per_document: int) -> dict[str, Any]:
    """The values one document of a template with NEXT fields takes from consecutive records.

    ``first_number`` is the first record's number (1-based, what MERGEREC shows).
    """
    return merge.merge_records(records, first_number, per_document)


def _has_jinja_statements(members: list[package.Member]) -> bool:
    """Whether a story part holds ``{%`` (a docxtpl template): a cheap byte search, no import."""
    return any(
        member.data is not None
        and member.name.lower().startswith("word/")
        and re.search(rb"\{(?:<[^>]{0,2000}>){0,50}%", member.data) is not None
        for member in members
    )


def _refuse_jinja_and_another(
    members: list[package.Member], delimiters: tuple[str, str], locale: str
) -> None:
    """A template with ``{%`` statements and merge fields or placeholders too: a TemplateError naming both."""
    other = ""
    if any(
        member.data is not None
        and member.name.lower().startswith("word/")
        and merge.has_merge_fields(member.data)
        for member in members
    ):
        other, choice = "Word merge fields", "mergefield"
    else:
        try:
            names = _compile(members, delimiters, locale).names
        except TemplateError:
            names = ()
        if names:
            opening, closing = delimiters
            shown = ", ".join(f"{opening}{name}{closing}" for name in names[:5])
            other, choice = f"placeholders ({shown})", "mytypist"
    if other:
        raise TemplateError(
            f"the template has both Jinja statements ({{% %}}, a docxtpl template) and {other}; "
            f"choose one with syntax='jinja' or syntax='{choice}' (--syntax jinja or --syntax {choice})"
        )


def _compile_syntax(
    members: list[package.Member], delimiters: tuple[str, str], locale: str, syntax: Syntax, blob: bytes = b""
) -> Template:
    """Compile with the syntax asked for; ``auto`` decides by what the story parts hold."""
    if syntax == "jinja" or syntax == "auto" and _has_jinja_statements(members):
        from mytypist_cli.engine.jinja import JinjaTemplate

        if syntax == "auto" and delimiters != ("{{", "}}"):
            _refuse_jinja_and_another(members, delimiters, locale)
        return JinjaTemplate.compile(blob, members, delimiters, locale)
    if syntax == "mytypist":
        return _compile(members, delimiters, locale)
    if syntax == "auto" and not any(
        member.data is not None
        and member.name.lower().startswith("word/")
        and merge.has_merge_fields(member.data)
        for member in members
    ):
        return _compile(members, delimiters, locale)
    template = _compile(members, delimiters, locale, mergefields=True)
    if syntax == "mergefield":
        return template
    both = template._other_tags
    if not template.placeholders:
        return _compile(members, delimiters, locale)
    if both:
        opening, closing = delimiters
        fields = ", ".join(f"\u00ab{name}\u00bb" for name in template.names[:5])
        shown = ", ".join(both[:5])
        raise TemplateError(
            f"the template has both Word merge fields ({fields}) and {opening}placeholders{closing} "
            f"({shown}); choose one with syntax='mergefield' or syntax='mytypist' "
            "(--syntax mergefield or --syntax mytypist)"
        )
    return template


def fill_text(
    pattern: str,
    values: Mapping[str, Any],
    *,
    delimiters: str | tuple[str, str] = DEFAULT_DELIMITERS,
    locale: str = DEFAULT_LOCALE,
) -> str:
    """Fill placeholders (filters included) in plain text, such as a file-name pattern.

    Raises MissingFieldsError for names without a value, RenderError for
    values a filter cannot take, TemplateSyntaxError for a bad filter.
    """
    pair = parse_delimiters(delimiters)
    tags, _ = scan(pattern, pair)
    row = Row(values)
    out: list[str] = []
    position = 0
    missing: dict[str, None] = {}
    for tag in tags:
        out.append(pattern[position : tag.start])
        position = tag.end
        if tag.sigil or tag.name == ".":
            out.append(tag.raw)
            continue
        try:
            chain = compile_chain(tag.filters, locale) if tag.filters else None
        except FilterSyntaxError as exc:
            raise TemplateSyntaxError(f"{tag.raw}: {exc}") from None
        text = display_text(row.lookup(tag.name), chain, tag.name, tag.raw, locale=locale)
        if text is None:
            missing[tag.name] = None
            continue
        out.append(text)
    out.append(pattern[position:])
    if missing:
        raise MissingFieldsError(missing)
    return "".join(out)


_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def _run_text(text: str, prefix: str) -> bytes:
    """A value as the content of a ``w:t``: escaped, with breaks and tabs as Word elements."""
    escaped = text.translate(_ESCAPES)
    if "\n" in escaped:
        escaped = escaped.replace("\n", f'</{prefix}t><{prefix}br/><{prefix}t xml:space="preserve">')
    if "\t" in escaped:
        escaped = escaped.replace("\t", f'</{prefix}t><{prefix}tab/><{prefix}t xml:space="preserve">')
    return escaped.encode("utf-8")


def _plain_text(text: str) -> bytes:
    """A value as plain XML text (document properties, charts): escaped, breaks and tabs as they are."""
    return text.translate(_ESCAPES).encode("utf-8")


def _read_source(source: str | PathLike[str] | bytes | IO[bytes]) -> bytes:
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source)
    if isinstance(source, str | PathLike):
        path = Path(fspath(source))
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise TemplateError(f"{path}: no such file") from None
        except IsADirectoryError:
            raise TemplateError(f"{path}: is a folder, not a template") from None
        except OSError as exc:
            raise TemplateError(f"{path}: cannot read ({exc.strerror})") from None
    data = source.read()
    if not isinstance(data, bytes):
        raise TypeError("Template.open needs a binary file object (open the file with 'rb')")
    return data


def _compile(
    members: list[package.Member], delimiters: tuple[str, str], locale: str, *, mergefields: bool = False
) -> Template:
    by_name = {member.name.lower(): member for member in members}
    content_types = _content_types(by_name)
    main = _main_part(by_name, content_types)
    main_type = content_types.get(main.name.lower(), "")
    if main_type not in _AS_DOCUMENT:
        raise NotADocxError(_not_word_message(main_type))
    relationships = _relationships(by_name, main.name)
    is_macro = _has_macros(by_name, content_types, main_type, relationships)
    stories: list[tuple[int, str]] = [(_STORY_ORDER.index("officeDocument"), main.name)]
    settings_part: str | None = None
    for rel_type, target in relationships:
        kind = rel_type.rsplit("/", 1)[-1]
        if kind in _STORY_ORDER and target.lower() in by_name:
            if by_name[target.lower()].data is None:
                raise CorruptDocumentError(
                    f"{rels_path(main.name)}: the {kind} relationship points at "
                    f"{by_name[target.lower()].name}, which is not an XML part"
                )
            stories.append((_STORY_ORDER.index(kind), by_name[target.lower()].name))
        elif kind == "settings" and target.lower() in by_name:
            settings_part = by_name[target.lower()].name
    ordered = sorted(dict.fromkeys(stories), key=lambda item: item[0])

    dynamic: dict[str, list[Node]] = {}
    occurrences: list[tuple[str, Occurrence]] = []
    problems: list[Problem] = []
    body_width: int | None = None
    bound = _BoundNodes(by_name, content_types, relationships)
    referenced: set[str] = set()
    next_fields = 0
    other_tags: list[str] = []
    for _, part in ordered:
        data = by_name[part.lower()].data
        if data is None:  # only .xml members' bytes are kept
            raise CorruptDocumentError(f"{part}: the document's main part is not an XML part")
        compiled = compile_part(part, data, delimiters, bound, mergefields=mergefields)
        next_fields += compiled.next_fields
        other_tags.extend(compiled.other_tags)
        if part == main.name:
            body_width = compiled.text_width
        if compiled.nodes is not None:
            dynamic[part] = compiled.nodes
        occurrences.extend((part, occurrence) for occurrence in compiled.occurrences)
        problems.extend(compiled.problems)
        referenced |= compiled.stores

    # Charts, document properties and the XML parts content controls are bound to take plain values.
    plain_parts = [m.name for m in members if content_types.get(m.name.lower()) in CHART_PARTS]
    plain_parts += [m.name for m in members if content_types.get(m.name.lower()) in PROPERTY_PARTS]
    if referenced:
        plain_parts += [name for store, name in bound.stores.items() if store in referenced]
    plain_parts = list(dict.fromkeys(part for part in plain_parts if by_name[part.lower()].data is not None))
    for part in plain_parts:
        data = by_name[part.lower()].data
        assert data is not None
        text_part = compile_text_part(part, data, delimiters)
        if text_part.nodes is not None:
            dynamic[part] = text_part.nodes
        occurrences.extend((part, occurrence) for occurrence in text_part.occurrences)
        problems.extend(text_part.problems)
    # Any other part still holding a placeholder is said to, never passed over.
    filled = {part for _, part in ordered} | set(plain_parts)
    for member in members:
        folded = member.name.lower()
        if member.data is None or member.name in filled or folded.endswith(".rels"):
            continue
        if folded != "[content_types].xml" and not content_types.get(folded, "").endswith(
            TEXTLESS_TYPE_SUFFIXES
        ):
            problems.extend(unfilled(member.name, member.data, delimiters))

    replaced: dict[str, bytes] = {}
    if settings_part is not None:
        settings = by_name[settings_part.lower()].data
        stripped = strip_mail_merge(settings, settings_part) if settings is not None else None
        if stripped is not None:
            replaced[settings_part] = stripped
    picture_parts = None
    picture_holders = [part for part, nodes in dynamic.items() if _has_pictures(nodes)]
    if _AS_DOCUMENT[main_type] != main_type or picture_holders:
        replaced["[Content_Types].xml"] = _content_types_xml(
            by_name, main.name, _AS_DOCUMENT[main_type], with_pictures=bool(picture_holders)
        )
    rich_kinds = {node.kind for nodes in dynamic.values() for node in _rich_slots(nodes)}
    restarted = _restart_lists(ordered, dynamic, by_name)
    rich_parts = None
    new_members: list[str] = []
    if rich_kinds or restarted:
        markdown = "markdown" in rich_kinds
        rich_parts = _prepare_rich(
            by_name,
            main.name,
            replaced,
            new_members,
            markdown=markdown,
            links=bool(rich_kinds),
            restarts=restarted,
        )
    if rich_kinds:
        picture_holders += [
            part for part, nodes in dynamic.items() if part not in picture_holders and _rich_slots(nodes)
        ]
    if picture_holders:
        picture_parts = _picture_parts(by_name, picture_holders, body_width, replaced)

    slot_index: dict[Slot, int] = {}
    layout: list[_Static | _DynamicPart | _SectionPart] = []
    for member in members:
        if member.name in dynamic:
            nodes = dynamic[member.name]
            if any(isinstance(node, Section | ImageSlot | RichSlot | CheckboxSlot) for node in nodes):
                layout.append(_SectionPart(member.name, member.date_time, tuple(nodes)))
                continue
            # Without sections, fixed bytes and slots alternate: keep them ready to interleave.
            fixed: list[bytes] = []  # even indexes: fixed bytes; odd: where a value goes
            indexes: list[int] = []
            for node in nodes:
                if isinstance(node, bytes):
                    if len(fixed) % 2:
                        fixed[-1] += node
                    else:
                        fixed.append(node)
                    continue
                assert isinstance(node, Slot)
                if len(fixed) % 2 == 0:
                    fixed.append(b"")
                fixed.append(b"")
                indexes.append(slot_index.setdefault(node, len(slot_index)))
            if len(fixed) % 2 == 0:
                fixed.append(b"")
            layout.append(_DynamicPart(member.name, member.date_time, fixed, tuple(indexes)))
        elif member.name in replaced:
            entry = package.deflated_entry(member.name, member.date_time, replaced[member.name])
            layout.append(_Static(member.name, member.date_time, entry))
        else:
            layout.append(_Static(member.name, member.date_time, package.entry_from_member(member)))
    for name in new_members:  # styles, numbering or relationships the template did not have
        layout.append(_Static(name, _FIXED_TIME, package.deflated_entry(name, _FIXED_TIME, replaced[name])))

    uses: dict[tuple[str, str], str] = {}
    chains: dict[str, Chain] = {}
    for part, occurrence in occurrences:
        tag = occurrence.tag
        if not occurrence.scope and occurrence.kind == "value":
            uses.setdefault((tag.name, tag.filters), tag.raw)  # outside sections: resolved once per row
        if mergefields and occurrence.kind == "condition":
            continue  # an IF's test, read by the renderer
        if tag.filters and tag.filters not in chains and occurrence.kind != "image":
            try:
                if mergefields:
                    chains[tag.filters] = compile_switches(tag.filters, locale)
                else:
                    chains[tag.filters] = compile_chain(tag.filters, locale)
            except FilterSyntaxError as exc:
                raise TemplateSyntaxError(f"{tag.raw} in {_where(part, occurrence)}: {exc}") from None
    uses_record = False
    if mergefields:
        uses_record = any(merge.column_of(occ.tag.name) is None for _, occ in occurrences)
        occurrences = _as_columns(occurrences)

    template = Template(
        placeholders=_placeholders(occurrences),
        warnings=tuple(problems),
        layout=layout,
        delimiters=delimiters,
        is_macro_enabled=is_macro,
        uses=uses,
        chains=chains,
        locale=locale,
        slots=tuple(slot_index),
        first_id=_first_free_id(members),
        pictures=picture_parts,
        required=_required(occurrences, chains),
        syntax="mergefield" if mergefields else "mytypist",
        records_per_document=next_fields + 1,
        uses_record=uses_record,
        rich=rich_parts,
    )
    template._other_tags = tuple(dict.fromkeys(other_tags))
    return template


def _as_columns(occurrences: list[tuple[str, Occurrence]]) -> list[tuple[str, Occurrence]]:
    """Merge-field occurrences under their data columns: one listing for every record of a label sheet."""
    listed: list[tuple[str, Occurrence]] = []
    for part, occurrence in occurrences:
        column = merge.column_of(occurrence.tag.name)
        if column is None:
            continue  # MERGEREC: the record number, not a column
        if column != occurrence.tag.name:
            occurrence = dataclasses.replace(occurrence, tag=dataclasses.replace(occurrence.tag, name=column))
        listed.append((part, occurrence))
    return listed


_CUSTOM_XML = "/customXml"
_SIMPLE_XPATH = re.compile(
    r"(?:/(?:[A-Za-z_][\w.\-]*:)?[A-Za-z_][\w.\-]*(?:\[\d+\])?)+(?:/@(?:[A-Za-z_][\w.\-]*:)?[A-Za-z_][\w.\-]*)?"
)
_PREFIX_MAPPING = re.compile(r"xmlns:([A-Za-z_][\w.\-]*)\s*=\s*(['\"])(.*?)\2")


class _BoundNodes:
    """Reads the node a data-bound content control shows: ``(store item id, XPath, prefixes) -> text``.

    The store item id names ``docProps/core.xml``, ``docProps/app.xml`` or a
    custom XML part (through its properties part's ``ds:itemID``). Only the
    plain paths Word writes (``/ns0:CoverPageProperties[1]/ns0:PublishDate[1]``)
    are followed; anything else reads as not found.
    """

    def __init__(
        self,
        by_name: dict[str, package.Member],
        content_types: dict[str, str],
        main_relationships: list[tuple[str, str]],
    ) -> None:
        self._by_name = by_name
        self._content_types = content_types
        self._main_relationships = main_relationships
        self._stores: dict[str, str] | None = None
        self._trees: dict[str, etree._Element] = {}

    @property
    def stores(self) -> dict[str, str]:
        """Store item id (upper case, in braces) -> the part's member name."""
        if self._stores is None:
            self._stores = self._find_stores()
        return self._stores

    def _find_stores(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for name, content_type in self._content_types.items():
            if name in self._by_name and content_type == CORE_PROPERTIES:
                found.setdefault(CORE_PROPERTIES_STORE, self._by_name[name].name)
            elif name in self._by_name and content_type == EXTENDED_PROPERTIES:
                found.setdefault(EXTENDED_PROPERTIES_STORE, self._by_name[name].name)
        for rel_type, target in self._main_relationships:
            item = self._by_name.get(target.lower())
            if not rel_type.endswith(_CUSTOM_XML) or item is None:
                continue
            for props_type, props_target in _relationships(self._by_name, item.name):
                props = self._by_name.get(props_target.lower())
                if not props_type.endswith(CUSTOM_XML_PROPS_RELATIONSHIP_SUFFIX) or props is None:
                    continue
                if props.data is None:
                    continue
                item_id = parse_xml(props.data, props.name).get(f"{{{CUSTOM_XML_NS}}}itemID")
                if item_id:
                    found.setdefault(item_id.strip().upper(), item.name)
        return found

    def __call__(self, store: str, xpath: str, prefix_mappings: str) -> str | None:
        part = self.stores.get(store)
        xpath = xpath.strip()
        if part is None or not _SIMPLE_XPATH.fullmatch(xpath):
            return None
        root = self._trees.get(part)
        if root is None:
            data = self._by_name[part.lower()].data
            if data is None:
                return None
            root = self._trees[part] = parse_xml(data, part)
        namespaces = {match.group(1): match.group(3) for match in _PREFIX_MAPPING.finditer(prefix_mappings)}
        try:
            found = root.getroottree().xpath(xpath, namespaces=namespaces)
        except etree.XPathError:
            return None
        if not isinstance(found, list) or not found:
            return None
        first = found[0]
        if isinstance(first, etree._Element):
            return "".join(str(text) for text in first.itertext())
        return str(first)


_VBA_PROJECT_TYPE = "application/vnd.ms-office.vbaproject"
_VBA_RELATIONSHIP = "/vbaproject"


def _has_macros(
    by_name: dict[str, package.Member],
    content_types: dict[str, str],
    main_type: str,
    relationships: list[tuple[str, str]],
) -> bool:
    """Whether the package carries a VBA project: by the main part's type, a part's content type,
    a ``vbaProject`` relationship of the main part, or a member named ``vbaProject.bin``.

    Word finds the project through the relationship and its content type, whatever the member
    is called, so the name alone is not enough to go by.
    """
    if main_type in (DOCM_MAIN, DOTM_MAIN):
        return True
    if any(rel_type.lower().endswith(_VBA_RELATIONSHIP) for rel_type, _ in relationships):
        return True
    if any(content_types.get(name, "").lower() == _VBA_PROJECT_TYPE for name in by_name):
        return True
    return any(name.rsplit("/", 1)[-1] == "vbaproject.bin" for name in by_name)


def _rich_slots(nodes: list[Node] | tuple[Node, ...]) -> list[RichSlot]:
    """The markdown and link slots among ``nodes``, sections included."""
    found: list[RichSlot] = []
    for node in nodes:
        if isinstance(node, RichSlot):
            found.append(node)
        elif isinstance(node, Section):
            found.extend(_rich_slots(node.children))
    return found


def _prepare_rich(
    by_name: dict[str, package.Member],
    main: str,
    replaced: dict[str, bytes],
    new_members: list[str],
    *,
    markdown: bool,
    links: bool = True,
    restarts: set[str] | None = None,
) -> richtext.RichParts:
    """Styles and numbering for markdown and link values; their changes go into ``replaced``."""
    from mytypist_cli.engine.richpackage import prepare

    rels_name = rels_path(main)
    rels_member = by_name.get(rels_name.lower())
    content_types = replaced.get("[Content_Types].xml") or by_name["[content_types].xml"].data or b""
    data = by_name[main.lower()].data or b""
    prepared = prepare(
        main=main,
        main_rels_name=rels_member.name if rels_member is not None else rels_name,
        main_rels=rels_member.data if rels_member is not None else None,
        content_types=content_types,
        members={name: member.data for name, member in by_name.items()},
        ns=W_STRICT_NS if W_STRICT_NS.encode() in data[:2000] else W_NS,
        markdown=markdown,
        links=links,
        restarts=restarts,
    )
    for name, value in prepared.members.items():
        member = by_name.get(name.lower())
        if member is None:
            new_members.append(name)
            replaced[name] = value
        else:
            replaced[member.name] = value
    return prepared.parts


def _restart_lists(
    ordered: list[tuple[int, str]], dynamic: dict[str, list[Node]], by_name: dict[str, package.Member]
) -> set[str]:
    """Mark, in parts with sections, the template's lists that restart in each repeated item.

    Parts are read in story order so a list started in an earlier part counts
    as started before; their nodes in ``dynamic`` are replaced. Returns the
    numIds restarted (usually none: only compile-time work, and nothing
    changes for templates without numbered paragraphs in ``#`` sections).
    """
    seen: set[str] = set()
    restarted: set[str] = set()
    for _, part in ordered:
        nodes = dynamic.get(part)
        if nodes is not None and any(isinstance(node, Section) for node in nodes):
            dynamic[part], found = restart_lists(nodes, seen)
            restarted |= found
        else:  # only the lists it starts, which count as started before any later section
            restart_lists([by_name[part.lower()].data or b""], seen)
    return restarted


def _has_pictures(nodes: list[Node] | tuple[Node, ...]) -> bool:
    return any(
        isinstance(node, ImageSlot) or (isinstance(node, Section) and _has_pictures(node.children))
        for node in nodes
    )


_RELATIONSHIP_ID = re.compile(rb'\bId="([^"]+)"')


def _picture_parts(
    by_name: dict[str, package.Member],
    holders: list[str],
    body_width: int | None,
    replaced: dict[str, bytes] | None = None,
) -> _PictureParts:
    """Text width, relationship ids in use and where new relationships go, for each part with pictures.

    ``body_width`` is the main document's text width in twips, None when it does not say.
    """
    width_twips = body_width if body_width is not None else _DEFAULT_TEXT_WIDTH
    taken: dict[str, set[str]] = {}
    rels: dict[str, tuple[str, bytes, bytes, bool]] = {}
    strict_ns = W_STRICT_NS.encode()
    for part in holders:
        rels_name = rels_path(part)
        member = by_name.get(rels_name.lower())
        existing = member.data if member is not None else None
        if replaced is not None:
            existing = replaced.get(member.name if member is not None else rels_name, existing)
        strict = strict_ns in (by_name[part.lower()].data or b"")
        if existing is not None and b"</Relationships>" in existing:
            closing = existing.rindex(b"</Relationships>")
            before, after = existing[:closing], existing[closing:]
            rels_name = member.name if member is not None else rels_name
        else:
            before, after = _EMPTY_RELS
        taken[part] = {match.decode() for match in _RELATIONSHIP_ID.findall(existing or b"")}
        rels[part] = (rels_name, before, after, strict)
    return _PictureParts(max(width_twips, _LEAST_TEXT_WIDTH) * EMU_PER_TWIP, taken, rels)


_DOCPR_IDS = re.compile(rb'<wp:docPr\b[^>]*?\sid="(\d+)"')


def _first_free_id(members: list[package.Member]) -> int:
    """One above every drawing id in the package, so pictures copied by sections get ids of their own."""
    highest = 0
    for member in members:
        if member.data is not None and b"docPr" in member.data:
            for match in _DOCPR_IDS.finditer(member.data):
                highest = max(highest, int(match.group(1)))
    return highest + 1


def _required(occurrences: list[tuple[str, Occurrence]], chains: dict[str, Chain]) -> tuple[str, ...]:
    """Names outside every list that a row must give a value for, in order of first appearance.

    A list's name is needed, and so is a picture's; a value unless its filter
    chain has a default; a condition's name never (missing is false). Names
    inside lists are the items' to give.
    """
    needed: dict[str, bool] = {}
    for _, occurrence in occurrences:
        name = occurrence.tag.name
        if name == "." or _list_path(occurrence):
            continue
        if occurrence.kind == "condition":
            need = False
        elif occurrence.kind == "value" and occurrence.tag.filters:
            need = not chains[occurrence.tag.filters].has_default
        else:
            need = True
        needed[name] = needed.get(name, False) or need
    return tuple(name for name, need in needed.items() if need)


def _where(part: str, occurrence: Occurrence) -> str:
    """A place a person can find: ``word/header1.xml (header), paragraph 2``."""
    base = part.rsplit("/", 1)[-1].split(".")[0].rstrip("0123456789")
    kind = {"document": "body", "footnotes": "footnote", "endnotes": "endnote", "comments": "comment"}.get(
        base, base
    )
    if occurrence.in_table:
        kind += ", in a table"
    if not occurrence.paragraph:
        return part  # document properties, charts, custom XML: no paragraphs to count
    return f"{part} ({kind}), paragraph {occurrence.paragraph}"


def _placeholders(
    occurrences: list[tuple[str, Occurrence]], within: tuple[str, ...] = ()
) -> tuple[Placeholder, ...]:
    """One entry per name used at the level ``within`` (a path of list names), in order of first appearance.

    Names inside a list are the list's fields; names inside a condition
    belong to the level around it. A text box's mc:Fallback copy is the same
    placeholder as its mc:Choice copy, so it is not counted again; it counts
    only when it is the sole copy.
    """
    # One pass groups this level's occurrences by name and hands each list only what is
    # inside it: listing stays linear in the occurrences, however many names there are.
    depth = len(within)
    by_name: dict[str, list[tuple[str, Occurrence]]] = {}
    inside: dict[str, list[tuple[str, Occurrence]]] = {}
    for part, occ in occurrences:
        path = _list_path(occ)
        if path[:depth] != within:
            continue
        if len(path) > depth:
            inside.setdefault(path[depth], []).append((part, occ))
        elif occ.tag.name != ".":
            by_name.setdefault(occ.tag.name, []).append((part, occ))
    shown = {name for name, mine in by_name.items() if any(occ.counted for _, occ in mine)}
    outside = set(by_name)
    entries = []
    for name, mine in by_name.items():
        kinds = {occ.kind for _, occ in mine}
        kind = next(k for k in _KIND_PRECEDENCE if k in kinds)
        uses = [(part, occ) for part, occ in mine if occ.counted or name not in shown]
        entries.append(
            Placeholder(
                name,
                len(uses),
                tuple(dict.fromkeys(part for part, _ in uses)),
                tuple(dict.fromkeys(occ.tag.filters for _, occ in mine if occ.tag.filters)),
                kind,
                _fields(inside.get(name, []), (*within, name), outside) if kind == "list" else (),
            )
        )
    return tuple(entries)


_KIND_PRECEDENCE: tuple[Kind, ...] = ("list", "image", "value", "condition")


def _fields(
    occurrences: list[tuple[str, Occurrence]], path: tuple[str, ...], outside: set[str]
) -> tuple[Placeholder, ...]:
    """A list's fields: the names used inside it, less those also used around it.

    ``<<client_name>>`` inside ``<<#items>>`` resolves outside the item when the
    items have no such key; when the template also uses it outside, that is
    what it is, so it is not listed as a field of the items. A list left out
    that way still has fields the items must give: ``<<#a>><<#a>><<c>>…``
    repeats the outer list ``a`` again inside each item (when the items have no
    ``a`` of their own), so ``c`` is read from items of ``a`` and is a field here.
    """
    fields: dict[str, Placeholder] = {}
    for field in _placeholders(occurrences, path):
        if field.name not in outside:
            fields.setdefault(field.name, field)
        elif field.kind == "list":
            for inner in field.fields:
                if inner.name not in outside:
                    fields.setdefault(inner.name, inner)
    return tuple(fields.values())


def _list_path(occurrence: Occurrence) -> tuple[str, ...]:
    return tuple(entry[1:] for entry in occurrence.scope if entry.startswith("#"))


def _content_types(by_name: dict[str, package.Member]) -> dict[str, str]:
    """Member name (lower case) -> content type, overrides applied over defaults."""
    member = by_name.get("[content_types].xml")
    if member is None or member.data is None:
        raise NotADocxError("not a Word document: the package has no [Content_Types].xml")
    root = parse_xml(member.data, "[Content_Types].xml")
    defaults = {
        (element.get("Extension") or "").lower(): element.get("ContentType") or ""
        for element in root.iter(f"{{{CONTENT_TYPES_NS}}}Default")
    }
    types = {name: defaults.get(name.rsplit(".", 1)[-1], "") for name in by_name}
    for element in root.iter(f"{{{CONTENT_TYPES_NS}}}Override"):
        part = unquote(element.get("PartName") or "").lstrip("/").lower()
        types[part] = element.get("ContentType") or ""
    return types


def _relationships(by_name: dict[str, package.Member], source: str) -> list[tuple[str, str]]:
    """(type, target member name) for each internal relationship of ``source``."""
    folder = posixpath.dirname(source)
    member = by_name.get(rels_path(source).lower())
    if member is None or member.data is None:
        return []
    root = parse_xml(member.data, member.name)
    found: list[tuple[str, str]] = []
    for element in root.iter(f"{{{PACKAGE_RELS_NS}}}Relationship"):
        if (element.get("TargetMode") or "").lower() == "external":
            continue
        target = unquote(element.get("Target") or "")
        if not target:
            continue
        resolved = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
        found.append((element.get("Type") or "", posixpath.normpath(resolved)))
    return found


def _main_part(by_name: dict[str, package.Member], content_types: dict[str, str]) -> package.Member:
    for rel_type, target in _relationships(by_name, ""):
        if rel_type.endswith("/officeDocument") and target.lower() in by_name:
            return by_name[target.lower()]
    # No usable _rels/.rels: accept a package whose content types name one Word main part.
    mains = [name for name, kind in content_types.items() if kind in _AS_DOCUMENT and name in by_name]
    if len(mains) == 1:
        return by_name[mains[0]]
    kinds = " ".join(content_types.values())
    raise NotADocxError(_not_word_message(kinds))


def _not_word_message(content_type: str) -> str:
    for marker, what in _OTHER_OFFICE.items():
        if marker in content_type:
            return f"not a Word document: the file is {what} (renamed?)"
    return "not a Word document: the package has no Word main document part"


def _content_types_xml(
    by_name: dict[str, package.Member], main: str, new_type: str, *, with_pictures: bool
) -> bytes:
    """[Content_Types].xml with the main part's type as a document's, and picture types if needed."""
    member = by_name["[content_types].xml"]
    assert member.data is not None
    root = parse_xml(member.data, member.name)
    target = "/" + main.lower()
    for element in root.iter(f"{{{CONTENT_TYPES_NS}}}Override"):
        if unquote(element.get("PartName") or "").lower() == target:
            element.set("ContentType", new_type)
            break
    else:
        override = etree.SubElement(root, f"{{{CONTENT_TYPES_NS}}}Override")
        override.set("PartName", "/" + main)
        override.set("ContentType", new_type)
    if with_pictures:
        known = {
            (element.get("Extension") or "").lower()
            for element in root.iter(f"{{{CONTENT_TYPES_NS}}}Default")
        }
        for extension, content_type in IMAGE_CONTENT_TYPES.items():
            if extension not in known:
                default = etree.Element(f"{{{CONTENT_TYPES_NS}}}Default")
                default.set("Extension", extension)
                default.set("ContentType", content_type)
                root.insert(0, default)  # Defaults come before Overrides
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


__all__ = ["Filled", "Kind", "Missing", "Placeholder", "Problem", "Slot", "Template", "fill_text"]
