"""Placeholders anywhere in the package: document properties, data-bound content controls, comments,
charts; and the parts nothing fills, which are warned about."""

from __future__ import annotations

import re
import zipfile
from io import BytesIO

import pytest
from lxml import etree

from conftest import CORPUS
from docx_factory import (
    APP_TYPE,
    CHART_TYPE,
    CORE_TYPE,
    CUSTOM_TYPE,
    REL,
    add_parts,
    make_docx,
    member,
    p,
    para,
    paragraphs,
    r,
)
from mytypist_cli import MissingFieldsError, Template, TemplateSyntaxError

DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
CP = "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
DC = "http://purl.org/dc/elements/1.1/"
VT = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
CORE = (
    f'{DECL}<cp:coreProperties xmlns:cp="{CP}" xmlns:dc="{DC}" xmlns:dcterms="http://purl.org/dc/terms/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
    "<dc:title>Offer for &lt;&lt;full_name&gt;&gt;</dc:title><dc:subject>&lt;&lt;position|upper&gt;&gt;</dc:subject>"
    "<cp:keywords>&lt;&lt;ref&gt;&gt;, offer</cp:keywords><dc:description>&lt;&lt;note&gt;&gt;</dc:description>"
    '<dc:creator>HR</dc:creator><dcterms:created xsi:type="dcterms:W3CDTF">2025-01-01T00:00:00Z</dcterms:created>'
    "</cp:coreProperties>"
)
APP = (
    f'{DECL}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
    f'xmlns:vt="{VT}"><Company>&lt;&lt;company&gt;&gt;</Company><Pages>1</Pages></Properties>'
)
CUSTOM = (
    f'{DECL}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
    f'xmlns:vt="{VT}"><property fmtid="{{D5CDD505-2E9C-101B-9397-08002B2CF9AE}}" pid="2" name="Client">'
    "<vt:lpwstr>&lt;&lt;full_name&gt;&gt;</vt:lpwstr></property></Properties>"
)
PROPS = {"docProps/core.xml": CORE, "docProps/app.xml": APP, "docProps/custom.xml": CUSTOM}
PROP_TYPES = {
    "docProps/core.xml": CORE_TYPE,
    "docProps/app.xml": APP_TYPE,
    "docProps/custom.xml": CUSTOM_TYPE,
}
PACKAGE_RELS = {
    "": [
        (
            "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties",
            "docProps/core.xml",
        ),
        (f"{REL}/extended-properties", "docProps/app.xml"),
        (f"{REL}/custom-properties", "docProps/custom.xml"),
    ]
}
VALUES = {
    "full_name": "Ada & <Obi>",
    "position": "engineer",
    "ref": "R-1",
    "note": "two\nlines\tand a tab",
    "company": "Obi Ltd",
}


def with_properties(body: str = "", **parts: str) -> bytes:
    chosen = {**PROPS, **{name.replace("_", "/", 1) + ".xml": xml for name, xml in parts.items()}}
    return add_parts(
        make_docx(body or para("Dear <<full_name>>")), chosen, types=PROP_TYPES, rels=PACKAGE_RELS
    )


def texts(xml: bytes) -> dict[str, str]:
    root = etree.fromstring(xml)
    return {etree.QName(el).localname: el.text or "" for el in root.iter() if len(el) == 0}


# -- document properties ----------------------------------------------------------------------


def test_document_properties_are_filled_as_plain_escaped_text() -> None:
    template = Template.open(with_properties())
    out = template.render(VALUES)
    core = texts(member(out, "docProps/core.xml"))
    assert core["title"] == "Offer for Ada & <Obi>"
    assert core["subject"] == "ENGINEER"
    assert core["keywords"] == "R-1, offer"
    assert core["description"] == "two\nlines\tand a tab"  # plain text: no Word breaks or tabs
    assert (core["creator"], core["created"]) == ("HR", "2025-01-01T00:00:00Z")
    assert b"Ada &amp; &lt;Obi&gt;" in member(out, "docProps/core.xml")
    assert b"<w:" not in member(out, "docProps/core.xml")
    assert texts(member(out, "docProps/app.xml"))["Company"] == "Obi Ltd"
    assert texts(member(out, "docProps/custom.xml"))["lpwstr"] == "Ada & <Obi>"
    assert paragraphs(out) == ["Dear Ada & <Obi>"]


