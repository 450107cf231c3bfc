"""Formatting filters: each with normal, edge and bad input; chains; errors at open time."""

from __future__ import annotations

import csv
import datetime as dt
import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from docx_factory import make_docx, para, paragraphs
from mytypist_cli import RenderError, Template, TemplateSyntaxError, fill_text
from mytypist_cli.cli.app import app
from mytypist_cli.data.records import open_records


def show(pattern: str, value: object, locale: str = "en_NG") -> str:
    return fill_text(f"<<v|{pattern}>>", {"v": value}, locale=locale)


@pytest.mark.parametrize(
    ("chain", "value", "expected"),
    [
        ("upper", "adé obi", "ADÉ OBI"),
        ("lower", "ADÉ OBI", "adé obi"),
        ("title", "adébáyọ̀ olúwaṣeun-ògún", "Adébáyọ̀ Olúwaṣeun-Ògún"),
        ("capitalize", "lagos state", "Lagos state"),
        ("upper", "", ""),
        ("date", "2025-09-22", "22 September 2025"),
        ("date", "22/09/2025", "22 September 2025"),
        ("date", "2025-09-22T14:30:00", "22 September 2025"),
        ("date", dt.date(2025, 9, 22), "22 September 2025"),
        ("date", dt.datetime(2025, 9, 22, 10, 0), "22 September 2025"),
        ("date:ordinal", "2025-09-22", "22nd September, 2025"),
        ("date:ordinal", "2025-09-01", "1st September, 2025"),
        ("date:ordinal", "2025-09-02", "2nd September, 2025"),
        ("date:ordinal", "2025-09-03", "3rd September, 2025"),
        ("date:ordinal", "2025-09-11", "11th September, 2025"),
        ("date:ordinal", "2025-09-13", "13th September, 2025"),
        ("date:ordinal", "2025-09-23", "23rd September, 2025"),
        ('date:"%d/%m/%Y"', "2025-09-22", "22/09/2025"),
        ('date:"%A, %-d %B %Y"', "29/02/2024", "Thursday, 29 February 2024"),
        ("date:\u201c%d %b %y\u201d", "2025-01-05", "05 Jan 25"),
        ("date:\u2018%B\u2019", "2025-12-25", "December"),
        ("date", "", ""),
        ("number", 1234567, "1,234,567"),
        ("number", 1500.5, "1,500.5"),
        ("number", 0, "0"),
        ("number", -1234.5, "-1,234.5"),
        ("number", "1,250,000", "1,250,000"),
        ("number:2", 1234567.891, "1,234,567.89"),
        ("number:0", 2.5, "3"),  # halves round up, as in money (and Excel)
        ("number", 10**18, "1,000,000,000,000,000,000"),
        ("money", 1250000, "₦1,250,000.00"),
        ("money", "1250000", "₦1,250,000.00"),
        ("money", 0, "₦0.00"),
        ("money", -5, "-₦5.00"),
        ("money:USD", 1250000, "US$1,250,000.00"),
        ("money:usd", 1, "US$1.00"),
        ("money:GBP", 12.5, "£12.50"),
        ("words", 1250, "one thousand, two hundred and fifty"),
        ("words", 1250.5, "one thousand, two hundred and fifty point five"),
        ("words", 0, "zero"),
        ("words", -3, "minus three"),
        ("money_words", 1250000, "one million, two hundred and fifty thousand naira only"),
        ("money_words", 1250.5, "one thousand, two hundred and fifty naira, fifty kobo only"),
        ("money_words", 1, "one naira only"),
        ("money_words", 0.01, "zero naira, one kobo only"),
        ("money_words:USD", 1.01, "one dollar, one cent only"),
        ('default:"N/A"', "", "N/A"),
        ('default:"N/A"', "given", "given"),
        ('default:""', "", ""),
        ("lines", "12 Marina Road, Lagos", "12 Marina Road,\nLagos"),
        ("lines", "Plot 5 ,  Ikeja,Lagos,", "Plot 5 ,\nIkeja,\nLagos,"),
        ("lines", "no commas", "no commas"),
        ("upper|lines", "12 marina road, lagos", "12 MARINA ROAD,\nLAGOS"),
        ('default:"n/a"|upper', "", "N/A"),
        ("date:ordinal|upper", "2025-09-22", "22ND SEPTEMBER, 2025"),
    ],
)
def test_filter(chain: str, value: object, expected: str) -> None:
    assert show(chain, value) == expected


