"""Hostile templates (issue 12): each is refused with a TemplateError or filled correctly, never a traceback."""

from __future__ import annotations

import base64
import io
import random
import re
import threading
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from docx_factory import make_docx, p, para, r
from mytypist_cli import MacroTemplateError, Placeholder, Template, TemplateError, UnsafeDocumentError
from mytypist_cli.cli.app import app

runner = CliRunner()


def _document(docx: bytes, name: str = "word/document.xml") -> bytes:
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        return archive.read(name)


def _fill_cli(tmp_path: Path, docx: bytes, *sets: str) -> tuple[int, str, str, Path]:
    template = tmp_path / "t.docx"
    template.write_bytes(docx)
    out = tmp_path / "out.docx"
    args = ["fill", str(template), "-o", str(out)]
    for item in sets:
        args += ["--set", item]
    result = runner.invoke(app, args)
    return result.exit_code, result.stdout, result.stderr, out


# -- 1. the engine's own markers cannot be forged -------------------------


_FORGED_TEXT = (
    p('<w:r><w:t xml:space="preserve">a&#xE000;0&#xE001;b &#xF8F0;0&#xF8F1; &#xE000;s0&#xE001;</w:t></w:r>'),
    p('<w:r><w:t xml:space="preserve">c\ue0000\ue001d</w:t></w:r>'),
)


@pytest.mark.parametrize("forged", _FORGED_TEXT)
def test_private_use_marker_characters_in_text_come_out_as_written(forged: str) -> None:
    docx = make_docx(para("<<name>>") + forged)
    filled = Template.open(docx).render({"name": "Ada"})
    root_text = _document(filled).decode("utf-8")
    written = forged.replace("&#xE000;", "\ue000").replace("&#xE001;", "\ue001")
    written = written.replace("&#xF8F0;", "\uf8f0").replace("&#xF8F1;", "\uf8f1")
    assert written.split('<w:t xml:space="preserve">')[1].split("</w:t>")[0] in root_text
    assert "Ada" in root_text


@pytest.mark.parametrize("with_sections", [False, True])
@pytest.mark.parametrize(
    "forged",
    [
        "<?mytypist e0?>",
        "<?mytypist s0?>",
        "<?mytypist i0?>",
        "<?mytypist G0?>",
        "<?mytypist x?>",
        "<!--<?mytypist e0?>-->",
        "<?mytypist-escaped0 e0?><?mytypist e0?>",
    ],
)
def test_mytypist_processing_instructions_in_a_part_come_out_as_written(
    forged: str, with_sections: bool
) -> None:
    body = para("<<name>>") + p(f"<w:r>{forged}<w:t>x</w:t></w:r>")
    if with_sections:
        body += para("<<#items>>") + para("<<.>>") + para("<</items>>")
    template = Template.open(make_docx(body))
    values: dict[str, object] = {"name": "Ada", "items": ["one", "two"]}
    xml = _document(template.render(values)).decode("utf-8")
    assert forged in xml
    assert "Ada" in xml
    if with_sections:
        assert "one" in xml
        assert "two" in xml
        assert xml.count("<?mytypist") == forged.count("<?mytypist")


def test_forged_markers_through_the_cli(tmp_path: Path) -> None:
    docx = make_docx(para("<<name>>") + p("<w:r><?mytypist e0?><w:t>&#xE000;0&#xE001;</w:t></w:r>"))
    code, stdout, stderr, out = _fill_cli(tmp_path, docx, "name=Ada")
    assert code == 0, stderr
    xml = _document(out.read_bytes()).decode("utf-8")
    assert "<?mytypist e0?>" in xml
    assert "\ue0000\ue001" in xml


# -- 2. odd zips, wrong relationships, huge packages, deep nesting ---------


def _with_version_needed(docx: bytes, version: int) -> bytes:
    """The package with every "version needed to extract" field set to ``version``."""
    data = bytearray(docx)
    for signature, field in ((b"PK\x03\x04", 4), (b"PK\x01\x02", 6)):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            data[start + field] = version
            start += 4
    return bytes(data)


