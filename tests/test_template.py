"""The engine: where placeholders are found, how values are filled, and what is refused."""

from __future__ import annotations

import io
import re
import struct
import zipfile
from pathlib import Path
from typing import Any, get_args

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from docx_factory import (
    DOCM_TYPE,
    DOTM_TYPE,
    DOTX_TYPE,
    XLSX_TYPE,
    make_docx,
    make_odt,
    p,
    para,
    paragraphs,
    part_xml,
    r,
    text_of,
)
from mytypist_cli import (
    CorruptDocumentError,
    EncryptedDocumentError,
    MacroTemplateError,
    MissingFieldsError,
    MytypistError,
    NotADocxError,
    RenderError,
    Template,
    UnsafeDocumentError,
    fill_text,
)
from mytypist_cli.engine.template import Kind

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def names(docx: bytes, **kwargs: object) -> list[str]:
    return [ph.name for ph in Template.open(docx, **kwargs).placeholders]  # type: ignore[arg-type]


# -- the API ------------------------------------------------------------------


def test_open_from_path_bytes_and_file_object(tmp_path: Path) -> None:
    docx = make_docx(para("Dear <<name>>,"))
    path = tmp_path / "t.docx"
    path.write_bytes(docx)
    for source in (path, str(path), docx, io.BytesIO(docx)):
        template = Template.open(source)
        assert template.names == ("name",)
        assert text_of(template.render({"name": "Ada"})) == "Dear Ada,"


def test_placeholders_in_first_appearance_order_with_counts_and_parts() -> None:
    docx = make_docx(
        para("<<b>> <<a>> <<b>>") + para("<<c>>"),
        headers={"header1.xml": para("<<h>> <<a>>")},
        footers={"footer1.xml": para("<<f>>")},
    )
    template = Template.open(docx)
    assert [(x.name, x.count, x.parts) for x in template.placeholders] == [
        ("h", 1, ("word/header1.xml",)),
        ("a", 2, ("word/header1.xml", "word/document.xml")),
        ("b", 2, ("word/document.xml",)),
        ("c", 1, ("word/document.xml",)),
        ("f", 1, ("word/footer1.xml",)),
    ]


def test_missing_template_file_is_our_error(tmp_path: Path) -> None:
    with pytest.raises(MytypistError, match="no such file"):
        Template.open(tmp_path / "nope.docx")


# -- where placeholders are found ------------------------------------------------


def test_headers_footers_of_every_kind_and_notes_are_filled() -> None:
    docx = make_docx(
        para("<<body>>"),
        headers={
            "header1.xml": para("<<h1>>"),
            "header2.xml": para("<<h_first>>"),
            "header3.xml": para("<<h_even>>"),
        },
        footers={"footer1.xml": para("<<f1>>"), "footer2.xml": para("<<f_first>>")},
        footnotes=f"<w:footnote w:id='1'>{para('note <<fn>>')}</w:footnote>",
        endnotes=f"<w:endnote w:id='1'>{para('end <<en>>')}</w:endnote>",
    )
    template = Template.open(docx)
    values = {name: name.upper() for name in template.names}
    assert set(template.names) == {"body", "h1", "h_first", "h_even", "f1", "f_first", "fn", "en"}
    out = template.render(values)
    assert text_of(out, "word/header2.xml") == "H_FIRST"
    assert text_of(out, "word/footer2.xml") == "F_FIRST"
    assert text_of(out, "word/footnotes.xml") == "note FN"
    assert text_of(out, "word/endnotes.xml") == "end EN"


def test_main_part_is_found_through_package_relationships() -> None:
    docx = make_docx(para("Hi <<name>>"), main="word/document2.xml")
    out = Template.open(docx).render({"name": "Ada"})
    assert text_of(out, "word/document2.xml") == "Hi Ada"


