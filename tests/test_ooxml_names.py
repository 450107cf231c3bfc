"""The names defined once for the package and part code: where relationships live, section text widths."""

from __future__ import annotations

import pytest
from lxml import etree

from mytypist_cli.ooxml.names import (
    EMU_PER_INCH,
    EMU_PER_TWIP,
    TWIPS_PER_INCH,
    W_NS,
    rels_path,
    text_width_twips,
)

W = "{" + W_NS + "}"


@pytest.mark.parametrize(
    ("part", "rels"),
    [
        ("word/document.xml", "word/_rels/document.xml.rels"),
        ("word/header1.xml", "word/_rels/header1.xml.rels"),
        ("customXml/item1.xml", "customXml/_rels/item1.xml.rels"),
        ("", "_rels/.rels"),
    ],
)
def test_rels_path(part: str, rels: str) -> None:
    assert rels_path(part) == rels


def test_units() -> None:
    assert EMU_PER_TWIP == 635
    assert EMU_PER_TWIP * TWIPS_PER_INCH == EMU_PER_INCH


def section(inner: str) -> etree._Element:
    return etree.fromstring(f'<w:sectPr xmlns:w="{W_NS}">{inner}</w:sectPr>')


@pytest.mark.parametrize(
    ("inner", "width"),
    [
        ('<w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:left="1440" w:right="1440"/>', 9026),
        ('<w:pgSz w:w="12240"/><w:pgMar w:top="1440" w:right="1000" w:left="1800"/>', 9440),
        ('<w:pgSz w:w="12240"/>', 12240),
        ('<w:pgSz w:w="12240"/><w:pgMar w:left="1440"/>', 10800),
        ('<w:pgSz w:w="12240"/><w:pgMar w:left="-200" w:right="1000"/>', 11240),  # negative: no margin
        ('<w:pgSz w:w="1000"/><w:pgMar w:left="1440" w:right="1440"/>', -1880),
        ('<w:pgMar w:left="1440" w:right="1440"/>', None),
        ('<w:pgSz w:h="15840"/>', None),
        ('<w:pgSz w:w="wide"/>', None),
        ('<w:pgSz w:w="12240"/><w:pgMar w:left="1in"/>', None),
    ],
)
def test_text_width_twips(inner: str, width: int | None) -> None:
    assert text_width_twips(section(inner), W) == width