def test_default_makes_a_missing_name_never_missing() -> None:
    template = Template.open(make_docx(para('<<middle|default:"">>[<<title|default:"Mr">>]')))
    filled = template.fill({})
    assert filled.missing == ()
    assert paragraphs(filled.data) == ["[Mr]"]


def test_a_name_is_still_missing_where_one_use_has_no_default() -> None:
    template = Template.open(make_docx(para('<<x|default:"-">> <<x>>')))
    assert template.fill({}, missing="blank").missing == ("x",)


def _english_ordinal(day: int) -> str:
    """The rule the engine used before num2words: 11th-13th, else by the last digit."""
    if 11 <= day % 100 <= 13:
        return f"{day}th"
    return f"{day}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(day % 10, 'th') }"


def test_english_ordinals_are_unchanged_by_num2words() -> None:
    from mytypist_cli.engine.filters import _ordinal

    assert [_ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111, 112)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "101st", "111th", "112th",
    ]  # fmt: skip
    assert all(_ordinal(n) == _english_ordinal(n) for n in range(0, 1200))
    for day in range(1, 32):
        when = dt.date(2025, 1, day)
        assert show("date:ordinal", when) == f"{_english_ordinal(day)} January, 2025"
        assert show('date:"%-d%o of %B"', when) == f"{_english_ordinal(day)} of January"


def test_ordinal_suffix_follows_the_locale_where_num2words_has_numerals() -> None:
    assert show('date:"%-d%o %B"', "2025-09-01", locale="fr_FR") == "1er septembre"
    assert show('date:"%-d%o %B"', "2025-09-01", locale="nl_NL") == "1e september"
    # num2words lacks Yorùbá, and gives Italian ordinals as bare numbers: English, as before.
    assert show('date:"%-d%o"', "2025-09-22", locale="yo_NG") == "22nd"
    assert show('date:"%-d%o"', "2025-09-22", locale="it_IT") == "22nd"
    # date:ordinal outside English is the locale's long date, not an English ordinal.
    assert show("date:ordinal", "2025-09-01", locale="fr_FR") == "1 septembre 2025"


def test_locale_changes_month_names_and_separators() -> None:
    assert show("date", "2025-09-22", locale="fr_FR") == "22 septembre 2025"
    assert show("number:2", 1234.5, locale="de_DE") == "1.234,50"
    assert show("money", 1250000, locale="en_US") == "NGN1,250,000.00"


@pytest.mark.parametrize(
    ("chain", "value", "message"),
    [
        ("date", "next Tuesday", 'cannot read "next Tuesday" as a date'),
        ("date", "31/02/2025", "not a real date"),
        ("date", 45000, 'cannot read "45000" as a date'),
        ("money", "abc", 'cannot read "abc" as a number'),
        ("number", True, 'cannot read "true" as a number'),
        ("words", "1e", "as a number"),
    ],
)
def test_values_a_filter_cannot_take(chain: str, value: object, message: str) -> None:
    with pytest.raises(RenderError, match=message) as caught:
        show(chain, value)
    assert str(caught.value).startswith(f"<<v|{chain}>>: ")


@pytest.mark.parametrize(
    ("chain", "message"),
    [
        ("bogus", "unknown filter 'bogus'"),
        ("number:x", "number:N needs a count"),
        ("money:XYZ", "not an ISO 4217"),
        ('date:"%Q"', "%Q is not supported"),
        ('date:"plain"', "no %-codes"),
        ("upper:x", "takes no argument"),
        ("default", "default needs the text"),
        ('default:"open', "unclosed quote"),
        ("date:two words", "needs quotes"),
    ],
)
def test_bad_filters_fail_when_the_template_opens_naming_placeholder_and_part(
    chain: str, message: str
) -> None:
    table = f"<w:tbl><w:tr><w:tc>{para('<<v|' + chain + '>>')}</w:tc></w:tr></w:tbl>"
    with pytest.raises(TemplateSyntaxError, match=message) as caught:
        Template.open(make_docx(para("fine"), headers={"header1.xml": para("x") + table}))
    assert f"<<v|{chain}>> in word/header1.xml (header, in a table), paragraph 2" in str(caught.value)


