"""A part's relationships (``.rels``) and ``[Content_Types].xml``: find a target, add one, give a type.

What numbering lists and rich values need when a document lacks a part
(``numbering.xml``, ``styles.xml``): the member a relationship points at, a new
relationship with an id of mytypist's own, and the content-type override of
a new part. Parsed without entities or network, as every part is.

Imports neither typer nor rich.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable

from lxml import etree

from mytypist_cli.ooxml.names import CONTENT_TYPES_NS, PACKAGE_RELS_NS

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
_EMPTY = f'<Relationships xmlns="{PACKAGE_RELS_NS}"/>'.encode()


def _serialize(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def target(rels: bytes | None, source: str, wanted: Callable[[str], bool]) -> str | None:
    """The member the first internal relationship of ``source`` whose type is ``wanted`` points at."""
    if not rels:
        return None
    for element in etree.fromstring(rels, _PARSER).iter(f"{{{PACKAGE_RELS_NS}}}Relationship"):
        if wanted(element.get("Type") or "") and (element.get("TargetMode") or "") != "External":
            found = element.get("Target") or ""
            if found.startswith("/"):
                return found[1:]
            return posixpath.normpath(posixpath.join(posixpath.dirname(source), found))
    return None


def add(rels: bytes | None, kind: str, to: str, id_prefix: str) -> bytes:
    """``rels`` (None: no .rels yet) with a relationship of type ``kind`` to ``to``.

    Its id is ``id_prefix`` and the first number the part does not use yet.
    """
    root = etree.fromstring(rels or _EMPTY, _PARSER)
    taken = {element.get("Id") for element in root.iter(f"{{{PACKAGE_RELS_NS}}}Relationship")}
    number = 1
    while f"{id_prefix}{number}" in taken:
        number += 1
    element = etree.SubElement(root, f"{{{PACKAGE_RELS_NS}}}Relationship")
    element.set("Id", f"{id_prefix}{number}")
    element.set("Type", kind)
    element.set("Target", to)
    return _serialize(root)


def with_content_type(content_types: bytes, member: str, content_type: str) -> bytes:
    """``[Content_Types].xml`` with an Override giving ``member`` ``content_type``.

    The same bytes come back when it has that already, so a template that needs
    no change keeps its part byte for byte.
    """
    root = etree.fromstring(content_types, _PARSER)
    name = "/" + member
    for element in root.iter(f"{{{CONTENT_TYPES_NS}}}Override"):
        if (element.get("PartName") or "").lower() == name.lower():
            if element.get("ContentType") == content_type:
                return content_types
            element.set("ContentType", content_type)
            break
    else:
        override = etree.SubElement(root, f"{{{CONTENT_TYPES_NS}}}Override")
        override.set("PartName", name)
        override.set("ContentType", content_type)
    return _serialize(root)
