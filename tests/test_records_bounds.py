"""Issue 12: data is read with bounded depth and size, in linear time."""

from __future__ import annotations

import csv
import io
import threading
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from docx_factory import make_docx, para
from mytypist_cli.cli.app import app
from mytypist_cli.data import records
from mytypist_cli.data.records import open_records
from mytypist_cli.errors import DataError


def read(data: bytes, name: str) -> list[Any]:
    return list(open_records(io.BytesIO(data), display_name=name))


@pytest.mark.parametrize(
    ("data", "name", "line"),
    [
        (b'[{"a": 1},\n{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}]", "rows.json", 2),
        (b'{"a": 1}\n{"a": 2}\n{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n", "rows.ndjson", 3),
        (b'[{"a": 1},\n{"a": ' + b"9" * 5000 + b"}]", "rows.json", 2),
        (b'{"a": 1}\n{"a": ' + b"9" * 5000 + b"}\n", "rows.ndjson", 2),
    ],
    ids=["json-deep", "ndjson-deep", "json-long-int", "ndjson-long-int"],
)
def test_json_past_pythons_limits_is_one_data_error_naming_file_and_line(
    data: bytes, name: str, line: int
) -> None:
    with pytest.raises(DataError, match=rf"^{name}:{line}: bad JSON: ") as caught:
        read(data, name)
    assert "\n" not in str(caught.value)


def test_a_csv_field_as_long_as_a_base64_picture_is_read() -> None:
    payload = "A" * (records.MAX_CSV_FIELD - 10_000)
    rows = read(f"name,photo\nAda,{payload}\n".encode(), "rows.csv")
    assert rows[0].values["photo"] == payload
    assert csv.field_size_limit() >= records.MAX_CSV_FIELD


def test_a_csv_field_longer_than_the_limit_says_so_naming_the_line() -> None:
    payload = "A" * (records.MAX_CSV_FIELD + 10)
    with pytest.raises(DataError) as caught:
        read(f"name,photo\nAda,x\nBola,{payload}\n".encode(), "rows.csv")
    assert str(caught.value) == (
        "rows.csv:3: a field in this row is longer than 29 MB, the most mytypist reads in a cell "
        '(or a quoted field is never closed: a stray " character?)'
    )


class _CountingStream(io.RawIOBase):
    """A raw stream over bytes, for a BufferedReader with a chosen buffer size."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        return self._data.readinto(buffer)


def test_a_40_mb_ndjson_line_is_read_before_a_hang_guard() -> None:
    record = b'{"a": "' + b"x" * (40 * 1024 * 1024) + b'"}\n'
    done: list[Any] = []
    worker = threading.Thread(target=lambda: done.append(read(record + b'{"a": "y"}\n', "rows.ndjson")))
    worker.start()
    worker.join(
        timeout=60
    )  # a guard against a hang, not a measurement: linear reading takes well under a second
    assert not worker.is_alive(), "reading one long line did not finish"
    assert [len(r.values["a"]) for r in done[0]] == [40 * 1024 * 1024, 1]


@pytest.mark.parametrize(("chunk_breaks"), [b"\r", b"\r\n", b"\n"])
def test_line_endings_across_chunks_are_kept(chunk_breaks: bytes) -> None:
    size = records._CHUNK * 3 + 1
    data = b"a" * size + chunk_breaks + b"b" * size + chunk_breaks + b"c"
    stream = io.BufferedReader(_CountingStream(data), buffer_size=records._CHUNK)
    assert list(records._byte_lines(stream)) == [
        b"a" * size + chunk_breaks,
        b"b" * size + chunk_breaks,
        b"c",
    ]


def test_cli_json_nested_too_deeply_is_one_error_line(tmp_path: Path) -> None:
    template = tmp_path / "letter.docx"
    template.write_bytes(make_docx(para("<<a>>")))
    data = tmp_path / "rows.ndjson"
    data.write_bytes(b'{"a": 1}\n{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n")
    result = CliRunner().invoke(app, ["fill", str(template), str(data), "--out-dir", str(tmp_path / "o")])
    assert result.exit_code == 1, result.output
    assert f"{data}:2: bad JSON: arrays or objects nested too deeply to read" in result.stderr
    assert "Traceback" not in result.stderr