def test_unknown_locale_fails_at_open() -> None:
    with pytest.raises(TemplateSyntaxError, match="locale"):
        Template.open(make_docx(para("<<v|money>>")), locale="xx_YY")


def test_extract_reports_distinct_filter_chains_as_written() -> None:
    template = Template.open(
        make_docx(para("<<n|upper>> <<n>> <<d|date:ordinal>> <<n|upper>> <<n | title>>"))
    )
    assert [(p.name, p.filters) for p in template.placeholders] == [
        ("n", ("upper", "title")),
        ("d", ("date:ordinal",)),
    ]


def test_filters_in_header_and_table_filled_from_csv_and_xlsx(tmp_path: Path) -> None:
    cells = f"<w:tc>{para('<<fee|money>>')}</w:tc><w:tc>{para('<<fee|money_words>>')}</w:tc>"
    table = f"<w:tbl><w:tr>{cells}</w:tr></w:tbl>"
    template = Template.open(
        make_docx(
            table + para("Signed <<start|date:ordinal>>"), headers={"header1.xml": para("<<name|upper>>")}
        )
    )
    csv_path = tmp_path / "rows.csv"
    with csv_path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([["name", "fee", "start"], ["Adé Obi", "1250000", "22/09/2025"]])
    xlsx_path = tmp_path / "rows.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["name", "fee", "start"])
    sheet.append(["Adé Obi", 1250000, dt.datetime(2025, 9, 22)])
    book.save(xlsx_path)
    for path in (csv_path, xlsx_path):
        (record,) = list(open_records(path))
        out = template.render(record.values)
        assert paragraphs(out, "word/header1.xml") == ["ADÉ OBI"]
        assert paragraphs(out) == [
            "₦1,250,000.00",
            "one million, two hundred and fifty thousand naira only",
            "Signed 22nd September, 2025",
        ]


def test_lines_become_word_line_breaks() -> None:
    out = Template.open(make_docx(para("<<address|lines>>"))).render(
        {"address": "12 Marina Road, Surulere, Lagos"}
    )
    assert paragraphs(out) == ["12 Marina Road,\nSurulere,\nLagos"]


def test_filters_work_in_file_name_patterns() -> None:
    assert fill_text('<<name|upper>>-<<d|date:"%Y%m%d">>.docx', {"name": "obi", "d": "22/09/2025"}) == (
        "OBI-20250922.docx"
    )


@given(st.decimals(min_value=-(10**12), max_value=10**12, places=2, allow_nan=False, allow_infinity=False))
def test_number_2_reads_back_as_the_same_amount(amount: Decimal) -> None:
    shown = show("number:2", amount)
    assert Decimal(shown.replace(",", "")) == amount.quantize(Decimal("0.01"))


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2199, 12, 31)))
def test_day_first_and_iso_dates_read_the_same(day: dt.date) -> None:
    assert show('date:"%d/%m/%Y"', day.isoformat()) == day.strftime("%d/%m/%Y")
    assert show("date", day.strftime("%d/%m/%Y")) == show("date", day)


# --------------------------------------------------------------------------- values as people type them


runner = CliRunner()


def fill_rows(tmp_path: Path, text: str, rows: list[dict[str, object]]) -> tuple[Result, list[str]]:
    """``mytypist fill`` of a one-paragraph template with JSON rows: the result and each document's text."""
    template = tmp_path / "letter.docx"
    template.write_bytes(make_docx(para(text)))
    data = tmp_path / "rows.json"
    data.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(app, ["fill", str(template), str(data), "--out-dir", str(out), "-q"])
    return result, [paragraphs(Path(path).read_bytes())[0] for path in result.stdout.splitlines()]


