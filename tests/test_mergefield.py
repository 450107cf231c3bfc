"""Word mail-merge fields filled by our own engine: field forms, switches, IF, MERGEREC, NEXT, warnings."""

from __future__ import annotations

import io
import pickle
import re
import zipfile
from collections.abc import Sequence

import pytest

from docx_factory import make_docx, p, para, r, text_of
from mytypist_cli.engine.template import Template
from mytypist_cli.errors import MissingFieldsError, RenderError, TemplateError


def complex_field(instruction: Sequence[str], result: str = "«x»", rpr: str = "") -> str:
    """A complex field whose code is split over the runs ``instruction`` lists."""
    runs = ['<w:r><w:fldChar w:fldCharType="begin"/></w:r>']
    runs += [
        f'<w:r><w:instrText xml:space="preserve">{_esc(text)}</w:instrText></w:r>' for text in instruction
    ]
    runs.append('<w:r><w:fldChar w:fldCharType="separate"/></w:r>')
    runs.append(r(result, rpr))
    runs.append('<w:r><w:fldChar w:fldCharType="end"/></w:r>')
    return "".join(runs)


def simple_field(instruction: str, result: str = "«x»", rpr: str = "") -> str:
    return f'<w:fldSimple w:instr="{_esc(instruction)}">{r(result, rpr)}</w:fldSimple>'


def if_field(test: str, yes: str, no: str) -> str:
    """{ IF { MERGEFIELD x } <test> "yes" "no" } with ``yes`` allowed to hold a nested field's markup."""
    return (
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        '<w:r><w:instrText xml:space="preserve"> IF </w:instrText></w:r>'
        + test
        + yes
        + f'<w:r><w:instrText xml:space="preserve"> "{_esc(no)}" </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r>' + r("shown before") + ""
        '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
    )


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def document_xml(docx: bytes, name: str = "word/document.xml") -> str:
    return zipfile.ZipFile(io.BytesIO(docx)).read(name).decode()


def fill(body: str, values: dict[str, object], **parts: object) -> bytes:
    return Template.open(make_docx(body, **parts)).render(values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "instruction",
    [
        [" MERGEFIELD name "],
        [" MERGE", "FIELD na", "me \\* MERGEFORMAT "],
        [" ", "MERGEFIELD", " ", "name", " "],
        [' MERGEFIELD "na', 'me" '],
    ],
)
def test_complex_field_split_across_runs_is_filled(instruction: list[str]) -> None:
    out = fill(p(r("Dear "), complex_field(instruction), r("!")), {"name": "Ada"})
    assert text_of(out) == "Dear Ada!"
    xml = document_xml(out)
    assert "instrText" not in xml
    assert "fldChar" not in xml
    assert "«" not in xml


def test_simple_field_and_result_formatting_kept() -> None:
    out = fill(p(simple_field(" MERGEFIELD name ", rpr="<w:b/>")), {"name": "Ada"})
    assert text_of(out) == "Ada"
    xml = document_xml(out)
    assert "fldSimple" not in xml
    assert re.search(r"<w:r><w:rPr><w:b/></w:rPr><w:t[^>]*>Ada</w:t></w:r>", xml)


def test_quoted_name_with_spaces_is_a_column_name() -> None:
    template = Template.open(make_docx(p(complex_field([' MERGEFIELD "First Name" ']))))
    assert template.syntax == "mergefield"
    assert template.names == ("First Name",)
    assert template.missing_from(["First Name"]) == ()
    assert template.missing_from(["first"]) == ("First Name",)
    with pytest.raises(MissingFieldsError, match="First Name"):
        template.render({})


def test_nfc_names_match() -> None:
    decomposed = "Yoru\u0300ba\u0301"
    out = fill(p(complex_field([f" MERGEFIELD {decomposed} "])), {"Yorùbá": "ok"})
    assert text_of(out) == "ok"


def test_header_table_and_text_box() -> None:
    cell = f"<w:tbl><w:tr><w:tc>{p(complex_field([' MERGEFIELD a ']))}</w:tc></w:tr></w:tbl>"
    box = (
        "<w:r><w:pict><v:shape><v:textbox><w:txbxContent>"
        + p(simple_field(" MERGEFIELD c "))
        + "</w:txbxContent></v:textbox></v:shape></w:pict></w:r>"
    )
    docx = make_docx(cell + p(box), headers={"header1.xml": p(complex_field([" MERGEFIELD b "]))})
    template = Template.open(docx)
    assert set(template.names) == {"a", "b", "c"}
    out = template.render({"a": "A1", "b": "B2", "c": "C3"})
    assert text_of(out) == "A1\n\nC3"
    assert "B2" in document_xml(out, "word/header1.xml")
    assert "instrText" not in document_xml(out, "word/header1.xml")


