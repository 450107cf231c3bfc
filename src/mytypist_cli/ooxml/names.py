"""The names of Office Open XML, defined once: namespaces, content and relationship types, units.

Both spellings of each namespace are here where mytypist meets both:
transitional (``schemas.openxmlformats.org``, what Word writes) and Strict
(``purl.oclc.org/ooxml``). Also where a part's relationships live
(:func:`rels_path`) and the text width of a page section
(:func:`text_width_twips`), which the part compiler and the picture sizing
both need.

Imports neither typer nor rich.
"""

from __future__ import annotations

import posixpath

from lxml import etree

# -- namespaces -----------------------------------------------------------------------

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W_STRICT_NS = "http://purl.oclc.org/ooxml/wordprocessingml/main"
W_NAMESPACES = (W_NS, W_STRICT_NS)
"""The WordprocessingML namespaces: transitional, then Strict."""
MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
"""The ``xml:space`` attribute, as lxml spells it."""
PACKAGE_RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
"""The namespace of ``.rels`` members (the same in Strict packages)."""
CONTENT_TYPES_NS = "http://schemas.openxmlformats.org/package/2006/content-types"

A_NAMESPACES = (
    "http://schemas.openxmlformats.org/drawingml/2006/main",
    "http://purl.oclc.org/ooxml/drawingml/main",
)
"""DrawingML's main namespace, both spellings: ``a:p``, ``a:r``, ``a:t``, the text of charts and shapes."""
CUSTOM_XML_NS = "http://schemas.openxmlformats.org/officeDocument/2006/customXml"
"""The ``ds:`` namespace of a custom XML part's properties (``customXml/itemProps1.xml``)."""

DRAWING_NAMESPACES = {
    "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "pic": "http://schemas.openxmlformats.org/drawingml/2006/picture",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
}
"""The prefixes an inline picture uses, and their transitional namespaces."""
DRAWING_STRICT_NAMESPACES = {
    "wp": "http://purl.oclc.org/ooxml/drawingml/wordprocessingDrawing",
    "a": "http://purl.oclc.org/ooxml/drawingml/main",
    "pic": "http://purl.oclc.org/ooxml/drawingml/picture",
    "r": "http://purl.oclc.org/ooxml/officeDocument/relationships",
}
"""The same prefixes in a Strict document."""

# -- relationship types ---------------------------------------------------------------------

IMAGE_RELATIONSHIP = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/image"
IMAGE_RELATIONSHIP_STRICT = "http://purl.oclc.org/ooxml/officeDocument/relationships/image"

CUSTOM_XML_PROPS_RELATIONSHIP_SUFFIX = "/customXmlProps"
"""How the relationship from a custom XML item to its properties ends (both spellings)."""

# -- content types --------------------------------------------------------------------------

DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
DOTX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml"
DOCM_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"
DOTM_MAIN = "application/vnd.ms-word.template.macroEnabledTemplate.main+xml"
CORE_PROPERTIES = "application/vnd.openxmlformats-package.core-properties+xml"
EXTENDED_PROPERTIES = "application/vnd.openxmlformats-officedocument.extended-properties+xml"
CUSTOM_PROPERTIES = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
CHART = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
CHART_EX = "application/vnd.ms-office.chartex+xml"
PROPERTY_PARTS = (CORE_PROPERTIES, EXTENDED_PROPERTIES, CUSTOM_PROPERTIES)
"""Document properties: ``docProps/core.xml``, ``docProps/app.xml``, ``docProps/custom.xml``."""
CHART_PARTS = (CHART, CHART_EX)
TEXTLESS_TYPE_SUFFIXES = (
    ".styles+xml",
    ".stylesWithEffects+xml",
    ".numbering+xml",
    ".fontTable+xml",
    ".settings+xml",
    ".webSettings+xml",
    ".theme+xml",
    ".themeOverride+xml",
    ".customXmlProperties+xml",
    ".relationships+xml",
)
"""Content types of parts that hold no text a reader sees (names and values are attributes there):
not searched for placeholders left unfilled."""
IMAGE_CONTENT_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "gif": "image/gif"}
"""The pictures mytypist adds: file extension -> content type."""

# -- data binding ---------------------------------------------------------------------------

# A content control's w:dataBinding names its XML part by w:storeItemID; these two are built in.
CORE_PROPERTIES_STORE = "{6C3C8BC8-F283-45AE-878A-BAB7291924A1}"
"""The store item id of ``docProps/core.xml`` (title, subject, author... quick parts)."""
EXTENDED_PROPERTIES_STORE = "{6668398D-A668-4E3E-A5EB-62B293D839F1}"
"""The store item id of ``docProps/app.xml`` (company, manager)."""

# -- units ----------------------------------------------------------------------------------

EMU_PER_INCH = 914400
"""DrawingML sizes are in English Metric Units."""
TWIPS_PER_INCH = 1440
"""Page sizes, margins and table widths are in twentieths of a point."""
EMU_PER_TWIP = EMU_PER_INCH // TWIPS_PER_INCH  # 635


def rels_path(part: str) -> str:
    """Where a part's relationships are: ``word/document.xml`` -> ``word/_rels/document.xml.rels``.

    ``""`` (the package itself) gives ``_rels/.rels``.
    """
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", base + ".rels")


def text_width_twips(section: etree._Element, w: str) -> int | None:
    """A page section's text width in twips: its page width less the left and right margins.

    ``section`` is a ``w:sectPr`` and ``w`` its namespace in braces. None when
    the section gives no page width or an unreadable number; the result may be
    zero or less when the margins take the whole page.
    """
    size, margins = section.find(f"{w}pgSz"), section.find(f"{w}pgMar")
    if size is None:
        return None
    try:
        page = int(size.get(f"{w}w") or "")
        sides = (
            sum(max(0, int(margins.get(f"{w}{side}") or 0)) for side in ("left", "right"))
            if margins is not None
            else 0
        )
    except ValueError:
        return None
    return page - sides
