"""``<<url|link>>`` and ``<<url|link:"Pay now">>``: real hyperlinks with external relationships."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from typer.testing import CliRunner

from docx_factory import make_docx, member, p, para, part_xml, r, text_of
from mytypist_cli.cli.app import app
from mytypist_cli.engine.template import Template
from mytypist_cli.errors import MissingFieldsError, RenderError, TemplateSyntaxError
from rich_helpers import needs_libreoffice, to_pdf, with_styles

runner = CliRunner()
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
HYPERLINK = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"
URL = "https://pay.example.ng/invoice?no=INV-7&amp=1"


def links(docx: bytes, part: str = "word/document.xml") -> list[tuple[str, str, str | None]]:
    """(target, text, run style) of every w:hyperlink in ``part``, targets read from its .rels."""
    folder, name = part.rsplit("/", 1)
    rels = etree.fromstring(member(docx, f"{folder}/_rels/{name}.rels"))
    targets = {
        rel.get("Id"): (rel.get("Target"), rel.get("TargetMode"), rel.get("Type"))
        for rel in rels.iter(f"{{{RELS}}}Relationship")
    }
    found = []
    for link in part_xml(docx, part).iter(f"{{{W}}}hyperlink"):
        target, mode, kind = targets[link.get(f"{{{R}}}id")]
        assert (mode, kind) == ("External", HYPERLINK)
        style = link.find(f".//{{{W}}}rStyle")
        found.append(
            (target or "", "".join(link.itertext()), style.get(f"{{{W}}}val") if style is not None else None)
        )
    return found


def test_a_link_is_a_hyperlink_showing_the_url_in_the_hyperlink_style() -> None:
    template = Template.open(make_docx(para("Pay at <<url|link>> today")))
    data = template.render({"url": URL})
    assert links(data) == [(URL, URL, "Hyperlink")]
    assert text_of(data) == f"Pay at {URL} today"
    styles = member(data, "word/styles.xml")
    assert b'w:styleId="Hyperlink"' in styles
    assert b"word/styles.xml" in member(data, "[Content_Types].xml")


def test_a_label_shows_instead_of_the_url_and_mailto_shows_the_address() -> None:
    docx = make_docx(para('<<url|link:"Pay now">>') + para("Write to <<mail|link>>"))
    data = Template.open(docx).render({"url": URL, "mail": "mailto:accounts@example.ng"})
    assert links(data) == [
        (URL, "Pay now", "Hyperlink"),
        ("mailto:accounts@example.ng", "accounts@example.ng", "Hyperlink"),
    ]


def test_links_in_a_table_cell_a_header_and_a_footer_each_have_their_parts_relationship() -> None:
    cell = f"<w:tbl><w:tr><w:tc>{para('<<a|link>>')}</w:tc></w:tr></w:tbl>"
    docx = make_docx(
        cell + para("body"),
        headers={"header1.xml": para('<<b|link:"Home">>')},
        footers={"footer1.xml": para("<<c|link>>")},
    )
    data = Template.open(docx).render(
        {"a": "https://a.example.ng/", "b": "http://b.example.ng/", "c": "mailto:c@example.ng"}
    )
    assert links(data) == [("https://a.example.ng/", "https://a.example.ng/", "Hyperlink")]
    assert links(data, "word/header1.xml") == [("http://b.example.ng/", "Home", "Hyperlink")]
    assert links(data, "word/footer1.xml") == [("mailto:c@example.ng", "c@example.ng", "Hyperlink")]


def test_the_link_keeps_its_placeholders_font_but_not_its_colour() -> None:
    body = p(
        r("<<url|link>>", rpr='<w:rFonts w:ascii="Garamond"/><w:color w:val="FF0000"/><w:sz w:val="28"/>')
    )
    xml = member(Template.open(make_docx(body)).render({"url": URL}), "word/document.xml").decode()
    run = re.search(r"<w:hyperlink [^>]*>(.*?)</w:hyperlink>", xml)
    assert run is not None
    assert '<w:rStyle w:val="Hyperlink"/><w:rFonts w:ascii="Garamond"/><w:sz w:val="28"/>' in run.group(1)
    assert "FF0000" not in run.group(1)


def test_a_template_that_has_a_hyperlink_style_keeps_its_own() -> None:
    own = (
        '<w:style w:type="character" w:styleId="Lien"><w:name w:val="Hyperlink"/>'
        '<w:rPr><w:color w:val="00AA00"/></w:rPr></w:style>'
    )
    docx = with_styles(make_docx(para("<<url|link>>")), own)
    data = Template.open(docx).render({"url": URL})
    assert links(data) == [(URL, URL, "Lien")]
    assert member(data, "word/styles.xml").count(b"<w:style ") == 1


def test_the_same_url_twice_shares_one_relationship_and_items_each_get_theirs() -> None:
    docx = make_docx(para("<<#items>><<u|link>> <</items>>") + para("<<home|link>> <<home|link>>"))
    data = Template.open(docx).render(
        {"home": URL, "items": [{"u": "https://one.example.ng"}, {"u": "https://two.example.ng"}]}
    )
    assert [target for target, _, _ in links(data)] == [
        "https://one.example.ng",
        "https://two.example.ng",
        URL,
        URL,
    ]
    assert member(data, "word/_rels/document.xml.rels").count(b"TargetMode=") == 3


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "file:///etc/passwd",
        "ftp://example.ng/f",
        "www.example.ng",
        "https://",
        "data:x",
    ],
)
def test_other_schemes_fail_the_row_naming_the_field(url: str) -> None:
    template = Template.open(make_docx(para("<<pay|link>>")))
    with pytest.raises(RenderError, match=r"<<pay\|link>>: "):
        template.render({"pay": url})


def test_markup_in_a_url_or_label_cannot_inject_xml() -> None:
    url = 'https://example.ng/?q="/><Relationship/><x&y'
    docx = make_docx(para('<<u|link:"</w:t></w:r><w:r><w:t>x">>'))
    data = Template.open(docx).render({"u": url})
    assert links(data) == [(url, "</w:t></w:r><w:r><w:t>x", "Hyperlink")]


def test_a_missing_link_is_missing_and_keep_shows_the_placeholder() -> None:
    template = Template.open(make_docx(para("Pay: <<url|link>>")))
    with pytest.raises(MissingFieldsError, match="url"):
        template.render({})
    assert text_of(template.render({}, missing="keep")) == "Pay: <<url|link>>"
    blank = template.fill({"url": ""})
    assert blank.blank == ("url",)
    assert text_of(blank.data) == "Pay: "


def test_link_must_end_the_chain_and_a_default_may_come_before() -> None:
    with pytest.raises(TemplateSyntaxError, match="last filter"):
        Template.open(make_docx(para("<<url|link|upper>>")))
    template = Template.open(make_docx(para('<<url|default:"https://example.ng"|link>>')))
    assert links(template.render({})) == [("https://example.ng", "https://example.ng", "Hyperlink")]


def test_a_template_without_links_gets_no_styles_part() -> None:
    data = Template.open(make_docx(para("<<name>>"))).render({"name": "Ada"})
    with pytest.raises(KeyError):
        member(data, "word/styles.xml")


def test_a_document_without_a_rels_member_gets_one() -> None:
    docx = make_docx(para("<<url|link>>"))
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        kept = {n: archive.read(n) for n in archive.namelist() if n != "word/_rels/document.xml.rels"}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for name, value in kept.items():
            out.writestr(name, value)
    data = Template.open(buffer.getvalue()).render({"url": URL})
    assert links(data) == [(URL, URL, "Hyperlink")]
    assert b'Target="styles.xml"' in member(data, "word/_rels/document.xml.rels")


def test_a_header_whose_root_names_no_relationships_still_gets_working_links() -> None:
    # Word writes xmlns:r on every part; other tools may not. The link must declare it then.
    docx = make_docx(para("body"), headers={"header1.xml": para("<<url|link>> <<c|markdown>>")})
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        kept = {n: archive.read(n) for n in archive.namelist()}
    kept["word/header1.xml"] = kept["word/header1.xml"].replace(f' xmlns:r="{R}"'.encode(), b"")
    assert b"xmlns:r=" not in kept["word/header1.xml"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for name, value in kept.items():
            out.writestr(name, value)
    data = Template.open(buffer.getvalue()).render({"url": URL, "c": "see [terms](https://example.ng/t)"})
    assert links(data, "word/header1.xml") == [
        (URL, URL, "Hyperlink"),
        ("https://example.ng/t", "terms", "Hyperlink"),
    ]


def test_cli_a_bad_link_fails_its_row_and_the_others_are_written(tmp_path: Path) -> None:
    template = tmp_path / "pay.docx"
    template.write_bytes(make_docx(para("<<name>>: <<url|link>>")))
    rows = tmp_path / "rows.json"
    rows.write_text(
        json.dumps(
            [
                {"name": "a", "url": "https://example.ng/a"},
                {"name": "b", "url": "javascript:alert(1)"},
                {"name": "c", "url": "mailto:c@example.ng"},
            ]
        )
    )
    out = tmp_path / "o"
    result = runner.invoke(app, ["fill", str(template), str(rows), "--out-dir", str(out), "--jobs", "1"])
    assert result.exit_code == 1, result.output
    assert result.stdout.splitlines() == [str(out / "pay-0001.docx"), str(out / "pay-0003.docx")]
    failed = [line for line in result.stderr.splitlines() if line.startswith("row 2:")]
    assert failed
    assert "<<url|link>>" in failed[0]
    assert "http, https or mailto" in failed[0]


@needs_libreoffice
@pytest.mark.slow
def test_libreoffice_shows_the_links_as_links(tmp_path: Path) -> None:
    from pypdf import PdfReader

    docx = make_docx(para('Pay here: <<url|link:"Pay now">>'))
    data = Template.open(docx).render({"url": URL})
    pdf = to_pdf({"links": data}, tmp_path)["links"]
    page = PdfReader(pdf).pages[0]
    uris = {
        str(annotation.get_object()["/A"]["/URI"])
        for annotation in page.get("/Annots", [])
        if "/A" in annotation.get_object()
    }
    assert URL in uris
    assert "Pay now" in page.extract_text()


def test_each_record_of_a_combined_document_keeps_its_own_link() -> None:
    template = Template.open(make_docx(para("<<url|link>>")))
    data = template.render_combined([{"url": "https://one.example.ng"}, {"url": "https://two.example.ng"}])
    assert [target for target, _, _ in links(data)] == ["https://one.example.ng", "https://two.example.ng"]


def test_a_strict_document_gets_strict_relationships() -> None:
    strict_r = "http://purl.oclc.org/ooxml/officeDocument/relationships"
    data = Template.open(make_docx(para("<<url|link>>"), strict=True)).render({"url": URL})
    root = part_xml(data)
    (link,) = root.iter("{http://purl.oclc.org/ooxml/wordprocessingml/main}hyperlink")
    rid = link.get(f"{{{strict_r}}}id")
    rels = member(data, "word/_rels/document.xml.rels").decode()
    assert re.search(rf'Id="{rid}" Type="{strict_r}/hyperlink"', rels)
    assert f'Type="{strict_r}/styles"' in rels
    assert b"http://purl.oclc.org/ooxml/wordprocessingml/main" in member(data, "word/styles.xml")
