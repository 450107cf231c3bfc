"""Batch filling: names, safety, resumption, reports, zip output and parallel equivalence."""

from __future__ import annotations

import csv
import io
import json
import multiprocessing
import os
import sys
import tempfile
import threading
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from disk import tiny_disk
from docx_factory import DOCM_TYPE, make_docx, p, para, paragraphs, r
from mytypist_cli import MacroTemplateError, Template
from mytypist_cli.data.grouping import Group
from mytypist_cli.errors import BatchError, OutputError, OutputExistsError
from mytypist_cli.fill import batch as batch_module
from mytypist_cli.fill.batch import INLINE_BELOW, BatchOptions, Skipped, run_rows
from mytypist_cli.fill.naming import MAX_NAME_BYTES, safe_name
from mytypist_cli.fill.report import write_report
from mytypist_cli.fill.results import BatchSummary, RowResult

# The placeholder is split across runs on purpose, as Word leaves it.
TEMPLATE = make_docx(p(r("Dear <<fi"), r("rst>> <<last>>,")) + para("Ref: <<ref>>"))


@dataclass(frozen=True)
class Rec:
    number: int
    values: Mapping[str, Any]


def rows(*values: Mapping[str, Any], start: int = 1) -> list[Rec]:
    return [Rec(number, dict(row)) for number, row in enumerate(values, start=start)]


def people(count: int) -> list[Rec]:
    return rows(*({"first": f"Ada{i}", "last": f"Obi{i % 5}", "ref": i} for i in range(1, count + 1)))


def fill_rows(
    template: bytes,
    records: Any,
    options: BatchOptions,
    *,
    template_name: str,
    delimiters: str = "<< >>",
    locale: str = "en_NG",
    total: int | None = None,
    on_result: Any = None,
) -> BatchSummary:
    """Compile ``template`` and run its rows, as fill_batch does after reading the data."""
    compiled = Template.open(template, delimiters=delimiters, locale=locale)
    return run_rows(
        compiled, records, options, stem=Path(template_name).stem, total=total, on_result=on_result
    )


def run(
    records: Any,
    out: Path,
    template: bytes = TEMPLATE,
    name: str = "letter.docx",
    on_result: Any = None,
    **options: Any,
) -> BatchSummary:
    return fill_rows(
        template, records, BatchOptions(out_dir=out, **options), template_name=name, on_result=on_result
    )


def listing(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


def no_temp_files(folder: Path) -> bool:
    return not [name for name in os.listdir(folder) if name.startswith(".~mytypist")]


# --------------------------------------------------------------------------- names


def test_default_names_use_the_template_stem_and_four_digits(tmp_path: Path) -> None:
    summary = run(people(3), tmp_path / "out")
    assert listing(tmp_path / "out") == ["letter-0001.docx", "letter-0002.docx", "letter-0003.docx"]
    assert summary.outputs == tuple(str(tmp_path / "out" / f"letter-000{i}.docx") for i in (1, 2, 3))
    assert paragraphs((tmp_path / "out" / "letter-0002.docx").read_bytes()) == ["Dear Ada2 Obi2,", "Ref: 2"]


def test_digits_grow_with_a_known_row_count(tmp_path: Path) -> None:
    fill_rows(TEMPLATE, people(2), BatchOptions(out_dir=tmp_path), template_name="offer.docx", total=12_345)
    assert listing(tmp_path) == ["offer-00001.docx", "offer-00002.docx"]


def test_a_stream_of_unknown_length_starts_at_four_digits_and_grows(tmp_path: Path) -> None:
    stream = (Rec(n, {"first": "a", "last": "b", "ref": n}) for n in (9_999, 10_000))
    run(stream, tmp_path)
    assert listing(tmp_path) == ["letter-10000.docx", "letter-9999.docx"]


def test_name_pattern_uses_the_data_and_the_template_delimiters(tmp_path: Path) -> None:
    run(people(2), tmp_path, name_pattern="<<last>>-<<first>>.docx")
    assert listing(tmp_path) == ["Obi1-Ada1.docx", "Obi2-Ada2.docx"]
    curly = make_docx(para("Hello {{first}}"))
    fill_rows(
        curly,
        rows({"first": "Ngozi"}),
        BatchOptions(out_dir=tmp_path / "curly", name_pattern="{{first}}"),
        template_name="c.docx",
        delimiters="{{ }}",
    )
    assert listing(tmp_path / "curly") == ["Ngozi.docx"]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("<<first>>", "Ada1.docx"),
        ("<<first>>.DOCX", "Ada1.docx"),
        ("<<first>>.pdf", "Ada1.docx"),  # its PDF, when one is made, is Ada1.pdf
        ("<<first>>.docm", "Ada1.docx"),
        ("Mr. <<first>> Jr.", "Mr. Ada1 Jr.docx"),
    ],
)
def test_the_extension_is_the_templates(tmp_path: Path, pattern: str, expected: str) -> None:
    run(people(1), tmp_path, name_pattern=pattern)
    assert listing(tmp_path) == [expected]


