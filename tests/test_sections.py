"""Sections: repeated rows, paragraphs and text; conditions; nesting; tag errors at open time."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from conftest import CORPUS
from docx_factory import make_docx, p, para, paragraphs, part_xml, r
from mytypist_cli import MissingFieldsError, Template, TemplateSyntaxError

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def row(*cells: str) -> str:
    return "<w:tr>" + "".join(f"<w:tc>{cell}</w:tc>" for cell in cells) + "</w:tr>"


def table(*rows: str) -> str:
    return "<w:tbl>" + "".join(rows) + "</w:tbl>"


ITEMS = {
    "client_name": "Ada",
    "items": [{"description": "Rice", "qty": 2}, {"description": "Beans", "qty": 5}],
}


def test_paragraphs_between_lone_tags_repeat_and_the_tag_paragraphs_vanish() -> None:
    body = para("Dear <<client_name>>") + para("<<#items>>") + para("<<description>> for <<client_name>>")
    body += para("<</items>>") + para("Thanks")
    out = Template.open(make_docx(body)).render(ITEMS)
    assert paragraphs(out) == ["Dear Ada", "Rice for Ada", "Beans for Ada", "Thanks"]


def test_empty_list_removes_the_paragraphs_and_leaves_no_blank_line() -> None:
    body = para("Before") + para("<<#items>>") + para("<<description>>") + para("<</items>>") + para("After")
    template = Template.open(make_docx(body))
    assert paragraphs(template.render({"items": []})) == ["Before", "After"]
    assert paragraphs(template.render({}, missing="blank")) == ["Before", "After"]


def test_table_row_repeats_with_tags_in_different_cells() -> None:
    body = table(
        row(para("Item"), para("Qty")),
        row(para("<<#items>><<description>>"), para("<<qty>><</items>>")),
        row(para("Total"), para("<<total>>")),
    ) + para("")
    out = Template.open(make_docx(body)).render({**ITEMS, "total": 7})
    root = part_xml(out)
    rows = ["|".join(paragraphs_text(cell) for cell in tr.iter(f"{W}tc")) for tr in root.iter(f"{W}tr")]
    assert rows == ["Item|Qty", "Rice|2", "Beans|5", "Total|7"]


def test_several_rows_repeat_together() -> None:
    body = table(
        row(para("<<#items>>Item:"), para("<<description>>")),
        row(para("Qty:"), para("<<qty>><</items>>")),
    ) + para("")
    out = Template.open(make_docx(body)).render(ITEMS)
    assert [t for t in paragraphs(out) if t] == ["Item:", "Rice", "Qty:", "2", "Item:", "Beans", "Qty:", "5"]


def paragraphs_text(element: etree._Element) -> str:
    return "".join(t.text or "" for t in element.iter(f"{W}t"))


def test_inline_section_repeats_text_and_keeps_each_runs_formatting() -> None:
    body = p(r("Items: "), r("<<#xs>>"), r("<<.>>", "<w:b/>"), r("; "), r("<</xs>>"), r("end."))
    out = Template.open(make_docx(body)).render({"xs": ["a", "b", "c"]})
    assert paragraphs(out) == ["Items: a; b; c; end."]
    bold = [t.text for t in part_xml(out).iter(f"{W}t") if t.getparent().find(f"{W}rPr/{W}b") is not None]
    assert bold == ["a", "b", "c"]


def test_inline_section_inside_one_run() -> None:
    out = Template.open(make_docx(para("Pay <<#due>>now<</due>>!"))).render({"due": True})
    assert paragraphs(out) == ["Pay now!"]


def test_nested_sections_resolve_names_in_the_item_then_outside() -> None:
    body = para("<<#orders>>") + para("Order <<id>> for <<client_name>>") + para("<<#lines>>")
    body += para("<<sku>> x<<qty>> (order <<id>>)") + para("<</lines>>") + para("<</orders>>")
    data = {
        "client_name": "Ada",
        "orders": [
            {"id": 1, "lines": [{"sku": "A", "qty": 2}]},
            {"id": 2, "lines": [{"sku": "B", "qty": 1}]},
        ],
    }
    assert paragraphs(Template.open(make_docx(body)).render(data)) == [
        "Order 1 for Ada",
        "A x2 (order 1)",
        "Order 2 for Ada",
        "B x1 (order 2)",
    ]


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (True, True),
        ("yes", True),
        ("x", True),
        (1, True),
        ([1], True),
        ({"a": 1}, True),
        (False, False),
        (None, False),
        ("", False),
        ("false", False),
        ("FALSE", False),
        ("No", False),
        ("0", False),
        (0, False),
        ([], False),
        ({}, False),
        ("  no ", False),
    ],
)
def test_conditions_on_every_falsy_form(value: object, shown: bool) -> None:
    body = (
        para("<<?vip>>")
        + para("Bonus")
        + para("<</vip>>")
        + para("<<^vip>>")
        + para("Standard")
        + para("<</vip>>")
    )
    out = Template.open(make_docx(body)).render({"vip": value})
    assert paragraphs(out) == (["Bonus"] if shown else ["Standard"])


def test_condition_on_a_missing_name_is_not_a_missing_field() -> None:
    template = Template.open(make_docx(para("<<?vip>>VIP <<bonus>><</vip>>Hello")))
    filled = template.fill({})
    assert paragraphs(filled.data) == ["Hello"]
    assert filled.missing == ()


def test_missing_names_inside_rendered_sections_are_reported() -> None:
    template = Template.open(
        make_docx(para("<<#items>>") + para("<<description>> <<price>>") + para("<</items>>"))
    )
    with pytest.raises(MissingFieldsError) as caught:
        template.render(ITEMS)
    assert caught.value.names == ("price",)
    filled = template.fill(ITEMS, missing="blank")
    assert filled.missing == ("price",)
    assert paragraphs(filled.data) == ["Rice ", "Beans "]


def test_extract_reports_kinds_and_fields() -> None:
    body = para("<<client_name>>") + para("<<?vip>>") + para("<<bonus>>") + para("<</vip>>")
    body += table(row(para("<<#items>><<description>>"), para("<<qty>> <<price|money>><</items>>"))) + para(
        ""
    )
    template = Template.open(make_docx(body))
    summary = [(ph.name, ph.kind, [f.name for f in ph.fields]) for ph in template.placeholders]
    assert summary == [
        ("client_name", "value", []),
        ("vip", "condition", []),
        ("bonus", "value", []),
        ("items", "list", ["description", "qty", "price"]),
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (para("<<#items>>") + para("x"), r"<<#items>> at word/document.xml, paragraph 1 .* is never closed"),
        (para("x") + para("<</items>>"), r"<</items>> at word/document.xml, paragraph 2 .* never opened"),
        (
            para("<<#a>>") + para("<<#b>>") + para("<</a>>") + para("<</b>>"),
            r"<</a>> at .*paragraph 3.* does not close <<#b>> at .*paragraph 2",
        ),
        (para("<<#a>>") + para("x") + para("<</b>>"), r"<</b>> .* does not close <<#a>>"),
        (
            para("<<#a>> and text") + "<w:sdt><w:sdtContent>" + para("<</a>>") + "</w:sdtContent></w:sdt>",
            r"put both in one paragraph, in paragraphs side by side",
        ),
        (para("<<#a|upper>>") + para("<</a>>"), r"sections take no filters"),
        (para("<<.>>"), r"<<\.>> .* not inside"),
    ],
)
def test_tag_errors_fail_at_open_naming_both_tags_and_where(body: str, message: str) -> None:
    with pytest.raises(TemplateSyntaxError, match=message):
        Template.open(make_docx(body))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (para("{#loop}") + para("x"), r"\{#loop\} at .* is never closed \(add \{/loop\}\)$"),
        (
            para("{#a}") + para("{#b}") + para("{/a}") + para("{/b}"),
            r"does not close \{#b\} .* \(close \{/b\} first",
        ),
        (para("{.}"), r"^\{\.\} in word/document.xml stands for the item"),
    ],
)
def test_tag_errors_speak_the_templates_delimiters(body: str, message: str) -> None:
    with pytest.raises(TemplateSyntaxError, match=message) as caught:
        Template.open(make_docx(body), delimiters="{ }")
    assert "<<" not in str(caught.value)


def test_tag_error_in_a_table_cell_says_so() -> None:
    body = table(row(para("<<#a>>"), para("x"))) + para("<</a>> trailing")
    with pytest.raises(TemplateSyntaxError, match="a table cell"):
        Template.open(make_docx(body))


def test_sections_in_headers_and_footers() -> None:
    docx = make_docx(
        para("body"), headers={"header1.xml": para("<<#names>>") + para("<<.>>") + para("<</names>>")}
    )
    out = Template.open(docx).render({"names": ["A", "B"]})
    assert paragraphs(out, "word/header1.xml") == ["A", "B"]


def test_repeated_pictures_get_unique_drawing_ids() -> None:
    drawing = '<w:r><w:drawing><wp:inline><wp:docPr id="7" name="Logo"/></wp:inline></w:drawing></w:r>'
    body = p(r("Header ")) + para("<<#items>>") + p(r("<<description>> "), drawing) + para("<</items>>")
    body += p('<w:r><w:drawing><wp:inline><wp:docPr id="3" name="Other"/></wp:inline></w:drawing></w:r>')
    out = Template.open(make_docx(body)).render({"items": [{"description": "a"}] * 4})
    xml = zipfile.ZipFile(io.BytesIO(out)).read("word/document.xml")
    ids = re.findall(rb'<wp:docPr id="(\d+)"', xml)
    assert len(ids) == 5
    assert len(set(ids)) == 5


def test_a_cell_keeps_a_paragraph_when_its_section_paragraphs_go() -> None:
    body = table(row(para("<<#xs>>") + para("<</xs>>"), para("b"))) + para("")
    out = Template.open(make_docx(body)).render({"xs": []})
    for cell in part_xml(out).iter(f"{W}tc"):
        assert cell.find(f"{W}p") is not None


def test_output_of_sections_is_well_formed_and_deterministic() -> None:
    body = para("<<#items>>") + para("<<description>>") + para("<</items>>")
    template = Template.open(make_docx(body))
    first = template.render(ITEMS)
    assert first == template.render(ITEMS)
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        for name in archive.namelist():
            if name.endswith(".xml"):
                etree.fromstring(archive.read(name))


FORMATS = ["", "<w:b/>", "<w:i/>"]


@st.composite
def split_section(draw: st.DrawFn) -> tuple[str, int]:
    """An inline section paragraph with its text cut into runs at random, and a number of items."""
    text = "Total: <<#xs>>[<<.>>]<</xs>> end"
    cuts = sorted(draw(st.sets(st.integers(1, len(text) - 1), max_size=12)))
    pieces = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
    xml = p(*(r(piece, draw(st.sampled_from(FORMATS))) for piece in pieces))
    return xml, draw(st.integers(0, 6))


@settings(max_examples=80, deadline=None)
@given(split_section())
def test_a_section_with_n_items_renders_n_copies_whatever_the_run_splits(case: tuple[str, int]) -> None:
    xml, count = case
    out = Template.open(make_docx(xml)).render({"xs": list(range(count))})
    assert paragraphs(out) == ["Total: " + "".join(f"[{i}]" for i in range(count)) + " end"]


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 5), st.sampled_from(["", "<w:b/>"]))
def test_paragraph_sections_render_n_copies(count: int, fmt: str) -> None:
    body = p(r("<<#x", fmt), r("s>>")) + para("line <<.>>") + p(r("<</", fmt), r("xs>>"))
    out = Template.open(make_docx(body)).render({"xs": list(range(count))})
    assert paragraphs(out) == [f"line {i}" for i in range(count)]


def test_a_table_whose_every_row_repeats_goes_when_the_list_is_empty() -> None:
    body = (
        para("Before")
        + table(row(para("<<#items>><<description>>"), para("<<qty>><</items>>")))
        + para("After")
    )
    template = Template.open(make_docx(body))
    empty = part_xml(template.render({"items": []}))
    assert empty.find(f".//{W}tbl") is None
    assert paragraphs(template.render({"items": []})) == ["Before", "After"]
    full = part_xml(template.render(ITEMS))
    assert len(full.findall(f".//{W}tr")) == 2


def test_names_also_used_around_a_list_are_not_its_fields() -> None:
    body = para("For <<client_name>>") + para("<<#orders>>") + para("Order <<id>> for <<client_name>>")
    body += para("<<#lines>>") + para("<<sku>> (order <<id>>)") + para("<</lines>>") + para("<</orders>>")
    (client, orders) = Template.open(make_docx(body)).placeholders
    assert (client.name, orders.name) == ("client_name", "orders")
    assert [f.name for f in orders.fields] == ["id", "lines"]
    assert [f.name for f in orders.fields[1].fields] == ["sku"]


def test_a_list_nested_in_a_list_of_the_same_name_gives_its_fields_to_the_outer_one() -> None:
    template = Template.open(make_docx(para("<<#a>>[<<#a>><<c>><</a>>] <<d>><</a>>")))
    (a,) = template.placeholders
    assert (a.name, a.kind) == ("a", "list")
    assert [(f.name, f.kind, f.count) for f in a.fields] == [("c", "value", 1), ("d", "value", 1)]
    # The inner list is the outer one again (the items have no "a"): c is read from a's items.
    out = template.render({"a": [{"c": 1, "d": "x"}, {"c": 2, "d": "y"}]})
    assert paragraphs(out) == ["[12] x[12] y"]


def test_comment_anchors_and_bookmarks_in_a_repeated_stretch_appear_once() -> None:
    anchored = p(
        '<w:commentRangeStart w:id="0"/>',
        '<w:bookmarkStart w:id="5" w:name="line"/>',
        r("<<description>>"),
        '<w:bookmarkEnd w:id="5"/>',
        '<w:commentRangeEnd w:id="0"/>',
        '<w:r><w:commentReference w:id="0"/></w:r>',
    )
    comments = f'<w:comment w:id="0" w:author="a">{para("check this")}</w:comment>'
    body = para("<<#items>>") + anchored + para("<</items>>")
    out = Template.open(make_docx(body, comments=comments)).render(ITEMS)
    xml = zipfile.ZipFile(io.BytesIO(out)).read("word/document.xml")
    for element in (
        b"commentRangeStart",
        b"commentRangeEnd",
        b"commentReference",
        b"bookmarkStart",
        b"bookmarkEnd",
    ):
        assert xml.count(element) == 1, element
    assert paragraphs(out) == ["Rice", "Beans"]


# -- a list without a value is missing, like a value (issue 11) --------------------------

LIST_BODY = para("Dear <<client_name>>") + para("<<#items>>") + para("<<description>> x<<qty>>")
LIST_BODY += para("<</items>>") + para("Thanks")


@pytest.mark.parametrize("values", [{"client_name": "Ada"}, {"client_name": "Ada", "items": None}])
def test_a_list_without_a_value_is_missing_by_its_name(values: dict[str, object]) -> None:
    template = Template.open(make_docx(LIST_BODY))
    with pytest.raises(MissingFieldsError) as caught:
        template.fill(values)
    assert caught.value.names == ("items",)
    assert str(caught.value) == "missing value for items"


def test_a_list_spelt_otherwise_in_the_data_is_missing() -> None:
    template = Template.open(make_docx(LIST_BODY))
    with pytest.raises(MissingFieldsError) as caught:
        template.fill({"client_name": "Ada", "Items": ITEMS["items"]})
    assert caught.value.names == ("items",)


def test_an_empty_list_is_a_list_not_a_missing_one() -> None:
    filled = Template.open(make_docx(LIST_BODY)).fill({"client_name": "Ada", "items": []})
    assert paragraphs(filled.data) == ["Dear Ada", "Thanks"]
    assert filled.missing == ()


def test_blank_leaves_a_missing_list_empty_and_reports_it() -> None:
    filled = Template.open(make_docx(LIST_BODY)).fill({"client_name": "Ada"}, missing="blank")
    assert paragraphs(filled.data) == ["Dear Ada", "Thanks"]
    assert filled.missing == ("items",)


def test_keep_shows_a_missing_lists_content_once_with_its_placeholders_as_written() -> None:
    body = LIST_BODY + para("<<#notes>><<.>>; <</notes>>end")
    filled = Template.open(make_docx(body)).fill({"client_name": "Ada"}, missing="keep")
    assert paragraphs(filled.data) == ["Dear Ada", "<<description>> x<<qty>>", "Thanks", "<<.>>; end"]
    assert filled.missing == ("items", "notes")


def test_a_missing_list_inside_an_item_is_missing_and_a_hidden_one_is_not() -> None:
    body = para("<<#orders>>") + para("Order <<id>>") + para("<<#lines>>") + para("<<sku>>")
    body += para("<</lines>>") + para("<</orders>>") + para("<<?vip>><<#gifts>><<.>><</gifts>><</vip>>")
    template = Template.open(make_docx(body))
    with pytest.raises(MissingFieldsError) as caught:
        template.fill({"orders": [{"id": 1, "lines": [{"sku": "A"}]}, {"id": 2}]})
    assert caught.value.names == ("lines",)
    filled = template.fill({"orders": [{"id": 1, "lines": []}]})
    assert paragraphs(filled.data) == ["Order 1", ""]
    assert filled.missing == ()


# -- sections whose tags share their paragraphs: the paragraphs split at the tags -------------------

DRAWING = '<w:r><w:drawing><wp:inline><wp:docPr id="4" name="Seal"/></wp:inline></w:drawing></w:r>'


def drawings(docx: bytes) -> int:
    return len(part_xml(docx).findall(f".//{W}drawing"))


def test_a_condition_opened_before_a_picture_and_closed_after_text_shows_or_hides_what_lies_between() -> None:
    body = para("Before") + p(r("<<?sealed>>"), DRAWING) + para("Sealed by the registrar")
    body += para("on <<date>>.<</sealed>>") + para("After")
    template = Template.open(make_docx(body))
    shown = template.render({"sealed": True, "date": "22 May"})
    assert paragraphs(shown) == ["Before", "", "Sealed by the registrar", "on 22 May.", "After"]
    assert drawings(shown) == 1
    hidden = template.render({"sealed": False, "date": "22 May"})
    assert paragraphs(hidden) == ["Before", "After"]  # the emptied ends go: no blank lines
    assert drawings(hidden) == 0


def test_a_list_between_shared_paragraphs_repeats_and_the_text_outside_stays_once() -> None:
    body = para("Items: <<#items>><<description>>") + para("qty <<qty>>") + para("ok<</items>> Total")
    template = Template.open(make_docx(body))
    out = template.render(ITEMS)
    assert paragraphs(out) == ["Items: ", "Rice", "qty 2", "ok", "Beans", "qty 5", "ok", " Total"]
    assert paragraphs(template.render({"items": []})) == ["Items: ", " Total"]
    (items,) = template.placeholders
    assert [f.name for f in items.fields] == ["description", "qty"]


def test_each_part_of_a_split_paragraph_keeps_its_properties_and_runs() -> None:
    style = '<w:pPr><w:pStyle w:val="Quote"/></w:pPr>'
    body = p(r("Dear ", "<w:i/>"), r("<<?vip>>"), r("valued", "<w:b/>"), ppr=style) + para("<</vip>>")
    root = part_xml(Template.open(make_docx(body)).render({"vip": True}))
    styled = [el.get(f"{W}val") for el in root.iter(f"{W}pStyle")]
    assert styled == ["Quote", "Quote"]
    assert paragraphs(Template.open(make_docx(body)).render({"vip": True})) == ["Dear ", "valued"]
    assert root.find(f".//{W}b") is not None
    assert root.find(f".//{W}i") is not None


def test_only_the_first_part_keeps_words_paragraph_ids() -> None:
    w14 = "http://schemas.microsoft.com/office/word/2010/wordml"
    body = f'<w:p xmlns:w14="{w14}" w14:paraId="1A2B3C4D">{r("A <<?x>>B")}</w:p>' + para("C<</x>>")
    root = part_xml(Template.open(make_docx(body)).render({"x": True}))
    ids = [el.get(f"{{{w14}}}paraId") for el in root.iter(f"{W}p")]
    assert ids == ["1A2B3C4D", None, None]


def test_a_break_the_author_typed_before_a_closing_tag_is_kept() -> None:
    body = para("<<#items>><<description>>") + p(r("x"), "<w:r><w:br/></w:r>", r("<</items>>"))
    out = Template.open(make_docx(body)).render(ITEMS)
    assert paragraphs(out) == ["Rice", "x\n", "Beans", "x\n"]


def test_a_section_break_stays_outside_the_section() -> None:
    section = '<w:pPr><w:sectPr><w:pgSz w:w="11906" w:h="16838"/></w:sectPr></w:pPr>'
    body = para("<<?x>>shown") + p(r("end<</x>> of part one"), ppr=section) + para("Part two")
    template = Template.open(make_docx(body))
    for value, texts in (
        (True, ["shown", "end", " of part one", "Part two"]),
        (False, [" of part one", "Part two"]),
    ):
        root = part_xml(template.render({"x": value}))
        assert paragraphs(template.render({"x": value})) == texts
        assert len(root.findall(f".//{W}sectPr")) == 1
        holder = root.find(f".//{W}sectPr/../..")
        assert holder is not None
        assert paragraphs_text(holder) == " of part one"
    # The same break ending the paragraph that opens a section would fall inside it.
    body = p(r("Part one <<?x>> inside"), ppr=section) + para("<</x>>")
    with pytest.raises(TemplateSyntaxError, match="ends a page section"):
        Template.open(make_docx(body))
    # Nothing after the opening tag: the break stays on the part before it.
    body = p(r("Part one <<?x>>"), ppr=section) + para("inside") + para("<</x>>")
    out = Template.open(make_docx(body)).render({"x": False})
    assert paragraphs(out) == ["Part one "]
    assert len(part_xml(out).findall(f".//{W}sectPr")) == 1


@pytest.mark.parametrize(
    ("opening", "message"),
    [
        (
            p('<w:hyperlink r:id="rId9">' + r("go <<?x>>there") + "</w:hyperlink>"),
            "inside a hyperlink, content control or tracked change",
        ),
        (
            p(
                '<w:r><w:fldChar w:fldCharType="begin"/></w:r>',
                '<w:r><w:instrText xml:space="preserve"> PAGE </w:instrText></w:r>',
                '<w:r><w:fldChar w:fldCharType="separate"/></w:r>',
                r("1 <<?x>>"),
                '<w:r><w:fldChar w:fldCharType="end"/></w:r>',
            ),
            "inside a field",
        ),
    ],
)
def test_a_shared_tag_where_its_paragraph_cannot_be_cut_is_refused(opening: str, message: str) -> None:
    with pytest.raises(TemplateSyntaxError, match=message):
        Template.open(make_docx(opening + para("text <</x>>")))


def test_a_split_section_around_an_inline_one() -> None:
    body = para("<<#groups>>Group <<name>>") + para("<<#members>><<.>>, <</members>>end<</groups>>")
    out = Template.open(make_docx(body)).render(
        {"groups": [{"name": "A", "members": ["x", "y"]}, {"name": "B", "members": []}]}
    )
    assert paragraphs(out) == ["Group A", "x, y, end", "Group B", "end"]


def test_one_paragraph_closing_one_section_and_opening_the_next() -> None:
    body = para("<<?a>>A") + para("end of a<</a>> between <<#b>>b <<.>>") + para("<</b>>")
    template = Template.open(make_docx(body))
    assert paragraphs(template.render({"a": True, "b": [1, 2]})) == [
        "A",
        "end of a",
        " between ",
        "b 1",
        "b 2",
    ]
    assert paragraphs(template.render({"a": False, "b": []})) == [" between "]


PEERS = CORPUS / "real"
needs_corpus = pytest.mark.skipif(not PEERS.is_dir(), reason=f"the shared corpus is not at {CORPUS}")


@needs_corpus
@pytest.mark.parametrize(
    ("name", "values", "expected"),
    [
        (
            "docxtemplater/tag-product-loop.docx",
            {
                "products": [
                    {
                        "title": "T",
                        "name": "N",
                        "reference": "R",
                        "avantages": [{"title": "A", "proof": [{"reason": "why"}]}],
                    }
                ]
            },
            [
                "T",
                "Product name\xa0: N",
                "Product reference : R",
                "A",
                "Proof that it works nicely\xa0:",
                " It works because why",
                "\n",
            ],
        ),
        (
            "easy-template-x/loop - list.docx",
            {"loop1": [{"loop2": [{"prop": "a"}, {"prop": "b"}]}, {"loop2": [{"prop": "c"}]}]},
            ["Hi", "ab", "Hi", "c"],
        ),
    ],
)
def test_peer_templates_with_shared_section_paragraphs(
    name: str, values: dict[str, object], expected: list[str]
) -> None:
    out = Template.open(PEERS / name, delimiters="{ }").render(values)
    assert paragraphs(out) == expected


@needs_corpus
def test_docxtemplaters_paragraph_loops_template_opens_and_splits() -> None:
    template = Template.open(PEERS / "docxtemplater/paragraph-loops.docx", delimiters="{ }")
    shown = paragraphs(template.render({"condition": True, "l1": [], "placeholder": "P"}, missing="blank"))
    start = shown.index("Types of loops ")
    assert shown[start : start + 4] == ["Types of loops ", "Cond", "", "fwef"]
    hidden = paragraphs(template.render({"condition": False, "l1": [], "placeholder": "P"}, missing="blank"))
    assert "Cond" not in hidden
    assert "Types of loops " in hidden


@needs_corpus
def test_easy_template_x_real_life_hebrew_template() -> None:
    template = Template.open(PEERS / "easy-template-x/real life - he.docx", delimiters="{ }")
    student = {"שם התלמיד": "דנה", "קבוצות": [{"שם הקבוצה": "G", "שם המורה": "M", "הערכה מילולית": "טוב"}]}
    out = paragraphs(template.render({"תלמידים": [student, student]}))
    assert out[:5] == ["שם התלמיד/ה: דנה", "G בהנחיית: M", "טוב", "", "\n\n"]
    assert out.count("שם התלמיד/ה: דנה") == 2


def test_a_row_missing_a_value_and_a_list_is_told_about_both() -> None:
    template = Template.open(
        make_docx(para("Dear <<name>>") + para("<<#items>>") + para("<<.>>") + para("<</items>>"))
    )
    with pytest.raises(MissingFieldsError) as raised:
        template.fill({"Items": ["a"]})
    assert raised.value.names == ("name", "items")
