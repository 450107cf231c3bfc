"""The template's own numbered lists in ``<<#items>>``: restart in each item, or go on counting."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree

from docx_factory import add_parts, make_docx, member, p, para, paragraphs, r
from mytypist_cli.engine.template import Template
from rich_helpers import needs_libreoffice, pdf_text, to_pdf

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NUMBERING_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/numbering"
NUMBERING_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.numbering+xml"


def numbered(num_id: int, text: str, level: int = 0) -> str:
    return p(
        r(text), ppr=f'<w:pPr><w:numPr><w:ilvl w:val="{level}"/><w:numId w:val="{num_id}"/></w:numPr></w:pPr>'
    )


def abstract(abstract_id: int, fmt: str, text: str, start: int = 1) -> str:
    levels = "".join(
        f'<w:lvl w:ilvl="{level}"><w:start w:val="{start}"/><w:numFmt w:val="{fmt}"/>'
        f'<w:lvlText w:val="{text.replace("%1", f"%{level + 1}")}"/><w:lvlJc w:val="left"/>'
        f'<w:pPr><w:ind w:left="{720 * (level + 1)}" w:hanging="360"/></w:pPr></w:lvl>'
        for level in range(2)
    )
    return f'<w:abstractNum w:abstractNumId="{abstract_id}">{levels}</w:abstractNum>'


def with_lists(body: str, *, start: int = 1) -> bytes:
    """A template whose numbering has list 1 (1. 2. 3.) and list 2 (a) b) c)), over abstracts of their own."""
    numbering = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<w:numbering xmlns:w="{W}">{abstract(0, "decimal", "%1.", start)}{abstract(1, "lowerLetter", "%1)")}'
        '<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>'
        '<w:num w:numId="2"><w:abstractNumId w:val="1"/></w:num></w:numbering>'
    )
    return add_parts(
        make_docx(body),
        {"word/numbering.xml": numbering},
        types={"word/numbering.xml": NUMBERING_TYPE},
        rels={"word/document.xml": [(NUMBERING_REL, "numbering.xml")]},
    )


def num_ids(data: bytes) -> list[str]:
    return re.findall(r'<w:numId w:val="(\d+)"/>', member(data, "word/document.xml").decode())


def starts(data: bytes, num_id: str) -> list[str]:
    root = etree.fromstring(member(data, "word/numbering.xml"))
    (num,) = root.findall(f"{{{W}}}num[@{{{W}}}numId='{num_id}']")
    return [o.get(f"{{{W}}}val") for o in num.iter(f"{{{W}}}startOverride")]


ITEMS = [{"name": "A", "a": "a1", "b": "a2"}, {"name": "B", "a": "b1", "b": "b2"}]
BODY = (
    numbered(2, "Before the items")
    + para("<<#items>>")
    + para("Item <<name>>")
    + numbered(1, "<<a>>")
    + numbered(1, "<<b>>")
    + numbered(2, "continued <<name>>")
    + para("<</items>>")
)


def test_a_list_started_inside_the_section_restarts_in_each_item_and_one_started_before_goes_on() -> None:
    data = Template.open(with_lists(BODY)).render({"items": ITEMS})
    ids = num_ids(data)
    assert paragraphs(data) == [
        "Before the items",
        "Item A",
        "a1",
        "a2",
        "continued A",
        "Item B",
        "b1",
        "b2",
        "continued B",
    ]
    before, first_a, second_a, cont_a, first_b, second_b, cont_b = ids
    assert before == cont_a == cont_b == "2"  # started before the section: one list throughout
    assert first_a == second_a
    assert first_b == second_b
    assert len({first_a, first_b, "1", "2"}) == 4  # each item a list of its own
    for own in (first_a, first_b):
        assert starts(data, own)[0] == "1"


def test_a_restarted_list_starts_where_its_definition_says() -> None:
    data = Template.open(with_lists(BODY, start=5)).render({"items": ITEMS})
    assert starts(data, num_ids(data)[1])[:2] == ["5", "5"]


def test_nested_sections_restart_the_inner_list_in_each_inner_item() -> None:
    body = (
        para("<<#groups>>")
        + numbered(2, "<<title>>")
        + para("<<#items>>")
        + numbered(1, "<<.>>")
        + para("<</items>>")
        + para("<</groups>>")
    )
    data = Template.open(with_lists(body)).render(
        {"groups": [{"title": "G1", "items": ["x", "y"]}, {"title": "G2", "items": ["z"]}]}
    )
    ids = num_ids(data)
    assert paragraphs(data) == ["G1", "x", "y", "G2", "z"]
    g1, x, y, g2, z = ids
    assert g1 != g2  # the outer list starts inside groups: each group numbers its title from 1
    assert x != y  # each inner item is an item of its own
    assert len({x, y, z}) == 3


def test_templates_without_numbered_lists_in_sections_are_left_as_they_were() -> None:
    template = with_lists(numbered(1, "one") + para("<<#items>><<.>><</items>>"))
    data = Template.open(template).render({"items": ["a", "b"]})
    assert member(data, "word/numbering.xml") == member(template, "word/numbering.xml")


def test_each_record_of_a_combined_document_restarts_its_lists() -> None:
    data = Template.open(with_lists(BODY)).render_combined([{"items": ITEMS[:1]}, {"items": ITEMS[1:]}])
    ids = num_ids(data)
    assert len(ids) == 8
    assert ids[1] == ids[2]
    assert ids[5] == ids[6]
    assert ids[1] != ids[5]
    assert starts(data, ids[5])[0] == "1"


@needs_libreoffice
@pytest.mark.slow
def test_libreoffice_numbers_each_item_from_one_and_the_outer_list_on(tmp_path: Path) -> None:
    data = Template.open(with_lists(BODY)).render({"items": ITEMS})
    lines = [
        line.strip()
        for line in pdf_text(to_pdf({"lists": data}, tmp_path)["lists"]).splitlines()
        if line.strip()
    ]
    assert lines == [
        "a) Before the items",
        "Item A",
        "1. a1",
        "2. a2",
        "b) continued A",
        "Item B",
        "1. b1",
        "2. b2",
        "c) continued B",
    ]


def with_style_list(body: str, *, start: int | None = 1) -> bytes:
    """A template whose list 1 is made from a list style, as Word writes one: its abstractNum only
    names the style (w:numStyleLink), and the style's definition (w:styleLink) holds the levels.
    ``start`` None leaves the levels without a w:start."""
    first = "" if start is None else f'<w:start w:val="{start}"/>'
    levels = "".join(
        f'<w:lvl w:ilvl="{level}">{first}<w:numFmt w:val="decimal"/><w:lvlText w:val="%{level + 1}."/>'
        f'<w:lvlJc w:val="left"/><w:pPr><w:ind w:left="{720 * (level + 1)}" w:hanging="360"/></w:pPr></w:lvl>'
        for level in range(2)
    )
    numbering = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<w:numbering xmlns:w="{W}">'
        f'<w:abstractNum w:abstractNumId="0"><w:styleLink w:val="Clauses"/>{levels}</w:abstractNum>'
        '<w:abstractNum w:abstractNumId="1"><w:numStyleLink w:val="Clauses"/></w:abstractNum>'
        '<w:num w:numId="1"><w:abstractNumId w:val="1"/></w:num>'
        '<w:num w:numId="2"><w:abstractNumId w:val="0"/></w:num></w:numbering>'
    )
    styles = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<w:styles xmlns:w="{W}"><w:style w:type="numbering" w:styleId="Clauses"><w:name w:val="Clauses"/>'
        '<w:pPr><w:numPr><w:numId w:val="2"/></w:numPr></w:pPr></w:style></w:styles>'
    )
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
    return add_parts(
        make_docx(body),
        {"word/numbering.xml": numbering, "word/styles.xml": styles},
        types={
            "word/numbering.xml": NUMBERING_TYPE,
            "word/styles.xml": "application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml",
        },
        rels={"word/document.xml": [(NUMBERING_REL, "numbering.xml"), (rel + "styles", "styles.xml")]},
    )


STYLE_LIST_BODY = para("Client <<name>>") + numbered(1, "first") + numbered(1, "second")


@pytest.mark.parametrize("start", [1, 5])
def test_a_list_made_from_a_list_style_restarts_where_the_style_starts(start: int) -> None:
    # The restart must follow w:numStyleLink to the levels: they were read as absent, and every
    # record after the first numbered its list from 0.
    template = Template.open(with_style_list(STYLE_LIST_BODY, start=start))
    combined = template.render_combined([{"name": "A"}, {"name": "B"}])
    record_b = num_ids(combined)[2]
    assert record_b != "1"
    assert starts(combined, record_b)[:2] == [str(start), str(start)]
    repeated = Template.open(
        with_style_list(para("<<#items>>") + numbered(1, "<<.>>") + para("<</items>>"), start=start)
    ).render({"items": ["x", "y"]})
    x, y = num_ids(repeated)
    assert starts(repeated, y)[:2] == [str(start), str(start)]


def test_a_level_without_a_start_restarts_from_zero_as_the_template_itself_counts() -> None:
    # The standard's default, and what LibreOffice shows for the template's own first item.
    template = Template.open(with_style_list(STYLE_LIST_BODY, start=None))
    combined = template.render_combined([{"name": "A"}, {"name": "B"}])
    assert starts(combined, num_ids(combined)[2])[:2] == ["0", "0"]
    repeated = Template.open(
        with_style_list(para("<<#items>>") + numbered(1, "<<.>>") + para("<</items>>"), start=None)
    ).render({"items": ["x", "y"]})
    assert starts(repeated, num_ids(repeated)[1])[:2] == ["0", "0"]


@needs_libreoffice
@pytest.mark.slow
def test_libreoffice_numbers_a_list_style_list_from_one_in_every_record(tmp_path: Path) -> None:
    template = Template.open(with_style_list(STYLE_LIST_BODY))
    combined = template.render_combined([{"name": "A"}, {"name": "B"}])
    text = pdf_text(to_pdf({"all": combined}, tmp_path)["all"])
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    assert lines == ["Client A", "1. first", "2. second", "Client B", "1. first", "2. second"]