def test_a_macro_template_makes_docm_and_needs_permission(tmp_path: Path) -> None:
    docm = make_docx(para("<<first>>"), main_type=DOCM_TYPE)
    with pytest.raises(MacroTemplateError):
        run(rows({"first": "x"}), tmp_path / "refused", template=docm, name_pattern="<<first>>.docx")
    assert not (tmp_path / "refused").exists()
    run(rows({"first": "x"}), tmp_path, template=docm, name_pattern="<<first>>.docx", allow_macros=True)
    assert listing(tmp_path) == ["x.docm"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("../../etc/passwd", "____etc_passwd.docx"),
        ("a/b", "a_b.docx"),
        ("a\\b", "a_b.docx"),
        ("CON", "_CON.docx"),
        ("nul", "_nul.docx"),
        ("com1.txt", "_com1.txt.docx"),
        # The engine drops characters XML forbids (NUL) before the name is made safe.
        ("tab\there\x00nul\nline", "tab_herenul_line.docx"),
        ('what? <a|b> "c": *', "what_ _a_b_ _c__ _.docx"),
        (".hidden", "_hidden.docx"),
        ("  trailing. . ", "trailing.docx"),
        ("evil\u202excod.exe", "evil_xcod.exe.docx"),
        ("..", "_.docx"),
    ],
)
def test_unsafe_names_are_made_safe(tmp_path: Path, value: str, expected: str) -> None:
    out = tmp_path / "out"
    summary = run(rows({"first": value, "last": "", "ref": 1}), out, name_pattern="<<first>>")
    assert summary.results[0].status == "ok", summary.results[0]
    assert listing(out) == [expected]
    assert listing(tmp_path) == ["out"]


def test_very_long_names_are_capped_and_stay_distinct(tmp_path: Path) -> None:
    long = "Ọ̀" * 300
    run(rows({"first": long}, {"first": long}), tmp_path, name_pattern="<<first>>", missing="blank")
    names = listing(tmp_path)
    assert len(names) == 2
    for name in names:
        assert len(name.encode()) <= MAX_NAME_BYTES
        assert name.endswith(".docx")
    assert any(name.endswith("-2.docx") for name in names)


def test_repeated_names_get_numbered_case_insensitively(tmp_path: Path) -> None:
    data = rows(*({"first": name} for name in ("Ada", "ada", "Ada", "Ada-2", "ADA")))
    summary = run(data, tmp_path, name_pattern="<<first>>")
    assert [Path(result.file or "").name for result in summary.results] == [
        "Ada.docx",
        "ada-2.docx",
        "Ada-3.docx",
        "Ada-2-2.docx",
        "ADA-4.docx",
    ]


def test_a_name_that_cannot_be_made_fails_only_that_row(tmp_path: Path) -> None:
    data = rows({"first": "Ada", "last": "Obi"}, {"first": "Ngozi"}, {"first": "", "last": ""})
    summary = run(data, tmp_path, name_pattern="<<last>><<first>>", missing="blank")
    assert [(result.status, result.error) for result in summary.results] == [
        ("ok", None),
        ("failed", "file name: missing value for last"),
        ("failed", "file name: the name pattern gives an empty name for this row"),
    ]
    assert summary.results[1].file is None
    assert listing(tmp_path) == ["ObiAda.docx"]