def test_strict_ooxml_documents_are_filled() -> None:
    docx = make_docx(para("Hi <<name>>"), headers={"header1.xml": para("<<co>>")}, strict=True)
    template = Template.open(docx)
    assert template.names == ("co", "name")
    out = template.render({"name": "Ada", "co": "Ìmọ̀ Ltd"})
    assert text_of(out) == "Hi Ada"
    assert text_of(out, "word/header1.xml") == "Ìmọ̀ Ltd"


def test_nested_tables_content_controls_hyperlinks_smart_tags_custom_xml() -> None:
    cell = lambda inner: f"<w:tc>{inner}</w:tc>"  # noqa: E731
    inner_table = f"<w:tbl><w:tr>{cell(para('<<deep>>'))}</w:tr></w:tbl>"
    outer_table = f"<w:tbl><w:tr>{cell(para('<<cell>>') + inner_table + para(''))}</w:tr></w:tbl>"
    body = (
        outer_table
        + f"<w:sdt><w:sdtPr/><w:sdtContent>{para('<<block_sdt>>')}</w:sdtContent></w:sdt>"
        + p(f"<w:sdt><w:sdtPr/><w:sdtContent>{r('<<run_sdt>>')}</w:sdtContent></w:sdt>")
        + p(f'<w:hyperlink r:id="rId9">{r("<<link>>")}</w:hyperlink>')
        + p(f'<w:smartTag w:uri="u" w:element="place">{r("<<smart>>")}</w:smartTag>')
        + p(f'<w:customXml w:element="x">{r("<<custom>>")}</w:customXml>')
    )
    template = Template.open(make_docx(body))
    assert template.names == ("cell", "deep", "block_sdt", "run_sdt", "link", "smart", "custom")
    out = template.render({n: n.upper() for n in template.names})
    assert [t for t in paragraphs(out) if t] == [
        "CELL",
        "DEEP",
        "BLOCK_SDT",
        "RUN_SDT",
        "LINK",
        "SMART",
        "CUSTOM",
    ]


def test_text_box_choice_and_fallback_are_one_placeholder_both_filled() -> None:
    box = lambda: f"<w:txbxContent>{para('Box <<boxed>>')}</w:txbxContent>"  # noqa: E731
    run = (
        "<w:r><mc:AlternateContent>"
        f"<mc:Choice Requires='wps'><w:drawing><wps:txbx>{box()}</wps:txbx></w:drawing></mc:Choice>"
        f"<mc:Fallback><w:pict><v:textbox>{box()}</v:textbox></w:pict></mc:Fallback>"
        "</mc:AlternateContent></w:r>"
    )
    template = Template.open(make_docx(p(r("Before "), run, r(" after"))))
    assert [(x.name, x.count) for x in template.placeholders] == [("boxed", 1)]
    out = template.render({"boxed": "Ada"})
    assert paragraphs(out).count("Box Ada") == 2


def test_deleted_text_never_counts_and_inserted_text_does() -> None:
    body = p(
        r("Dear "),
        '<w:del w:id="1" w:author="a"><w:r><w:delText>&lt;&lt;old&gt;&gt;</w:delText></w:r></w:del>',
        f'<w:ins w:id="2" w:author="a">{r("<<new>>")}</w:ins>',
    )
    template = Template.open(make_docx(body))
    assert template.names == ("new",)
    assert paragraphs(template.render({"new": "Ada"})) == ["Dear Ada"]


def test_comments_are_filled_too() -> None:
    comments = f'<w:comment w:id="0" w:author="a">{para("check <<name>> and <<me>>")}</w:comment>'
    docx = make_docx(para("<<name>>"), comments=comments)
    template = Template.open(docx)
    assert template.names == ("name", "me")
    out = template.render({"name": "Ada", "me": "Obi"})
    assert text_of(out, "word/comments.xml") == "check Ada and Obi"


# -- placeholders split across runs -------------------------------------------------


