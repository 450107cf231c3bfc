"""records.py: every data format from streams and files, detection, and every bad input."""

from __future__ import annotations

import csv
import datetime as dt
import gc
import io
import json
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mytypist_cli.data.records import DataSource, Record, open_records
from mytypist_cli.engine.values import raw_value, to_text
from mytypist_cli.errors import DataError


def rows_of(source: DataSource) -> list[tuple[int, int, dict[str, Any]]]:
    return [(r.number, r.line, r.values) for r in source]


def read(data: bytes, **options: Any) -> list[tuple[int, int, dict[str, Any]]]:
    return rows_of(open_records(io.BytesIO(data), **options))


def error_of(data: bytes, **options: Any) -> str:
    with pytest.raises(DataError) as caught:
        list(open_records(io.BytesIO(data), **options))
    message = str(caught.value)
    assert "\n" not in message
    return message


class OneWay(io.RawIOBase):
    """Standard input: no seek, no peek, and short reads."""

    def __init__(self, data: bytes, step: int = 7) -> None:
        super().__init__()
        self._data = data
        self._pos = 0
        self._step = step

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, buffer: Any) -> int:
        chunk = self._data[self._pos : self._pos + min(len(buffer), self._step)]
        buffer[: len(chunk)] = chunk
        self._pos += len(chunk)
        return len(chunk)


def make_xlsx(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


STAFF_ROWS = [{"name": "Ada", "amount": "1500"}, {"name": "Bọ́lá", "amount": "2,000.50"}]


def staff_bytes(fmt: str) -> bytes:
    if fmt == "json":
        return json.dumps(STAFF_ROWS, indent=2, ensure_ascii=False).encode()
    if fmt == "ndjson":
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in STAFF_ROWS).encode()
    return 'name,amount\r\nAda,1500\r\nBọ́lá,"2,000.50"\r\n'.encode()


# --------------------------------------------------------------------------- every format


@pytest.mark.parametrize("fmt", ["json", "ndjson", "csv"])
def test_each_text_format_from_a_stream_and_from_a_file(fmt: str, tmp_path: Path) -> None:
    data = staff_bytes(fmt)
    from_stream = open_records(io.BytesIO(data), display_name="<stdin>")
    assert from_stream.format == fmt
    assert from_stream.path == "<stdin>"
    assert [r.values for r in from_stream] == STAFF_ROWS

    path = tmp_path / f"staff.{fmt}"
    path.write_bytes(data)
    from_file = open_records(path)
    assert from_file.format == fmt
    assert from_file.path == str(path)
    assert [r.values for r in from_file] == STAFF_ROWS
    assert [r.number for r in from_file] == [1, 2]


def test_xlsx_from_a_file_and_from_a_stream(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "staff.xlsx", {"Staff": [["name", "amount"], ["Ada", 1500]]})
    source = open_records(path)
    assert (source.format, source.sheet, source.columns) == ("xlsx", "Staff", ("name", "amount"))
    assert rows_of(source) == [(1, 2, {"name": "Ada", "amount": 1500})]
    streamed = open_records(OneWay(path.read_bytes()), display_name="<stdin>")
    assert streamed.format == "xlsx"
    assert rows_of(streamed) == [(1, 2, {"name": "Ada", "amount": 1500})]


def test_a_path_can_be_read_again_but_a_stream_only_once(tmp_path: Path) -> None:
    path = tmp_path / "staff.csv"
    path.write_bytes(staff_bytes("csv"))
    source = open_records(path)
    assert source.repeatable
    assert rows_of(source) == rows_of(source)
    stream = open_records(io.BytesIO(staff_bytes("csv")))
    assert not stream.repeatable
    assert len(list(stream)) == 2
    with pytest.raises(RuntimeError, match="only once"):
        iter(stream)


