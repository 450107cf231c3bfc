"""``<<clause|markdown>>`` in templates: formatting on the placeholder's run, paragraphs, lists, links."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from typer.testing import CliRunner

from docx_factory import add_parts, make_docx, member, p, para, paragraphs, part_xml, r, text_of
from mytypist_cli.cli.app import app
from mytypist_cli.engine.template import Template
from mytypist_cli.errors import MissingFieldsError, RenderError, TemplateSyntaxError
from rich_helpers import needs_libreoffice, pdf_text, to_pdf, with_styles

runner = CliRunner()
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
GARAMOND = '<w:rFonts w:ascii="Garamond" w:hAnsi="Garamond"/><w:sz w:val="24"/>'
JUSTIFIED = '<w:pPr><w:jc w:val="both"/></w:pPr>'


def w(name: str) -> str:
    return f"{{{W}}}{name}"


def body_paragraphs(docx: bytes, part: str = "word/document.xml") -> list[etree._Element]:
    return list(part_xml(docx, part).iter(w("p")))


def run_with(paragraph: etree._Element, text: str) -> etree._Element:
    return next(run for run in paragraph.iter(w("r")) if "".join(run.itertext()) == text)


def props(element: etree._Element, holder: str) -> list[str]:
    found = element.find(w(holder))
    return [] if found is None else [etree.QName(child).localname for child in found]


def numbering(paragraph: etree._Element) -> tuple[str, str] | None:
    num = paragraph.find(f"{w('pPr')}/{w('numPr')}")
    if num is None:
        return None
    return num.find(w("numId")).get(w("val")), num.find(w("ilvl")).get(w("val"))


def test_bold_in_a_garamond_placeholder_is_garamond_bold() -> None:
    body = p(r("Terms: ", rpr=GARAMOND), r("<<clause|markdown>>", rpr=GARAMOND), r(".", rpr=GARAMOND))
    data = Template.open(make_docx(body)).render(
        {"clause": "pay **within 30 days** or *sooner*, ~~never~~ `late`"}
    )
    (paragraph,) = body_paragraphs(data)
    assert text_of(data) == "Terms: pay within 30 days or sooner, never late."
    bold = run_with(paragraph, "within 30 days")
    assert props(bold, "rPr") == ["rFonts", "b", "bCs", "sz"]
    assert bold.find(f"{w('rPr')}/{w('rFonts')}").get(w("ascii")) == "Garamond"
    assert props(run_with(paragraph, "sooner"), "rPr") == ["rFonts", "i", "iCs", "sz"]
    assert props(run_with(paragraph, "never"), "rPr") == ["rFonts", "strike", "sz"]
    code = run_with(paragraph, "late").find(f"{w('rPr')}/{w('rFonts')}")
    assert code.get(w("ascii")) == "Courier New"
    assert props(run_with(paragraph, "pay "), "rPr") == ["rFonts", "sz"]


def test_commonmark_underscores_and_a_hard_break() -> None:
    data = Template.open(make_docx(para("<<c|markdown>>"))).render({"c": "__strong__ _em_  \nnext line"})
    (paragraph,) = body_paragraphs(data)
    assert w("b") in [c.tag for c in run_with(paragraph, "strong").find(w("rPr"))]
    assert w("i") in [c.tag for c in run_with(paragraph, "em").find(w("rPr"))]
    assert paragraphs(data) == ["strong em\nnext line"]


def test_a_placeholder_alone_becomes_paragraphs_that_keep_its_properties() -> None:
    body = p(r("<<clause|markdown>>", rpr=GARAMOND), ppr=JUSTIFIED) + para("After.")
    data = Template.open(make_docx(body)).render({"clause": "First **one**.\n\nSecond one."})
    assert paragraphs(data) == ["First one.", "Second one.", "After."]
    first, second, _ = body_paragraphs(data)
    for paragraph in (first, second):
        assert paragraph.find(f"{w('pPr')}/{w('jc')}").get(w("val")) == "both"
    assert run_with(second, "Second one.").find(f"{w('rPr')}/{w('rFonts')}").get(w("ascii")) == "Garamond"


def test_lists_number_from_one_in_each_value_and_nest() -> None:
    body = para("<<a|markdown>>") + para("Between.") + para("<<b|markdown>>")
    data = Template.open(make_docx(body)).render(
        {"a": "1. one\n2. two\n   - inner\n   - inner two\n3. three", "b": "1. again\n2. more"}
    )
    texts = paragraphs(data)
    assert texts == ["one", "two", "inner", "inner two", "three", "Between.", "again", "more"]
    numbered = [numbering(paragraph) for paragraph in body_paragraphs(data)]
    first, inner, second = numbered[0], numbered[2], numbered[6]
    assert first is not None
    assert inner is not None
    assert second is not None
    assert [numbered[i] for i in (0, 1, 4)] == [first] * 3
    assert inner[1] == "1"
    assert numbered[3] == inner
    assert second[0] != first[0]  # a list of its own: it counts from 1 again
    lists = etree.fromstring(member(data, "word/numbering.xml"))
    for num_id in (first[0], second[0]):
        num = lists.find(f"{w('num')}[@{w('numId')}='{num_id}']")
        start = num.find(f"{w('lvlOverride')}/{w('startOverride')}")
        assert start.get(w("val")) == "1"
    assert b"numbering.xml" in member(data, "word/_rels/document.xml.rels")
    assert b"/word/numbering.xml" in member(data, "[Content_Types].xml")


def test_an_ordered_list_may_start_elsewhere() -> None:
    data = Template.open(make_docx(para("<<a|markdown>>"))).render({"a": "3. three\n4. four"})
    (num_id, _), _ = (numbering(paragraph) for paragraph in body_paragraphs(data))
    lists = etree.fromstring(member(data, "word/numbering.xml"))
    num = lists.find(f"{w('num')}[@{w('numId')}='{num_id}']")
    assert num.find(f"{w('lvlOverride')}/{w('startOverride')}").get(w("val")) == "3"


def test_a_templates_own_numbering_is_kept_and_new_lists_come_after_it() -> None:
    own = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<w:numbering xmlns:w="{W}"><w:abstractNum w:abstractNumId="0"><w:lvl w:ilvl="0">'
        '<w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1)"/></w:lvl></w:abstractNum>'
        '<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num></w:numbering>'
    )
    docx = make_docx(
        p(r("kept"), ppr='<w:pPr><w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr></w:pPr>')
        + para("<<a|markdown>>")
    )
    numbering_rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/numbering"
    docx = add_parts(
        docx, {"word/numbering.xml": own}, rels={"word/document.xml": [(numbering_rel, "numbering.xml")]}
    )
    data = Template.open(docx).render({"a": "- a\n- b"})
    lists = etree.fromstring(member(data, "word/numbering.xml"))
    assert [n.get(w("numId")) for n in lists.findall(w("num"))] == ["1", "2"]
    assert [a.get(w("abstractNumId")) for a in lists.findall(w("abstractNum"))] == ["0", "1", "2"]
    order = [etree.QName(child).localname for child in lists]
    assert order.index("num") > max(i for i, name in enumerate(order) if name == "abstractNum")
    assert [numbering(paragraph) for paragraph in body_paragraphs(data)] == [
        ("1", "0"),
        ("2", "0"),
        ("2", "0"),
    ]
    assert member(data, "word/_rels/document.xml.rels").count(b"/numbering") == 1


def test_headings_take_the_templates_heading_styles_by_name() -> None:
    own = '<w:style w:type="paragraph" w:styleId="Titre1"><w:name w:val="heading 1"/></w:style>'
    docx = with_styles(make_docx(para("<<c|markdown>>")), own)
    data = Template.open(docx).render({"c": "# Terms\n\n## Payment\n\nText."})
    styles = [paragraph.find(f"{w('pPr')}/{w('pStyle')}") for paragraph in body_paragraphs(data)]
    assert [s.get(w("val")) if s is not None else None for s in styles] == ["Titre1", "Heading2", None]
    added = member(data, "word/styles.xml")
    assert b'w:styleId="Heading2"' in added
    assert b'w:styleId="Heading1"' not in added


def test_inside_a_sentence_several_paragraphs_fail_the_row() -> None:
    template = Template.open(make_docx(para("The terms: <<clause|markdown>>.")))
    assert text_of(template.render({"clause": "*one* line"})) == "The terms: one line."
    for value in ("one\n\ntwo", "- a\n- b", "# Title"):
        with pytest.raises(
            RenderError, match=r"<<clause\|markdown>>: .*put the placeholder in a paragraph of its own"
        ):
            template.render({"clause": value})


def test_raw_html_is_shown_as_text_and_markup_cannot_be_injected() -> None:
    source = '<b>bold?</b> </w:t></w:r><w:r><w:t>x & <script>alert("x")</script>'
    data = Template.open(make_docx(para("<<c|markdown>>"))).render({"c": source})
    assert text_of(data) == source
    xml = member(data, "word/document.xml")
    assert b"<w:b/>" not in xml
    etree.fromstring(xml)


def test_links_in_markdown_are_hyperlinks_and_bad_schemes_fail_the_row() -> None:
    template = Template.open(make_docx(para("<<c|markdown>>")))
    data = template.render({"c": "See [the terms](https://example.ng/terms) or <https://example.ng/x>."})
    hyperlinks = list(part_xml(data).iter(w("hyperlink")))
    assert ["".join(link.itertext()) for link in hyperlinks] == ["the terms", "https://example.ng/x"]
    rels = member(data, "word/_rels/document.xml.rels").decode()
    for link in hyperlinks:
        rid = link.get(f"{{{R}}}id")
        assert re.search(
            rf'Id="{rid}"[^>]*Target="https://example.ng/(terms|x)"[^>]*TargetMode="External"', rels
        )
    with pytest.raises(RenderError, match=r"<<c\|markdown>>: .*http, https or mailto"):
        template.render({"c": "[x](ftp://example.ng/file)"})


def test_markdown_in_a_table_cell_a_header_and_a_footer() -> None:
    cell = f"<w:tbl><w:tr><w:tc>{para('<<a|markdown>>')}</w:tc></w:tr></w:tbl>"
    docx = make_docx(
        cell + para("body"),
        headers={"header1.xml": para("<<b|markdown>>")},
        footers={"footer1.xml": para("<<c|markdown>>")},
    )
    data = Template.open(docx).render(
        {"a": "- x\n- y", "b": "**Head** [site](https://example.ng)", "c": "one\n\ntwo"}
    )
    assert paragraphs(data)[:2] == ["x", "y"]
    assert [numbering(paragraph) is not None for paragraph in body_paragraphs(data)] == [True, True, False]
    header = body_paragraphs(data, "word/header1.xml")[0]
    assert run_with(header, "Head").find(f"{w('rPr')}/{w('b')}") is not None
    assert b"https://example.ng" in member(data, "word/_rels/header1.xml.rels")
    assert paragraphs(data, "word/footer1.xml") == ["one", "two"]


def test_each_repeated_item_has_a_list_of_its_own() -> None:
    docx = make_docx(para("<<#items>>") + para("<<name>>") + para("<<steps|markdown>>") + para("<</items>>"))
    data = Template.open(docx).render(
        {"items": [{"name": "A", "steps": "1. a1\n2. a2"}, {"name": "B", "steps": "1. b1\n2. b2"}]}
    )
    assert paragraphs(data) == ["A", "a1", "a2", "B", "b1", "b2"]
    nums = [numbering(paragraph) for paragraph in body_paragraphs(data)]
    assert nums[1] == nums[2]
    assert nums[4] == nums[5]
    assert nums[1] != nums[4]


def test_the_page_section_of_the_placeholders_paragraph_stays_on_the_last_paragraph() -> None:
    section = '<w:pPr><w:jc w:val="center"/><w:sectPr><w:pgSz w:w="11906" w:h="16838"/></w:sectPr></w:pPr>'
    data = Template.open(make_docx(p(r("<<c|markdown>>"), ppr=section) + para("next"))).render(
        {"c": "one\n\ntwo\n\n- three"}
    )
    found = body_paragraphs(data)
    assert paragraphs(data) == ["one", "two", "three", "", "next"]
    assert [paragraph.find(f"{w('pPr')}/{w('sectPr')}") is not None for paragraph in found] == [
        False,
        False,
        False,
        True,
        False,
    ]
    assert all(paragraph.find(f"{w('pPr')}/{w('jc')}") is not None for paragraph in found[:4])


def test_missing_blank_and_keep() -> None:
    template = Template.open(make_docx(p(r("<<c|markdown>>"), ppr=JUSTIFIED) + para("end")))
    with pytest.raises(MissingFieldsError, match="c"):
        template.render({})
    assert paragraphs(template.render({}, missing="keep")) == ["<<c|markdown>>", "end"]
    filled = template.fill({"c": ""})
    assert filled.blank == ("c",)
    assert paragraphs(filled.data) == ["", "end"]
    assert body_paragraphs(filled.data)[0].find(f"{w('pPr')}/{w('jc')}") is not None


def test_markdown_ends_its_chain_and_takes_no_argument() -> None:
    with pytest.raises(TemplateSyntaxError, match="last filter"):
        Template.open(make_docx(para("<<c|markdown|upper>>")))
    with pytest.raises(TemplateSyntaxError, match="takes no argument"):
        Template.open(make_docx(para("<<c|markdown:x>>")))
    template = Template.open(make_docx(para('<<c|default:"**none**"|markdown>>')))
    assert paragraphs(template.render({})) == ["none"]


def test_cli_a_clause_in_a_sentence_fails_its_row_with_the_fix(tmp_path: Path) -> None:
    template = tmp_path / "letter.docx"
    template.write_bytes(make_docx(para("<<name>> agrees to <<terms|markdown>>.")))
    rows = tmp_path / "rows.json"
    rows.write_text(json.dumps([{"name": "a", "terms": "**pay**"}, {"name": "b", "terms": "- x\n- y"}]))
    out = tmp_path / "o"
    result = runner.invoke(app, ["fill", str(template), str(rows), "--out-dir", str(out), "--jobs", "1"])
    assert result.exit_code == 1, result.output
    assert result.stdout.splitlines() == [str(out / "letter-0001.docx")]
    failed = [line for line in result.stderr.splitlines() if line.startswith("row 2:")]
    assert failed
    assert "paragraph of its own" in failed[0]


@needs_libreoffice
@pytest.mark.slow
def test_libreoffice_numbers_each_clause_from_one(tmp_path: Path) -> None:
    body = para("<<a|markdown>>") + para("Between.") + para("<<b|markdown>>")
    data = Template.open(make_docx(body)).render(
        {"a": "# Terms\n\n1. alpha\n2. beta\n   - inner", "b": "1. gamma\n2. delta\n\n**Bold** end"}
    )
    text = pdf_text(to_pdf({"clauses": data}, tmp_path)["clauses"])
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    assert lines[:4] == ["Terms", "1. alpha", "2. beta", "\u25e6 inner"]  # the second level's bullet
    assert "1. gamma" in lines
    assert "2. delta" in lines
    assert "Bold end" in lines


def test_each_record_of_a_combined_document_numbers_its_lists_from_one() -> None:
    template = Template.open(make_docx(para("<<c|markdown>>")))
    data = template.render_combined([{"c": "1. a\n2. b"}, {"c": "1. c\n2. d"}])
    nums = [numbering(paragraph) for paragraph in body_paragraphs(data)]
    numbered = [num for num in nums if num is not None]
    assert len(numbered) == 4
    assert numbered[0] == numbered[1]
    assert numbered[2] == numbered[3]
    assert numbered[0] != numbered[2]
    lists = etree.fromstring(member(data, "word/numbering.xml"))
    num = lists.find(f"{w('num')}[@{w('numId')}='{numbered[2][0]}']")
    assert num.find(f"{w('lvlOverride')}/{w('startOverride')}").get(w("val")) == "1"


def test_a_new_line_is_a_line_break_and_a_blank_line_a_new_paragraph() -> None:
    template = Template.open(make_docx(para("<<address|markdown>>")))
    data = template.render({"address": "**Chukwuma & Partners**\nSuite 12 Banex Plaza\nAbuja\n\nBy hand."})
    assert paragraphs(data) == ["Chukwuma & Partners\nSuite 12 Banex Plaza\nAbuja", "By hand."]


def test_a_placeholder_word_split_across_runs_still_takes_the_first_runs_formatting() -> None:
    body = p(r("<<cla", rpr="<w:b/>"), r("use|mark"), r("down>>"), ppr=JUSTIFIED)
    data = Template.open(make_docx(body)).render({"clause": "one\n\ntwo *it*"})
    assert paragraphs(data) == ["one", "two it"]
    second = body_paragraphs(data)[1]
    assert props(run_with(second, "it"), "rPr") == ["b", "i", "iCs"]
    assert second.find(f"{w('pPr')}/{w('jc')}") is not None


def test_a_clause_every_row_shares_makes_the_same_document_as_a_fresh_template() -> None:
    """Rows after the first reuse the clause's built paragraphs: the bytes must not change, and a
    clause used twice in one document (same slot, same value) still gets lists and links of its own."""
    docx = make_docx(
        para("<<#items>>") + para("<<steps|markdown>>") + para("<</items>>") + para("<<end|markdown>>")
    )
    clause = "1. pay [on time](https://example.ng/pay)\n2. keep it clean"
    values = {"items": [{"steps": clause}, {"steps": clause}], "end": "- [terms](https://example.ng/t)"}
    template = Template.open(docx)
    first, second = template.render(values), template.render(values)
    assert first == second == Template.open(docx).render(values)
    nums = [numbering(paragraph) for paragraph in body_paragraphs(first)]
    assert nums[0] == nums[1]
    assert nums[2] == nums[3]
    assert len({nums[0], nums[2], nums[4]}) == 3  # each repeat of the clause, and the end list, its own
    rels = member(first, "word/_rels/document.xml.rels").decode()
    ids = [link.get(f"{{{R}}}id") for link in part_xml(first).iter(w("hyperlink"))]
    assert len(ids) == 3
    assert ids[0] == ids[1] != ids[2]  # one relationship per URL in the part
    for rid, target in zip(ids, ["pay", "pay", "t"], strict=True):
        assert re.search(rf'Id="{rid}"[^>]*Target="https://example.ng/{target}"', rels)
    other = template.render({**values, "end": "- [terms](https://example.ng/other)"})
    assert b"https://example.ng/other" in member(other, "word/_rels/document.xml.rels")
    assert b'https://example.ng/t"' not in member(other, "word/_rels/document.xml.rels")


_MARKDOWN_ALPHABET = "ab *_~`[]()<>&#-+>!\\\n\t1.:/\"'=é"
_MARKDOWN_PIECES = (
    "**",
    "~~",
    "\n\n",
    "- ",
    "1. ",
    "# ",
    "> ",
    "```\n",
    "    ",
    "[t](https://example.ng/a?b=1&c=2)",
    "<https://example.ng>",
    "<a@b.ng>",
    "<div>",
    "</w:t></w:r>",
    "&amp;",
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(st.text(_MARKDOWN_ALPHABET, max_size=8), st.sampled_from(_MARKDOWN_PIECES)), max_size=30
    )
)
def test_any_markdown_makes_a_well_formed_document_whose_links_resolve(pieces: list[str]) -> None:
    template = _ANY_MARKDOWN_TEMPLATE
    try:
        data = template.render({"c": "".join(pieces)})
    except RenderError as exc:
        failure = str(exc)
    else:
        failure = ""
    if failure:
        assert "http, https or mailto" in failure or "names no" in failure  # only a link may fail
        return
    for part in ("word/document.xml", "word/header1.xml"):
        root = part_xml(data, part)  # parses: nothing in a value can break the XML
        hyperlinks = list(root.iter(w("hyperlink")))
        rels = member(data, part.replace("word/", "word/_rels/") + ".rels").decode() if hyperlinks else ""
        for link in hyperlinks:
            assert f'Id="{link.get(f"{{{R}}}id")}"' in rels
        for paragraph in root.iter(w("p")):
            assert paragraph.find(f".//{w('p')}") is None  # no paragraph inside a paragraph
    if b"numId" in member(data, "word/document.xml"):
        etree.fromstring(member(data, "word/numbering.xml"))


_ANY_MARKDOWN_TEMPLATE = Template.open(
    make_docx(para("<<c|markdown>>") + para("after"), headers={"header1.xml": para("<<c|markdown>>")})
)