TYPED_DATES = [
    "22-Sep-2025",
    "22 Sept 2025",
    "Sept 22, 2025",
    "September 22nd, 2025",
    "22/9/25",
    "22.09.2025",
    "22/09/2025",
    "2025-09-22",
    "22nd of September 2025",
    "Monday, 22 September 2025",
]


def test_dates_as_people_type_them(tmp_path: Path) -> None:
    result, texts = fill_rows(tmp_path, '<<d|date:"%d/%m/%Y">>', [{"d": text} for text in TYPED_DATES])
    assert result.exit_code == 0, result.output
    assert texts == ["22/09/2025"] * len(TYPED_DATES)


def test_ambiguous_dates_are_day_first_and_two_digit_years_this_century(tmp_path: Path) -> None:
    rows: list[dict[str, object]] = [{"d": "01/02/2025"}, {"d": "1.2.25"}, {"d": "5-6-80"}]
    result, texts = fill_rows(tmp_path, "<<d|date>>", rows)
    assert result.exit_code == 0, result.output
    assert texts == ["1 February 2025", "1 February 2025", "5 June 2080"]


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("Sept 2025", 'cannot read "Sept 2025" as a date'),
        ("22 Sep", 'cannot read "22 Sep" as a date'),
        ("next Tuesday", 'cannot read "next Tuesday" as a date'),
        ("30 Feb 2025", '"30 Feb 2025" is not a real date'),
        ("Tuesday, 22 September 2025", '"Tuesday, 22 September 2025" names the wrong day of the week'),
    ],
)
def test_a_date_still_unreadable_fails_its_row(tmp_path: Path, typed: str, message: str) -> None:
    result, texts = fill_rows(
        tmp_path, "<<name>>: <<d|date>>", [{"name": "Ada", "d": "22/09/2025"}, {"name": "Bola", "d": typed}]
    )
    assert result.exit_code == 1
    assert texts == ["Ada: 22 September 2025"]
    assert f"row 2: <<d|date>>: {message}" in result.stderr


def test_money_typed_with_the_naira_sign_a_keyboard_has(tmp_path: Path) -> None:
    rows: list[dict[str, object]] = [
        {"fee": "N1,250,000"},
        {"fee": "NGN 1,250,000.50"},
        {"fee": "₦1,250,000"},
        {"fee": "-N5,000"},
        {"fee": "1 250 000"},
    ]
    result, texts = fill_rows(tmp_path, "<<fee|money>> / <<fee|number>> / <<fee|words>>", rows)
    assert result.exit_code == 0, result.output
    million = "one million, two hundred and fifty thousand"
    assert texts == [
        f"₦1,250,000.00 / 1,250,000 / {million}",
        f"₦1,250,000.50 / 1,250,000.50 / {million} point five",
        f"₦1,250,000.00 / 1,250,000 / {million}",
        "-₦5,000.00 / -5,000 / minus five thousand",
        f"₦1,250,000.00 / 1,250,000 / {million}",
    ]


@pytest.mark.parametrize(
    ("chain", "typed", "message"),
    [
        ("money", "1,25", 'cannot read "1,25" as a number'),  # a decimal comma is not read as 125
        ("number", "12,34,567", 'cannot read "12,34,567" as a number'),
        ("money", "$5", '"$5" is an amount in dollars, not NGN'),
        ("money:USD", "N5", '"N5" is an amount in Naira, not USD'),
        ("words", "five", 'cannot read "five" as a number'),
    ],
)
def test_money_still_unreadable_fails_its_row(tmp_path: Path, chain: str, typed: str, message: str) -> None:
    result, texts = fill_rows(tmp_path, f"<<fee|{chain}>>", [{"fee": typed}])
    assert result.exit_code == 1
    assert texts == []
    assert f"row 1: <<fee|{chain}>>: {message}" in result.stderr


