"""Hostile templates (issue 12): each is refused with a TemplateError or filled correctly, never a traceback."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from docx_factory import make_docx, p, para
from mytypist_cli import Template
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
