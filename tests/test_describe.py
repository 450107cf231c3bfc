"""engine/describe.py: what extract prints, as data, without the command line."""

from __future__ import annotations

from docx_factory import make_docx, para
from mytypist_cli import Template
from mytypist_cli.engine.describe import describe, other_delimiters


def test_entries_skeleton_and_header_of_values_conditions_and_lists() -> None:
    body = para("<<client|upper>>") + para("<<?paid>>PAID<</paid>>") + para("<<#items>>")
    body += para("<<description>> <<amount|money>>") + para("<</items>>") + para("x <<>> y")
    described = describe(Template.open(make_docx(body)), "invoice.docx")
    assert described.names == ("client", "paid", "items")
    assert described.to_json_dict() == {
        "template": "invoice.docx",
        "syntax": "mytypist",
        "placeholders": [
            {
                "name": "client",
                "kind": "value",
                "count": 1,
                "parts": ["word/document.xml"],
                "filters": ["upper"],
            },
            {"name": "paid", "kind": "condition", "count": 1, "parts": ["word/document.xml"], "filters": []},
            {
                "name": "items",
                "kind": "list",
                "count": 1,
                "parts": ["word/document.xml"],
                "filters": [],
                "fields": ["description", "amount"],
            },
        ],
        "warnings": ["word/document.xml, paragraph 6: '<<>>' is not a valid placeholder; left as text"],
    }
    assert described.skeleton() == {"client": "", "paid": False, "items": [{"description": "", "amount": ""}]}
    assert described.csv_header() == ["client", "paid"]
    assert described.messages == (
        "invoice.docx: word/document.xml, paragraph 6: '<<>>' is not a valid placeholder; left as text",
    )


def test_no_placeholders_names_the_delimiters_that_would_find_some() -> None:
    data = make_docx(para("Dear {{ name }}"))
    described = describe(Template.open(data), "old.docx")
    assert described.placeholders == ()
    assert described.other_delimiters == "{{ }}"
    assert described.messages == (
        'old.docx: no <<placeholders>> found; it has {{…}} ones: pass --delimiters "{{ }}"',
    )
    assert other_delimiters(data, ("{{", "}}")) is None  # the ones it was read with are not "other"


def test_no_placeholders_with_any_delimiters_gives_no_hint() -> None:
    described = describe(Template.open(make_docx(para("Just text."))))
    assert described.other_delimiters is None
    assert described.messages == ("<template>: no <<placeholders>> found",)