@pytest.mark.parametrize(
    ("switches", "value", "shown"),
    [
        ("\\* Upper", "ada obi", "ADA OBI"),
        ("\\* Lower", "ADA", "ada"),
        ("\\* Caps", "ada obi", "Ada Obi"),
        ("\\* FirstCap", "ada obi", "Ada obi"),
        ("\\* MERGEFORMAT", "Ada", "Ada"),
        ("\\* CHARFORMAT", "Ada", "Ada"),
        ('\\b "Dear " \\f ","', "Ada", "Dear Ada,"),
        ('\\b "Dear " \\f ","', "", ""),
        ('\\@ "d MMMM yyyy"', "2025-09-22", "22 September 2025"),
        ('\\@ "dddd, D MMM YY"', "2025-09-22", "Monday, 22 Sept 25"),
        ('\\@ "dd/MM/yyyy"', "2025-09-02", "02/09/2025"),
        ('\\@ "h:mm am/pm"', "2025-09-22T14:05:09", "2:05 PM"),
        ('\\@ "hh:mm AM/PM"', "2025-09-22T09:05:09", "09:05 AM"),
        ('\\@ "HH:mm:ss"', "2025-09-22T09:05:09", "09:05:09"),
        ('\\@ "H m s"', "2025-09-22T09:05:09", "9 5 9"),
        ("\\@ \"'Lagos,' d MMMM\"", "2025-09-22", "Lagos, 22 September"),
        ('\\# "#,##0.00"', "1234567.456", "1,234,567.46"),
        ('\\# "₦#,##0.00"', "250000", "₦250,000.00"),
        ('\\# "₦#,##0.00"', "-3", "-₦3.00"),
        ('\\# "0000"', "42", "0042"),
        ('\\# "###"', "5", "  5"),
        ('\\# "#,##0;(#,##0)"', "-1500", "(1,500)"),
        ('\\# "+0;-0"', "7", "+7"),
        ("\\# \"0 'units'\"", "3", "3 units"),
        ('\\# "0.0" \\b "about "', "2.25", "about 2.3"),
    ],
)
def test_switches(switches: str, value: str, shown: str) -> None:
    out = fill(p(complex_field([f" MERGEFIELD v {switches} "])), {"v": value})
    assert text_of(out) == shown


def test_month_names_follow_the_template_locale() -> None:
    docx = make_docx(p(complex_field([' MERGEFIELD d \\@ "d MMMM yyyy" '])))
    assert text_of(Template.open(docx, locale="fr_FR").render({"d": "2025-09-22"})) == "22 septembre 2025"


def test_value_the_picture_cannot_take_names_the_field() -> None:
    template = Template.open(make_docx(p(complex_field([' MERGEFIELD fee \\# "#,##0" ']))))
    with pytest.raises(RenderError, match="«fee».*not a number"):
        template.render({"fee": "lots"})
    template = Template.open(make_docx(p(complex_field([' MERGEFIELD day \\@ "d MMMM" ']))))
    with pytest.raises(RenderError, match="«day».*not a date"):
        template.render({"day": "soon"})


def test_unknown_format_switch_fails_at_open() -> None:
    with pytest.raises(TemplateError, match="Roman"):
        Template.open(make_docx(p(complex_field([" MERGEFIELD n \\* Roman "]))))


def _gender_if(operator: str, expected: str) -> str:
    return if_field(
        complex_field([" MERGEFIELD gender "])
        + f'<w:r><w:instrText> {_esc(operator)} "{expected}" "Yes </w:instrText></w:r>',
        complex_field([" MERGEFIELD name "]) + '<w:r><w:instrText>"</w:instrText></w:r>',
        "No",
    )


