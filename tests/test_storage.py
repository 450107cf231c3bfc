"""URL outputs through fsspec (memory://): one put each, never replacing what is there."""

from __future__ import annotations

import pytest

from docx_factory import make_docx, para
from mytypist_cli import storage
from mytypist_cli.engine.template import Template
from mytypist_cli.errors import OutputExistsError
from mytypist_cli.fill.batch import BatchOptions, run_rows
from mytypist_cli.fill.results import RowResult


def test_put_new_refuses_an_existing_object_and_counts_the_same_bytes_when_asked() -> None:
    assert storage.put_new("memory://t1/a.docx", b"one") == "written"
    with pytest.raises(OutputExistsError, match="exists; pass --overwrite"):
        storage.put_new("memory://t1/a.docx", b"two")
    assert storage.put_new("memory://t1/a.docx", b"one", same_ok=True) == "same"
    assert storage.put_new("memory://t1/a.docx", b"two", overwrite=True) == "written"
    assert storage.names_in("memory://t1") == {"a.docx"}


def test_run_rows_writes_each_document_to_a_url_folder_and_keeps_what_is_there() -> None:
    template = Template.open(make_docx(para("Dear <<name>>")))
    rows = [type("R", (), {"number": n, "values": {"name": f"P{n}"}})() for n in (1, 2, 3)]
    storage.put_new("memory://t2/out/letter-0002.docx", b"keep me")
    options = BatchOptions(out_url="memory://t2/out")
    summary = run_rows(template, rows, options, stem="letter")
    assert [r.status for r in summary.results] == ["ok", "failed", "ok"]
    assert summary.results[1].why == "exists"
    assert summary.results[0].file == "memory://t2/out/letter-0001.docx"
    assert storage.names_in("memory://t2/out") == {"letter-0001.docx", "letter-0002.docx", "letter-0003.docx"}
    import fsspec  # type: ignore[import-untyped]

    fs = fsspec.filesystem("memory")
    assert fs.cat_file("/t2/out/letter-0002.docx") == b"keep me"
    assert fs.cat_file("/t2/out/letter-0001.docx") == template.fill({"name": "P1"}).data


def test_shard_writes_its_share_with_the_names_a_single_run_gives() -> None:
    template = Template.open(make_docx(para("Dear <<name>>")))
    rows = [type("R", (), {"number": n, "values": {"name": "same"}})() for n in range(1, 8)]
    whole = run_rows(
        template, rows, BatchOptions(out_url="memory://t3/all", name_pattern="<<name>>"), stem="x"
    )
    parts: list[RowResult] = []
    for k in (1, 2, 3):
        options = BatchOptions(
            out_url=f"memory://t3/s{k}", name_pattern="<<name>>", shard=(k, 3), documents=len(rows)
        )
        parts.extend(run_rows(template, rows, options, stem="x").results)
    strip = [(r.row, r.file.rsplit("/", 1)[1] if r.file else None, r.status) for r in parts]
    assert strip == [(r.row, r.file.rsplit("/", 1)[1] if r.file else None, r.status) for r in whole.results]