@pytest.mark.parametrize("fmt", ["csv", "ndjson"])
def test_stopping_early_closes_the_file(tmp_path: Path, fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / f"staff.{fmt}"
    path.write_bytes(staff_bytes(fmt))
    opened: list[IO[Any]] = []
    real_open = Path.open

    def tracked_open(self: Path, *args: Any, **kwargs: Any) -> IO[Any]:
        handle = real_open(self, *args, **kwargs)
        if self == path:
            opened.append(handle)
        return handle

    monkeypatch.setattr(Path, "open", tracked_open)
    rows = iter(open_records(path))
    next(rows)
    assert opened[-1].closed is False  # the file being read is open while rows are taken
    del rows  # stop after the first of two rows
    gc.collect()
    assert opened
    assert [handle.closed for handle in opened] == [True] * len(opened)


def test_a_stream_is_not_closed(tmp_path: Path) -> None:
    stream = io.BytesIO(staff_bytes("ndjson"))
    list(open_records(stream))
    assert not stream.closed


# --------------------------------------------------------------------------- detection


@pytest.mark.parametrize(
    ("data", "fmt", "count"),
    [
        (b'  \n [{"a": 1}, {"a": 2}]', "json", 2),
        (b'{"a": 1}', "json", 1),
        (b'{"a": 1}\n', "json", 1),
        (b'{\n  "a": 1\n}\n', "json", 1),
        (b'{"a": 1}\n{"a": 2}\n', "ndjson", 2),
        (b'\n{"a": 1}\r\n\r\n{"a": 2}', "ndjson", 2),
        (b"\xef\xbb\xbf[{}]", "json", 1),
        (b"a,b\n1,2\n", "csv", 1),
        (b"a\n", "csv", 0),
    ],
)
def test_stdin_kinds_are_detected_without_losing_data(data: bytes, fmt: str, count: int) -> None:
    source = open_records(OneWay(data), display_name="<stdin>")
    assert source.format == fmt
    assert len(list(source)) == count


def test_ndjson_with_a_first_line_longer_than_the_read_ahead() -> None:
    big = "x" * 300_000
    data = (json.dumps({"a": big}) + "\n" + json.dumps({"a": "y"}) + "\n").encode()
    source = open_records(OneWay(data, step=4096))
    assert source.format == "ndjson"
    assert [r.values["a"] for r in source] == [big, "y"]


def test_the_extension_wins_even_for_a_stream(tmp_path: Path) -> None:
    data = b'{"a": 1}\n'
    assert open_records(io.BytesIO(data), display_name="rows.ndjson").format == "ndjson"
    assert open_records(io.BytesIO(data), display_name="rows.jsonl").format == "ndjson"
    assert open_records(io.BytesIO(data), format="ndjson").format == "ndjson"
    path = tmp_path / "rows.data"  # an unknown extension falls back to the content
    path.write_bytes(b'[{"a": 1}]')
    assert open_records(path).format == "json"


def test_tsv_is_tab_separated_even_with_one_column(tmp_path: Path) -> None:
    path = tmp_path / "notes.tsv"
    path.write_bytes(b"note\nAda, Lagos\n")
    assert rows_of(open_records(path)) == [(1, 2, {"note": "Ada, Lagos"})]


def test_old_xls_and_unknown_options_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100))
    with pytest.raises(DataError, match=r"old\.xls: old Excel \.xls"):
        open_records(path)
    assert "save it as .xlsx or CSV" in error_of(path.read_bytes())
    with pytest.raises(DataError, match="no such file"):
        open_records(tmp_path / "absent.csv")
    with pytest.raises(DataError, match="unknown encoding 'klingon'"):
        open_records(io.BytesIO(b"a\n1\n"), encoding="klingon")
    with pytest.raises(ValueError, match="unknown data format"):
        open_records(io.BytesIO(b"a\n1\n"), format="yaml")


# --------------------------------------------------------------------------- CSV


