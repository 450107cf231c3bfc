"""engine/richtext.py's builders: Markdown and links as WordprocessingML, before any template uses them."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from lxml import etree

from mytypist_cli.engine import richtext
from mytypist_cli.errors import FilterValueError, RenderError

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NSDECL = f'xmlns:w="{W}" xmlns:r="{richtext.R_NS}"'


@dataclass(frozen=True)
class FakeSlot:
    rpr: bytes = f'<w:rPr xmlns:w="{W}"><w:rFonts w:ascii="Garamond"/><w:sz w:val="24"/></w:rPr>'.encode()
    ppr: bytes | None = b""
    ns: str = W
    prefix: str = "w:"
    namespaces: tuple[tuple[str, str], ...] = (("w", W),)
    part: str = "word/document.xml"
    in_hyperlink: bool = False
    label: str | None = None


def book() -> richtext.RichBook:
    parts = richtext.RichParts(
        numbering=("word/numbering.xml", b"<n>", b"</n>"),
        bullet_id=1,
        decimal_id=2,
        first_num=10,
        headings=tuple(f"Heading{n}" for n in range(1, 7)),
        hyperlink="Hyperlink",
        ns=W,
    )
    return richtext.RichBook(parts, {"word/document.xml": {"rIdMl1"}})


def parse(fragment: bytes) -> etree._Element:
    return etree.fromstring(b"<w:x " + NSDECL.encode() + b">" + fragment + b"</w:x>")


def test_bold_keeps_the_placeholders_font_and_size() -> None:
    blocks = richtext.markdown_blocks(FakeSlot(), "Pay **now** or *later* ~~never~~ `x = 1`", book())
    assert len(blocks) == 1
    runs = parse(blocks[0].runs).findall(f"{{{W}}}r")
    bold = next(r for r in runs if "".join(r.itertext()) == "now")
    props = [etree.QName(c).localname for c in bold.find(f"{{{W}}}rPr")]
    assert props == ["rFonts", "b", "bCs", "sz"]  # schema order
    italic = next(r for r in runs if "".join(r.itertext()) == "later")
    assert italic.find(f"{{{W}}}rPr/{{{W}}}i") is not None
    strike = next(r for r in runs if "".join(r.itertext()) == "never")
    assert strike.find(f"{{{W}}}rPr/{{{W}}}strike") is not None
    code = next(r for r in runs if "".join(r.itertext()) == "x = 1")
    assert code.find(f"{{{W}}}rPr/{{{W}}}rFonts").get(f"{{{W}}}ascii") == "Courier New"


def test_injection_and_raw_html_stay_text() -> None:
    source = "</w:t></w:r><w:r><w:t>evil <b>bold</b> & more"
    blocks = richtext.markdown_blocks(FakeSlot(), source, book())
    root = parse(b"".join(block.runs for block in blocks))
    assert "".join(root.itertext()) == source
    assert root.find(f".//{{{W}}}b") is None


def test_lists_number_from_one_for_every_value_and_nest() -> None:
    the_book = book()
    blocks = richtext.markdown_blocks(FakeSlot(), "1. one\n2. two\n   - inner\n", the_book)
    assert len(blocks) == 3
    again = richtext.markdown_blocks(FakeSlot(), "1. again\n", the_book)
    levels = [parse(b.ppr or b"").find(f".//{{{W}}}ilvl").get(f"{{{W}}}val") for b in blocks + again]
    assert levels == ["0", "0", "1", "0"]
    assert [num for num, *_ in the_book.nums] == [10, 11, 12]  # the second value is a list of its own
    assert b'<w:startOverride w:val="1"/>' in (the_book.numbering_xml() or b"")


def test_headings_take_the_heading_styles() -> None:
    blocks = richtext.markdown_blocks(FakeSlot(), "# Title\n\ntext", book())
    assert parse(blocks[0].ppr or b"").find(f".//{{{W}}}pStyle").get(f"{{{W}}}val") == "Heading1"
    assert blocks[1].ppr is None  # the placeholder's own paragraph properties


def test_links_are_hyperlinks_with_a_relationship_and_bad_schemes_fail() -> None:
    the_book = book()
    blocks = richtext.markdown_blocks(FakeSlot(), "see [terms](https://example.com/t?a=1&b=2)", the_book)
    link = parse(blocks[0].runs).find(f"{{{W}}}hyperlink")
    assert link.get(f"{{{richtext.R_NS}}}id") == "rIdMl2"  # rIdMl1 is taken
    assert b'Target="https://example.com/t?a=1&amp;b=2" TargetMode="External"' in the_book.relationship_xml(
        "word/document.xml"
    )
    with pytest.raises(RenderError, match="http, https or mailto"):
        richtext.markdown_blocks(FakeSlot(), "[x](ftp://example.com/f)", book())
    for bad in ("[x](javascript:alert(1))", "[x](file:///etc/passwd)", "<javascript:alert(1)>"):
        with pytest.raises(RenderError, match="http, https or mailto"):
            richtext.markdown_blocks(FakeSlot(), bad, book())


def test_link_addresses_are_encoded_as_commonmark_renderers_do() -> None:
    the_book = book()
    richtext.markdown_blocks(
        FakeSlot(), "[a](<https://example.ng/a b>) [b](https://bücher.ng/é) <accounts@example.ng>", the_book
    )
    assert list(the_book.links["word/document.xml"]) == [
        "https://example.ng/a%20b",
        "https://xn--bcher-kva.ng/%C3%A9",
        "mailto:accounts@example.ng",
    ]


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "file:///etc/passwd", "ftp://x", "example.com", "http://"]
)
def test_check_url_refuses_other_schemes(url: str) -> None:
    with pytest.raises(FilterValueError):
        richtext.check_url(url)


def test_link_runs_show_the_label_escaped() -> None:
    slot = FakeSlot(label="</w:t><w:r>Pay")
    fragment = richtext.link_runs(slot, "mailto:a@b.ng", book())
    assert "".join(parse(fragment).itertext()) == "</w:t><w:r>Pay"


def test_styles_and_numbering_are_added_once() -> None:
    styles, headings, hyperlink = richtext.ensure_styles(None, W, headings=True)
    assert styles is not None
    assert b'w:styleId="Heading2"' in styles
    assert (headings[0], hyperlink) == ("Heading1", "Hyperlink")
    again, _, _ = richtext.ensure_styles(styles, W, headings=True)
    assert again is None
    before, after, bullet, decimal, first = richtext.ensure_numbering(None, W)
    assert (bullet, decimal, first) == (0, 1, 1)
    etree.fromstring(before + after)