def _footer_pointing_at_a_picture() -> bytes:
    docx = make_docx(para("<<name>>"))
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx)) as source, zipfile.ZipFile(buffer, "w") as archive:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "word/_rels/document.xml.rels":
                data = data.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                    b'relationships/footer" Target="media/image1.png"/></Relationships>',
                )
            archive.writestr(info, data)
        archive.writestr("word/media/image1.png", b"\x89PNG\r\n\x1a\n")
    return buffer.getvalue()


def _nested(depth: int) -> bytes:
    opening = "".join(para(f"<<#l{i}>>") for i in range(depth))
    closing = "".join(para(f"<</l{i}>>") for i in reversed(range(depth)))
    return make_docx(opening + para("<<x>>") + closing)


_HOSTILE_PACKAGES = {
    "version-needed": (
        lambda: _with_version_needed(make_docx(para("<<name>>")), 99),
        "zip file version 9.9",
    ),
    "footer-is-a-picture": (_footer_pointing_at_a_picture, "word/media/image1.png, which is not an XML part"),
    "nested-1000": (lambda: _nested(1000), "sections nest more than 100 deep"),
}


@pytest.mark.parametrize("case", list(_HOSTILE_PACKAGES))
def test_hostile_package_is_a_template_error(case: str) -> None:
    build, message = _HOSTILE_PACKAGES[case]
    with pytest.raises(TemplateError, match=re.escape(message)):
        Template.open(build())