def test_split_placeholder_takes_formatting_of_first_run_and_neighbours_keep_theirs() -> None:
    body = p(
        r("Dear <", "<w:i/>"),
        r("<na", "<w:b/>"),
        '<w:proofErr w:type="spellStart"/>',
        '<w:bookmarkStart w:id="0" w:name="x"/>',
        r("me", "<w:u w:val='single'/>"),
        '<w:bookmarkEnd w:id="0"/>',
        '<w:proofErr w:type="spellEnd"/>',
        r(">>, welcome", '<w:color w:val="FF0000"/>'),
    )
    template = Template.open(make_docx(body))
    assert template.names == ("name",)
    out = template.render({"name": "Ada"})
    assert paragraphs(out) == ["Dear Ada, welcome"]
    runs = part_xml(out).iter(f"{W}r")
    by_text = {"".join(t.text or "" for t in run.iter(f"{W}t")): run for run in runs}
    assert by_text["Dear Ada"].find(f"{W}rPr/{W}i") is not None  # the run holding the first '<'
    assert by_text[", welcome"].find(f"{W}rPr/{W}color") is not None


def test_placeholder_never_spans_paragraphs_and_is_reported() -> None:
    template = Template.open(make_docx(para("Dear <<na") + para("me>> and <<ok>>")))
    assert template.names == ("ok",)
    assert any("<<na" in str(w) and "span paragraphs" in str(w) for w in template.warnings)
    out = template.render({"ok": "yes"})
    assert paragraphs(out) == ["Dear <<na", "me>> and yes"]


# -- grammar ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<< name >>", ["name"]),
        ("<<Full Name>>", ["Full Name"]),
        ("<<Orúkọ>> <<名前>> <<client.name>> <<a-b_2>>", ["Orúkọ", "名前", "client.name", "a-b_2"]),
        ("x <<< 2", []),
        ("<<>>", []),
        ("<<oops", []),
        ("<<two  spaces>>", []),
        ("<<a>b>>", []),
    ],
)
def test_grammar(text: str, expected: list[str]) -> None:
    assert names(make_docx(para(text))) == expected


def test_literal_chevrons_around_a_placeholder() -> None:
    template = Template.open(make_docx(para("<<<name>>>")))
    assert template.names == ("name",)
    assert paragraphs(template.render({"name": "x"})) == ["<x>"]


def test_malformed_tags_stay_literal_and_are_warned_about() -> None:
    text = "x <<< 2 and <<>> and <<oops"
    template = Template.open(make_docx(para(text)))
    assert template.names == ()
    assert len(template.warnings) >= 2
    assert all("word/document.xml, paragraph 1" in str(w) for w in template.warnings)
    assert paragraphs(template.render({})) == [text]


def test_names_and_keys_compare_after_nfc_normalisation() -> None:
    decomposed = "Oru\u0301ko\u0323"
    template = Template.open(make_docx(para(f"<<{decomposed}>>")))
    assert template.names == ("Orúkọ",)
    assert paragraphs(template.render({"Orúkọ": "Adé"})) == ["Adé"]
    assert paragraphs(template.render({decomposed: "Adé"})) == ["Adé"]


def test_dotted_names_read_nested_objects_and_flat_keys() -> None:
    template = Template.open(make_docx(para("<<client.name>>/<<client.city>>")))
    assert paragraphs(template.render({"client": {"name": "Ada", "city": "Lagos"}})) == ["Ada/Lagos"]
    assert paragraphs(template.render({"client.name": "Flat", "client.city": "Abuja"})) == ["Flat/Abuja"]


@pytest.mark.parametrize(
    ("delimiters", "text"),
    [("{{ }}", "{{ name }}"), ("${ }", "${name}"), ("« »", "«name»"), (("[[", "]]"), "[[name]]")],
)
def test_configurable_delimiters(delimiters: str, text: str) -> None:
    template = Template.open(make_docx(para(f"Hi {text}!")), delimiters=delimiters)
    assert template.names == ("name",)
    assert paragraphs(template.render({"name": "Ada"})) == ["Hi Ada!"]


@pytest.mark.parametrize("bad", ["{{", "<< <<", "a b", "{{ | }}"])
def test_unusable_delimiters_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="delimiters"):
        Template.open(make_docx(para("x")), delimiters=bad)


