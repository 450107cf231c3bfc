"""``<<agreed|check>>``: ☒ for a true value, ☐ for a false one, with the falsy forms of ``<<?x>>``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from docx_factory import make_docx, member, p, para, r, text_of
from mytypist_cli.cli.app import app
from mytypist_cli.engine.template import Template
from mytypist_cli.errors import MissingFieldsError, RenderError, TemplateSyntaxError

runner = CliRunner()
CHECKED, UNCHECKED = "\u2612", "\u2610"


@pytest.mark.parametrize("value", [True, "yes", "true", "X", 1, 2.5, "on"])
def test_a_true_value_is_a_ticked_box(value: Any) -> None:
    template = Template.open(make_docx(para("<<agreed|check>> I agree")))
    assert CHECKED + " I agree" in text_of(template.render({"agreed": value}))


@pytest.mark.parametrize("value", [False, "", "no", "NO", "false", "0", 0, 0.0, " No "])
def test_a_false_value_is_an_empty_box(value: Any) -> None:
    template = Template.open(make_docx(para("<<agreed|check>> I agree")))
    assert UNCHECKED + " I agree" in text_of(template.render({"agreed": value}))


def test_check_keeps_the_run_formatting_of_its_placeholder() -> None:
    body = p(r("<<agreed|check>>", rpr='<w:rFonts w:ascii="MS Gothic"/><w:sz w:val="28"/>'))
    data = Template.open(make_docx(body)).render({"agreed": "yes"})
    xml = member(data, "word/document.xml").decode()
    assert (
        f'<w:rFonts w:ascii="MS Gothic"/><w:sz w:val="28"/></w:rPr><w:t xml:space="preserve">{CHECKED}' in xml
    )


def test_check_in_a_table_cell_a_header_and_a_footer() -> None:
    cell = f"<w:tbl><w:tr><w:tc>{para('<<a|check>>')}</w:tc></w:tr></w:tbl>"
    docx = make_docx(
        cell + para("body"),
        headers={"header1.xml": para("<<b|check>> head")},
        footers={"footer1.xml": para("<<c|check>> foot")},
    )
    data = Template.open(docx).render({"a": "yes", "b": "no", "c": True})
    assert CHECKED in text_of(data)
    assert UNCHECKED + " head" in text_of(data, "word/header1.xml")
    assert CHECKED + " foot" in text_of(data, "word/footer1.xml")


def test_check_in_a_repeated_section_reads_each_item() -> None:
    docx = make_docx(para("<<#items>><<done|check>> <<name>><</items>>"))
    data = Template.open(docx).render({"items": [{"name": "a", "done": 1}, {"name": "b", "done": 0}]})
    assert f"{CHECKED} a{UNCHECKED} b" in text_of(data)


def test_a_missing_value_is_missing_and_a_default_may_stand_in() -> None:
    template = Template.open(make_docx(para('<<agreed|default:"no"|check>>')))
    assert UNCHECKED in text_of(template.render({}))
    assert CHECKED in text_of(template.render({"agreed": "yes"}))


@pytest.mark.parametrize("value", [["a"], {"x": 1}])
def test_a_list_or_an_object_fails_naming_the_placeholder(value: Any) -> None:
    template = Template.open(make_docx(para("<<agreed|check>>")))
    with pytest.raises(RenderError, match=r"<<agreed\|check>>: .*cannot be a checkbox"):
        template.render({"agreed": value})


def test_check_takes_no_argument() -> None:
    with pytest.raises(TemplateSyntaxError, match="takes no argument"):
        Template.open(make_docx(para("<<agreed|check:x>>")))


def test_cli_a_bad_value_fails_its_row_and_the_others_are_written(tmp_path: Path) -> None:
    template = tmp_path / "form.docx"
    template.write_bytes(make_docx(para("<<name>> <<agreed|check>>")))
    data = tmp_path / "rows.json"
    data.write_text(
        json.dumps(
            [{"name": "a", "agreed": "yes"}, {"name": "b", "agreed": [1]}, {"name": "c", "agreed": "no"}]
        )
    )
    out = tmp_path / "o"
    result = runner.invoke(app, ["fill", str(template), str(data), "--out-dir", str(out), "--jobs", "1"])
    assert result.exit_code == 1, result.output
    assert result.stdout.splitlines() == [str(out / "form-0001.docx"), str(out / "form-0003.docx")]
    assert any(line.startswith("row 2: <<agreed|check>>") for line in result.stderr.splitlines())
    assert UNCHECKED in text_of((out / "form-0003.docx").read_bytes())


W14 = "http://schemas.microsoft.com/office/word/2010/wordml"


def checkbox_control(
    tag: str, *, checked: str | None = "0", states: tuple[str, str] | None = ("2612", "2610")
) -> str:
    """A paragraph holding a Word checkbox content control whose text is ``tag``, then " I agree"."""
    state = f'<w14:checked w14:val="{checked}"/>' if checked is not None else ""
    if states is not None:
        state += (
            f'<w14:checkedState w14:val="{states[0]}" w14:font="MS Gothic"/>'
            f'<w14:uncheckedState w14:val="{states[1]}" w14:font="MS Gothic"/>'
        )
    tag_xml = tag.replace("<", "&lt;").replace(">", "&gt;")
    return (
        f'<w:p><w:sdt><w:sdtPr><w:id w:val="7"/><w14:checkbox xmlns:w14="{W14}">{state}</w14:checkbox></w:sdtPr>'
        '<w:sdtContent><w:r><w:rPr><w:rFonts w:ascii="MS Gothic" w:hAnsi="MS Gothic"/></w:rPr>'
        f"<w:t>{tag_xml}</w:t></w:r></w:sdtContent></w:sdt>"
        '<w:r><w:t xml:space="preserve"> I agree</w:t></w:r></w:p>'
    )


def control_states(data: bytes, name: str = "word/document.xml") -> list[tuple[str | None, str]]:
    """(w14:checked, the control's text) for every checkbox control in the part."""
    from lxml import etree

    root = etree.fromstring(member(data, name))
    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    found = []
    for sdt in root.iter(f"{w}sdt"):
        checked = sdt.find(f"{w}sdtPr/{{{W14}}}checkbox/{{{W14}}}checked")
        content = sdt.find(f"{w}sdtContent")
        found.append(
            (checked.get(f"{{{W14}}}val") if checked is not None else None, "".join(content.itertext()))
        )
    return found


@pytest.mark.parametrize(
    ("value", "state"), [("yes", ("1", CHECKED)), ("no", ("0", UNCHECKED)), (True, ("1", CHECKED))]
)
def test_in_a_checkbox_content_control_the_checked_state_is_set_too(
    value: Any, state: tuple[str, str]
) -> None:
    template = Template.open(make_docx(checkbox_control("<<agreed|check>>", checked="0" if value else "1")))
    data = template.render({"agreed": value})
    assert control_states(data) == [state]
    assert text_of(data) == state[1] + " I agree"


def test_the_controls_own_symbols_are_used() -> None:
    template = Template.open(make_docx(checkbox_control("<<ok|check>>", states=("2714", "2717"))))
    assert control_states(template.render({"ok": 1})) == [("1", "\u2714")]
    assert control_states(template.render({"ok": 0})) == [("0", "\u2717")]


def test_a_control_without_a_checked_element_gets_one() -> None:
    template = Template.open(make_docx(checkbox_control("<<ok|check>>", checked=None, states=None)))
    assert control_states(template.render({"ok": "yes"})) == [("1", CHECKED)]


def test_controls_in_a_repeated_section_a_cell_and_a_header_each_follow_their_value() -> None:
    cell = f"<w:tbl><w:tr><w:tc>{checkbox_control('<<a|check>>')}</w:tc></w:tr></w:tbl>"
    docx = make_docx(
        cell + para("<<#items>>") + checkbox_control("<<done|check>>") + para("<</items>>"),
        headers={"header1.xml": checkbox_control('<<b|default:"no"|check>>')},
    )
    data = Template.open(docx).render({"a": "yes", "items": [{"done": 1}, {"done": 0}, {"done": "true"}]})
    assert control_states(data) == [("1", CHECKED), ("1", CHECKED), ("0", UNCHECKED), ("1", CHECKED)]
    assert control_states(data, "word/header1.xml") == [("0", UNCHECKED)]


def test_a_missing_value_in_a_control_is_missing_and_keep_leaves_it_unticked() -> None:
    template = Template.open(make_docx(checkbox_control("<<agreed|check>>", checked="1")))
    with pytest.raises(MissingFieldsError):
        template.render({})
    assert control_states(template.render({}, missing="keep")) == [("0", "<<agreed|check>>")]