@pytest.mark.parametrize(
    ("operator", "expected", "value", "holds"),
    [
        ("=", "female", "female", True),
        ("=", "female", "male", False),
        ("<>", "female", "male", True),
        ("<>", "female", "female", False),
        ("=", "fem*", "female", True),
        ("=", "m?le", "male", True),
        ("=", "m?le", "female", False),
        ("<>", "fem*", "male", True),
        ("<", "10", "9", True),
        ("<", "10", "10", False),
        (">", "10", "11", True),
        (">", "10", "9", False),
        ("<=", "10", "10", True),
        ("<=", "10", "11", False),
        (">=", "10", "10", True),
        (">=", "10", "9", False),
        ("<", "b", "a", True),
        (">", "b", "a", False),
    ],
)
def test_if_operators(operator: str, expected: str, value: str, holds: bool) -> None:
    out = fill(p(_gender_if(operator, expected)), {"gender": value, "name": "Ada"})
    assert text_of(out) == ("Yes Ada" if holds else "No")
    assert "instrText" not in document_xml(out)


def test_if_madam_sir() -> None:
    field = if_field(
        complex_field([" MERGEFIELD gender "]) + '<w:r><w:instrText> = "female" "Madam" </w:instrText></w:r>',
        "",
        "Sir",
    )
    template = Template.open(make_docx(p(r("Dear "), field)))
    assert text_of(template.render({"gender": "female"})) == "Dear Madam"
    assert text_of(template.render({"gender": "male"})) == "Dear Sir"
    assert text_of(template.render({})) == "Dear Sir"


def _instr(text: str) -> str:
    return f'<w:r><w:instrText xml:space="preserve">{_esc(text)}</w:instrText></w:r>'


def _two_fields_if(left: str, operator: str, right: str, yes: str = "same", no: str = "different") -> str:
    """{ IF <left> <operator> <right> "yes" "no" }, each side written with fields as complex fields."""

    def side(text: str) -> str:
        # «name» in the text is a nested { MERGEFIELD name }
        out = []
        for index, piece in enumerate(re.split("\u00ab([^\u00bb]*)\u00bb", text)):
            if index % 2:
                out.append(complex_field([f" MERGEFIELD {piece} "]))
            elif piece:
                out.append(_instr(piece))
        return "".join(out)

    return if_field(side(left) + _instr(f" {operator} ") + side(right) + _instr(f' "{yes}" '), "", no)


@pytest.mark.parametrize(
    ("operator", "a", "b", "holds"),
    [
        ("=", "Lagos", "Lagos", True),
        ("=", "Lagos", "Abuja", False),
        ("=", "10", "10.00", True),
        ("<>", "Lagos", "Abuja", True),
        ("<>", "Lagos", "Lagos", False),
        ("<", "9", "10", True),
        ("<", "10", "9", False),
        (">", "10", "9", True),
        (">", "9", "10", False),
        ("<=", "10", "10", True),
        ("<=", "11", "10", False),
        (">=", "10", "10", True),
        (">=", "9", "10", False),
        ("<", "Abuja", "Lagos", True),
        (">", "Abuja", "Lagos", False),
        ("=", "Lagos", "La*", True),
        ("=", "Lagos", "L?gos", True),
        ("<>", "Lagos", "Ab*", True),
    ],
)
def test_if_compares_two_merge_fields(operator: str, a: str, b: str, holds: bool) -> None:
    """{ IF { MERGEFIELD a } = { MERGEFIELD b } "same" "different" }: both fields read from the row."""
    out = fill(p(_two_fields_if("\u00aba\u00bb", operator, "\u00abb\u00bb")), {"a": a, "b": b})
    assert text_of(out) == ("same" if holds else "different")
    xml = document_xml(out)
    assert "instrText" not in xml
    assert "fldChar" not in xml


@pytest.mark.parametrize(
    ("left", "right", "values", "holds"),
    [
        ('\u00abfee \\# "0.00"\u00bb', '"10.00"', {"fee": "10"}, True),  # Word compares the shown 10.00
        ('\u00abfee \\# "0.00"\u00bb', '"10.5"', {"fee": "10.5"}, True),  # as numbers: 10.50 = 10.5
        ('\u00abfee \\# "#,##0"\u00bb', '"1,250"', {"fee": "1250"}, True),
        ("\u00abcity \\* Upper\u00bb", "\u00abcode\u00bb", {"city": "lagos", "code": "LAGOS"}, True),
        ("\u00abcity \\* Upper\u00bb", '"lagos"', {"city": "lagos"}, False),
        ("\u00abcity \\* MERGEFORMAT\u00bb", '"lagos"', {"city": "lagos"}, True),
        ('\u00abday \\@ "MMMM"\u00bb', '"September"', {"day": "2025-09-22"}, True),
        ('\u00abfee \\# "0.00"\u00bb', '"0.00"', {"fee": ""}, False),  # blank shows as blank
    ],
)
def test_if_compares_what_a_field_with_switches_shows(
    left: str, right: str, values: dict[str, object], holds: bool
) -> None:
    out = fill(p(_two_fields_if(left, "=", right)), values)
    assert text_of(out) == ("same" if holds else "different")
    assert "instrText" not in document_xml(out)