@pytest.mark.parametrize("case", list(_HOSTILE_PACKAGES))
@pytest.mark.parametrize("command", ["fill", "extract"])
def test_hostile_package_through_the_cli_is_one_error_line(case: str, command: str, tmp_path: Path) -> None:
    build, message = _HOSTILE_PACKAGES[case]
    template = tmp_path / "t.docx"
    template.write_bytes(build())
    args = [command, str(template)]
    if command == "fill":
        args += ["-o", str(tmp_path / "out.docx"), "--set", "name=Ada"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("error: ")
    assert result.stderr.count("\n") == 1
    assert message in result.stderr


def test_sections_nested_as_deep_as_allowed_render() -> None:
    values: dict[str, object] = {}
    level = values
    for i in range(100):
        item: dict[str, object] = {}
        level[f"l{i}"] = [item]
        level = item
    level["x"] = "deepest"
    assert b"deepest" in _document(Template.open(_nested(100)).render(values))


def test_a_package_of_65536_members_renders_as_zip64(tmp_path: Path) -> None:
    extra = {f"customXml/item{i}.bin": b"" for i in range(65_536)}
    docx = make_docx(para("<<name>>"), extra=extra)
    filled = Template.open(docx).render({"name": "Ada"})
    with zipfile.ZipFile(io.BytesIO(filled)) as archive:
        assert len(archive.infolist()) == len(extra) + 4
        assert archive.testzip() is None
        assert b"Ada" in archive.read("word/document.xml")
    code, stdout, stderr, out = _fill_cli(tmp_path, docx, "name=Ada")
    assert code == 0, stderr
    with zipfile.ZipFile(out) as archive:
        assert len(archive.infolist()) == len(extra) + 4


def test_a_small_package_keeps_the_classic_end_record() -> None:
    filled = Template.open(make_docx(para("<<name>>"))).render({"name": "Ada"})
    assert b"PK\x06\x06" not in filled
    assert filled[-22:-18] == b"PK\x05\x06"


# -- 3. a DOCTYPE is refused in every encoding ------------------------------


def _reencoded(docx: bytes, name: str, encoding: str, doctype: str) -> bytes:
    """The package with part ``name`` written in ``encoding`` (with its BOM), a DOCTYPE added."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx)) as source, zipfile.ZipFile(buffer, "w") as archive:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == name:
                text = data.decode("utf-8").split("?>", 1)[1].lstrip()
                declaration = f'<?xml version="1.0" encoding="{encoding}" standalone="yes"?>\n'
                data = (declaration + doctype + text).encode(encoding)  # utf-16 / utf-32 write a BOM
            archive.writestr(info, data)
    return buffer.getvalue()


_DOCTYPES = [
    '<!DOCTYPE w:document [<!ENTITY e "entity">]>',
    '<!DOCTYPE w:document SYSTEM "http://example.com/x.dtd">',
    "<!DOCTYPE w:document>",
]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-8"])
@pytest.mark.parametrize("doctype", _DOCTYPES)
def test_a_doctype_is_refused_in_every_encoding(encoding: str, doctype: str, tmp_path: Path) -> None:
    # utf-16-le and utf-16-be have no BOM: the declaration alone names the encoding.
    docx = _reencoded(make_docx(para("<<name>>")), "word/document.xml", encoding, doctype)
    with pytest.raises(UnsafeDocumentError, match="declares a DOCTYPE or entities"):
        Template.open(docx)
    template = tmp_path / "t.docx"
    template.write_bytes(docx)
    result = runner.invoke(app, ["fill", str(template), "-o", str(tmp_path / "o.docx"), "--set", "name=A"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("error: ")
    assert "declares a DOCTYPE or entities" in result.stderr
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32"])
def test_a_header_in_utf16_with_an_entity_is_refused(encoding: str) -> None:
    docx = make_docx(
        para("<<name>>"), headers={"header1.xml": p("<w:r><w:t>&e; &lt;&lt;name&gt;&gt;</w:t></w:r>")}
    )
    docx = _reencoded(docx, "word/header1.xml", encoding, '<!DOCTYPE w:hdr [<!ENTITY e "x">]>')
    with pytest.raises(UnsafeDocumentError):
        Template.open(docx)


def test_a_part_in_utf16_without_a_doctype_is_filled() -> None:
    docx = _reencoded(make_docx(para("Dear <<name>>")), "word/document.xml", "utf-16", "")
    filled = Template.open(docx).render({"name": "Ada"})
    assert b"Dear Ada" in _document(filled)


# -- 4. macros are found by relationship and content type -------------------

_VBA_RELATIONSHIP = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
_VBA_TYPE = "application/vnd.ms-office.vbaProject"


def _with_macros(*, relationship: bool, content_type: bool, member: str = "word/macros.bin") -> bytes:
    docx = make_docx(para("<<name>>"))
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx)) as source, zipfile.ZipFile(buffer, "w") as archive:
        for info in source.infolist():
            data = source.read(info)
            target = member.removeprefix("word/")
            if relationship and info.filename == "word/_rels/document.xml.rels":
                rel = f'<Relationship Id="rId90" Type="{_VBA_RELATIONSHIP}" Target="{target}"/>'
                data = data.replace(b"</Relationships>", rel.encode() + b"</Relationships>")
            if content_type and info.filename == "[Content_Types].xml":
                override = f'<Override PartName="/{member}" ContentType="{_VBA_TYPE}"/>'
                data = data.replace(b"</Types>", override.encode() + b"</Types>")
            archive.writestr(info, data)
        archive.writestr(member, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 not really a VBA project")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("relationship", "content_type"),
    [(True, False), (False, True), (True, True)],
    ids=["relationship", "content-type", "both"],
)
def test_macros_under_another_name_are_found(relationship: bool, content_type: bool, tmp_path: Path) -> None:
    docx = _with_macros(relationship=relationship, content_type=content_type)
    template = Template.open(docx)
    assert template.is_macro_enabled
    assert template.extension == ".docm"
    with pytest.raises(MacroTemplateError):
        template.render({"name": "Ada"})
    assert template.fill({"name": "Ada"}, allow_macros=True).extension == ".docm"
    code, stdout, stderr, out = _fill_cli(tmp_path, docx, "name=Ada")
    assert code == 1
    assert stdout == ""
    assert stderr.startswith("error: ")
    assert "macros" in stderr
    assert not out.exists()
    assert not out.with_suffix(".docm").exists()


def test_a_bin_member_without_a_vba_relationship_or_type_is_not_macros() -> None:
    assert not Template.open(_with_macros(relationship=False, content_type=False)).is_macro_enabled


# -- 5. opening time grows with the template, not with its square ----------

_HANG_GUARD = 120  # seconds: far above what a linear open takes (a few), far below a quadratic one


def _open_guarded(docx: bytes) -> Template:
    """Open in a thread, failing (not hanging the suite) if it does not finish within the guard."""
    opened: list[Template] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            opened.append(Template.open(docx))
        except BaseException as exc:  # handed to the test below
            errors.append(exc)

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(_HANG_GUARD)
    assert not thread.is_alive(), f"Template.open did not finish within {_HANG_GUARD} s"
    if errors:
        raise errors[0]
    return opened[0]


def test_fifty_thousand_distinct_placeholders_open() -> None:
    # Quadratic listing took about 51 s for 20,000 names, so this many took many minutes.
    count = 50_000
    template = _open_guarded(make_docx("".join(para(f"<<name{i}>>") for i in range(count))))
    assert len(template.placeholders) == count
    assert template.placeholders[-1] == Placeholder(f"name{count - 1}", 1, ("word/document.xml",))


def test_thousands_of_placeholders_in_one_paragraph_of_runs_open() -> None:
    count = 30_000
    template = _open_guarded(make_docx(p(*(r(f"<<name{i}>>") for i in range(count)))))
    assert len(template.placeholders) == count
    filled = template.render({f"name{i}": str(i) for i in range(count)})
    assert f'<w:t xml:space="preserve">{count - 1}</w:t>'.encode() in _document(filled)


def test_ten_thousand_lists_open() -> None:
    # Each list's fields were looked for among every occurrence of the template.
    count = 10_000
    body = "".join(para(f"<<#l{i}>>") + para(f"<<f{i}>>") + para(f"<</l{i}>>") for i in range(count))
    template = _open_guarded(make_docx(body))
    assert len(template.placeholders) == count
    last = template.placeholders[-1]
    assert last.kind == "list"
    assert [field.name for field in last.fields] == [f"f{count - 1}"]


# -- a huge text node ------------------------------------------------------

_PEAK_MEMORY = """
import sys
from mytypist_cli import Template

def high_water():  # VmHWM, not ru_maxrss: that one keeps the parent's peak across exec
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:"))

data = open(sys.argv[1], "rb").read()
before = high_water()
Template.open(data).render({"name": "Ada"})
print(high_water() - before)
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the peak from /proc")
def test_a_huge_text_node_costs_a_small_multiple_of_its_size(tmp_path: Path) -> None:
    # A 200 MB text node took 1.7 GB to open: the text after a placeholder was copied as a wide
    # string, twice its size, beside the copies the parser and the compiled template need.
    import subprocess
    import sys

    size = 30_000_000
    text = base64.b64encode(random.Random(7).randbytes(size * 3 // 4)).decode()
    template = tmp_path / "big.docx"
    template.write_bytes(make_docx(para("<<name>> " + text + " <<name>>")))
    del text
    done = subprocess.run(
        [sys.executable, "-c", _PEAK_MEMORY, str(template)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    grown = int(done.stdout)
    # Measured here: 6.8 times (7.8 before the fix; steady to 0.01 between runs), the .docx itself,
    # the parser's tree and the compiled template included; opening 200 MB once took 1.7 GB.
    assert grown < 7.25 * size, f"opening and filling took {grown / size:.1f} times the part's size"


def test_a_huge_text_node_after_a_placeholder_keeps_every_character() -> None:
    text = base64.b64encode(random.Random(12).randbytes(1_200_000)).decode()  # does not compress 200 times
    template = Template.open(make_docx(para(f"Dear <<name>>, {text} end <<name>>")))
    xml = _document(template.render({"name": "Ada"}))
    runs = re.findall(rb"<w:t[^>]*>([^<]*)</w:t>", xml)
    assert b"".join(runs) == f"Dear Ada, {text} end Ada".encode()
    assert xml.count(b"<w:r>") == 1  # the long text stays in the placeholder's run
