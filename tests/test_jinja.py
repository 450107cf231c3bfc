"""docxtpl (Jinja) templates fill through docxtpl inside mytypist (issue 14).

``{%tr for %}`` rows, ``{%p if %}`` paragraphs, our filters as Jinja filters,
escaping of ``&`` and ``<``, missing values named as our engine names them,
pickling for ``--jobs``, and fills from CSV (``--group-by``) and JSON through
the command line.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest
from typer.testing import CliRunner

from docx_factory import make_docx, para, text_of
from mytypist_cli.cli.app import app
from mytypist_cli.engine.template import Template
from mytypist_cli.errors import MissingFieldsError, TemplateSyntaxError

runner = CliRunner()


def cell(text: str) -> str:
    return f'<w:tc><w:p><w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:p></w:tc>'


ROWS = (
    '<w:tbl><w:tblGrid><w:gridCol w:w="4000"/><w:gridCol w:w="2000"/></w:tblGrid>'
    f"<w:tr>{cell('{%tr for item in items %}')}</w:tr>"
    f"<w:tr>{cell('{{ item.description }}')}{cell('{{ item.amount|money }}')}</w:tr>"
    f"<w:tr>{cell('{%tr endfor %}')}</w:tr></w:tbl>"
)
INVOICE = make_docx(
    para("Invoice {{ invoice_no }} for {{ client|upper }}")
    + para("{%p if vip %}")
    + para("Thank you for being with us since {{ since|date('ordinal') }}.")
    + para("{%p endif %}")
    + ROWS
    + para("Total: {{ total|money_words }}")
)
VALUES = {
    "invoice_no": "INV-7",
    "client": "Bola & Sons <Ltd>",
    "vip": True,
    "since": "2021-03-01",
    "total": "1500.50",
    "items": [{"description": "Paper & ink", "amount": "1000"}, {"description": "Toner", "amount": "500.5"}],
}


def test_auto_chooses_jinja_when_the_template_has_statements() -> None:
    template = Template.open(INVOICE)
    assert template.syntax == "jinja"
    assert template.names == ("invoice_no", "client", "vip", "since", "items", "total")
    kinds = {p.name: p.kind for p in template.placeholders}
    assert kinds["items"] == "list"
    assert kinds["vip"] == "condition"
    [items] = [p for p in template.placeholders if p.name == "items"]
    assert [f.name for f in items.fields] == ["description", "amount"]


def test_a_jinja_template_renders_rows_conditions_filters_and_escapes() -> None:
    text = text_of(Template.open(INVOICE).render(VALUES))
    assert "Invoice INV-7 for BOLA & SONS <LTD>" in text
    assert "since 1st March, 2021." in text
    assert "Paper & ink" in text
    assert "₦1,000.00" in text
    assert "₦500.50" in text
    assert "one thousand, five hundred naira, fifty kobo only" in text
    assert "{%" not in text


def test_a_false_condition_drops_its_paragraphs() -> None:
    text = text_of(Template.open(INVOICE).render({**VALUES, "vip": False}))
    assert "Thank you" not in text


def test_missing_values_are_named_as_our_engine_names_them() -> None:
    template = Template.open(INVOICE)
    with pytest.raises(MissingFieldsError) as caught:
        template.render({"invoice_no": "1", "vip": False})
    assert set(caught.value.names) >= {"client", "items", "total"}
    blank = template.fill({"invoice_no": "1"}, missing="blank")
    assert "client" in blank.missing
    assert "Invoice 1 for " in text_of(blank.data)
    kept = template.fill({"invoice_no": "1"}, missing="keep")
    assert "{{ client }}" in text_of(kept.data)
    assert template.missing_from(["invoice_no", "client", "items", "since"]) == ("total",)


def test_a_default_filter_needs_no_value() -> None:
    template = Template.open(make_docx(para("{% if x %}{% endif %}Hi {{ name|default('friend') }}")))
    assert template.missing_from([]) == ()
    assert "Hi friend" in text_of(template.render({}))


def test_a_bad_filter_argument_fails_when_the_template_opens() -> None:
    with pytest.raises(TemplateSyntaxError):
        Template.open(make_docx(para("{% if a %}{% endif %}{{ fee|number('x y') }}")))


def test_a_jinja_template_pickles_as_its_bytes() -> None:
    template = Template.open(INVOICE)
    again = pickle.loads(pickle.dumps(template))
    assert again.syntax == "jinja"
    assert text_of(again.render(VALUES)) == text_of(template.render(VALUES))


def test_syntax_jinja_reads_a_template_without_statements() -> None:
    data = make_docx(para("Dear {{ name }}"))
    assert Template.open(data).syntax == "mytypist"  # auto: no {% -> our engine
    assert Template.open(data, delimiters="{{ }}").names == ("name",)
    jinja = Template.open(data, syntax="jinja")
    assert jinja.syntax == "jinja"
    assert "Dear Ada" in text_of(jinja.render({"name": "Ada"}))


@pytest.fixture
def invoice_file(tmp_path: Path) -> Path:
    path = tmp_path / "invoice.docx"
    path.write_bytes(INVOICE)
    return path


def test_cli_fills_invoices_from_csv_with_group_by(tmp_path: Path, invoice_file: Path) -> None:
    data = tmp_path / "lines.csv"
    data.write_text(
        "invoice_no,client,vip,since,total,description,amount\n"
        "INV-1,Ada & Co,,2020-01-01,1500,Paper,1000\n"
        "INV-1,Ada & Co,,2020-01-01,1500,Ink,500\n"
        "INV-2,Bola,yes,2019-05-02,20,Pens,20\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    args = ["fill", str(invoice_file), str(data), "--group-by", "invoice_no", "--list-name", "items"]
    result = runner.invoke(app, [*args, "--out-dir", str(out), "--name", "<<invoice_no>>", "--jobs", "2"])
    assert result.exit_code == 0, result.output
    first = text_of((out / "INV-1.docx").read_bytes())
    assert "Ada & Co".upper() in first
    assert "Paper" in first
    assert "Ink" in first
    assert "Pens" not in first
    second = text_of((out / "INV-2.docx").read_bytes())
    assert "since 2nd May, 2019" in second
    assert "twenty naira only" in second


def test_cli_fills_one_document_from_json(tmp_path: Path, invoice_file: Path) -> None:
    data = tmp_path / "invoice.json"
    data.write_text(json.dumps(VALUES), encoding="utf-8")
    out = tmp_path / "filled.docx"
    result = runner.invoke(app, ["fill", str(invoice_file), str(data), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "BOLA & SONS <LTD>" in text_of(out.read_bytes())


def test_cli_names_a_missing_column(tmp_path: Path, invoice_file: Path) -> None:
    data = tmp_path / "rows.csv"
    data.write_text("invoice_no,client\n1,Ada\n", encoding="utf-8")
    result = runner.invoke(app, ["fill", str(invoice_file), str(data), "--out-dir", str(tmp_path / "o")])
    assert result.exit_code != 0
    assert "total" in result.output and not (tmp_path / "o").exists() or not list((tmp_path / "o").iterdir())


def test_extract_says_which_syntax_it_chose(invoice_file: Path) -> None:
    result = runner.invoke(app, ["extract", str(invoice_file), "--json"])
    assert result.exit_code == 0, result.output
    described = json.loads(result.stdout)
    assert described["syntax"] == "jinja"
    assert [p["name"] for p in described["placeholders"]][:2] == ["invoice_no", "client"]
    assert "read as a docxtpl (Jinja) template" in result.stderr


def test_syntax_option_reads_a_template_as_asked(tmp_path: Path) -> None:
    template = tmp_path / "letter.docx"
    template.write_bytes(make_docx(para("Dear {{ name }} & <<title>>")))
    result = runner.invoke(app, ["extract", str(template), "--json", "--syntax", "jinja"])
    assert json.loads(result.stdout)["syntax"] == "jinja"
    assert [p["name"] for p in json.loads(result.stdout)["placeholders"]] == ["name"]
    out = tmp_path / "letter-out.docx"
    result = runner.invoke(
        app, ["fill", str(template), "--syntax", "jinja", "--set", "name=A&B", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "Dear A&B & <<title>>" in text_of(out.read_bytes())
    bad = runner.invoke(app, ["fill", str(template), "--syntax", "docx", "--set", "name=A", "-o", str(out)])
    assert bad.exit_code == 2
    assert "docx" in bad.stderr


def test_a_mytypist_fill_does_not_import_docxtpl(tmp_path: Path) -> None:
    import subprocess
    import sys

    template = tmp_path / "t.docx"
    template.write_bytes(make_docx(para("Dear <<name>>")))
    out = tmp_path / "o.docx"
    code = (
        "import sys\nfrom mytypist_cli.cli import main\nsys.argv = ['mytypist', *sys.argv[1:]]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted({'docxtpl', 'jinja2'} & {m.split('.')[0] for m in sys.modules}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, "fill", str(template), "--set", "name=Ada", "-o", str(out), "-q"],
        capture_output=True,
        text=True,
    )
    assert out.exists()
    assert done.stdout.strip().endswith("[]")


def test_the_library_stores_and_shows_the_syntax(tmp_path: Path, invoice_file: Path) -> None:
    home = ["--home", str(tmp_path / "home")]
    letter = tmp_path / "letter.docx"
    letter.write_bytes(make_docx(para("Dear {{ name }}")))
    added = runner.invoke(app, [*home, "add", str(letter), "--syntax", "jinja", "--json"])
    assert added.exit_code == 0, added.output
    assert json.loads(added.stdout)["syntax"] == "jinja"
    shown = runner.invoke(app, [*home, "show", "letter"])
    assert "jinja" in shown.stdout
    out = tmp_path / "ada.docx"
    filled = runner.invoke(app, [*home, "fill", "letter", "--set", "name=Ada", "-o", str(out)])
    assert filled.exit_code == 0, filled.output
    assert "Dear Ada" in text_of(out.read_bytes())  # read as Jinja because the library says so
    auto = runner.invoke(app, [*home, "add", str(invoice_file), "--json"])
    assert json.loads(auto.stdout)["syntax"] == "jinja"
    described = runner.invoke(app, [*home, "extract", "invoice", "--json"])
    assert json.loads(described.stdout)["syntax"] == "jinja"


def test_jinja_statements_and_placeholders_together_are_refused() -> None:
    from mytypist_cli.errors import TemplateError

    data = make_docx(para("{% if a %}x{% endif %} <<name>>"))
    with pytest.raises(TemplateError, match="--syntax jinja or --syntax mytypist"):
        Template.open(data)
    assert Template.open(data, syntax="jinja").names == ("a",)


def _png(path: Path) -> Path:
    from PIL import Image

    Image.new("RGB", (400, 200), (255, 0, 0)).save(path)
    return path


PHOTO = make_docx(
    para("{%p if name %}") + para("{{ name }}") + para("{%p endif %}") + para("{{ photo|image('4cm') }}")
)


def test_image_filter_puts_a_picture_of_the_given_width(tmp_path: Path) -> None:
    import io
    import re
    import zipfile

    template = Template.open(PHOTO)
    [photo] = [p for p in template.placeholders if p.name == "photo"]
    assert (photo.kind, photo.filters) == ("image", ('image:"4cm"',))
    picture = _png(tmp_path / "ada.png")
    out = template.render({"name": "Ada", "photo": "ada.png"}, image_dir=tmp_path)
    with zipfile.ZipFile(io.BytesIO(out)) as package:
        xml = package.read("word/document.xml").decode()
        media = [n for n in package.namelist() if n.startswith("word/media/")]
        assert [package.read(n) for n in media] == [picture.read_bytes()]
    assert media[0].startswith("word/media/mytypist-")
    assert re.search(r'<wp:extent cx="1440000" cy="720000"/>', xml)  # 4 cm wide, the aspect kept


def test_image_filter_failures_name_the_filter(tmp_path: Path) -> None:
    from mytypist_cli.errors import RenderError

    template = Template.open(PHOTO)
    with pytest.raises(RenderError, match=r"\|image"):
        template.render({"name": "Ada", "photo": "none-such.png"}, image_dir=tmp_path)
    with pytest.raises(MissingFieldsError, match="photo"):
        template.render({"name": "Ada"})
    assert "{{" not in text_of(template.render({"name": "Ada", "photo": ""}))
    with pytest.raises(TemplateSyntaxError, match="image size"):
        Template.open(
            make_docx(para("{%p if a %}") + para("{{ photo|image('wide') }}") + para("{%p endif %}"))
        )