# -- values -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (1500, "1500"),
        (1500.0, "1500"),
        (1500.5, "1500.5"),
        (True, "true"),
        (False, "false"),
        ("Smith & Sons <Ltd> \"q\" 'a'", "Smith & Sons <Ltd> \"q\" 'a'"),
        ("bad\x00\x0bchars\ufffe", "badchars"),
        ("  padded  ", "  padded  "),
        ("", ""),
    ],
)
def test_values_become_text(value: object, shown: str) -> None:
    template = Template.open(make_docx(para("[<<v>>]")))
    assert paragraphs(template.render({"v": value})) == [f"[{shown}]"]


def test_newlines_become_breaks_and_tabs_become_tabs() -> None:
    template = Template.open(make_docx(para("<<address>>")))
    out = template.render({"address": "12 Marina Road\r\nLagos\tNG"})
    assert paragraphs(out) == ["12 Marina Road\nLagos\tNG"]
    root = part_xml(out)
    assert len(list(root.iter(f"{W}br"))) == 1
    assert len(list(root.iter(f"{W}tab"))) == 1


def test_lists_and_objects_are_not_text() -> None:
    template = Template.open(make_docx(para("<<v>>")))
    with pytest.raises(RenderError, match="'v' is a list"):
        template.render({"v": [1, 2]})


def test_missing_modes() -> None:
    template = Template.open(make_docx(para("<<a>>|<<b>>|<<c>>")))
    with pytest.raises(MissingFieldsError) as caught:
        template.render({"b": None})
    assert caught.value.names == ("a", "b", "c")
    assert paragraphs(template.render({"b": "B"}, missing="blank")) == ["|B|"]
    assert paragraphs(template.render({"b": "B"}, missing="keep")) == ["<<a>>|B|<<c>>"]
    filled = template.fill({"a": "", "b": "B"}, missing="blank")
    assert filled.missing == ("c",)
    assert filled.blank == ("a",)


def test_fill_text_uses_the_same_rules() -> None:
    assert fill_text("<<last>>-<< first >>.docx", {"last": "Okafor", "first": "Ada"}) == "Okafor-Ada.docx"
    with pytest.raises(MissingFieldsError):
        fill_text("<<x>>", {})


# -- output -----------------------------------------------------------------------


def test_output_is_deterministic_and_untouched_members_are_copied_raw() -> None:
    docx = make_docx(para("<<name>>"), extra={"word/media/image1.png": b"\x89PNG" + bytes(range(256)) * 40})
    template = Template.open(docx)
    first = template.render({"name": "Ada"})
    assert first == template.render({"name": "Ada"})
    with zipfile.ZipFile(io.BytesIO(docx)) as before, zipfile.ZipFile(io.BytesIO(first)) as after:
        assert before.namelist() == after.namelist()
        assert after.testzip() is None
        image_before = before.getinfo("word/media/image1.png")
        image_after = after.getinfo("word/media/image1.png")
        assert (image_before.CRC, image_before.compress_size) == (image_after.CRC, image_after.compress_size)


def test_dotx_gives_docx_and_dotm_gives_docm() -> None:
    ctype = "[Content_Types].xml"
    out = Template.open(make_docx(para("<<a>>"), main_type=DOTX_TYPE)).render({"a": "1"})
    assert b"wordprocessingml.document.main+xml" in zipfile.ZipFile(io.BytesIO(out)).read(ctype)
    template = Template.open(make_docx(para("<<a>>"), main_type=DOTM_TYPE))
    assert template.is_macro_enabled
    assert template.extension == ".docm"
    out = template.render({"a": "1"}, allow_macros=True)
    assert DOCM_TYPE.encode() in zipfile.ZipFile(io.BytesIO(out)).read(ctype)