def test_an_if_compares_month_names_in_the_template_locale() -> None:
    docx = make_docx(p(_two_fields_if('\u00abday \\@ "MMMM"\u00bb', "=", '"septembre"')))
    assert text_of(Template.open(docx, locale="fr_FR").render({"day": "2025-09-22"})) == "same"
    assert text_of(Template.open(docx).render({"day": "2025-09-22"})) == "different"  # en_NG: September


def test_a_bad_switch_on_a_field_an_if_compares_fails_at_open() -> None:
    with pytest.raises(TemplateError, match="Roman"):
        Template.open(make_docx(p(_two_fields_if("\u00abn \\* Roman\u00bb", "=", '"x"'))))


def test_extract_shows_the_switches_of_a_field_an_if_compares() -> None:
    template = Template.open(make_docx(p(_two_fields_if('\u00abfee \\# "0.00"\u00bb', "=", '"10.00"'))))
    assert template.warnings == ()
    (fee,) = [placeholder for placeholder in template.placeholders if placeholder.name == "fee"]
    assert fee.filters == ('IF \u00abfee \\# "0.00"\u00bb = "10.00"',)


def test_if_over_two_fields_lists_both_as_conditions() -> None:
    template = Template.open(make_docx(p(_two_fields_if("\u00aba\u00bb", "=", "\u00abb\u00bb"))))
    assert template.warnings == ()
    assert template.names == ("a", "b")
    assert {x.name: x.kind for x in template.placeholders} == {"a": "condition", "b": "condition"}
    assert {x.name: x.filters for x in template.placeholders} == {
        "a": ("IF \u00aba\u00bb = \u00abb\u00bb",),
        "b": ("IF \u00aba\u00bb = \u00abb\u00bb",),
    }
    # neither is required: a missing field is empty text, as in Word
    assert template.missing_from([]) == ()
    assert text_of(template.render({"a": "x"})) == "different"
    assert text_of(template.render({})) == "same"


@pytest.mark.parametrize(
    ("left", "operator", "right", "values", "shown"),
    [
        # the field on the right of text: "female" = { MERGEFIELD gender }
        ('"female"', "=", "\u00abgender\u00bb", {"gender": "female"}, "same"),
        ('"10"', "<", "\u00abn\u00bb", {"n": "11"}, "same"),
        ('"10"', "<", "\u00abn\u00bb", {"n": "9"}, "different"),
        # quoted fields, and text around a field on one side
        ('"\u00abcity\u00bb"', "=", '"\u00abhome\u00bb"', {"city": "Ibadan", "home": "Ibadan"}, "same"),
        (
            '"\u00abfirst\u00bb \u00ablast\u00bb"',
            "=",
            "\u00abfull\u00bb",
            {"first": "Ada", "last": "Obi", "full": "Ada Obi"},
            "same",
        ),
        ('"Mr \u00ablast\u00bb"', "<>", "\u00abfull\u00bb", {"last": "Obi", "full": "Mr Obi"}, "different"),
    ],
)
def test_if_with_fields_on_either_side_and_text_around_them(
    left: str, operator: str, right: str, values: dict[str, object], shown: str
) -> None:
    out = fill(p(_two_fields_if(left, operator, right)), values)
    assert text_of(out) == shown


def test_if_over_two_fields_shows_merge_fields_in_its_results() -> None:
    yes = "Welcome back, " + complex_field([" MERGEFIELD name "])
    field = if_field(
        complex_field([" MERGEFIELD city "])
        + _instr(" = ")
        + complex_field([" MERGEFIELD home "])
        + _instr(' "Welcome back, ')
        + complex_field([" MERGEFIELD name "])
        + _instr('"'),
        "",
        "Welcome",
    )
    del yes
    template = Template.open(make_docx(p(field)))
    assert set(template.names) == {"city", "home", "name"}
    assert text_of(template.render({"city": "Jos", "home": "Jos", "name": "Ada"})) == "Welcome back, Ada"
    assert text_of(template.render({"city": "Jos", "home": "Kano", "name": "Ada"})) == "Welcome"