def test_document_properties_are_listed_with_their_parts() -> None:
    template = Template.open(with_properties())
    listed = {ph.name: (ph.count, ph.parts, ph.filters) for ph in template.placeholders}
    assert listed == {
        "full_name": (3, ("word/document.xml", "docProps/core.xml", "docProps/custom.xml"), ()),
        "position": (1, ("docProps/core.xml",), ("upper",)),
        "ref": (1, ("docProps/core.xml",), ()),
        "note": (1, ("docProps/core.xml",), ()),
        "company": (1, ("docProps/app.xml",), ()),
    }
    assert template.warnings == ()


def test_document_properties_need_their_values_like_the_body() -> None:
    template = Template.open(with_properties())
    with pytest.raises(MissingFieldsError, match="company"):
        template.render({"full_name": "Ada", "position": "x", "ref": "1", "note": ""})
    assert template.missing_from(["full_name"]) == ("position", "ref", "note", "company")
    kept = template.render({}, missing="keep")
    assert member(kept, "docProps/core.xml").count(b"&lt;&lt;") == 4
    assert texts(member(kept, "docProps/core.xml"))["subject"] == "<<position|upper>>"
    blank = template.render({}, missing="blank")
    assert texts(member(blank, "docProps/core.xml"))["title"] == "Offer for "


def test_a_bad_filter_in_a_property_names_the_part() -> None:
    core = CORE.replace("position|upper", "position|shout")
    with pytest.raises(
        TemplateSyntaxError, match=r"<<position\|shout>> in docProps/core.xml: unknown filter"
    ):
        Template.open(with_properties(docProps_core=core))


def test_properties_without_placeholders_are_copied_byte_for_byte() -> None:
    plain_core = re.sub(r"&lt;&lt;.*?&gt;&gt;", "x", CORE)
    docx = with_properties(docProps_core=plain_core)
    out = Template.open(docx).render(VALUES, missing="blank")
    assert member(out, "docProps/core.xml") == member(docx, "docProps/core.xml")


def test_sections_in_properties_are_left_as_written_and_warned_about() -> None:
    core = CORE.replace("&lt;&lt;ref&gt;&gt;", "&lt;&lt;#items&gt;&gt;x&lt;&lt;/items&gt;&gt;")
    template = Template.open(with_properties(docProps_core=core))
    assert "items" not in template.names
    assert [str(w) for w in template.warnings] == [
        "<<#items>> in docProps/core.xml is not filled: lists, conditions and pictures work in the "
        "document's text",
        "<</items>> in docProps/core.xml is not filled: lists, conditions and pictures work in the "
        "document's text",
    ]
    out = template.render(VALUES, missing="blank")
    assert texts(member(out, "docProps/core.xml"))["keywords"] == "<<#items>>x<</items>>, offer"


# -- data-bound content controls -----------------------------------------------------------------

CORE_STORE = "{6C3C8BC8-F283-45AE-878A-BAB7291924A1}"
CORE_PREFIXES = f"xmlns:ns0='{DC}' xmlns:ns1='{CP}' "
COVER = "http://schemas.microsoft.com/office/2006/coverPageProps"
COVER_STORE = "{55AF091B-3C7A-41E3-B477-F2FDAA23CFDA}"


def bound(text: str, store: str = CORE_STORE, xpath: str = "/ns1:coreProperties[1]/ns0:title[1]") -> str:
    prefixes = CORE_PREFIXES if store == CORE_STORE else f"xmlns:ns0='{COVER}' "
    return p(
        '<w:sdt><w:sdtPr><w:alias w:val="Title"/>'
        f'<w:dataBinding w:prefixMappings="{prefixes}" w:xpath="{xpath}" w:storeItemID="{store}"/>'
        f"<w:text/></w:sdtPr><w:sdtContent>{r(text)}</w:sdtContent></w:sdt>"
    )


def bindings(docx: bytes) -> list[str]:
    return re.findall(r'w:xpath="([^"]*)"', member(docx, "word/document.xml").decode())


def test_a_control_bound_to_the_title_shows_the_same_value_as_the_title() -> None:
    body = bound("Offer for <<full_name>>") + para("Dear <<full_name>>")
    out = Template.open(with_properties(body)).render(VALUES)
    assert paragraphs(out) == ["Offer for Ada & <Obi>", "Dear Ada & <Obi>"]
    assert texts(member(out, "docProps/core.xml"))["title"] == "Offer for Ada & <Obi>"
    assert bindings(out) == ["/ns1:coreProperties[1]/ns0:title[1]"]  # kept: Word shows the filled title