def test_csv_with_bom_semicolons_and_crlf() -> None:
    data = "\ufeffName ; Amount\r\nAda;1,5\r\nBọ́lá;2\r\n".encode()
    source = open_records(io.BytesIO(data))
    assert (source.delimiter, source.columns) == (";", ("Name", "Amount"))
    assert rows_of(source) == [
        (1, 2, {"Name": "Ada", "Amount": "1,5"}),
        (2, 3, {"Name": "Bọ́lá", "Amount": "2"}),
    ]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_is_sniffed_with_quotes_in_mind(delimiter: str) -> None:
    others = "".join(d for d in ",;\t|" if d != delimiter)
    header = delimiter.join(["name", f'"odd{others}name"', "amount"])
    row = delimiter.join(["Ada", f'"{others}"', "1"])
    source = open_records(io.BytesIO(f"{header}\n{row}\n".encode()))
    assert source.delimiter == delimiter
    assert rows_of(source) == [(1, 2, {"name": "Ada", f"odd{others}name": others, "amount": "1"})]


def test_quoted_newlines_keep_line_numbers_right() -> None:
    data = b'name,address\nAda,"12 Bode Thomas St\nSurulere\r\nLagos"\n\nBola,"1\r2"\nCy,3\n'
    assert read(data) == [
        (1, 2, {"name": "Ada", "address": "12 Bode Thomas St\nSurulere\r\nLagos"}),
        (2, 6, {"name": "Bola", "address": "1\r2"}),
        (3, 8, {"name": "Cy", "address": "3"}),  # a lone CR counts as a line break
    ]


def test_old_mac_line_endings() -> None:
    assert read(b"a,b\r1,2\r3,4") == [(1, 2, {"a": "1", "b": "2"}), (2, 3, {"a": "3", "b": "4"})]


def test_empty_cells_are_empty_values_and_short_rows_are_missing() -> None:
    data = b"name,amount,note\nAda,,\nBola,5\n,,\n\nCy,,x,,\n"
    assert read(data) == [
        (1, 2, {"name": "Ada", "amount": "", "note": ""}),
        (2, 3, {"name": "Bola", "amount": "5"}),  # note is missing, not empty
        (3, 6, {"name": "Cy", "amount": "", "note": "x"}),  # trailing empty cells lose nothing
    ]


def test_a_row_with_too_many_cells_names_path_and_line(tmp_path: Path) -> None:
    path = tmp_path / "staff.csv"
    path.write_bytes(b"a,b,c,d\n1,2,3,4\n1,2,3,4,5\n")
    source = open_records(path)
    with pytest.raises(DataError) as caught:
        list(source)
    assert str(caught.value) == f"{path}:3: row has 5 cells but the header has 4"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "<stream>: no data (the input is empty)"),
        (b"\n\n", "<stream>: no data (the input is empty)"),
        (b" , \n1,2\n", "<stream>:1: the header row has no names"),
        (b"a,,b\n1,2,3\n", "<stream>:1: column 2 of the header has no name"),
        (b"\na, b ,a\n", "<stream>:2: column 'a' appears twice in the header (columns 1 and 3)"),
        ("e\u0301,\u00e9\n".encode(), "<stream>:1: column 'é' appears twice in the header (columns 1 and 2)"),
        (
            b'a,b\n1,"2\n3,4\n',
            '<stream>:2: a quoted field that starts in this row is never closed (a stray " character?)',
        ),
        (b'a,b\n1,"2"x\n', "<stream>:2: malformed CSV: ',' expected after '\"'"),
    ],
)
def test_bad_csv(data: bytes, message: str) -> None:
    assert error_of(data) == message


def test_an_empty_csv_file_has_no_header(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"\xef\xbb\xbf\r\n")
    with pytest.raises(DataError, match=r"empty\.csv: no header row \(the file is empty\)"):
        open_records(path)


def test_excel_sep_line_names_the_delimiter() -> None:
    source = open_records(io.BytesIO(b"sep=;\r\nname;note\r\nAda;a,b,c\r\n"))
    assert source.delimiter == ";"
    assert rows_of(source) == [(1, 3, {"name": "Ada", "note": "a,b,c"})]


def test_trailing_unnamed_columns_are_dropped_while_empty() -> None:
    assert read(b"a,b,,\n1,2,,\n") == [(1, 2, {"a": "1", "b": "2"})]
    assert error_of(b"a,b,,\n1,2,,x\n") == "<stream>:2: row has 4 cells but the header has 2"