# --------------------------------------------------------------------------- existing files


def test_an_existing_file_fails_the_row_unless_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "letters"
    out.mkdir()
    (out / "letter-0002.docx").write_bytes(b"old")
    summary = run(people(3), out)
    assert [result.status for result in summary.results] == ["ok", "failed", "ok"]
    assert summary.results[1].error == f"{out / 'letter-0002.docx'} exists; pass --overwrite to replace it"
    assert (out / "letter-0002.docx").read_bytes() == b"old"
    assert summary.failed_rows == (2,)

    summary = run(people(3), out, overwrite=True)
    assert [result.status for result in summary.results] == ["ok", "ok", "ok"]
    assert paragraphs((out / "letter-0002.docx").read_bytes())[0] == "Dear Ada2 Obi2,"


def test_skip_existing_resumes_without_touching_done_files(tmp_path: Path) -> None:
    (tmp_path / "letter-0001.docx").write_bytes(b"done")
    seen: list[RowResult] = []
    summary = run(people(2), tmp_path, skip_existing=True, on_result=seen.append)
    assert [result.status for result in seen] == ["skipped", "ok"]
    assert (tmp_path / "letter-0001.docx").read_bytes() == b"done"
    assert (summary.skipped, summary.ok, summary.written) == (1, 1, 1)


def test_only_the_file_systems_idea_of_the_same_name_counts(tmp_path: Path) -> None:
    (tmp_path / "LETTER-0001.docx").write_bytes(b"other")
    case_blind = (tmp_path / "letter-0001.docx").exists()
    summary = run(people(1), tmp_path)
    assert summary.results[0].status == ("failed" if case_blind else "ok")
    assert (tmp_path / "LETTER-0001.docx").read_bytes() == b"other"


def test_a_file_that_appears_during_the_run_is_not_replaced(tmp_path: Path) -> None:
    def intruder(result: RowResult) -> None:
        if result.row == 1:
            (tmp_path / "letter-0003.docx").write_bytes(b"theirs")

    summary = run(people(3), tmp_path, on_result=intruder)
    assert [result.status for result in summary.results] == ["ok", "ok", "failed"]
    assert (
        summary.results[2].error == f"{tmp_path / 'letter-0003.docx'} exists; pass --overwrite to replace it"
    )
    assert (tmp_path / "letter-0003.docx").read_bytes() == b"theirs"
    assert no_temp_files(tmp_path)


def test_a_symlink_in_the_way_is_never_written_through(tmp_path: Path) -> None:
    outside = tmp_path / "outside.docx"
    outside.write_bytes(b"precious")
    out = tmp_path / "out"
    out.mkdir()
    (out / "letter-0001.docx").symlink_to(outside)
    assert run(people(1), out).results[0].status == "failed"
    run(people(1), out, overwrite=True)
    assert outside.read_bytes() == b"precious"
    assert not (out / "letter-0001.docx").is_symlink()


def test_an_output_folder_that_is_a_file_is_a_batch_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(BatchError, match="is not a folder"):
        run(people(1), tmp_path / "file")


# --------------------------------------------------------------------------- rows


def test_failed_rows_do_not_stop_the_others_and_results_come_in_order(tmp_path: Path) -> None:
    data = rows(
        {"first": "Ada", "last": "Obi", "ref": 1},
        {"first": "Ngozi", "last": None, "ref": 2},
        {"first": "Chi", "last": ["a", "list"], "ref": 3},
        {"first": "Emeka", "ref": 4},
        {"first": "Tunde", "last": "", "ref": 5},
    )
    seen: list[RowResult] = []
    summary = run(data, tmp_path, on_result=seen.append)
    assert [(result.row, result.status, result.error) for result in seen] == [
        (1, "ok", None),
        (2, "failed", "missing value for last"),
        (3, "failed", "the value for 'last' is a list, not text"),
        (4, "failed", "missing value for last"),
        (5, "ok", None),
    ]
    assert tuple(seen) == summary.results
    assert listing(tmp_path) == ["letter-0001.docx", "letter-0005.docx"]
    assert (summary.rows, summary.ok, summary.written, summary.failed, summary.skipped) == (5, 2, 2, 3, 0)
    assert summary.missing == {"last": 2}
    assert summary.blank == {"last": 1}
    assert summary.results[4].blank == ("last",)
    assert summary.elapsed >= 0


