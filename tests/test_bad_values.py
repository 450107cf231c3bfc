"""Issue 12: a bad value fails its row, never the batch; numbers and pictures are read with bounds."""

from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from docx_factory import make_docx, para
from mytypist_cli.cli.app import app
from mytypist_cli.engine.filters import compile_chain
from mytypist_cli.engine.pictures import read_picture
from mytypist_cli.engine.template import Template
from mytypist_cli.errors import FilterValueError, PictureError
from mytypist_cli.fill.batch import BatchOptions, run_rows

runner = CliRunner()

HUGE = [
    "1e400",
    "1e26",
    "1e999999999",
    "9" * 5000,
    10**5000,
    float("inf"),
    Decimal("Infinity"),
    Decimal("NaN"),
]


@pytest.mark.parametrize("chain", ["number", "number:2", "money", "words", "money_words"])
@pytest.mark.parametrize("value", HUGE, ids=[f"huge{i}" for i in range(len(HUGE))])
def test_numbers_out_of_bounds_are_a_filter_value_error(chain: str, value: Any) -> None:
    with pytest.raises(FilterValueError, match="too large|not a finite number"):
        compile_chain(chain).apply(value, "fee")


@pytest.mark.parametrize("chain", ["number", "words", "money"])
def test_too_many_decimals_is_refused_not_computed(chain: str) -> None:
    with pytest.raises(FilterValueError, match="more than 20 decimals"):
        compile_chain(chain).apply("1e-999999999", "fee")


def test_numbers_inside_the_bounds_still_format() -> None:
    assert compile_chain("number").apply("999999999999999999999", "x") == "999,999,999,999,999,999,999"
    assert compile_chain("number").apply("0.12345678901234567890", "x") == "0.12345678901234567890"
    assert compile_chain("money").apply(1e20, "x") == "₦100,000,000,000,000,000,000.00"
    assert compile_chain("words").apply(1e20, "x") == "one hundred quintillion"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("/dev/zero", "not a regular file"),
        ("/dev/urandom", "not a regular file"),
        ("a\0b.png", "NUL"),
        ("~nosuchuser_mytypist/x.png", "no such user"),
    ],
)
def test_pictures_only_from_regular_files(value: str, message: str) -> None:
    with pytest.raises(PictureError, match=message):
        read_picture(value, base_dir=None)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    with pytest.raises(PictureError, match="not a regular file"):
        read_picture(str(fifo), base_dir=None)


def test_a_picture_over_the_cap_is_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.png"
    big.write_bytes(b"\0" * 2000)
    with pytest.raises(PictureError, match="2,000 bytes, more than the 1,000 allowed"):
        read_picture(str(big), base_dir=None, max_bytes=1000)


def test_base64_longer_than_the_cap_is_refused_before_decoding() -> None:
    with pytest.raises(PictureError, match="longer than"):
        read_picture("data:image/png;base64," + "A" * 40_000, base_dir=None, max_bytes=1000)


class _Row:
    def __init__(self, number: int, values: dict[str, Any]) -> None:
        self.number = number
        self.values = values


def test_an_unexpected_exception_fails_only_its_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "t.docx"
    path.write_bytes(make_docx(para("<<name>>")))
    template = Template.open(path)
    real_fill = Template.fill

    def fill(self: Template, values: Any, **kwargs: Any) -> Any:
        if values.get("name") == "boom":
            raise ZeroDivisionError("a bug")
        return real_fill(self, values, **kwargs)

    monkeypatch.setattr(Template, "fill", fill)
    rows = [_Row(1, {"name": "a"}), _Row(2, {"name": "boom"}), _Row(3, {"name": "c"})]
    summary = run_rows(template, rows, BatchOptions(out_dir=tmp_path / "o"), stem="t")
    assert [r.status for r in summary.results] == ["ok", "failed", "ok"]
    assert summary.results[1].error == "cannot fill this row (ZeroDivisionError: a bug)"


