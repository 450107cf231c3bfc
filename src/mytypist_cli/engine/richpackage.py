"""What a template with ``markdown`` or ``link`` values needs in its package, found or added once.

When the template opens, the Hyperlink character style (and, for
``markdown``, Heading 1-6) goes into ``word/styles.xml`` when the template
lacks them, a bulleted and a numbered list definition go into
``word/numbering.xml`` (each created, with its relationship and content
type, when missing), and the numbering part is cut where each document's
list instances go. Templates without these filters never come here.

Imports neither typer nor rich.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from lxml import etree

from mytypist_cli.engine import richtext
from mytypist_cli.ooxml import numbering, relationships
from mytypist_cli.ooxml.compiler import parse_xml
from mytypist_cli.ooxml.names import W_STRICT_NS

_STYLES_SUFFIX = "/styles"
_STYLES_RELATIONSHIP = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"
_STYLES_RELATIONSHIP_STRICT = "http://purl.oclc.org/ooxml/officeDocument/relationships/styles"


@dataclass
class Prepared:
    """The package's additions: the parts to use and the members whose bytes change (or are new)."""

    parts: richtext.RichParts
    members: dict[str, bytes] = field(default_factory=dict)
    """Member name -> its new bytes (styles, numbering, the main part's .rels, content types)."""


def prepare(
    *,
    main: str,
    main_rels_name: str,
    main_rels: bytes | None,
    content_types: bytes,
    members: dict[str, bytes | None],
    ns: str,
    markdown: bool,
    links: bool = True,
    restarts: set[str] | None = None,
) -> Prepared:
    """Styles and numbering for rich values. ``members`` maps lower-cased member names to their bytes.

    ``links``: a link or markdown value is used (the Hyperlink style is needed);
    ``markdown``: lists and headings too; ``restarts``: the numIds of the
    template's lists that restart in each item of a repeated section.

    Raises UnsafeDocumentError or CorruptDocumentError for a styles or
    numbering part that is not sound XML.
    """
    strict = ns == W_STRICT_NS
    changed: dict[str, bytes] = {}
    rels = main_rels
    headings: tuple[str, ...] = tuple(f"Heading{level}" for level in range(1, 7))
    hyperlink = "Hyperlink"
    if links or markdown:
        styles_name = relationships.target(main_rels, main, lambda kind: kind.endswith(_STYLES_SUFFIX))
        styles_data = members.get(styles_name.lower()) if styles_name is not None else None
        if styles_data is not None:
            assert styles_name is not None
            parse_xml(styles_data, styles_name)  # refuses a DOCTYPE before richtext parses it
        else:
            styles_name = posixpath.join(posixpath.dirname(main), "styles.xml")
            kind = _STYLES_RELATIONSHIP_STRICT if strict else _STYLES_RELATIONSHIP
            rels = relationships.add(rels, kind, "styles.xml", "rIdMs")
            content_types = relationships.with_content_type(content_types, styles_name, richtext.STYLES_TYPE)
        styles, headings, hyperlink = richtext.ensure_styles(styles_data, ns, headings=markdown)
        if styles is not None:
            changed[styles_name] = styles
    cut: tuple[str, bytes, bytes] | None = None
    bullet = decimal = 0
    first_num = 1
    restart_map: dict[str, tuple[int, tuple[int, ...]]] = {}
    if restarts and not markdown:
        existing = numbering.numbering_target(rels, main)
        data = members.get(existing.lower()) if existing is not None else None
        if existing is not None and data is not None:
            restart_map = _restart_map(parse_xml(data, existing), restarts)
        if restart_map:
            assert existing is not None
            assert data is not None
            before, after, _, _, first_num = richtext.ensure_numbering(data, ns, definitions=False)
            cut = (existing, before, after)
    if markdown:
        name, rels_out, content_types = numbering.ensure_numbering_part(rels, content_types, strict=strict)
        if rels_out != (rels or b""):
            rels = rels_out
        name = numbering.numbering_target(rels, main) or name  # relative to the main part's folder
        data = members.get(name.lower())
        if data is not None:
            parse_xml(data, name)
        before, after, bullet, decimal, first_num = richtext.ensure_numbering(data, ns)
        cut = (name, before, after)
        changed[name] = before + after
        if restarts and data is not None:
            restart_map = _restart_map(parse_xml(data, name), restarts)
    if rels is not main_rels and rels is not None:
        changed[main_rels_name] = rels
    changed["[Content_Types].xml"] = content_types
    parts = richtext.RichParts(
        numbering=cut,
        bullet_id=bullet,
        decimal_id=decimal,
        first_num=first_num,
        headings=headings,
        hyperlink=hyperlink,
        ns=ns,
        restarts=restart_map,
    )
    return Prepared(parts, changed)


def _restart_map(root: etree._Element, restarts: set[str]) -> dict[str, tuple[int, tuple[int, ...]]]:
    """numId -> (its abstractNumId, each level's start) for the lists the numbering part defines."""
    found: dict[str, tuple[int, tuple[int, ...]]] = {}
    definitions = numbering.list_definitions(root)
    for number in sorted(restarts):
        abstract_id = numbering.abstract_num_of(root, number)
        definition = definitions.get(str(abstract_id)) if abstract_id is not None else None
        if abstract_id is None or definition is None:
            continue  # a numId the part does not define: Word shows no number, so nothing restarts
        found[number] = (abstract_id, numbering.level_starts(definition))
    return found