def test_missing_blank_fills_and_counts(tmp_path: Path) -> None:
    summary = run(rows({"first": "Ada"}, {"first": "Obi", "last": "O", "ref": 0}), tmp_path, missing="blank")
    assert [result.missing for result in summary.results] == [("last", "ref"), ()]
    assert summary.missing == {"last": 1, "ref": 1}
    assert paragraphs((tmp_path / "letter-0001.docx").read_bytes()) == ["Dear Ada ,", "Ref: "]


def test_dry_run_checks_every_row_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    data = rows({"first": "Ada", "last": "Obi", "ref": 1}, {"first": "Ngozi"})
    summary = run(data, out, dry_run=True)
    assert not out.exists()
    assert [(result.status, result.error) for result in summary.results] == [
        ("ok", None),
        ("failed", "missing values for last, ref"),
    ]
    assert summary.results[0].file == str(out / "letter-0001.docx")
    assert (summary.ok, summary.written, summary.outputs, summary.dry_run) == (1, 0, (), True)


def test_dry_run_reports_existing_files(tmp_path: Path) -> None:
    (tmp_path / "letter-0001.docx").write_bytes(b"old")
    summary = run(people(1), tmp_path, dry_run=True)
    assert summary.results[0].status == "failed"
    assert listing(tmp_path) == ["letter-0001.docx"]


def test_start_at_and_limit(tmp_path: Path) -> None:
    summary = run(people(10), tmp_path, start_at=3, limit=2)
    assert [result.row for result in summary.results] == [3, 4]
    assert listing(tmp_path) == ["letter-0003.docx", "letter-0004.docx"]
    assert run(people(3), tmp_path / "none", limit=0).rows == 0


def test_limit_stops_reading_the_stream(tmp_path: Path) -> None:
    consumed: list[int] = []

    def stream() -> Iterator[Rec]:
        for record in people(100):
            consumed.append(record.number)
            yield record

    run(stream(), tmp_path, limit=3)
    assert consumed == [1, 2, 3]


def test_a_resumed_run_gives_rows_the_names_the_first_run_gave(tmp_path: Path) -> None:
    data = rows(*({"first": name} for name in ("Ada", "Ada", "Obi", "Ada")))
    first = run(data, tmp_path / "a", name_pattern="<<first>>")
    resumed = run(data, tmp_path / "b", name_pattern="<<first>>", start_at=2)
    assert [Path(result.file or "").name for result in resumed.results] == [
        Path(result.file or "").name for result in first.results[1:]
    ]


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match="contradict"):
        BatchOptions(out_dir=Path("x"), overwrite=True, skip_existing=True)
    with pytest.raises(ValueError, match="jobs"):
        BatchOptions(jobs=0)
    with pytest.raises(ValueError, match="start_at"):
        BatchOptions(start_at=0)
    with pytest.raises(ValueError, match="zip"):
        BatchOptions(zip_path=Path("a.zip"), skip_existing=True)


# --------------------------------------------------------------------------- parallel


def mixed_rows(count: int) -> list[Rec]:
    """Rows with failures and repeated names, so equivalence covers every path."""
    data = []
    for i in range(1, count + 1):
        row: dict[str, Any] = {"first": f"Ada{i % 40}", "last": f"Obi{i % 3}", "ref": i}
        if i % 17 == 0:
            row["last"] = None
        data.append(Rec(i, row))
    return data