def test_a_bound_control_whose_node_says_something_else_loses_its_binding() -> None:
    # The title holds other text: Word would put it in the control when the file opens.
    core = CORE.replace("Offer for &lt;&lt;full_name&gt;&gt;", "Draft")
    out = Template.open(with_properties(bound("<<full_name>>"), docProps_core=core)).render(VALUES)
    assert paragraphs(out) == ["Ada & <Obi>"]
    assert bindings(out) == []
    assert b"<w:alias" in member(out, "word/document.xml")  # the control itself stays


@pytest.mark.parametrize(
    ("store", "xpath"),
    [
        ("{00000000-0000-0000-0000-000000000000}", "/ns1:coreProperties[1]/ns0:title[1]"),  # no such part
        (CORE_STORE, "/ns1:coreProperties[1]/ns0:nothing[1]"),  # no such node
        (CORE_STORE, "//ns0:title[count(//*) > 0]"),  # not a path Word writes: never evaluated
        (CORE_STORE, "/ns9:coreProperties[1]"),  # an unknown prefix
    ],
)
def test_a_binding_that_leads_nowhere_is_dropped_from_a_filled_control(store: str, xpath: str) -> None:
    out = Template.open(with_properties(bound("Offer for <<full_name>>", store, xpath))).render(VALUES)
    assert paragraphs(out) == ["Offer for Ada & <Obi>"]
    assert bindings(out) == []


def test_a_bound_control_without_placeholders_keeps_its_binding() -> None:
    docx = with_properties(bound("Offer for <<full_name>>") + bound("Plain title"))
    out = Template.open(docx).render(VALUES)
    assert len(bindings(out)) == 2


def test_a_bound_control_inside_a_list_loses_its_binding() -> None:
    body = para("<<#items>>") + bound("<<full_name>>") + para("<</items>>")
    core = CORE.replace("Offer for &lt;&lt;full_name&gt;&gt;", "&lt;&lt;full_name&gt;&gt;")
    out = Template.open(with_properties(body, docProps_core=core)).render(
        {**VALUES, "items": [{"full_name": "One"}, {"full_name": "Two"}]}
    )
    assert paragraphs(out) == ["One", "Two"]
    assert bindings(out) == []  # each copy shows its own item; the title cannot show both


def cover_page(body: str, item: str) -> bytes:
    docx = with_properties(body)
    props = (
        f'{DECL}<ds:datastoreItem ds:itemID="{COVER_STORE}" '
        'xmlns:ds="http://schemas.openxmlformats.org/officeDocument/2006/customXml">'
        f'<ds:schemaRefs><ds:schemaRef ds:uri="{COVER}"/></ds:schemaRefs></ds:datastoreItem>'
    )
    return add_parts(
        docx,
        {"customXml/item1.xml": item, "customXml/itemProps1.xml": props},
        types={
            "customXml/itemProps1.xml": "application/vnd.openxmlformats-officedocument.customXmlProperties+xml"
        },
        rels={
            "customXml/item1.xml": [(f"{REL}/customXmlProps", "itemProps1.xml")],
            "word/document.xml": [(f"{REL}/customXml", "../customXml/item1.xml")],
        },
    )


COVER_ITEM = (
    f'<?xml version="1.0"?>\n<CoverPageProperties xmlns="{COVER}"><PublishDate>&lt;&lt;date&gt;&gt;</PublishDate>'
    "<Abstract/></CoverPageProperties>"
)


def test_a_cover_page_control_and_its_custom_xml_part_are_filled_alike() -> None:
    body = bound("<<date>>", COVER_STORE, "/ns0:CoverPageProperties[1]/ns0:PublishDate[1]") + para(
        "<<full_name>>"
    )
    template = Template.open(cover_page(body, COVER_ITEM))
    date = next(ph for ph in template.placeholders if ph.name == "date")
    assert date.parts == ("word/document.xml", "customXml/item1.xml")
    out = template.render({**VALUES, "date": "22 September 2025"})
    assert paragraphs(out)[0] == "22 September 2025"
    assert texts(member(out, "customXml/item1.xml"))["PublishDate"] == "22 September 2025"
    assert bindings(out) == ["/ns0:CoverPageProperties[1]/ns0:PublishDate[1]"]