def test_keyboard_interrupt_still_stops_the_batch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "t.docx"
    path.write_bytes(make_docx(para("<<name>>")))
    template = Template.open(path)

    def fill(self: Template, values: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(Template, "fill", fill)
    with pytest.raises(KeyboardInterrupt):
        run_rows(template, [_Row(1, {"name": "a"})], BatchOptions(out_dir=tmp_path / "o"), stem="t")


@pytest.mark.parametrize(
    ("placeholder", "bad", "message"),
    [
        ("<<fee|money>>", "1e400", '"1e400" is too large'),
        ("<<fee|words>>", "1e999999999", '"1e999999999" is too large'),
        ("<<fee|number>>", "1e-999999999", "more than 20 decimals"),
        ("<<fee|image>>", "/dev/zero", "not a regular file"),
        ("<<fee|image>>", "~nosuchuser_mytypist/x.png", "no such user"),
    ],
)
def test_cli_one_bad_value_fails_its_row_and_the_batch_goes_on(
    tmp_path: Path, placeholder: str, bad: str, message: str
) -> None:
    template = tmp_path / "letter.docx"
    template.write_bytes(make_docx(para(f"Dear <<name>>, {placeholder}")))
    good = "1500" if "image" not in placeholder else ""
    data = tmp_path / "rows.json"
    rows = [{"name": "Ada", "fee": good}, {"name": "Obi", "fee": bad}, {"name": "Tunde", "fee": good}]
    data.write_text(json.dumps(rows))
    out, report = tmp_path / "o", tmp_path / "report.json"
    result = runner.invoke(
        app, ["fill", str(template), str(data), "--out-dir", str(out), "--report", str(report), "--jobs", "1"]
    )
    assert result.exit_code == 1, result.output
    assert result.stdout.splitlines() == [str(out / "letter-0001.docx"), str(out / "letter-0003.docx")]
    row2 = [line for line in result.stderr.splitlines() if line.startswith("row 2: ")]
    assert len(row2) == 1
    assert message in row2[0]
    assert "fee" in row2[0]
    assert "Traceback" not in result.stderr
    assert [(r["row"], r["status"]) for r in json.loads(report.read_text())] == [
        (1, "ok"),
        (2, "failed"),
        (3, "ok"),
    ]


def test_cli_a_json_number_1e400_fails_its_row(tmp_path: Path) -> None:
    template = tmp_path / "letter.docx"
    template.write_bytes(make_docx(para("<<name>> <<fee|money>>")))
    data = tmp_path / "rows.json"
    data.write_text('[{"name": "a", "fee": 1}, {"name": "b", "fee": 1e400}]')
    result = runner.invoke(app, ["fill", str(template), str(data), "--out-dir", str(tmp_path / "o")])
    assert result.exit_code == 1, result.output
    assert result.stdout.splitlines() == [str(tmp_path / "o" / "letter-0001.docx")]
    assert any(line.startswith("row 2: <<fee|money>>") for line in result.stderr.splitlines())


@pytest.mark.parametrize("number", ["1e400", "-1e400", "NaN", "Infinity"])
def test_a_json_number_no_document_can_show_fails_its_row_without_a_filter(
    tmp_path: Path, number: str
) -> None:
    # 1e400 is read as infinity, and <<fee>> printed "inf" with exit status 0.
    template = tmp_path / "t.docx"
    template.write_bytes(make_docx(para("Fee: <<fee>>")))
    for name, text in (
        ("rows.json", f'[{{"fee": 1}},\n {{"fee": {number}}}]'),
        ("rows.ndjson", f'{{"fee": 1}}\n{{"fee": {number}}}\n'),
    ):
        data, out = tmp_path / name, tmp_path / f"out-{name}"
        data.write_text(text, encoding="utf-8")
        result = runner.invoke(app, ["fill", str(template), str(data), "--out-dir", str(out)])
        assert result.exit_code == 1
        assert result.stdout.splitlines() == [str(out / "t-0001.docx")]
        assert result.stderr.startswith("row 2: the value for 'fee' is not a number a document can show (")
