"""The command line over a whole package: messages in the template's delimiters, OpenDocument files,
nested lists of one name, document properties, comments, charts and data-bound content controls.

stdout carries data only; every message is on stderr.
"""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from docx_factory import add_parts, make_docx, make_odt, member, p, para, paragraphs, r
from mytypist_cli.cli.app import app
from test_package_text import VALUES, A, bindings, bound, texts, with_properties

runner = CliRunner()


def test_an_unclosed_loop_says_what_to_add_in_the_templates_delimiters(tmp_path: Path) -> None:
    template = tmp_path / "loop.docx"
    template.write_bytes(make_docx(para("{#loop}") + para("{name}")))
    out = tmp_path / "out.docx"
    result = runner.invoke(
        app, ["fill", str(template), "--set", "name=Ada", "-o", str(out), "--delimiters", "{ }"]
    )
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "is never closed (add {/loop})" in result.stderr
    assert "<<" not in result.stderr
    assert not out.exists()
    result = runner.invoke(app, ["extract", str(template), "--delimiters", "{ }", "--json"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "(add {/loop})" in result.stderr


def test_an_opendocument_template_says_how_to_save_it_as_docx(tmp_path: Path) -> None:
    template = tmp_path / "letter.odt"
    template.write_bytes(make_odt())
    for args in (["extract", str(template)], ["fill", str(template), "--set", "name=Ada", "-o", "-"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 1, args
        assert result.stdout == ""
        assert result.stderr.startswith(f"error: {template}: not a Word document: ")
        assert "OpenDocument text (.odt)" in result.stderr
        assert "File > Save As > Word 2007-365 (.docx)" in result.stderr
        assert "soffice --headless --convert-to docx" in result.stderr


def test_extract_lists_the_fields_of_a_list_nested_in_a_list_of_the_same_name(tmp_path: Path) -> None:
    template = tmp_path / "nested.docx"
    template.write_bytes(make_docx(para("<<#a>>") + para("<<#a>><<c>><</a>>") + para("<</a>>")))
    result = runner.invoke(app, ["extract", str(template), "--json"])
    assert result.exit_code == 0, result.output
    (entry,) = json.loads(result.stdout)["placeholders"]
    assert (entry["name"], entry["kind"], entry["fields"]) == ("a", "list", ["c"])
    assert result.stderr == ""
    result = runner.invoke(app, ["extract", str(template), "--format", "skeleton"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"a": [{"c": ""}]}


def test_fill_puts_values_in_document_properties_and_the_controls_bound_to_them(tmp_path: Path) -> None:
    template = tmp_path / "offer.docx"
    template.write_bytes(with_properties(bound("Offer for <<full_name>>") + para("Dear <<full_name>>")))
    result = runner.invoke(app, ["extract", str(template), "--json"])
    assert result.exit_code == 0, result.output
    parts = {entry["name"]: entry["parts"] for entry in json.loads(result.stdout)["placeholders"]}
    assert parts["full_name"] == ["word/document.xml", "docProps/core.xml", "docProps/custom.xml"]
    assert parts["company"] == ["docProps/app.xml"]
    assert result.stderr == ""
    out = tmp_path / "ada.docx"
    sets = [f"--set={name}={value}" for name, value in VALUES.items() if "\n" not in value]
    result = runner.invoke(app, ["fill", str(template), *sets, "--set", "note=n", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr == f"wrote {out}\n"
    filled = out.read_bytes()
    assert paragraphs(filled) == ["Offer for Ada & <Obi>", "Dear Ada & <Obi>"]
    assert texts(member(filled, "docProps/core.xml"))["title"] == "Offer for Ada & <Obi>"
    assert bindings(filled) == ["/ns1:coreProperties[1]/ns0:title[1]"]


def test_extract_warns_about_a_placeholder_nothing_fills(tmp_path: Path) -> None:
    template = tmp_path / "smart.docx"
    data = (
        '<dgm:dataModel xmlns:dgm="http://schemas.openxmlformats.org/drawingml/2006/diagram" '
        f'xmlns:a="{A}"><dgm:ptLst><dgm:pt><dgm:t><a:p><a:r><a:t>&lt;&lt;step&gt;&gt;</a:t></a:r></a:p>'
        "</dgm:t></dgm:pt></dgm:ptLst></dgm:dataModel>"
    )
    comment = '<w:comment w:id="0" w:author="HR">' + para("for <<reviewer>>") + "</w:comment>"
    template.write_bytes(
        add_parts(make_docx(para("<<x>>"), comments=comment), {"word/diagrams/data1.xml": data})
    )
    result = runner.invoke(app, ["extract", str(template), "--json"])
    assert result.exit_code == 0, result.output
    described = json.loads(result.stdout)
    assert [entry["name"] for entry in described["placeholders"]] == ["x", "reviewer"]
    assert described["warnings"] == ["<<step>> in word/diagrams/data1.xml is not filled"]
    assert result.stderr == f"warning: {template}: <<step>> in word/diagrams/data1.xml is not filled\n"


def test_fill_splits_paragraphs_where_section_tags_share_them(tmp_path: Path) -> None:
    drawing = '<w:r><w:drawing><wp:inline><wp:docPr id="4" name="Seal"/></wp:inline></w:drawing></w:r>'
    body = para("Before") + p(r("<<?sealed>>"), drawing) + para("Sealed on <<date>>.<</sealed>> After")
    template = tmp_path / "seal.docx"
    template.write_bytes(make_docx(body))
    for value, expected in (
        ("yes", ["Before", "", "Sealed on 22 May.", " After"]),
        ("no", ["Before", " After"]),
    ):
        out = tmp_path / f"{value}.docx"
        args = ["fill", str(template), "--set", f"sealed={value}", "--set", "date=22 May", "-o", str(out)]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        assert result.stdout == ""
        assert result.stderr == f"wrote {out}\n"
        assert paragraphs(out.read_bytes()) == expected
    # Tags that cannot be placed still fail with what to do, before anything is written.
    template.write_bytes(
        make_docx(p('<w:hyperlink r:id="rId9">' + r("<<?x>>go") + "</w:hyperlink>") + para("<</x>>."))
    )
    result = runner.invoke(app, ["fill", str(template), "--set", "x=1", "-o", str(tmp_path / "x.docx")])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "inside a hyperlink, content control or tracked change" in result.stderr
    assert not (tmp_path / "x.docx").exists()
