"""ooxml/numbering.py: the numbering part, list formats, and nums that restart at 1."""

from __future__ import annotations

from lxml import etree

from mytypist_cli.ooxml import numbering
from mytypist_cli.ooxml.names import W_NS

W = f"{{{W_NS}}}"
CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="xml" ContentType="application/xml"/></Types>'
)
RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"'
    b' Target="styles.xml"/></Relationships>'
)


def test_ensure_adds_relationship_and_override_once() -> None:
    part, rels, types = numbering.ensure_numbering_part(RELS, CONTENT_TYPES)
    assert part == "word/numbering.xml"
    assert numbering.numbering_target(rels) == "word/numbering.xml"
    assert b'PartName="/word/numbering.xml"' in types
    assert numbering.NUMBERING_CONTENT_TYPE.encode() in types
    again = numbering.ensure_numbering_part(rels, types)
    assert again == (part, rels, types)


def test_ensure_without_rels() -> None:
    part, rels, _ = numbering.ensure_numbering_part(None, CONTENT_TYPES)
    assert numbering.numbering_target(rels) == part


def test_abstract_nums_come_before_nums_and_restart() -> None:
    root = numbering.new_numbering()
    assert numbering.next_num_id(root) == 1
    assert numbering.next_abstract_num_id(root) == 0
    decimal = numbering.add_abstract_num(root, "decimal")
    first = numbering.add_num(root, decimal, restart=False)
    bullet = numbering.add_abstract_num(root, "bullet", levels=2)
    second = numbering.restart_num(root, first)
    assert (decimal, bullet, first, second) == (0, 1, 1, 2)
    assert second is not None
    tags = [etree.QName(child).localname for child in root]
    assert tags == ["abstractNum", "abstractNum", "num", "num"]
    assert numbering.abstract_num_of(root, second) == decimal
    assert numbering.abstract_num_of(root, 99) is None
    assert numbering.restart_num(root, 99) is None
    restarted = root.findall(f"{W}num")[1]
    start = restarted.find(f"{W}lvlOverride/{W}startOverride")
    assert start is not None
    assert start.get(f"{W}val") == "1"
    assert numbering.is_bulleted(root, numbering.add_num(root, bullet)) is True
    assert numbering.is_bulleted(root, first) is False
    parsed = numbering.parse_numbering(numbering.serialize_numbering(root))
    assert numbering.next_num_id(parsed) == 4