def test_jobs_two_gives_identical_files_and_results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pools: list[int] = []
    real_run_pool = batch_module._run_pool

    def spy(*args: Any) -> None:
        pools.append(args[3])
        real_run_pool(*args)

    monkeypatch.setattr(batch_module, "_run_pool", spy)
    data = mixed_rows(120)
    seen: dict[int, list[RowResult]] = {1: [], 2: []}
    summaries = {
        jobs: run(
            data, tmp_path / str(jobs), name_pattern="<<first>>", jobs=jobs, on_result=seen[jobs].append
        )
        for jobs in (1, 2)
    }
    assert pools == [2]
    relative = {
        jobs: [(r.row, Path(r.file or "").name, r.status, r.error) for r in seen[jobs]] for jobs in (1, 2)
    }
    assert relative[1] == relative[2]
    assert [r.row for r in seen[2]] == list(range(1, 121))
    assert summaries[1].failed == summaries[2].failed == 7
    assert summaries[1].missing == summaries[2].missing
    names = listing(tmp_path / "1")
    assert names == listing(tmp_path / "2")
    assert len(names) == 113
    for name in names:
        assert (tmp_path / "1" / name).read_bytes() == (tmp_path / "2" / name).read_bytes()
    assert no_temp_files(tmp_path / "2")


def test_spawned_workers_give_the_same_result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The start method on macOS and Windows, and on Linux when the caller runs threads.
    monkeypatch.setattr(batch_module, "_mp_context", lambda: multiprocessing.get_context("spawn"))
    data = mixed_rows(INLINE_BELOW + 10)
    inline = run(data, tmp_path / "1", dry_run=True)
    spawned = run(data, tmp_path / "2", dry_run=True, jobs=2)
    assert [(r.row, r.status, r.error) for r in spawned.results] == [
        (r.row, r.status, r.error) for r in inline.results
    ]


def test_with_another_thread_running_workers_come_from_a_fork_server(tmp_path: Path) -> None:
    # A progress bar's refresh thread makes a plain fork unsafe; results must not change.
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        if sys.platform.startswith("linux"):
            assert batch_module._mp_context().get_start_method() == "forkserver"
        data = mixed_rows(INLINE_BELOW + 10)
        threaded = run(data, tmp_path / "2", jobs=2)
    finally:
        stop.set()
        thread.join()
    assert batch_module._mp_context().get_start_method() in ("fork", "spawn")
    inline = run(data, tmp_path / "1")
    assert [(r.row, Path(r.file or "").name, r.status, r.error) for r in threaded.results] == [
        (r.row, Path(r.file or "").name, r.status, r.error) for r in inline.results
    ]
    for name in listing(tmp_path / "1"):
        assert (tmp_path / "1" / name).read_bytes() == (tmp_path / "2" / name).read_bytes()


def test_a_small_batch_runs_inline_even_with_jobs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any) -> None:
        raise AssertionError("no pool for a small batch")

    monkeypatch.setattr(batch_module, "_run_pool", refuse)
    assert run(people(INLINE_BELOW - 1), tmp_path, jobs=4).written == INLINE_BELOW - 1


def test_a_long_stream_is_not_read_far_ahead(tmp_path: Path) -> None:
    consumed = 0
    gaps: list[int] = []

    def stream() -> Iterator[Rec]:
        nonlocal consumed
        for record in people(600):
            consumed += 1
            yield record

    def watch(result: RowResult) -> None:
        gaps.append(consumed - result.row)

    run(stream(), tmp_path, jobs=2, dry_run=True, on_result=watch)
    assert len(gaps) == 600
    # jobs * 64 in flight, plus one chunk being filled.
    assert max(gaps) <= 2 * 64 + batch_module._CHUNK_ROWS


@pytest.mark.parametrize("jobs", [1, 2])
def test_an_interrupt_shuts_down_and_leaves_no_temp_files(tmp_path: Path, jobs: int) -> None:
    def interrupt(result: RowResult) -> None:
        if result.row == 60:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(people(120), tmp_path, jobs=jobs, on_result=interrupt)
    assert no_temp_files(tmp_path)
    assert not multiprocessing.active_children()
    names = listing(tmp_path)
    assert "letter-0060.docx" in names
    for name in names:  # whatever was written is whole
        with zipfile.ZipFile(tmp_path / name) as archive:
            assert archive.testzip() is None