def test_not_utf8_names_the_line_and_the_fix(tmp_path: Path) -> None:
    data = "name,quote\nAda,fine\nBola,\u201cyes\u201d\n".encode("cp1252")
    path = tmp_path / "staff.csv"
    path.write_bytes(data)
    with pytest.raises(DataError) as caught:
        list(open_records(path))
    assert str(caught.value) == (
        f"{path}:3: not UTF-8 text (byte 0x93); Excel on Windows saves CSV as cp1252: try --encoding cp1252"
    )
    assert [r.values["quote"] for r in open_records(path, encoding="cp1252")] == ["fine", "\u201cyes\u201d"]


def test_not_utf8_deep_in_a_large_file_names_the_exact_line() -> None:
    data = b"a\n" + b"x\n" * 50_000 + b"\xe9\n"
    assert error_of(data).startswith("<stream>:50002: not UTF-8 text (byte 0xe9)")


def test_an_explicit_encoding() -> None:
    assert read(b"\xef\xbb\xbfa\n1\n", encoding="utf-8") == [(1, 2, {"a": "1"})]
    assert read("a\n\u00e9\n".encode("latin-1"), encoding="latin-1") == [(1, 2, {"a": "\u00e9"})]
    assert error_of(b"a\n\xe9\n", encoding="ascii") == (
        "<stream>:2: not ascii text (byte 0xe9); check --encoding"
    )


def test_utf16_with_bom_as_excel_unicode_text_saves_it(tmp_path: Path) -> None:
    data = "name\tcity\r\nBọ́lá\tỌ̀yọ́\r\n".encode("utf-16")
    assert read(data) == [(1, 2, {"name": "Bọ́lá", "city": "Ọ̀yọ́"})]
    path = tmp_path / "staff.txt"
    path.write_bytes(data * 1000)  # stopping early must not leave anything behind
    source = open_records(path)
    for stream in (source, open_records(io.BytesIO(data * 1000))):
        for _ in stream:
            break
    gc.collect()
    broken = data + b"\x00\xd8" + "x\r\n".encode("utf-16-le")
    assert error_of(broken) == "<stream>: not UTF-16 text (byte 0x00); check --encoding"


header_names = st.lists(
    st.text("abcdefghijklmnopqrstuvwxyzé_", min_size=1, max_size=8), min_size=2, max_size=5, unique=True
)
cell_text = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=20) | st.sampled_from(
    ["a,b", 'say "hi"', "two\nlines", "cr\rlf\r\n", "; | \t", "₦1,500", " padded "]
)


@settings(max_examples=150, deadline=None)
@given(
    header=header_names,
    data=st.data(),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]),
    bom=st.booleans(),
)
def test_csv_round_trip(
    header: list[str], data: st.DataObject, delimiter: str, quoting: int, bom: bool
) -> None:
    rows = data.draw(
        st.lists(st.lists(cell_text, min_size=len(header), max_size=len(header)).filter(any), max_size=8)
    )
    text = io.StringIO(newline="")
    writer = csv.writer(text, delimiter=delimiter, quoting=quoting)  # type: ignore[arg-type]
    writer.writerow(header)
    starts = []
    for row in rows:
        starts.append(len(text.getvalue().encode().splitlines()) + 1)
        writer.writerow(row)
    encoded = (b"\xef\xbb\xbf" if bom else b"") + text.getvalue().encode()
    source = open_records(OneWay(encoded, step=3))
    assert source.columns == tuple(header)
    assert source.delimiter == delimiter
    assert rows_of(source) == [
        (n, line, dict(zip(header, row, strict=True)))
        for n, (line, row) in enumerate(zip(starts, rows, strict=True), start=1)
    ]


# --------------------------------------------------------------------------- JSON and NDJSON


