"""Issue 12: a JSON object that gives a key twice is a DataError naming the key, not the last value."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from typer.testing import CliRunner

from docx_factory import make_docx, para
from mytypist_cli.cli.app import app
from mytypist_cli.data.records import open_records
from mytypist_cli.errors import DataError

runner = CliRunner()


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b'[{"a": 1},\n{"a": 1, "a": 2}]', "rows.json", "rows.json:2: bad JSON: the key 'a' is given twice"),
        (b'{"a": 1, "b": {"c": 1, "c": 2}}', "row.json", "row.json:1: bad JSON: the key 'c' is given twice"),
        (
            b'{"a": 1}\n{"b": 1, "b": 2}\n',
            "rows.ndjson",
            "rows.ndjson:2: bad JSON: the key 'b' is given twice",
        ),
        (
            '[{"caf\u00e9": 1, "cafe\u0301": 2}]'.encode(),
            "rows.json",
            "rows.json:1: bad JSON: the keys 'caf\u00e9' and 'cafe\u0301' are the same text",
        ),
    ],
)
def test_a_key_given_twice_is_a_data_error(data: bytes, name: str, message: str) -> None:
    with pytest.raises(DataError) as caught:
        list(open_records(io.BytesIO(data), display_name=name))
    assert str(caught.value).startswith(message)


def test_distinct_keys_still_read() -> None:
    rows = list(open_records(io.BytesIO(b'[{"a": 1, "A": 2, "b": {"a": 3}}]'), display_name="rows.json"))
    assert rows[0].values == {"a": 1, "A": 2, "b": {"a": 3}}


def test_cli_a_key_given_twice_is_one_error_line(tmp_path: Path) -> None:
    template = tmp_path / "letter.docx"
    template.write_bytes(make_docx(para("<<name>>")))
    data = tmp_path / "rows.json"
    data.write_text('[{"name": "Ada"},\n{"name": "Obi", "name": "Tunde"}]')
    result = runner.invoke(app, ["fill", str(template), str(data), "--out-dir", str(tmp_path / "o")])
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert "rows.json:2: bad JSON: the key 'name' is given twice in one object" in result.stderr
    assert "Traceback" not in result.stderr
