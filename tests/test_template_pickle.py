"""A Template pickles as its source and options and compiles again on load: the same documents come out."""

from __future__ import annotations

import copy
import io
import multiprocessing
import pickle
from typing import Any

import pytest
from PIL import Image

from docx_factory import DOTM_TYPE, make_docx, p, para, r
from mytypist_cli import Template, UnsafeDocumentError


def png(size: tuple[int, int] = (300, 150)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


ROW = (
    "<w:tr><w:tc>"
    + para("<<#items>><<desc>>")
    + "</w:tc><w:tc>"
    + para("<<qty|number>><</items>>")
    + "</w:tc></w:tr>"
)
SECTION = '<w:sectPr><w:pgSz w:w="11906"/><w:pgMar w:left="1440" w:right="1440"/></w:sectPr>'

# (template, options for open, values, options for fill)
CASES: dict[str, tuple[bytes, dict[str, Any], dict[str, Any], dict[str, Any]]] = {
    "values split across runs, header and footer": (
        make_docx(
            p(r("Dear <<na", "<w:b/>"), r("me|upper>>, on <<d|date:ordinal>>")),
            headers={"header1.xml": para("<<company>>")},
            footers={"footer1.xml": para('<<ref|default:"-">>')},
        ),
        {},
        {"name": "Ada", "d": "2025-09-22", "company": "Obi & Sons"},
        {},
    ),
    "lists, conditions and table rows": (
        make_docx(
            para("<<?vip>>Dear valued <<title>><</vip>><<^vip>>Hello<</vip>>")
            + para("<<#tags>>")
            + para("<<.>>")
            + para("<</tags>>")
            + "<w:tbl>"
            + ROW
            + "</w:tbl>"
            + para("")
        ),
        {},
        {
            "vip": "yes",
            "title": "client",
            "tags": ["a", "b", "c"],
            "items": [{"desc": "Pens", "qty": 1200}, {"desc": "Ink", "qty": 3}],
        },
        {},
    ),
    "pictures in the body, a list and a header": (
        make_docx(
            para("<<photo|image>>")
            + para("<<#people>>")
            + para("<<name>> <<sig|image:2cm>>")
            + para("<</people>>")
            + SECTION,
            headers={"header1.xml": para("<<logo|image>>")},
        ),
        {},
        {
            "photo": png((3000, 1500)),
            "logo": png(),
            "people": [{"name": "Ada", "sig": png((100, 40))}, {"name": "Obi", "sig": png((100, 40))}],
        },
        {},
    ),
    "delimiters and locale": (
        make_docx(para("{{ name }} le {{ d | date }}, {{ fee | number:2 }}")),
        {"delimiters": "{{ }}", "locale": "fr_FR"},
        {"name": "Adé", "d": "2025-09-22", "fee": 1234.5},
        {},
    ),
    "a macro-enabled template": (
        make_docx(para("<<a>>"), main_type=DOTM_TYPE, extra={"word/vbaProject.bin": b"\x00" * 64}),
        {},
        {"a": "x"},
        {"allow_macros": True},
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_loaded_template_renders_the_same_bytes(case: str) -> None:
    docx, opening, values, filling = CASES[case]
    template = Template.open(docx, **opening)
    loaded = pickle.loads(pickle.dumps(template))
    assert loaded is not template
    assert loaded.source == template.source == docx
    assert loaded.delimiters == template.delimiters
    assert loaded.locale == template.locale
    assert loaded.placeholders == template.placeholders
    assert loaded.extension == template.extension
    assert loaded.render(values, **filling) == template.render(values, **filling)
    missing = {**filling, "missing": "keep"}
    assert loaded.fill({}, **missing) == template.fill({}, **missing)


def test_the_pickle_holds_the_source_not_the_compiled_form() -> None:
    docx = CASES["lists, conditions and table rows"][0]
    template = Template.open(docx)
    template.render(CASES["lists, conditions and table rows"][2])
    assert len(pickle.dumps(template)) < len(docx) + 1000


def test_size_limits_given_to_open_are_kept() -> None:
    bomb = make_docx(para("<<x>>"), extra={"word/media/big.bin": bytes(20 * 1024 * 1024)})
    with pytest.raises(UnsafeDocumentError):
        Template.open(bomb)
    # Opening again with the default max_ratio would refuse it.
    loaded = pickle.loads(pickle.dumps(Template.open(bomb, max_ratio=10_000, max_size=50_000_000)))
    assert loaded.names == ("x",)
    assert loaded._limits == (50_000_000, 10_000)


def test_a_template_not_made_by_open_does_not_pickle() -> None:
    template = Template.open(make_docx(para("<<a>>")))
    template.source = b""
    with pytest.raises(TypeError, match="Template.open did not make"):
        pickle.dumps(template)
    with pytest.raises(TypeError, match="Template.open did not make"):
        pickle.dumps(object.__new__(Template))


def test_copies_compile_again_too() -> None:
    template = Template.open(make_docx(para("<<a>>")))
    assert copy.deepcopy(template).render({"a": "x"}) == template.render({"a": "x"})


def render_in_worker(template: Template, values: dict[str, Any], filling: dict[str, Any]) -> bytes:
    """Runs in a spawned process: the template arrives pickled."""
    return template.render(values, **filling)


def test_a_spawned_worker_renders_the_same_bytes() -> None:
    context = multiprocessing.get_context("spawn")
    jobs = [
        (Template.open(docx, **opening), values, filling) for docx, opening, values, filling in CASES.values()
    ]
    with context.Pool(2) as pool:
        results = pool.starmap(render_in_worker, jobs)
    assert results == [template.render(values, **filling) for template, values, filling in jobs]