def test_if_over_two_fields_after_next_reads_the_next_record() -> None:
    sheet = make_docx(
        p(_two_fields_if("\u00aba\u00bb", "=", "\u00abb\u00bb"))
        + p(complex_field([" NEXT "], result=""), _two_fields_if("\u00aba\u00bb", "=", "\u00abb\u00bb"))
    )
    template = Template.open(sheet)
    assert template.records_per_document == 2
    from mytypist_cli.engine.template import group_values

    records = [{"a": "1", "b": "1"}, {"a": "1", "b": "2"}]
    assert text_of(template.render(group_values(records, 1, 2))) == "same\ndifferent"


def test_mergerec_and_mergeseq() -> None:
    template = Template.open(
        make_docx(
            p(
                complex_field([" MERGEREC "]),
                r("/"),
                simple_field(" MERGESEQ "),
                complex_field([" MERGEFIELD a "]),
            )
        )
    )
    assert template.names == ("a",)
    assert text_of(template.render({"a": "x"})) == "1/1x"


def label_sheet() -> bytes:
    cells = []
    for index in range(4):
        nxt = complex_field([" NEXT "], result="") if index else ""
        cells.append(f"<w:tc>{p(nxt, complex_field([' MERGEFIELD name ']))}</w:tc>")
    return make_docx("<w:tbl><w:tr>" + "".join(cells) + "</w:tr></w:tbl>" + p(complex_field([" MERGEREC "])))


def test_next_four_records_per_document() -> None:
    template = Template.open(label_sheet())
    assert template.records_per_document == 4
    assert template.names == ("name",)
    from mytypist_cli.engine.template import group_values

    records = [{"name": n} for n in ("A", "B", "C", "D")]
    assert text_of(template.render(group_values(records, 1, 4))) == "A\nB\nC\nD\n4"
    assert text_of(template.render(group_values(records[:2], 5, 4))) == "A\nB\n\n\n"
    assert "fldChar" not in document_xml(template.render(group_values(records, 1, 4)))


def test_unsupported_fields_reported_and_other_fields_kept() -> None:
    body = (
        p(complex_field([" MERGEFIELD a "]))
        + p(complex_field([' ASK q "Question?" ']))
        + p(complex_field([" FILLIN x "]), complex_field([" PAGE "], result="3"))
        + p(simple_field(" SKIPIF a = 1 "))
    )
    template = Template.open(make_docx(body))
    warnings = [str(problem) for problem in template.warnings]
    assert warnings == [
        "word/document.xml, paragraph 2: the ASK field is not run by mytypist; left as it is",
        "word/document.xml, paragraph 3: the FILLIN field is not run by mytypist; left as it is",
        "word/document.xml, paragraph 4: the SKIPIF field is not run by mytypist; left as it is",
    ]
    xml = document_xml(template.render({"a": "1"}))
    assert " PAGE " in xml
    assert " ASK q " in xml


def test_syntax_choice() -> None:
    both = make_docx(p(complex_field([" MERGEFIELD a "])) + para("<<b>>"))
    with pytest.raises(TemplateError, match=r"both Word merge fields \(«a»\).*<<b>>.*--syntax"):
        Template.open(both)
    assert Template.open(both, syntax="mergefield").names == ("a",)
    mine = Template.open(both, syntax="mytypist")
    assert mine.names == ("b",)
    assert mine.syntax == "mytypist"
    assert Template.open(make_docx(para("<<b>>"))).syntax == "mytypist"


def test_pickle_keeps_the_syntax() -> None:
    both = make_docx(p(complex_field([" MERGEFIELD a "])) + para("<<b>>"))
    again = pickle.loads(pickle.dumps(Template.open(both, syntax="mergefield")))
    assert again.syntax == "mergefield"
    assert again.names == ("a",)


def test_switch_written_without_a_space() -> None:
    assert text_of(fill(p(complex_field([" MERGEFIELD v \\*Upper \\*MERGEFORMAT "])), {"v": "ada"})) == "ADA"