def test_mail_merge_data_source_link_is_removed() -> None:
    settings = (
        '<w:mailMerge><w:mainDocumentType w:val="formLetters"/>'
        '<w:query w:val="SELECT * FROM `Sheet1$`"/></w:mailMerge><w:zoom w:percent="100"/>'
    )
    out = Template.open(make_docx(para("<<a>>"), settings=settings)).render({"a": "1"})
    root = part_xml(out, "word/settings.xml")
    assert root.find(f"{W}mailMerge") is None
    assert root.find(f"{W}zoom") is not None


def test_macro_templates_list_but_do_not_render_unless_allowed() -> None:
    docx = make_docx(para("<<a>>"), extra={"word/vbaProject.bin": b"\xd0\xcf\x11\xe0 vba"})
    template = Template.open(docx)
    assert template.names == ("a",)
    with pytest.raises(MacroTemplateError, match="macros"):
        template.render({"a": "1"})
    assert template.render({"a": "1"}, allow_macros=True)


# -- bad input ------------------------------------------------------------------------


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_not_a_zip() -> None:
    with pytest.raises(NotADocxError, match="not a zip"):
        Template.open(b"Hello, I am a text file")


def test_password_protected_ole2() -> None:
    with pytest.raises(EncryptedDocumentError, match="password"):
        Template.open(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500))


def test_renamed_excel_workbook() -> None:
    xlsx = make_docx(para("x"), main="xl/workbook.xml", main_type=XLSX_TYPE)
    with pytest.raises(NotADocxError, match="Excel workbook"):
        Template.open(xlsx)


def test_opendocument_text_says_how_to_save_it_as_docx() -> None:
    with pytest.raises(NotADocxError) as caught:
        Template.open(make_odt())
    message = str(caught.value)
    assert "OpenDocument text (.odt)" in message
    assert "File > Save As > Word 2007-365 (.docx)" in message
    assert "soffice --headless --convert-to docx" in message


@pytest.mark.parametrize(
    ("media_type", "what"),
    [
        ("application/vnd.oasis.opendocument.text-template", "OpenDocument text template (.ott); save it"),
        ("application/vnd.oasis.opendocument.spreadsheet", "OpenDocument spreadsheet (.ods) (renamed?)"),
        ("application/vnd.oasis.opendocument.presentation", "OpenDocument presentation (.odp) (renamed?)"),
    ],
)
def test_other_opendocument_files_are_named(media_type: str, what: str) -> None:
    with pytest.raises(NotADocxError, match=re.escape(what)):
        Template.open(make_odt(media_type))


def test_a_mimetype_member_that_is_not_opendocument_changes_nothing() -> None:
    docx = make_docx(para("<<a>>"), extra={"mimetype": b"text/plain"})
    assert Template.open(docx).names == ("a",)