def test_a_custom_xml_part_no_control_is_bound_to_is_warned_about_not_filled() -> None:
    body = para("<<full_name>>")
    item = COVER_ITEM.replace("<Abstract/>", "<Abstract>{6C3C8BC8-F283-45AE-878A-BAB7291924A1}</Abstract>")
    docx = add_parts(with_properties(body), {"customXml/item1.xml": item})
    template = Template.open(docx)
    assert "date" not in template.names
    assert [str(w) for w in template.warnings] == ["<<date>> in customXml/item1.xml is not filled"]
    # A {GUID} is an identifier, not a placeholder, even with { } as delimiters.
    assert (
        Template.open(
            add_parts(make_docx(para("{x}")), {"customXml/item1.xml": item}), delimiters="{ }"
        ).warnings
        == ()
    )


# -- comments and charts ---------------------------------------------------------------------------


def test_placeholders_in_comments_are_filled() -> None:
    comment = (
        '<w:comment w:id="0" w:author="HR">'
        + p(r("Check "), r("<<full"), r("_name>>", "<w:b/>"))
        + "</w:comment>"
    )
    docx = make_docx(para("Body <<ref>>"), comments=comment)
    template = Template.open(docx)
    assert [(ph.name, ph.parts) for ph in template.placeholders] == [
        ("ref", ("word/document.xml",)),
        ("full_name", ("word/comments.xml",)),
    ]
    out = template.render(VALUES)
    assert paragraphs(out, "word/comments.xml") == ["Check Ada & <Obi>"]


def test_a_bad_filter_in_a_comment_says_it_is_in_a_comment() -> None:
    comment = '<w:comment w:id="0" w:author="HR">' + para("<<x|shout>>") + "</w:comment>"
    with pytest.raises(TemplateSyntaxError, match=r"word/comments.xml \(comment\), paragraph 1"):
        Template.open(make_docx(para("x"), comments=comment))


A = "http://schemas.openxmlformats.org/drawingml/2006/main"
CHART = (
    f'{DECL}<c:chartSpace xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" xmlns:a="{A}">'
    "<c:chart><c:title><c:tx><c:rich><a:bodyPr/><a:p><a:r><a:t>Sales in &lt;&lt;</a:t></a:r>"
    '<a:r><a:rPr b="1"/><a:t>region&gt;&gt; for &lt;&lt;year&gt;&gt;</a:t></a:r></a:p></c:rich></c:tx></c:title>'
    '<c:plotArea><c:barChart><c:ser><c:tx><c:strRef><c:f>Sheet1!$B$1</c:f><c:strCache><c:ptCount val="1"/>'
    '<c:pt idx="0"><c:v>&lt;&lt;year&gt;&gt;</c:v></c:pt></c:strCache></c:strRef></c:tx>'
    '<c:cat><c:strRef><c:f>Sheet1!$A$2:$A$3</c:f><c:strCache><c:ptCount val="2"/>'
    '<c:pt idx="0"><c:v>&lt;&lt;first_label&gt;&gt;</c:v></c:pt><c:pt idx="1"><c:v>North</c:v></c:pt>'
    "</c:strCache></c:strRef></c:cat></c:ser></c:barChart>"
    "<c:valAx><c:title><c:tx><c:rich><a:bodyPr/><a:p><a:r><a:t>&lt;&lt;unit&gt;&gt;</a:t></a:r></a:p>"
    "</c:rich></c:tx></c:title></c:valAx></c:plotArea></c:chart></c:chartSpace>"
)


def chart_docx(chart: str = CHART) -> bytes:
    return add_parts(
        make_docx(para("See the chart")),
        {"word/charts/chart1.xml": chart},
        types={"word/charts/chart1.xml": CHART_TYPE},
        rels={"word/document.xml": [(f"{REL}/chart", "charts/chart1.xml")]},
    )


def test_chart_titles_axis_titles_and_cached_labels_are_filled() -> None:
    template = Template.open(chart_docx())
    assert [(ph.name, ph.count, ph.parts) for ph in template.placeholders] == [
        ("region", 1, ("word/charts/chart1.xml",)),
        ("year", 2, ("word/charts/chart1.xml",)),
        ("first_label", 1, ("word/charts/chart1.xml",)),
        ("unit", 1, ("word/charts/chart1.xml",)),
    ]
    out = template.render({"region": "Lagos & Abuja", "year": 2025, "first_label": "South", "unit": "₦m"})
    root = etree.fromstring(member(out, "word/charts/chart1.xml"))
    a_texts = [el.text for el in root.iter(f"{{{A}}}t")]
    assert a_texts == ["Sales in Lagos & Abuja", " for 2025", "₦m"]  # the value takes its first run's place
    values = [el.text for el in root.iter("{http://schemas.openxmlformats.org/drawingml/2006/chart}v")]
    assert values == ["2025", "South", "North"]
    assert b"xml:space" not in member(out, "word/charts/chart1.xml")  # not a DrawingML attribute