def test_json_values_keep_their_types_and_lines() -> None:
    data = (
        b'[\n  {"n": 1500, "x": 1500.5, "ok": true, "no": null,\n'
        b'   "client": {"name": "Ada"}, "items": [1, 2]},\n  {"n": -1}\n]\n'
    )
    source = open_records(io.BytesIO(data))
    assert source.columns == ("n", "x", "ok", "no", "client", "items")
    records = list(source)
    assert records[0] == Record(
        1, 2, {"n": 1500, "x": 1500.5, "ok": True, "no": None, "client": {"name": "Ada"}, "items": [1, 2]}
    )
    assert type(records[0].values["n"]) is int
    assert records[1] == Record(2, 4, {"n": -1})
    assert read(b"[]") == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b'[\n {"a": 1},\n "Ada"\n]',
            "<stream>:3: array item 2 is a string, not an object (each item of the array is one record)",
        ),
        (
            b"[[1]]",
            "<stream>:1: array item 1 is an array, not an object (each item of the array is one record)",
        ),
        (b"  42", "<stream>:1: expected a JSON object or an array of objects, found a number"),
        (b'[{"a": 1}\n {"a": 2}]', "<stream>:2: bad JSON: Expecting ',' delimiter (column 2)"),
        (b'{"a": 1} x', "<stream>:1: bad JSON: Extra data (column 10)"),
        (b'[{"a": 1}] x', "<stream>:1: bad JSON: Extra data (column 12)"),
        (b'[{"a": }]', "<stream>:1: bad JSON: Expecting value (column 8)"),
        (
            b'[{"a": "\xff"}]',
            "<stream>:1: not UTF-8 text (byte 0xff); "
            "if the file was saved in another encoding, try --encoding NAME",
        ),
    ],
)
def test_bad_json(data: bytes, message: str) -> None:
    assert error_of(data, format="json") == message


def test_ndjson_skips_blank_lines_and_names_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "rows.ndjson"
    path.write_bytes(b'{"a": 1}\n\n{"a": 2.0}\n{"a": \n[1]\n')
    source = open_records(path)
    assert source.columns is None
    got: list[Record] = []
    with pytest.raises(DataError) as caught:
        got.extend(source)
    assert [(r.number, r.line, r.values) for r in got] == [(1, 1, {"a": 1}), (2, 3, {"a": 2.0})]
    assert str(caught.value) == f"{path}:4: bad JSON: Expecting value (column 7)"
    assert error_of(b'{"a": 1}\n[1]\n') == "<stream>:2: expected a JSON object on this line, found an array"


json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
json_objects = st.lists(st.dictionaries(st.text(max_size=8), json_values, max_size=4), max_size=6)


@settings(max_examples=100, deadline=None)
@given(objects=json_objects, gaps=st.lists(st.integers(0, 2), min_size=7, max_size=7), indent=st.booleans())
def test_json_and_ndjson_round_trip_with_lines(
    objects: list[dict[str, Any]], gaps: list[int], indent: bool
) -> None:
    ndjson, array, ndjson_lines, array_lines = "", "[\n", [], []
    for obj, gap in zip(objects, gaps, strict=False):
        ndjson += "\n" * gap
        ndjson_lines.append(ndjson.count("\n") + 1)
        ndjson += json.dumps(obj) + "\n"
        array += "\n" * gap
        array_lines.append(array.count("\n") + 1)
        array += json.dumps(obj, indent=2 if indent else None) + ",\n"
    array = array.rstrip(",\n") + "\n]" if objects else "[]"
    as_ndjson = open_records(io.BytesIO(ndjson.encode()), format="ndjson")
    assert rows_of(as_ndjson) == [
        (n, line, o) for n, (line, o) in enumerate(zip(ndjson_lines, objects, strict=True), 1)
    ]
    as_json = open_records(OneWay(array.encode(), step=64))
    assert as_json.format == "json"
    assert rows_of(as_json) == [
        (n, line, o) for n, (line, o) in enumerate(zip(array_lines, objects, strict=True), 1)
    ]


# --------------------------------------------------------------------------- xlsx