def test_money_rounds_half_up_from_the_decimal_text(tmp_path: Path) -> None:
    rows: list[dict[str, object]] = [{"fee": 0.125}, {"fee": 12.365}, {"fee": "2.675"}, {"fee": -0.125}]
    result, texts = fill_rows(tmp_path, "<<fee|money>> <<fee|number:2>> <<fee|money_words>>", rows)
    assert result.exit_code == 0, result.output
    assert texts == [
        "₦0.13 0.13 zero naira, thirteen kobo only",
        "₦12.37 12.37 twelve naira, thirty-seven kobo only",
        "₦2.68 2.68 two naira, sixty-eight kobo only",
        "-₦0.13 -0.13 minus zero naira, thirteen kobo only",
    ]


def test_title_casing_of_names(tmp_path: Path) -> None:
    names = [
        "ifeoma o'connor",
        "adébáyọ̀-ògún",
        "ADA OBI",
        "ronald McDonald",
        "mu'azu ja'afar",
        "ADA'S SHOP",
        "d’souza",
        "ọ̀ba adé",
    ]
    result, texts = fill_rows(tmp_path, "<<n|title>>", [{"n": name} for name in names])
    assert result.exit_code == 0, result.output
    assert texts == [
        "Ifeoma O'Connor",
        "Adébáyọ̀-Ògún",
        "Ada Obi",
        "Ronald McDonald",
        "Mu'azu Ja'afar",  # an apostrophe inside a Hausa name starts no word
        "Ada's Shop",
        "D’Souza",
        "Ọ̀ba Adé",
    ]


def test_a_value_without_text_names_the_field_not_the_filter(tmp_path: Path) -> None:
    rows: list[dict[str, object]] = [{"full_name": ["a", "b"]}, {"full_name": {"first": "Ada"}}]
    result, texts = fill_rows(tmp_path, "<<full_name|title>>", rows)
    assert result.exit_code == 1
    assert texts == []
    assert result.stderr.splitlines()[:2] == [
        "row 1: the value for 'full_name' is a list, not text",
        "row 2: the value for 'full_name' is an object, not text",
    ]
    result, _ = fill_rows(tmp_path, "<<fee|money>>", [{"fee": [1]}])
    assert "row 1: the value for 'fee' is a list, not text" in result.stderr


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=3, allow_nan=False, allow_infinity=False))
def test_money_is_the_amount_rounded_half_up(amount: Decimal) -> None:
    rounded = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    expected = f"{'-' if rounded < 0 else ''}₦{abs(rounded):,.2f}"
    assert show("money", str(amount)) == expected
    assert show("money", f"NGN {amount:,}") == expected
    assert show("money", float(amount)) == expected


@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31)))
def test_typed_forms_of_a_date_read_as_it(day: dt.date) -> None:
    month, short = day.strftime("%B"), day.strftime("%b")
    forms = [
        f"{day.day}-{short}-{day.year}",
        f"{day.day} {month} {day.year}",
        f"{month} {day.day}, {day.year}",
        f"{month} {_english_ordinal(day.day)}, {day.year}",
        f"{day.day}/{day.month}/{day.year % 100:02d}",
        f"{day.day:02d}.{day.month:02d}.{day.year}",
        f"{day:%A}, {day.day} {month} {day.year}",
    ]
    for form in forms:
        assert show('date:"%Y-%m-%d"', form) == day.isoformat(), form


@given(
    st.lists(st.sampled_from(["ada", "OBI", "o'neill", "ọ̀ba", "adé-ògún", "McDonald", "mu'azu"]), min_size=1)
)
def test_title_is_stable(words: list[str]) -> None:
    once = show("title", " ".join(words))
    assert show("title", once) == once
    assert all(word[:1].isupper() for word in once.split(" "))


def test_an_amount_that_rounds_to_zero_has_no_minus_sign() -> None:
    # Found by Hypothesis: -0.001 printed "-₦0.00" on an invoice.
    assert show("money", "-0.001") == "₦0.00"
    assert show("number:2", "-0.004") == "0.00"
    assert show("money", "-0.005") == "-₦0.01"