def test_a_full_disk_fails_the_rows_that_do_not_fit_and_leaves_no_temporary_file() -> None:
    with tiny_disk(64) as disk:
        summary = run(people(40), disk / "out")
        failed = [r for r in summary.results if r.status == "failed"]
        assert failed, "64 KiB should not hold forty documents"
        assert all("No space left on device" in (r.error or "") for r in failed)
        assert summary.written == 40 - len(failed)
        written = listing(disk / "out")
        assert len(written) == summary.written
        assert no_temp_files(disk / "out")
        for name in written:  # whatever was written is whole
            with zipfile.ZipFile(disk / "out" / name) as archive:
                assert archive.testzip() is None


# --------------------------------------------------------------------------- zip


@pytest.mark.parametrize("jobs", [1, 2])
def test_zip_output_holds_the_same_documents_in_row_order(tmp_path: Path, jobs: int) -> None:
    data = mixed_rows(120)
    folder = run(data, tmp_path / "folder", name_pattern="<<first>>")
    archive_path = tmp_path / "sub" / "letters.zip"
    summary = run(data, tmp_path / "unused", name_pattern="<<first>>", zip_path=archive_path, jobs=jobs)
    assert not (tmp_path / "unused").exists()
    assert summary.outputs == (str(archive_path),)
    assert summary.zip_path == archive_path
    with zipfile.ZipFile(archive_path) as archive:
        members = archive.namelist()
        assert members == [Path(r.file or "").name for r in folder.results if r.status == "ok"]
        for member in members:
            assert archive.read(member) == (tmp_path / "folder" / member).read_bytes()
    assert [r.file for r in summary.results] == [
        None if r.file is None else Path(r.file).name for r in folder.results
    ]
    assert listing(tmp_path / "sub") == ["letters.zip"]


def test_zip_refuses_to_replace_an_archive_without_overwrite(tmp_path: Path) -> None:
    archive_path = tmp_path / "letters.zip"
    archive_path.write_bytes(b"old")
    with pytest.raises(OutputExistsError, match="exists; pass --overwrite"):
        run(people(2), tmp_path, zip_path=archive_path)
    assert archive_path.read_bytes() == b"old"
    run(people(2), tmp_path, zip_path=archive_path, overwrite=True)
    assert zipfile.ZipFile(archive_path).namelist() == ["letter-0001.docx", "letter-0002.docx"]
    assert listing(tmp_path) == ["letters.zip"]


def test_zip_dry_run_and_interrupt_leave_nothing(tmp_path: Path) -> None:
    run(people(2), tmp_path, zip_path=tmp_path / "a.zip", dry_run=True)

    def interrupt(result: RowResult) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(people(2), tmp_path, zip_path=tmp_path / "b.zip", on_result=interrupt)
    assert listing(tmp_path) == []


# --------------------------------------------------------------------------- report


def report_rows() -> list[RowResult]:
    return [
        RowResult(1, "out/Adé.docx", "ok", missing=(), blank=("x",)),
        RowResult(2, None, "failed", "file name: missing value for last"),
        RowResult(3, "out/c.docx", "skipped", "out/c.docx exists"),
    ]