def test_xlsx_values_come_out_clean(tmp_path: Path) -> None:
    path = make_xlsx(
        tmp_path / "book.xlsx",
        {
            "Staff": [
                [],
                [None, None],
                [" name ", "start", "at", "salary", "rate", "ok", "note", None],
                [
                    "Ada",
                    dt.datetime(2025, 10, 1),
                    dt.datetime(2025, 10, 1, 9, 30),
                    650000.0,
                    0.1 + 0.2,
                    True,
                    None,
                ],
                [None, None, None, None, None, None, None, None],
                ["Bola", dt.date(2025, 1, 2), None, 12, 1 / 3, False, "x"],
            ]
        },
    )
    source = open_records(path)
    assert source.columns == ("name", "start", "at", "salary", "rate", "ok", "note")
    ada, bola = list(source)
    assert (ada.number, ada.line) == (1, 4)
    assert ada.values == {
        "name": "Ada",
        "start": dt.date(2025, 10, 1),
        "at": dt.datetime(2025, 10, 1, 9, 30),
        "salary": 650000,
        "rate": 0.3,
        "ok": True,
        "note": "",
    }
    # A datetime at midnight is a date, still shown as its cell's format says
    # (openpyxl gives datetimes "yyyy-mm-dd h:mm:ss"); a whole float is an int.
    assert type(raw_value(ada.values["start"])) is dt.date
    assert to_text(ada.values["start"], "start") == "2025-10-01 0:00:00"
    assert to_text(ada.values["at"], "at") == "2025-10-01 9:30:00"
    assert type(ada.values["salary"]) is int
    assert (bola.number, bola.line) == (2, 6)
    assert bola.values["rate"] == 0.333333333333333
    assert bola.values["at"] == ""


def test_xlsx_second_sheet_by_name_and_unknown_sheet(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "book.xlsx", {"Staff": [["a"], [1]], "Rates": [["rate"], [2.5]]})
    assert rows_of(open_records(path, sheet="Rates")) == [(1, 2, {"rate": 2.5})]
    with pytest.raises(DataError) as caught:
        open_records(path, sheet="Nope")
    assert str(caught.value) == f"{path}: no sheet named 'Nope'; the sheets are 'Staff', 'Rates'"


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([], ": the sheet is empty: no header row"),
        ([["a", None, "b"], [1, 2, 3]], ":1: column B of the header has no name"),
        ([["a", "a"]], ":1: column 'a' appears twice in the header (columns A and B)"),
        (
            [["a", "b"], [1, 2, None, "stray"]],
            ":2: cell D2 has a value but its column has no name in the header",
        ),
    ],
)
def test_bad_xlsx_sheets(tmp_path: Path, rows: list[list[Any]], message: str) -> None:
    path = make_xlsx(tmp_path / "book.xlsx", {"Sheet": rows})
    with pytest.raises(DataError) as caught:
        list(open_records(path))
    assert str(caught.value) == f"{path}{message}"