def test_truncated_zip() -> None:
    docx = make_docx(para("<<a>>"))
    for cut in (len(docx) // 2, len(docx) - 10, 40):
        with pytest.raises(CorruptDocumentError):
            Template.open(docx[:cut])


def test_corrupt_member_fails_crc() -> None:
    docx = bytearray(make_docx(para("<<a>>" * 50)))
    offset = docx.index(b"word/document.xml") + len("word/document.xml") + 20
    docx[offset] ^= 0xFF
    with pytest.raises(CorruptDocumentError):
        Template.open(bytes(docx))


def test_doctype_and_entities_are_refused_without_being_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    xml = (
        f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        "<w:body><w:p><w:r><w:t>&x;</w:t></w:r></w:p></w:body></w:document>"
    )
    good = make_docx(para("x"))
    with zipfile.ZipFile(io.BytesIO(good)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members["word/document.xml"] = xml.encode()
    with pytest.raises(UnsafeDocumentError, match="DOCTYPE"):
        Template.open(_zip(members))


def test_zip_bomb_caps() -> None:
    bomb = make_docx(para("x"), extra={"word/media/big.bin": bytes(20 * 1024 * 1024)})
    with pytest.raises(UnsafeDocumentError, match="zip bomb"):
        Template.open(bomb)
    with pytest.raises(UnsafeDocumentError, match="max_size"):
        Template.open(make_docx(para("x")), max_size=100)
    assert Template.open(bomb, max_ratio=10_000).names == ()


def test_lying_size_header_is_caught() -> None:
    docx = bytearray(make_docx(para("<<a>>"), extra={"word/media/x.bin": bytes(100_000)}))
    # Shrink the declared size in the central directory: the real data is larger.
    central = docx.rindex(b"PK\x01\x02")
    (size,) = struct.unpack("<L", docx[central + 24 : central + 28])
    docx[central + 24 : central + 28] = struct.pack("<L", size // 2)
    with pytest.raises(MytypistError):
        Template.open(bytes(docx))


@pytest.mark.parametrize("name", ["../evil.xml", "/etc/passwd", "word/../../x.xml", "word\\document.xml"])
def test_unsafe_entry_names(name: str) -> None:
    good = make_docx(para("x"))
    with zipfile.ZipFile(io.BytesIO(good)) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    members[name] = b"<x/>"
    with pytest.raises(UnsafeDocumentError):
        Template.open(_zip(members))


def test_malformed_xml_part() -> None:
    good = make_docx(para("x"))
    with zipfile.ZipFile(io.BytesIO(good)) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    members["word/document.xml"] = b"<w:document><w:body>"
    with pytest.raises(CorruptDocumentError, match="word/document.xml"):
        Template.open(_zip(members))


# -- what data lacks: missing_from ------------------------------------------------------


def missing(body: str, columns: list[str], **kwargs: object) -> tuple[str, ...]:
    return Template.open(make_docx(body, **kwargs)).missing_from(columns)  # type: ignore[arg-type]


def test_missing_from_lists_names_without_a_column_in_order_of_first_appearance() -> None:
    body = para("<<b>> <<a>> <<b>>") + para("<<c>>")
    assert missing(body, []) == ("b", "a", "c")
    assert missing(body, ["a"]) == ("b", "c")
    assert missing(body, ["c", "b", "a", "extra"]) == ()
    # Across parts, in the order the placeholders are listed (headers first).
    header = {"header1.xml": para("<<h>>")}
    assert missing(body, ["a"], headers=header) == ("h", "b", "c")


def test_missing_from_accepts_any_iterable_once_but_not_one_string() -> None:
    template = Template.open(make_docx(para("<<a>> <<b>>")))
    assert template.missing_from(column for column in ["a"]) == ("b",)
    assert template.missing_from({"b": 1}) == ("a",)
    with pytest.raises(TypeError, match="not one string"):
        template.missing_from("ab")


def test_a_name_used_only_with_a_default_needs_no_column() -> None:
    assert missing(para('<<middle|default:"-">>'), []) == ()
    assert missing(para('<<middle|upper|default:"-">> <<x|default:"none"|upper>>'), []) == ()
    # Used once with a default and once without: the bare use needs a value.
    assert missing(para('<<middle|default:"-">>') + para("<<middle>>"), []) == ("middle",)
    assert missing(para('<<middle|default:"-">>') + para("<<middle|upper>>"), []) == ("middle",)


def test_conditions_need_no_column_but_what_they_show_does() -> None:
    body = para("<<?vip>>Dear <<title>><</vip>>") + para("<<^vip>>Hello<</vip>>")
    assert missing(body, []) == ("title",)
    assert missing(body, ["title"]) == ()
    # A name used as a condition and as a value needs its value.
    assert missing(body + para("<<vip>>"), ["title"]) == ("vip",)


def test_a_list_without_a_column_is_missing_by_its_name_not_its_fields() -> None:
    body = para("<<#items>><<desc>> <<qty>><</items>>") + para("<<total>>")
    template = Template.open(make_docx(body))
    assert template.missing_from([]) == ("items", "total")
    assert template.missing_from(["items", "total"]) == ()
    assert template.missing_from(["desc", "qty", "total"]) == ("items",)


def test_names_inside_a_list_also_used_outside_it_need_a_column() -> None:
    body = para("<<client>>") + para("<<#items>><<desc>> for <<client>><</items>>")
    assert missing(body, ["items"]) == ("client",)
    assert missing(body, ["items", "client"]) == ()


def test_nested_lists_need_only_the_outermost_name() -> None:
    body = (
        para("<<#groups>>")
        + para("<<name>>")
        + para("<<#members>><<first>><</members>>")
        + para("<</groups>>")
    )
    assert missing(body, []) == ("groups",)
    assert missing(body, ["groups"]) == ()


def test_pictures_are_values() -> None:
    assert missing(para("<<photo|image>> <<sig|image:4cm>>"), ["sig"]) == ("photo",)


def test_dotted_names_are_satisfied_by_their_object_or_a_flat_column() -> None:
    body = para("<<client.name>> <<client.address.city>> <<other.x>>")
    assert missing(body, []) == ("client.name", "client.address.city", "other.x")
    assert missing(body, ["client"]) == ("other.x",)
    assert missing(body, ["client.name", "other.x"]) == ("client.address.city",)
    # Lookup reads the flat key, then objects from the top: a column "client.address" is neither.
    assert missing(body, ["client.address", "other.x"]) == ("client.name", "client.address.city")


def test_missing_from_compares_names_after_nfc_normalisation() -> None:
    decomposed, composed = "Oru\u0301ko\u0323", "Orúkọ"
    assert missing(para(f"<<{decomposed}>>"), [composed]) == ()
    assert missing(para(f"<<{composed}>>"), [decomposed]) == ()
    assert missing(para(f"<<{decomposed}.name>>"), [composed]) == ()
    assert missing(para(f"<<{composed}>>"), []) == (composed,)


def test_the_item_itself_is_never_missing() -> None:
    assert missing(para("<<#tags>><<.>>, <</tags>>"), ["tags"]) == ()


# A model of what filling needs, written independently of the engine, to check missing_from
# against it and against what fill itself reports.
_VALUE_NAMES = ("a", "b", "c", "d.e", "d.f")
_CONDITION_NAMES = ("a", "vip")
_FIELD_NAMES = ("f", "g", "a")
_LIST_NAMES = ("items", "rows")
_COLUMNS = ("a", "b", "c", "d", "d.e", "vip", "items", "rows", "f", "zzz")
_FILTERS = ("", "upper", 'default:"-"', 'upper|default:"-"')

_value = st.tuples(st.just("value"), st.sampled_from(_VALUE_NAMES), st.sampled_from(_FILTERS))
_field = st.tuples(st.just("value"), st.sampled_from(_FIELD_NAMES), st.sampled_from(_FILTERS))
_block = st.one_of(
    _value,
    st.tuples(st.just("condition"), st.sampled_from(_CONDITION_NAMES), st.lists(_value, max_size=3)),
    st.tuples(st.just("list"), st.sampled_from(_LIST_NAMES), st.lists(_field, max_size=3)),
)


def _tag(name: str, filters: str) -> str:
    return f"<<{name}|{filters}>>" if filters else f"<<{name}>>"


def _paragraph(block: tuple[Any, ...]) -> str:
    if block[0] == "value":
        return para(_tag(block[1], block[2]))
    sigil = "?" if block[0] == "condition" else "#"
    inner = " ".join(_tag(name, filters) for _, name, filters in block[2])
    return para(f"<<{sigil}{block[1]}>>{inner}<</{block[1]}>>")


def _expected_missing(blocks: list[tuple[Any, ...]], columns: set[str]) -> list[str]:
    """Outside lists: bare or non-default uses need a value; lists need their name; conditions nothing."""
    order: dict[str, None] = {}
    needed: set[str] = set()
    for block in blocks:
        uses = [block] if block[0] == "value" else block[2] if block[0] == "condition" else []
        if block[0] == "condition":
            order.setdefault(block[1], None)
        if block[0] == "list":
            order.setdefault(block[1], None)
            needed.add(block[1])
        for _, name, filters in uses:
            order.setdefault(name, None)
            if "default" not in filters:
                needed.add(name)
    return [n for n in order if n in needed and n not in columns and n.split(".")[0] not in columns]


@settings(max_examples=150, deadline=None)
@given(blocks=st.lists(_block, min_size=1, max_size=6), columns=st.sets(st.sampled_from(_COLUMNS)))
def test_missing_from_matches_the_model_and_what_fill_reports(
    blocks: list[tuple[Any, ...]], columns: set[str]
) -> None:
    template = Template.open(make_docx("".join(_paragraph(block) for block in blocks)))
    lacking = template.missing_from(columns)
    assert list(lacking) == _expected_missing(blocks, columns)
    # Every name it returns is a placeholder, in the placeholders' order.
    assert [n for n in template.names if n in lacking] == list(lacking)
    # Fill with a value for each column (objects for "d", items holding every field): what fill
    # finds missing is what missing_from said, less absent lists (an absent list is just empty).
    values: dict[str, Any] = dict.fromkeys(columns, "v")
    if "d" in columns:
        values["d"] = {"e": "v", "f": "v"}
    for name in _LIST_NAMES:
        if name in columns:
            values[name] = [dict.fromkeys(_FIELD_NAMES, "v")]
    filled = template.fill(values, missing="blank")
    assert set(filled.missing) <= set(lacking)
    if all(b[1] in columns for b in blocks if b[0] == "condition"):  # no stretch hidden
        assert set(filled.missing) | {n for n in _LIST_NAMES if n in lacking} == set(lacking)
    if not lacking:
        template.fill(values)  # missing="error" has nothing to complain about


@settings(max_examples=100, deadline=None)
@given(blocks=st.lists(_block, min_size=1, max_size=6), first=st.sets(st.sampled_from(_COLUMNS)))
def test_more_columns_never_make_more_missing(blocks: list[tuple[Any, ...]], first: set[str]) -> None:
    template = Template.open(make_docx("".join(_paragraph(block) for block in blocks)))
    fewer = template.missing_from(first)
    assert set(template.missing_from(set(_COLUMNS))) <= set(fewer) <= set(template.missing_from([]))
    assert template.missing_from(template.names) == ()


def test_filter_and_picture_errors_live_with_the_others_under_the_root() -> None:
    from mytypist_cli import errors
    from mytypist_cli.engine import filters, pictures

    assert issubclass(errors.FilterSyntaxError, errors.TemplateSyntaxError)
    assert issubclass(errors.FilterValueError, errors.RenderError)
    assert issubclass(errors.PictureError, errors.RenderError)
    for error in (errors.FilterSyntaxError, errors.FilterValueError, errors.PictureError):
        assert issubclass(error, ValueError)  # as they were before they moved
    with pytest.raises(errors.FilterSyntaxError, match="unknown filter"):
        filters.compile_chain("shout")
    with pytest.raises(errors.FilterValueError, match="as a date"):
        filters.read_date("next Tuesday")
    with pytest.raises(errors.PictureError, match="base64"):
        pictures.read_picture("data:image/png,abc", base_dir=None)


def test_every_placeholder_kind_and_which_wins_when_a_name_is_used_several_ways() -> None:
    body = (
        para("<<name>> <<photo|image>> <<?vip>>VIP<</vip>>")
        + para("<<#items>><<desc>> <<icon|image:1cm>><</items>>")
        + para("<<?both>>x<</both>> <<both>> <<?pic>>x<</pic>> <<pic|image>>")
    )
    template = Template.open(make_docx(body))
    kinds = {p.name: p.kind for p in template.placeholders}
    assert kinds == {
        "name": "value",
        "photo": "image",
        "vip": "condition",
        "items": "list",
        "both": "value",
        "pic": "image",
    }
    assert {f.name: f.kind for f in template.placeholders[3].fields} == {"desc": "value", "icon": "image"}
    assert set(kinds.values()) == set(get_args(Kind))