def test_report_json(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    write_report(report_rows(), path)
    assert json.loads(path.read_text(encoding="utf-8")) == [
        {"row": 1, "file": "out/Adé.docx", "status": "ok", "error": None},
        {"row": 2, "file": None, "status": "failed", "error": "file name: missing value for last"},
        {"row": 3, "file": "out/c.docx", "status": "skipped", "error": "out/c.docx exists"},
    ]
    assert listing(tmp_path) == ["report.json"]


def test_report_csv(tmp_path: Path) -> None:
    path = tmp_path / "report.CSV"
    write_report(report_rows(), path)
    with path.open(encoding="utf-8", newline="") as handle:
        assert list(csv.reader(handle)) == [
            ["row", "file", "status", "error"],
            ["1", "out/Adé.docx", "ok", ""],
            ["2", "", "failed", "file name: missing value for last"],
            ["3", "out/c.docx", "skipped", "out/c.docx exists"],
        ]


def test_report_refuses_other_formats_and_unwritable_places(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="json or .csv"):
        write_report([], tmp_path / "report.txt")
    with pytest.raises(OutputError, match="cannot write in"):
        write_report([], tmp_path / "missing" / "report.json")


# --------------------------------------------------------------------------- safe_name


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_safe_name_is_always_one_safe_component(text: str) -> None:
    name = safe_name(text)
    assert name
    assert name not in (".", "..")
    assert len(name.encode("utf-8")) <= MAX_NAME_BYTES
    assert not set(name) & set('<>:"/\\|?*\x00')
    assert not name.startswith(".")
    assert not name.endswith((".", " "))
    assert name.split(".")[0].upper() not in ("CON", "PRN", "AUX", "NUL", "COM1", "LPT1")
    assert safe_name(name) == name
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder).resolve()
        target = root / name
        assert target.resolve().parent == root
        target.write_bytes(b"")  # the file system accepts it
        assert os.listdir(root) == [name]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a\x00b", "a_b"),
        ("", "_"),
        ("...", "_"),
        ("CON .txt", "_CON .txt"),
        ("a\u2028b", "a_b"),
        ("x" * 300, "x" * 200),
    ],
)
def test_safe_name_examples(text: str, expected: str) -> None:
    assert safe_name(text) == expected


def test_safe_name_rejects_a_useless_cap() -> None:
    with pytest.raises(ValueError, match="max_bytes"):
        safe_name("x", max_bytes=3)


def test_records_need_only_number_and_values(tmp_path: Path) -> None:
    class Minimal:
        def __init__(self, number: int) -> None:
            self.number = number
            self.values = {"first": "A", "last": "B", "ref": number}

    assert run(iter([Minimal(1), Minimal(2)]), tmp_path).written == 2
    odd = run([Rec(1, ["not", "a", "mapping"])], tmp_path / "odd")  # type: ignore[arg-type]
    assert odd.results[0].error == "values must be a mapping of names to values, not list"
    buffer = io.BytesIO()
    buffer.write((tmp_path / "letter-0001.docx").read_bytes())
    assert zipfile.is_zipfile(buffer)


# --------------------------------------------------------------------------- skipped rows and groups (issue 11)


@pytest.mark.parametrize("jobs", [1, 2])
def test_skipped_rows_are_reported_in_order_and_limit_does_not_count_them(tmp_path: Path, jobs: int) -> None:
    records: list[Any] = [
        Skipped(1, 2, "d.csv:2: no value for any placeholder; skipped"),
        *rows({"first": "Ada", "last": "Obi", "ref": 2}, {"first": "Bo", "last": "Ba", "ref": 3}, start=2),
    ]
    summary = run(records, tmp_path, limit=1, jobs=jobs)
    assert [(r.row, r.status, r.why, r.file) for r in summary.results] == [
        (1, "skipped", "blank", None),
        (2, "ok", None, str(tmp_path / "letter-0002.docx")),
    ]
    assert (summary.ok, summary.skipped) == (1, 1)
    assert listing(tmp_path) == ["letter-0002.docx"]


def test_a_groups_key_goes_into_its_result_and_a_problem_fails_only_it(tmp_path: Path) -> None:
    values = {"first": "Ada", "last": "Obi", "ref": 1}
    records = [
        Group(1, 2, values, "INV-1"),
        Group(2, 5, values, "INV-2", problem="ref differs within the group"),
    ]
    summary = run(records, tmp_path)
    assert [(r.label, r.status, r.error) for r in summary.results] == [
        ("group 1 (key INV-1)", "ok", None),
        ("group 2 (key INV-2)", "failed", "ref differs within the group"),
    ]
    assert listing(tmp_path) == ["letter-0001.docx"]


def test_an_existing_file_says_why(tmp_path: Path) -> None:
    run(people(1), tmp_path)
    assert run(people(1), tmp_path).results[0].why == "exists"
    assert run(people(1), tmp_path, skip_existing=True).results[0].why == "exists"