@pytest.mark.parametrize(
    "content",
    [b"PK\x03\x04 this is not really a zip", b"", b"not a workbook at all"],
)
def test_a_corrupt_xlsx_is_one_line_naming_the_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(content)
    with pytest.raises(DataError) as caught:
        open_records(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: not a readable .xlsx workbook (")
    assert "\n" not in message


def test_a_docx_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "letter.xlsx"
    with __import__("zipfile").ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    with pytest.raises(DataError, match=r"letter\.xlsx: not a readable \.xlsx workbook"):
        open_records(path)


# --------------------------------------------------------------------------- a header below a title

TITLED = "Staff list — September 2025\n\nfull_name,position,salary\nAda Obi,Engineer,650000\nBola Ade,Analyst,480000\n"


@pytest.mark.parametrize("how", ["path", "stream"])
def test_a_csv_header_below_a_title_is_found_and_lines_stay_true(tmp_path: Path, how: str) -> None:
    path = tmp_path / "staff.csv"
    path.write_text(TITLED, encoding="utf-8")
    source = open_records(path) if how == "path" else open_records(OneWay(TITLED.encode(), step=3))
    assert source.columns == ("full_name", "position", "salary")
    assert (source.header_line, source.title_lines, source.header_fits) == (3, (1,), True)
    assert source.header_note == "the header was read from line 3: full_name, position, salary"
    assert rows_of(source) == [
        (1, 4, {"full_name": "Ada Obi", "position": "Engineer", "salary": "650000"}),
        (2, 5, {"full_name": "Bola Ade", "position": "Analyst", "salary": "480000"}),
    ]
    if how == "path":
        assert [r.line for r in source] == [4, 5]  # read again, found again


@pytest.mark.parametrize(
    ("data", "header_line", "title_lines"),
    [
        # A title of several lines, and one with values far apart (a date at its right).
        ("ACME Ltd\nStaff list\n\na,b,c\n1,2,3\n", 4, (1, 2)),
        ("Staff list,,,Printed 1 Sept\n\na,b,c,d\n1,2,3,4\n5,6,7,8\n", 3, (1,)),
        # A broken row further down does not hide the header; reading it says where it is.
        ("Staff list\na,b\n1,2\n3,4,5\n", 2, (1,)),
    ],
)
def test_titles_above_a_csv_header(data: str, header_line: int, title_lines: tuple[int, ...]) -> None:
    source = open_records(io.BytesIO(data.encode()))
    assert (source.header_line, source.title_lines) == (header_line, title_lines)


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_the_delimiter_is_told_from_the_table_below_a_title(delimiter: str) -> None:
    data = TITLED.replace(",", delimiter).encode()
    source = open_records(io.BytesIO(data))
    assert (source.delimiter, source.header_line) == (delimiter, 3)
    assert source.columns == ("full_name", "position", "salary")
    # One column stays one column, a stray delimiter in a value and all.
    assert read(b"name\nAda;\nBola\n") == [(1, 2, {"name": "Ada;"}), (2, 3, {"name": "Bola"})]


def test_a_row_beyond_the_header_that_cannot_be_read_fails_at_its_line_while_reading() -> None:
    source = open_records(io.BytesIO(b'Staff list\n\na,b\n1,2\n3,"4\n'))
    assert source.columns == ("a", "b")
    with pytest.raises(DataError) as caught:
        list(source)
    assert str(caught.value).startswith("<stream>:5: a quoted field that starts in this row is never closed")
    assert error_of(b"Staff list\na,b\n1,2\n\xe9\n") == (
        "<stream>:4: not UTF-8 text (byte 0xe9); Excel on Windows saves CSV as cp1252: try --encoding cp1252"
    )


@pytest.mark.parametrize(
    ("data", "note"),
    [
        # Two values next to each other are more than a title: they stay the header.
        (
            "Staff list,September 2025\n\na,b,c\n1,2,3\n",
            "the header was read from line 1: Staff list, September 2025; line 3 below it has more cells",
        ),
        # A header with a number in it is not taken for one below a title.
        (
            "Staff list\n\na,b,2025\n1,2,3\n",
            "the header was read from line 1: Staff list; line 3 below it has more cells",
        ),
        # Nothing below the row to tell a table by.
        (
            "Staff list\n\na,b,c\n",
            "the header was read from line 1: Staff list; line 3 below it has more cells",
        ),
        # Rows below of another shape.
        (
            "Staff list\na,b\n1\n2,3\n",
            "the header was read from line 1: Staff list; line 2 below it has more cells",
        ),
        # Looked for among the first ten rows only.
        (
            "".join(f"note {n}\n" for n in range(10)) + "a,b\n1,2\n",
            "the header was read from line 1: note 0; line 11 below it has more cells",
        ),
    ],
)
def test_a_header_below_a_title_is_not_guessed(data: str, note: str | None) -> None:
    source = open_records(io.BytesIO(data.encode()))
    assert (source.header_line, source.title_lines) == (1, ())
    assert source.header_note == note


@pytest.mark.parametrize(
    "data",
    [
        b"name,amount\n1,2\n",
        b"name\nAda\nBola\n",  # one column
        b"\n\nname,amount\n1,2\n",  # blank lines are no title
        b"sep=;\r\nname;amount\r\n1;2\r\n",
    ],
)
def test_a_plausible_first_row_stays_the_header(data: bytes) -> None:
    source = open_records(io.BytesIO(data))
    first = next(
        line for line, text in enumerate(data.decode().splitlines(), 1) if text and "sep=" not in text
    )
    assert (source.header_line, source.title_lines, source.header_fits) == (first, (), True)
    assert source.header_note is None


def test_two_names_stay_the_header_over_a_wider_row() -> None:
    data = b"a,b\nAda,Obi\nBola,Ade,x,y\nChi,Eze\n"
    source = open_records(io.BytesIO(data))
    assert (source.header_line, source.title_lines, source.header_fits) == (1, (), False)
    assert source.header_note == "the header was read from line 1: a, b; line 3 below it has more cells"
    assert error_of(data) == "<stream>:3: row has 4 cells but the header has 2"


def test_json_and_ndjson_have_no_header_row() -> None:
    for data in (b'[{"a": 1}]', b'{"a": 1}\n{"a": 2}\n'):
        source = open_records(io.BytesIO(data))
        assert (source.header_line, source.title_lines, source.header_note) == (None, (), None)


def test_an_xlsx_header_below_a_title_is_found(tmp_path: Path) -> None:
    rows: list[list[Any]] = [
        ["Staff list"],
        [],
        ["name", "start"],
        ["Ada", dt.date(2025, 1, 2)],
        ["Bola", None],
    ]
    source = open_records(make_xlsx(tmp_path / "book.xlsx", {"Staff": rows}))
    assert source.columns == ("name", "start")
    assert (source.header_line, source.title_lines) == (3, (1,))
    assert source.header_note == "the header was read from row 3 of sheet 'Staff': name, start"
    assert rows_of(source) == [
        (1, 4, {"name": "Ada", "start": dt.date(2025, 1, 2)}),
        (2, 5, {"name": "Bola", "start": ""}),
    ]


def test_an_xlsx_title_that_is_a_formula_without_a_result_is_still_a_title(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (['="Staff list "&TEXT(TODAY(),"mmmm")'], ["name", "pay"], ["Ada", 5], ["Bola", 6]):
        sheet.append(row)
    book.save(path)
    assert rows_of(open_records(path)) == [
        (1, 3, {"name": "Ada", "pay": 5}),
        (2, 4, {"name": "Bola", "pay": 6}),
    ]


def test_an_xlsx_header_is_not_guessed_past_a_number(tmp_path: Path) -> None:
    rows: list[list[Any]] = [["Staff list"], ["name", 2025], ["Ada", 5]]
    source = open_records(make_xlsx(tmp_path / "book.xlsx", {"Staff": rows}))
    assert (source.header_line, source.columns) == (1, ("Staff list",))
    assert source.header_note == (
        "the header was read from row 1 of sheet 'Staff': Staff list; row 2 below it has more cells"
    )


def test_a_long_header_is_shortened_in_the_note() -> None:
    names = [f"c{n}" for n in range(12)]
    source = open_records(
        io.BytesIO(("Title\n" + ",".join(names) + "\n" + ",".join("1" * 12) + "\n").encode())
    )
    assert source.header_note == "the header was read from line 2: c0, c1, c2, c3, c4, c5, c6, c7 and 4 more"


# --------------------------------------------------------------------------- memory


def peak_bytes(write: Callable[[int], bytes], rows: int, tmp_path: Path, suffix: str) -> int:
    path = tmp_path / f"big{rows}{suffix}"
    path.write_bytes(write(rows))
    tracemalloc.start()
    try:
        count = sum(1 for _ in open_records(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == rows
    return peak


@pytest.mark.parametrize(
    ("suffix", "write"),
    [
        (".csv", lambda n: b"name,amount,note\n" + b'Ada Lovelace,1500,"a, b"\n' * n),
        (".ndjson", lambda n: b'{"name": "Ada Lovelace", "amount": 1500}\n' * n),
    ],
)
def test_memory_stays_flat_as_rows_grow(tmp_path: Path, suffix: str, write: Callable[[int], bytes]) -> None:
    small = peak_bytes(write, 1_000, tmp_path, suffix)
    large = peak_bytes(write, 20_000, tmp_path, suffix)
    assert large < small * 1.5, (small, large)