# -- parts nothing fills -----------------------------------------------------------------------------


def test_a_placeholder_in_a_diagram_is_warned_about_never_passed_over() -> None:
    data = (
        f'{DECL}<dgm:dataModel xmlns:dgm="http://schemas.openxmlformats.org/drawingml/2006/diagram" xmlns:a="{A}">'
        '<dgm:ptLst><dgm:pt modelId="{6C3C8BC8-F283-45AE-878A-BAB7291924A1}"><dgm:t><a:bodyPr/>'
        "<a:p><a:r><a:t>&lt;&lt;st</a:t></a:r><a:r><a:t>ep&gt;&gt; then &lt;&lt;step&gt;&gt;</a:t></a:r></a:p>"
        "</dgm:t></dgm:pt></dgm:ptLst></dgm:dataModel>"
    )
    docx = add_parts(make_docx(para("<<x>>")), {"word/diagrams/data1.xml": data})
    template = Template.open(docx)
    assert template.names == ("x",)
    assert [str(w) for w in template.warnings] == ["<<step>> in word/diagrams/data1.xml is not filled"]
    assert member(template.render({"x": 1}), "word/diagrams/data1.xml") == data.encode()


CORPUS_REAL = CORPUS / "real"
needs_corpus = pytest.mark.skipif(not CORPUS_REAL.is_dir(), reason=f"the shared corpus is not at {CORPUS}")


def corpus_member(docx: bytes, name: str) -> str:
    with zipfile.ZipFile(BytesIO(docx)) as archive:
        return archive.read(name).decode()


@needs_corpus
def test_docxtpl_document_properties_template() -> None:
    # A title quick part (a control bound to the core title) showing {{ test }}, and the title itself.
    template = Template.open(CORPUS_REAL / "python-docx-template/doc_properties_tpl.docx", delimiters="{{ }}")
    (test,) = template.placeholders
    assert "docProps/core.xml" in test.parts
    out = template.render({"test": "Filled & done"})
    assert texts(member(out, "docProps/core.xml"))["title"] == "Filled & done"
    body = paragraphs(out)
    assert body[0] == "Filled & done"
    assert "{{" not in corpus_member(out, "docProps/core.xml")
    assert 'w:storeItemID="{6C3C8BC8-F283-45AE-878A-BAB7291924A1}"' in corpus_member(out, "word/document.xml")


@needs_corpus
def test_docxtemplater_cover_page_data() -> None:
    template = Template.open(CORPUS_REAL / "docxtemplater/cover-page-data.docx", delimiters="{ }")
    assert template.placeholders[0].parts == ("word/footer1.xml", "customXml/item1.xml")
    out = template.render({"TODAY": "2 December 2026"})
    assert texts(member(out, "customXml/item1.xml"))["PublishDate"] == "2 December 2026"
    footer = corpus_member(out, "word/footer1.xml")
    assert "{TODAY}" not in footer
    assert footer.count("2 December 2026") == 2  # the control and its mc:Fallback copy
    assert footer.count("w:dataBinding") == 2


@needs_corpus
def test_docxtemplater_tag_docprops_in_doc() -> None:
    template = Template.open(CORPUS_REAL / "docxtemplater/tag-docprops-in-doc.docx", delimiters="{ }")
    values = {
        "first_name": "Hipp",
        "last_name": "Edgar",
        "phone": "0652455478",
        "description": "New",
        "email": "e@x",
    }
    out = template.render(values)
    assert texts(member(out, "docProps/core.xml"))["title"] == "Hipp Edgar"
    assert texts(member(out, "docProps/custom.xml"))["lpwstr"] == "e@x"


@needs_corpus
def test_easy_template_x_chart_titles() -> None:
    template = Template.open(CORPUS_REAL / "easy-template-x/chart - pie.docx", delimiters="{ }")
    assert template.names == ("MyChart",)
    out = template.render({"MyChart": "2025"})
    assert "Pie Chart Title 2025" in corpus_member(out, "word/charts/chart1.xml")


@needs_corpus
def test_poi_stress_file_comments() -> None:
    template = Template.open(CORPUS_REAL / "apache-poi/stress010.docx")
    assert {ph.parts for ph in template.placeholders} == {("word/comments.xml",)}
    out = template.render(dict.fromkeys(template.names, "V"))
    assert "&lt;&lt;" not in corpus_member(out, "word/comments.xml")
